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
    result = run(
        [
            sys.executable,
            "-m",
            "tools.synth_report",
            "--cdk-out",
            str(outdir),
            "--requests",
            "2000000",
            "--duration-ms",
            "20",
        ]
    )
    assert result.returncode == 0, result.stderr
    header, _, row, image_row, *_ = result.stdout.splitlines()
    assert header.split(" | ")[0].strip() == "stack"
    cells = [cell.strip() for cell in row.split(" | ")]
    assert cells[:8] == [
        "MaskPredictor-prod",
        "mask-predictor-prod",
        "Zip",
        "x86_64",
        PYTHON_RUNTIME.name,
        "512 MB",
        "30 s",
        cells[7],
    ]
    assert cells[8] == "every 5 min"
    assert float(cells[10]) < float(cells[9])  # arm64 is cheaper
    assert "2,000,000 requests/month at 20 ms" in result.stdout
    image_cells = [cell.strip() for cell in image_row.split(" | ")]
    assert image_cells[:8] == [
        "Sentiment-prod",
        "sentiment-prod",
        "Image",
        "x86_64",
        f"python:{PYTHON_VERSION}",
        "2048 MB",
        "60 s",
        "image (built on deploy)",
    ]
    rows = {
        cells[0]: cells
        for cells in ([cell.strip() for cell in line.split(" | ")] for line in result.stdout.splitlines()[2:])
        if len(cells) > 1
    }
    assert rows["BatchPredict-prod"][:9] == [
        "BatchPredict-prod",
        "batch-predict-prod",
        "Image",
        "x86_64",
        f"python:{PYTHON_VERSION}",
        "3008 MB",
        "900 s",
        "image (built on deploy)",
        "off",
    ]
    assert float(rows["BatchPredict-prod"][10]) < float(rows["BatchPredict-prod"][9])
    # Every prod function: no provisioned concurrency, a CodeDeploy canary from its deployment group.
    assert {stack: cells[11:] for stack, cells in rows.items()} == {
        stack: ["off", "canary 10% 5 min"]
        for stack in ("MaskPredictor-prod", "Sentiment-prod", "Checkbox-prod", "BatchPredict-prod")
    }


def test_invoke_runs_the_handler_with_the_stack_environment(cli_synth) -> None:
    outdir, _ = cli_synth
    result = run(
        [
            sys.executable,
            "-m",
            "tools.invoke",
            "--function",
            "mask_predictor",
            "--event",
            str(EVENTS / "single.json"),
            "--cdk-out",
            str(outdir),
        ]
    )
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout)  # stdout is the return value only; logs went to stderr
    assert answer["mask_name"] == "3M Aura 9205+ N95"
    assert answer["breakdown"][0] == {"3M": "brand"}


def test_invoke_health_reports_function_name_from_template(cli_synth) -> None:
    outdir, _ = cli_synth
    result = run(
        [
            sys.executable,
            "-m",
            "tools.invoke",
            "--function",
            "mask_predictor",
            "--event",
            str(EVENTS / "health.json"),
            "--cdk-out",
            str(outdir),
        ]
    )
    assert result.returncode == 0, result.stderr
    health = json.loads(result.stdout)
    assert health["status"] == "ok" and health["function_name"] == "mask-predictor-prod"
    assert health["model"]["sha256"]


def test_invoke_function_url_event(cli_synth) -> None:
    outdir, _ = cli_synth
    result = run(
        [
            sys.executable,
            "-m",
            "tools.invoke",
            "--function",
            "mask_predictor",
            "--event",
            str(EVENTS / "function_url_predict.json"),
            "--cdk-out",
            str(outdir),
        ]
    )
    assert result.returncode == 0, result.stderr
    response = json.loads(result.stdout)
    assert response["statusCode"] == 200
    assert json.loads(response["body"])["count"] == 2


def test_invoke_image_function_uses_dockerfile_cmd_and_fixture_model(cli_synth) -> None:
    outdir, _ = cli_synth
    event = REPO_ROOT / "events" / "sentiment" / "texts.json"
    result = run(
        [
            sys.executable,
            "-m",
            "tools.invoke",
            "--function",
            "sentiment",
            "--event",
            str(event),
            "--cdk-out",
            str(outdir),
        ]
    )
    assert result.returncode == 0, result.stderr
    assert "using the committed fixture model fixtures/sentiment/model" in result.stderr
    answer = json.loads(result.stdout)
    assert answer["statusCode"] == 200 and answer["body"]["count"] == 2
    assert [r["sentiment"] for r in answer["body"]["results"]] == ["positive", "negative"]


def test_invoke_checkbox_with_a_minimal_proxy_event(cli_synth) -> None:
    outdir, _ = cli_synth
    event = REPO_ROOT / "events" / "checkbox" / "health.json"
    result = run(
        [
            sys.executable,
            "-m",
            "tools.invoke",
            "--function",
            "checkbox",
            "--event",
            str(event),
            "--cdk-out",
            str(outdir),
        ]
    )
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
    result = run(
        [
            sys.executable,
            "-m",
            "tools.invoke",
            "--function",
            "nope",
            "--event",
            str(EVENTS / "single.json"),
            "--cdk-out",
            str(outdir),
        ]
    )
    assert result.returncode == 2
    assert "no function from functions/nope" in result.stderr and "mask_predictor" in result.stderr
