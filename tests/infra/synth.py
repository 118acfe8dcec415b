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
from typing import Any

from aws_cdk import App, Stack
from aws_cdk.assertions import Template

from stacks.app_builder import WorkloadStacks, build_app
from stacks.settings import EnvironmentSettings
from tests.support.templates import Synth
from tools.cdk_context import cdk_synth_context


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


def with_workload(
    settings: EnvironmentSettings, name: str, *, function_changes: dict[str, Any] | None = None, **changes: Any
) -> EnvironmentSettings:
    """`settings` with fields of one workload's settings (`name`: its EnvironmentSettings field)
    replaced, and fields of its FunctionSettings with `function_changes`."""
    workload = getattr(settings, name)
    if function_changes:
        changes["function"] = replace(workload.function, **function_changes)
    return replace(settings, **{name: replace(workload, **changes)})


def with_batch_predict(settings: EnvironmentSettings, **changes: Any) -> EnvironmentSettings:
    return with_workload(settings, "batch_predict", **changes)


def with_mask_function(settings: EnvironmentSettings, **changes: Any) -> EnvironmentSettings:
    return with_workload(settings, "mask_predictor", function_changes=changes)
