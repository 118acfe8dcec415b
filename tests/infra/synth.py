"""Synthesizes stacks in-process for template assertions, cdk-nag included."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from aws_cdk import App, Stack
from aws_cdk.assertions import Template

from stacks.checkbox import CheckboxStack
from stacks.common.compliance import add_compliance_checks
from stacks.mask_predictor import MaskPredictorStack
from stacks.sentiment import SentimentStack
from stacks.settings import EnvironmentSettings, FunctionSettings


def synth_stack(stack_class: type[Stack], workload: str, settings: EnvironmentSettings, outdir: Path) -> tuple[Stack, Template]:
    app = App(outdir=str(outdir))
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


def with_mask_function(settings: EnvironmentSettings, **changes: object) -> EnvironmentSettings:
    function: FunctionSettings = replace(settings.mask_predictor.function, **changes)
    return replace(settings, mask_predictor=replace(settings.mask_predictor, function=function))
