"""The real CDK CLI (pinned in package.json) synthesizes the app, and `make invoke`'s tool
runs a synthesized function locally from that output."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from stacks.common.packages import PYTHON_RUNTIME, PYTHON_VERSION
from stacks.common.paths import REPO_ROOT
from tests.support.cdk_cli import CliSynth, cdk_cli_synth
from tests.support.cdk_cli import run_in_repo as run
from tools.cloud_assembly import CloudAssembly

EVENTS = REPO_ROOT / "events" / "mask_predictor"


def invoke(outdir: Path, function: str, event: Path):
    """`make invoke`'s tool: run `function` locally on `event` from the synthesized `outdir`."""
    return run(
        [sys.executable, "-m", "tools.invoke", "--function", function, "--event", str(event), "--cdk-out", str(outdir)]
    )


@pytest.fixture(scope="module")
def cli_synth(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, CliSynth]:
    """The session's prod synth (tests/infra/ compares its templates with theirs)."""
    synth = cdk_cli_synth(("prod",), tmp_path_factory)["prod"]
    return synth.outdir, synth


def test_cli_synth_shows_target_account_and_region_first(cli_synth) -> None:
    _, result = cli_synth
    assert "Target: environment=prod account=222222222222 region=us-east-1" in result.stderr


def test_cli_synth_writes_every_stack_and_no_nag_findings(cli_synth) -> None:
    outdir, _ = cli_synth
    assert CloudAssembly(outdir).stack_names() == [
        "MaskPredictor-prod",
        "Sentiment-prod",
        "Checkbox-prod",
        "BatchPredict-prod",
    ]
    report = json.loads((outdir / "validation-report.json").read_text())
    assert all(not plugin["violations"] for plugin in report["pluginReports"])


def test_synth_report_prints_a_row_per_function(cli_synth) -> None:
    outdir, _ = cli_synth
    report = [sys.executable, "-m", "tools.synth_report", "--cdk-out", str(outdir)]
    result = run([*report, "--requests", "2000000", "--duration-ms", "20"])
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    # the header, then (below its rule) the zip function first and an image one after it
    assert [line.split(" | ")[0].strip() for line in (lines[0], *lines[2:4])] == [
        "stack",
        "MaskPredictor-prod",
        "Sentiment-prod",
    ]
    assert "2,000,000 requests/month at 20 ms" in result.stdout
    rows = {
        cells[0]: cells
        for cells in ([cell.strip() for cell in line.split(" | ")] for line in lines[2:])
        if len(cells) > 1
    }
    python_image = f"python:{PYTHON_VERSION}"
    # stack: function name, package type, runtime, memory, timeout (every one on x86_64)
    expected = {
        "MaskPredictor-prod": ("mask-predictor-prod", "Zip", PYTHON_RUNTIME.name, "512 MB", "30 s"),
        "Sentiment-prod": ("sentiment-prod", "Image", python_image, "2048 MB", "60 s"),
        "BatchPredict-prod": ("batch-predict-prod", "Image", python_image, "3008 MB", "900 s"),
    }
    for stack, (function, package, runtime, memory, timeout) in expected.items():
        assert rows[stack][1:7] == [function, package, "x86_64", runtime, memory, timeout], stack
    assert rows["Sentiment-prod"][7] == rows["BatchPredict-prod"][7] == "image (built on deploy)"
    assert rows["MaskPredictor-prod"][8] == "every 5 min"
    assert rows["BatchPredict-prod"][8] == "off"
    for stack in ("MaskPredictor-prod", "BatchPredict-prod"):
        assert float(rows[stack][10]) < float(rows[stack][9]), f"{stack}: arm64 is cheaper"
    # Every prod function: no provisioned concurrency, a CodeDeploy canary from its deployment group.
    assert {stack: cells[11:] for stack, cells in rows.items()} == {
        stack: ["off", "canary 10% 5 min"]
        for stack in ("MaskPredictor-prod", "Sentiment-prod", "Checkbox-prod", "BatchPredict-prod")
    }


def test_invoke_runs_the_handler_with_the_stack_environment(cli_synth) -> None:
    outdir, _ = cli_synth
    result = invoke(outdir, "mask_predictor", EVENTS / "single.json")
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout)  # stdout is the return value only; logs went to stderr
    assert answer["mask_name"] == "3M Aura 9205+ N95"
    assert answer["breakdown"][0] == {"3M": "brand"}


def test_invoke_health_reports_function_name_from_template(cli_synth) -> None:
    outdir, _ = cli_synth
    result = invoke(outdir, "mask_predictor", EVENTS / "health.json")
    assert result.returncode == 0, result.stderr
    health = json.loads(result.stdout)
    assert health["status"] == "ok" and health["function_name"] == "mask-predictor-prod"
    assert health["model"]["sha256"]


def test_invoke_function_url_event(cli_synth) -> None:
    outdir, _ = cli_synth
    result = invoke(outdir, "mask_predictor", EVENTS / "function_url_predict.json")
    assert result.returncode == 0, result.stderr
    response = json.loads(result.stdout)
    assert response["statusCode"] == 200
    assert json.loads(response["body"])["count"] == 2


def test_invoke_image_function_uses_dockerfile_cmd_and_fixture_model(cli_synth) -> None:
    outdir, _ = cli_synth
    event = REPO_ROOT / "events" / "sentiment" / "texts.json"
    result = invoke(outdir, "sentiment", event)
    assert result.returncode == 0, result.stderr
    assert "using the committed fixture model fixtures/sentiment/model" in result.stderr
    answer = json.loads(result.stdout)
    assert answer["statusCode"] == 200 and answer["body"]["count"] == 2
    assert [r["sentiment"] for r in answer["body"]["results"]] == ["positive", "negative"]


def test_invoke_checkbox_with_a_minimal_proxy_event(cli_synth) -> None:
    outdir, _ = cli_synth
    event = REPO_ROOT / "events" / "checkbox" / "health.json"
    result = invoke(outdir, "checkbox", event)
    assert result.returncode == 0, result.stderr
    assert "fixture model" not in result.stderr  # the model the image bakes in, not a stand-in
    response = json.loads(result.stdout)
    assert response["statusCode"] == 200
    health = json.loads(response["body"])
    assert health["status"] == "ok"
    image = CloudAssembly(outdir).function("checkbox").image
    assert image is not None
    baked = image.build_args["MODEL_FILE"]
    assert health["model"]["path"].endswith(baked)


def test_invoke_unknown_function_says_which_exist(cli_synth) -> None:
    outdir, _ = cli_synth
    result = invoke(outdir, "nope", EVENTS / "single.json")
    assert result.returncode == 2
    assert "no function from functions/nope" in result.stderr and "mask_predictor" in result.stderr
