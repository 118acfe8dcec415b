"""Synthesizes stacks in-process for template assertions, cdk-nag included."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from aws_cdk import App, Stack
from aws_cdk.assertions import Template

from stacks.common.compliance import add_compliance_checks
from stacks.mask_predictor import MaskPredictorStack
from stacks.settings import EnvironmentSettings, FunctionSettings


def synth_mask_predictor(settings: EnvironmentSettings, outdir: Path) -> tuple[Stack, Template]:
    app = App(outdir=str(outdir))
    stack = MaskPredictorStack(app, settings.stack_name("MaskPredictor"), settings=settings)
    add_compliance_checks(app)
    app.synth()  # runs the cdk-nag packs; an unacknowledged finding raises here
    return stack, Template.from_stack(stack)


def with_mask_function(settings: EnvironmentSettings, **changes: object) -> EnvironmentSettings:
    function: FunctionSettings = replace(settings.mask_predictor.function, **changes)
    return replace(settings, mask_predictor=replace(settings.mask_predictor, function=function))
