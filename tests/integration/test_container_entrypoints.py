"""Each container function's CMD, run by the real runtime interface client (`awslambdaric`, as
in the Lambda base image) against a local Lambda Runtime API: no Docker needed.

The container functions are discovered from the app synthesized for dev, so a new one is
started here as soon as its stack is in app.py (and fails until it has an event below). The
files are laid out as the image lays them out: functions/ stands in for /var/task, which
holds /var/task/<package> and /var/task/lambda_common (tests/support/synthesized_app.py
checks each Dockerfile copies them so). The environment is the function's, from its
template and its Dockerfile's ENV, with the committed fixture model in place of the one an
image build bakes in. A handler string that does not resolve must make the client report an
init error, as Lambda would on a deploy with a broken CMD.
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from stacks.common.packages import PYTHON_VERSION
from tests.support.synthesized_app import KNOWN_IMAGE_FUNCTIONS, dockerfile_of, image_functions, synthesized_app
from tests.support.lambda_runtime_api import InitError, LambdaRuntimeApi, RuntimeInitFailed
from tools.cloud_assembly import CloudAssembly, FunctionDefinition
from tools.dockerfile import runtime_stage
from tools.local_lambda import FUNCTIONS_DIR, LOCAL_MODEL_FIXTURES, REPO_ROOT, local_environment

# Guards against a hang, not performance thresholds: a healthy answer takes about a second.
INVOKE_TIMEOUT_SECONDS = 120.0
EXIT_TIMEOUT_SECONDS = 30.0
LOG_TAIL_CHARS = 4000
# What CloudFormation's pseudo parameters stand for here.
PSEUDO_PARAMETERS = {
    "AWS::Partition": "aws",
    "AWS::Region": "us-east-1",
    "AWS::AccountId": "123456789012",
    "AWS::URLSuffix": "amazonaws.com",
}

Invoke = Callable[[Any], Any]  # event -> the function's JSON response (asserted to be one)


@dataclass(frozen=True)
class EntrypointCase:
    """How to check one function through its entrypoint: events to send, answers to expect."""

    exercise: Callable[[FunctionDefinition, Invoke], None]


def _exercise_sentiment(fn: FunctionDefinition, invoke: Invoke) -> None:
    response = invoke({"texts": ["I love this!", "This is terrible"]})
    assert set(response) == {"statusCode", "body"} and response["statusCode"] == 200, response
    body = response["body"]
    assert set(body) == {"results", "count"} and body["count"] == 2
    assert [set(result) for result in body["results"]] == [{"sentiment", "score"}] * 2
    assert [result["sentiment"] for result in body["results"]] == ["positive", "negative"]
    assert all(0.5 <= result["score"] <= 1.0 for result in body["results"])

    health = invoke({"action": "health"})
    assert health["statusCode"] == 200 and health["body"]["status"] == "ok", health
    model_json = json.loads((LOCAL_MODEL_FIXTURES["sentiment"]["MODEL_DIR"] / "model.json").read_text())
    assert health["body"]["model"]["sha256"] == model_json["sha256"]
    # The name comes from the Runtime API's context, the limits from the template's environment.
    assert health["body"]["function_name"] == fn.function_name
    assert health["body"]["limits"]["max_texts"] == int(fn.environment["MAX_TEXTS"])
    assert health["body"]["batch_size"] == int(fn.environment["BATCH_SIZE"])


def _exercise_checkbox(fn: FunctionDefinition, invoke: Invoke) -> None:
    # API Gateway REST proxy events, as the API sends them (committed sample events).
    predict = json.loads((REPO_ROOT / "events" / "checkbox" / "apigw_post_predict_json.json").read_text())
    response = invoke(predict)
    assert set(response) == {"statusCode", "multiValueHeaders", "body", "isBase64Encoded"}, response
    assert (response["statusCode"], response["isBase64Encoded"]) == (200, False), response
    assert response["multiValueHeaders"]["Content-Type"] == ["application/json"]
    body = json.loads(response["body"])
    assert set(body) == {"pages", "model", "thresholds", "timing_ms"}
    assert [(page["page"], page["width"], page["height"]) for page in body["pages"]] == [(0, 400, 200)]
    assert body["model"]["class_names"] == ["checked", "unchecked"]
    model_file = LOCAL_MODEL_FIXTURES["checkbox"]["MODEL_PATH"]
    assert body["model"]["sha256"] == hashlib.sha256(model_file.read_bytes()).hexdigest()
    assert body["thresholds"] == {"conf": 0.25, "iou": 0.45}
    detections = body["pages"][0]["detections"]
    assert detections and {d["class_name"] for d in detections} <= {"checked", "unchecked"}

    health = invoke(json.loads((REPO_ROOT / "events" / "checkbox" / "apigw_get_health.json").read_text()))
    assert health["statusCode"] == 200, health
    health_body = json.loads(health["body"])
    assert health_body["status"] == "ok" and health_body["function_name"] == fn.function_name
    assert health_body["limits"]["max_image_pixels"] == int(fn.environment["MAX_IMAGE_PIXELS"])


def _exercise_batch_predict(fn: FunctionDefinition, invoke: Invoke) -> None:
    health = invoke({"action": "health"})
    assert set(health) == {"statusCode", "body"} and health["statusCode"] == 200, health
    body = health["body"]
    assert body["status"] == "ok" and body["function_name"] == fn.function_name
    # Locations from the template: created buckets by their stand-in names, prefixes as set.
    model_bucket = deploy_time_stand_in(fn.environment["MODEL_BUCKET"])
    assert body["model_location"] == f"s3://{model_bucket}/{fn.environment['MODEL_PREFIX']}"
    assert body["trusted_pickle_prefixes"] == deploy_time_stand_in(fn.environment["TRUSTED_PICKLE_PREFIXES"]).split(",")
    assert body["batch_rows"] == int(fn.environment["BATCH_ROWS"])
    assert body["cached_models"] == []  # health loads no model
    assert invoke({"action": "keep_warm"}) == {"status": "warm"}


# One entry per container function (folder under functions/).
CASES: dict[str, EntrypointCase] = {
    "sentiment": EntrypointCase(exercise=_exercise_sentiment),
    "checkbox": EntrypointCase(exercise=_exercise_checkbox),
    "batch_predict": EntrypointCase(exercise=_exercise_batch_predict),
}


@dataclass(frozen=True)
class DevApp:
    assembly: CloudAssembly
    functions: dict[str, FunctionDefinition]  # folder -> container function


@pytest.fixture(scope="module")
def dev_app(tmp_path_factory: pytest.TempPathFactory) -> DevApp:
    (assembly,) = synthesized_app(("dev",), tmp_path_factory).values()
    return DevApp(assembly=assembly, functions=image_functions(assembly))


@dataclass
class RunningRuntime:
    """`python -m awslambdaric <handler>` serving one local Runtime API."""

    api: LambdaRuntimeApi
    process: subprocess.Popen[bytes]
    log_path: Path

    def log_tail(self) -> str:
        return self.log_path.read_text(errors="replace")[-LOG_TAIL_CHARS:]

    def invoke_json(self, event: Any) -> Any:
        result = self.api.invoke(event, timeout=INVOKE_TIMEOUT_SECONDS)
        assert result.succeeded, f"the function answered with an invocation error: {result.body!r}"
        assert result.content_type == "application/json"
        return result.json()

    def stop(self) -> int:
        """SIGTERM, as Lambda ends an execution environment; the exit status."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout=EXIT_TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            self.process.kill()
            return self.process.wait()


def deploy_time_stand_in(value: Any) -> str:
    """A local value for a template value known only at deploy time: a created resource's name
    (a Ref) becomes a stand-in name, valid as an S3 bucket name and the same for the same
    resource wherever it appears, so values built from it (Fn::Join) stay consistent."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and set(value) == {"Ref"}:
        return PSEUDO_PARAMETERS.get(value["Ref"]) or f"local-{value['Ref'].lower()}"[:63]
    if isinstance(value, dict) and set(value) == {"Fn::Join"}:
        separator, parts = value["Fn::Join"]
        return separator.join(deploy_time_stand_in(part) for part in parts)
    raise ValueError(f"no local stand-in for {json.dumps(value)}: teach deploy_time_stand_in this intrinsic")


def entrypoint_environment(
    fn: FunctionDefinition, *, app: DevApp, handler: str, runtime_api: str, config_dir: Path
) -> dict[str, str]:
    """What the function's process sees in Lambda, with this machine's paths and dummy credentials."""
    stand_ins = {name: deploy_time_stand_in(value) for name, value in fn.environment.items() if not isinstance(value, str)}
    function_environment, _notes = local_environment(fn, stand_ins)
    logging_config = app.assembly.template(fn.stack_name)["Resources"][fn.logical_id]["Properties"].get("LoggingConfig", {})
    environment = {
        "PATH": os.environ["PATH"],
        **function_environment,
        # Set by Lambda in every execution environment.
        "AWS_LAMBDA_RUNTIME_API": runtime_api,
        "AWS_EXECUTION_ENV": f"AWS_Lambda_python{PYTHON_VERSION}",
        "_HANDLER": handler,
        "AWS_DEFAULT_REGION": function_environment["AWS_REGION"],
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        # Nothing from the developer's AWS setup.
        "AWS_CONFIG_FILE": str(config_dir / "no-aws-config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(config_dir / "no-aws-credentials"),
        # The image's /var/task is the working directory and on the path; the repository root is not.
        "PYTHONPATH": str(FUNCTIONS_DIR),
        "PYTHONDONTWRITEBYTECODE": "1",  # /var/task is read-only in Lambda
    }
    if logging_config.get("LogFormat") == "JSON":  # Lambda's JSON log format sets both
        environment["AWS_LAMBDA_LOG_FORMAT"] = "JSON"
        environment["AWS_LAMBDA_LOG_LEVEL"] = logging_config.get("ApplicationLogLevel", "INFO")
    return environment


@contextmanager
def runtime_interface_client(folder: str, handler: str, *, app: DevApp, tmp_path: Path) -> Iterator[RunningRuntime]:
    fn = app.functions[folder]
    with LambdaRuntimeApi(function_name=fn.function_name, timeout_seconds=fn.timeout_seconds) as api:
        environment = entrypoint_environment(fn, app=app, handler=handler, runtime_api=api.address, config_dir=tmp_path)
        log_path = tmp_path / f"{fn.function_name}-{handler}.log"
        with log_path.open("wb") as log:
            process = subprocess.Popen(
                [sys.executable, "-m", "awslambdaric", handler],
                cwd=FUNCTIONS_DIR,
                env=environment,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        running = RunningRuntime(api=api, process=process, log_path=log_path)
        # Whoever waits on the API hears at once that the process has gone.
        watcher = threading.Thread(
            target=lambda: api.abandon(f"awslambdaric exited with status {process.wait()}"), daemon=True
        )
        watcher.start()
        try:
            yield running
        finally:
            running.stop()
            watcher.join()


def _cmd_handler(fn: FunctionDefinition) -> str:
    """The handler string in the CMD of the Dockerfile the image is built from."""
    cmd = runtime_stage(dockerfile_of(fn)).cmd
    assert cmd is not None and len(cmd) == 1, f"{fn.function_name}: CMD {cmd}, expected [handler]"
    return cmd[0]


def test_every_container_function_is_discovered_and_has_an_event(dev_app: DevApp) -> None:
    assert set(dev_app.functions) >= KNOWN_IMAGE_FUNCTIONS, sorted(dev_app.functions)
    missing = sorted(set(dev_app.functions) - set(CASES))
    assert not missing, f"add an EntrypointCase to CASES for {missing}"


def test_deploy_time_values_get_consistent_local_stand_ins() -> None:
    bucket = {"Ref": "BucketsModels32F0CFE2"}
    assert deploy_time_stand_in(bucket) == "local-bucketsmodels32f0cfe2"
    trusted = {"Fn::Join": ["", ["s3://", bucket, "/models/trusted/"]]}
    assert deploy_time_stand_in(trusted) == "s3://local-bucketsmodels32f0cfe2/models/trusted/"
    assert deploy_time_stand_in({"Fn::Join": [":", ["arn", {"Ref": "AWS::Partition"}]]}) == "arn:aws"
    with pytest.raises(ValueError, match="Fn::GetAtt"):
        deploy_time_stand_in({"Fn::GetAtt": ["Queue", "Arn"]})


def test_the_cmd_answers_events_through_the_runtime_interface_client(dev_app: DevApp, tmp_path: Path) -> None:
    for folder, fn in sorted(dev_app.functions.items()):
        with runtime_interface_client(folder, _cmd_handler(fn), app=dev_app, tmp_path=tmp_path) as running:
            try:
                CASES[folder].exercise(fn, running.invoke_json)
                # An event the runtime cannot decode is its error, posted as one; it keeps serving.
                garbled = running.api.invoke(b"{not json", timeout=INVOKE_TIMEOUT_SECONDS)
                assert not garbled.succeeded and garbled.json()["errorType"] == "Runtime.UnmarshalError"
                exit_status = running.stop()
            except Exception as error:
                log = running.log_tail()
                raise AssertionError(f"{folder} ({fn.function_name}): {error}\n--- runtime log ---\n{log}") from error
        assert exit_status == -signal.SIGTERM, f"{folder}: still serving until stopped, then exited {exit_status}"


def _init_error_for(folder: str, handler: str, *, app: DevApp, tmp_path: Path) -> tuple[InitError, int]:
    """Start the client with `handler`: the init error it reports for an event, its exit status."""
    with runtime_interface_client(folder, handler, app=app, tmp_path=tmp_path) as running:
        with pytest.raises(RuntimeInitFailed) as failure:
            running.api.invoke({"action": "health"}, timeout=INVOKE_TIMEOUT_SECONDS)
        exit_status = running.process.wait(timeout=EXIT_TIMEOUT_SECONDS)  # it exits on its own
    return failure.value.init_error, exit_status


def test_a_misspelled_module_in_the_cmd_is_an_import_module_error(dev_app: DevApp, tmp_path: Path) -> None:
    for folder, fn in sorted(dev_app.functions.items()):
        module, _, function = _cmd_handler(fn).rpartition(".")
        misspelled = f"{module[:-1]}.{function}"  # sentiment.handle.lambda_handler
        init_error, exit_status = _init_error_for(folder, misspelled, app=dev_app, tmp_path=tmp_path)
        assert init_error.error_type == "Runtime.ImportModuleError", (folder, init_error)
        assert init_error.json()["errorType"] == "Runtime.ImportModuleError"
        assert init_error.json()["errorMessage"].startswith(f"Unable to import module '{module[:-1]}'"), init_error
        assert exit_status == 1, folder


def test_a_wrong_function_name_in_the_cmd_is_handler_not_found(dev_app: DevApp, tmp_path: Path) -> None:
    for folder, fn in sorted(dev_app.functions.items()):
        module, _, function = _cmd_handler(fn).rpartition(".")
        wrong = f"{module}.{function}_v2"  # the module imports (model and all); the name is not in it
        init_error, exit_status = _init_error_for(folder, wrong, app=dev_app, tmp_path=tmp_path)
        assert init_error.error_type == "Runtime.HandlerNotFound", (folder, init_error)
        assert init_error.json()["errorMessage"] == f"Handler '{function}_v2' missing on module '{module}'"
        assert exit_status == 1, folder
