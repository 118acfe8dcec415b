"""What `make serve` prints once it is ready: endpoints, functions, environment, examples.

The examples are ready to paste: they use the ports and the function names actually served.
"""

from __future__ import annotations

import json
import shlex
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from tools.local_lambda import LOCAL_REGION
from tools.local_serve.demo_data import DemoData
from tools.local_serve.runtime import LocalFunction
from tools.local_serve.server import FunctionStatus

MASK_NAME_EXAMPLE = {"mask_name": "3M Aura 9205+ N95"}
TEXTS_EXAMPLE = {"texts": ["I love this!", "This is terrible"]}


@dataclass(frozen=True, kw_only=True)
class Endpoints:
    http: str
    lambda_api: str
    s3: str


def environment_lines(endpoints: Endpoints) -> list[str]:
    return [
        f"export AWS_ENDPOINT_URL_LAMBDA={endpoints.lambda_api}",
        f"export AWS_ENDPOINT_URL_S3={endpoints.s3}",
        f"export AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing AWS_DEFAULT_REGION={LOCAL_REGION}",
    ]


def render(
    *,
    endpoints: Endpoints,
    functions: list[LocalFunction],
    statuses: list[FunctionStatus],
    routes: Mapping[str, str],
    prefixes: Mapping[str, str | None],
    demo: Mapping[str, DemoData],
    checkbox_form: Path | None,
) -> str:
    by_name = {status.name: status for status in statuses}
    lines = [
        "Serving on 127.0.0.1 (Ctrl-C stops everything):",
        f"  Lambda Invoke API  {endpoints.lambda_api}   (boto3: endpoint_url= or AWS_ENDPOINT_URL_LAMBDA)",
        f"  HTTP routes        {endpoints.http}   (GET / lists them)",
        f"  S3 (moto)          {endpoints.s3}   (AWS_ENDPOINT_URL_S3)",
        "",
        "Functions (environment, memory and timeout from the synthesized templates):",
    ]
    for function in functions:
        status = by_name.get(function.name)
        init = ", ".join(f"{ms:.0f} ms" for ms in (status.init_ms if status else []) if ms is not None)
        lines.append(
            f"  {function.name:<22} {function.memory_mb:>5} MB {function.timeout_seconds:>4} s"
            f"  {function.pool.size} worker(s)  init {init or '-'}"
        )
        for error in status.init_errors if status else []:
            lines.append(f"    INIT FAILED (every invocation answers this): {error.decode()[:500]}")
        for note in status.notes if status else []:
            lines.append(f"    note: {note}")
    lines += ["", "HTTP routes:"]
    lines += [f"  {endpoints.http}{prefix}/...  -> {what}" for prefix, what in routes.items()]
    direct_only = [f.name for f in functions if f.served.http_kind is None]
    if direct_only:
        lines.append(f"  ({', '.join(direct_only)}: Invoke API only)")
    lines += ["", "Environment for AWS SDKs and the AWS CLI:"]
    lines += [f"  {line}" for line in environment_lines(endpoints)]
    lines += ["", "Examples:"]
    for function in functions:
        lines += [f"  # {function.name}"]
        lines += [
            f"  {line}"
            for line in examples(
                function, endpoints, prefixes.get(function.name), demo.get(function.name), checkbox_form
            )
        ]
    return "\n".join(lines)


def examples(
    function: LocalFunction, endpoints: Endpoints, prefix: str | None, demo: DemoData | None, checkbox_form: Path | None
) -> list[str]:
    """A curl and a boto3 command for the function (curl on its HTTP route if it has one)."""
    served = function.served
    name = function.name
    if served.folder == "mask_predictor" and prefix:
        return [
            _curl_post(f"{endpoints.http}{prefix}/predict", MASK_NAME_EXAMPLE),
            _boto3_invoke(name, MASK_NAME_EXAMPLE),
        ]
    if served.folder == "sentiment" and prefix:
        return [
            _curl_post(f"{endpoints.http}{prefix}/", TEXTS_EXAMPLE),
            _boto3_invoke(name, TEXTS_EXAMPLE),
        ]
    if served.folder == "checkbox" and prefix:
        form = shlex.quote(str(checkbox_form)) if checkbox_form else "form.jpg"
        return [
            f"curl -s -H 'x-api-key: local' -F file=@{form} -F conf=0.2 {endpoints.http}{prefix}/predict",
            _boto3_invoke(name, {"httpMethod": "GET", "path": "/health"}),
            *upload_flow(f"{endpoints.http}{prefix}", form),
        ]
    event = (demo.example_event if demo else None) or {"action": "health"}
    lines = [
        f"curl -s {endpoints.lambda_api}/2015-03-31/functions/{name}/invocations -d {shlex.quote(json.dumps(event))}",
        _boto3_invoke(name, event),
    ]
    output = str(event.get("output_s3_uri", ""))
    if output.startswith("s3://"):
        bucket, _, key = output.removeprefix("s3://").partition("/")
        code = f'import boto3; print(boto3.client("s3").get_object(Bucket="{bucket}", Key="{key}")["Body"].read().decode()[:400])'
        lines.append(f"python -c {shlex.quote(code)}   # the predictions")
    return lines


def upload_flow(base_url: str, form: str) -> list[str]:
    """A scan too large for a request body: POST /uploads, PUT the file to the presigned URL
    (the embedded S3 here), then predict by its s3_key; and the same through the client."""
    upload_url = _from_upload('print(json.load(sys.stdin)["upload_url"])')
    predict_body = _from_upload('print(json.dumps({"s3_key": json.load(sys.stdin)["s3_key"], "conf": 0.2}))')
    return [
        "# large scans (past the 6 MB payload limit): a presigned upload, then a predict that names it",
        f"u=$(curl -s -X POST -H 'x-api-key: local' {base_url}/uploads)",
        f"curl -s -X PUT -H 'Content-Type: application/octet-stream' -T {form} {upload_url}",
        f"curl -s -H 'x-api-key: local' -H 'content-type: application/json' -d {predict_body} {base_url}/predict",
        f"python -m clients.checkbox --url {base_url} --api-key local --upload {form}   # the client does all three",
    ]


def _from_upload(code: str) -> str:
    """A shell word: `code` run on the POST /uploads answer held in $u."""
    return f'"$(echo "$u" | python3 -c {shlex.quote("import json, sys; " + code)})"'


def _curl_post(url: str, body: Mapping[str, object]) -> str:
    return f"curl -s {url} -H 'content-type: application/json' -d {shlex.quote(json.dumps(body))}"


def _boto3_invoke(function_name: str, event: Mapping[str, object]) -> str:
    code = (
        "import boto3; "
        f'r = boto3.client("lambda").invoke(FunctionName="{function_name}", Payload="""{json.dumps(event)}"""); '
        'print(r["StatusCode"], r.get("FunctionError"), r["Payload"].read().decode())'
    )
    return f"python -c {shlex.quote(code)}"
