"""Synthesizes the app in-process exactly as `cdk synth` does, for template assertions.

Same construction as app.py (stacks/app_builder.py: the four stacks and cdk-nag) and the same
context: cdk.json's (feature flags included) plus what the CLI adds by default. Settings are
passed explicitly, so tests can tune them; the environment's name goes into the context as
`-c env=<name>` would put it. tests/infra/test_snapshots.py proves the templates equal the
CLI's, hashes masked.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from aws_cdk import App, Stack
from aws_cdk.assertions import Template

from stacks.app_builder import WorkloadStacks, build_app
from stacks.settings import BatchPredictSettings, EnvironmentSettings, FunctionSettings
from tools.cdk_context import cdk_synth_context

Synth = tuple[Stack, Template]


def synth_app(settings: EnvironmentSettings, outdir: Path) -> WorkloadStacks:
    """Every stack of one environment; cdk-nag runs, and an unacknowledged finding raises."""
    app = App(outdir=str(outdir), context=cdk_synth_context(settings.name))
    stacks = build_app(app, settings)
    app.synth()
    return stacks


def with_template(stack: Stack) -> Synth:
    return stack, Template.from_stack(stack)


def synth_mask_predictor(settings: EnvironmentSettings, outdir: Path) -> Synth:
    return with_template(synth_app(settings, outdir).mask_predictor)


def synth_checkbox(settings: EnvironmentSettings, outdir: Path) -> Synth:
    return with_template(synth_app(settings, outdir).checkbox)


def synth_sentiment(settings: EnvironmentSettings, outdir: Path) -> Synth:
    return with_template(synth_app(settings, outdir).sentiment)


def synth_batch_predict(settings: EnvironmentSettings, outdir: Path) -> Synth:
    return with_template(synth_app(settings, outdir).batch_predict)


def with_batch_predict(settings: EnvironmentSettings, **changes: object) -> EnvironmentSettings:
    batch_predict: BatchPredictSettings = replace(settings.batch_predict, **changes)
    return replace(settings, batch_predict=batch_predict)


def with_mask_function(settings: EnvironmentSettings, **changes: object) -> EnvironmentSettings:
    function: FunctionSettings = replace(settings.mask_predictor.function, **changes)
    return replace(settings, mask_predictor=replace(settings.mask_predictor, function=function))
