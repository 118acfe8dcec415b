"""Synthesizes stacks in-process for template assertions, cdk-nag included."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

from aws_cdk import App, Stack
from aws_cdk.assertions import Template

from stacks.batch_predict import BatchPredictStack
from stacks.checkbox import CheckboxStack
from stacks.common.compliance import add_compliance_checks
from stacks.mask_predictor import MaskPredictorStack
from stacks.sentiment import SentimentStack
from stacks.settings import BatchPredictSettings, EnvironmentSettings, FunctionSettings

REPO_ROOT = Path(__file__).resolve().parents[2]


def cdk_json_feature_flags() -> dict[str, Any]:
    """cdk.json's feature flags (not its `env` choice): what `cdk synth` runs the app with."""
    context = json.loads((REPO_ROOT / "cdk.json").read_text())["context"]
    return {key: value for key, value in context.items() if key.startswith("@")}


def synth_stack(
    stack_class: type[Stack],
    workload: str,
    settings: EnvironmentSettings,
    outdir: Path,
    *,
    context: dict[str, Any] | None = None,
) -> tuple[Stack, Template]:
    app = App(outdir=str(outdir), context=context)
    stack = stack_class(app, settings.stack_name(workload), settings=settings)  # type: ignore[call-arg]
    add_compliance_checks(app)
    app.synth()  # runs the cdk-nag packs; an unacknowledged finding raises here
    return stack, Template.from_stack(stack)


def synth_mask_predictor(settings: EnvironmentSettings, outdir: Path) -> tuple[Stack, Template]:
    return synth_stack(MaskPredictorStack, "MaskPredictor", settings, outdir)


def synth_checkbox(settings: EnvironmentSettings, outdir: Path) -> tuple[Stack, Template]:
    return synth_stack(CheckboxStack, "Checkbox", settings, outdir)


def synth_sentiment(settings: EnvironmentSettings, outdir: Path) -> tuple[Stack, Template]:
    return synth_stack(SentimentStack, "Sentiment", settings, outdir)


def synth_batch_predict(settings: EnvironmentSettings, outdir: Path) -> tuple[Stack, Template]:
    # With cdk.json's feature flags, so the template asserted on is the one `cdk synth` writes
    # (partition literals, minimized policies...).
    return synth_stack(BatchPredictStack, "BatchPredict", settings, outdir, context=cdk_json_feature_flags())


def with_batch_predict(settings: EnvironmentSettings, **changes: object) -> EnvironmentSettings:
    batch_predict: BatchPredictSettings = replace(settings.batch_predict, **changes)
    return replace(settings, batch_predict=batch_predict)


def with_mask_function(settings: EnvironmentSettings, **changes: object) -> EnvironmentSettings:
    function: FunctionSettings = replace(settings.mask_predictor.function, **changes)
    return replace(settings, mask_predictor=replace(settings.mask_predictor, function=function))
