"""The app's four workload stacks and its cdk-nag checks, built one way for `cdk synth` (app.py)
and for the infrastructure tests (tests/infra/synth.py), so the tests assert what ships."""

from __future__ import annotations

from dataclasses import dataclass, fields

from aws_cdk import App, Stack

from stacks.batch_predict import BatchPredictStack
from stacks.checkbox import CheckboxStack
from stacks.common.compliance import add_compliance_checks
from stacks.mask_predictor import MaskPredictorStack
from stacks.sentiment import SentimentStack
from stacks.settings import EnvironmentSettings


@dataclass(frozen=True)
class WorkloadStacks:
    mask_predictor: MaskPredictorStack
    sentiment: SentimentStack
    checkbox: CheckboxStack
    batch_predict: BatchPredictStack

    def all(self) -> tuple[Stack, ...]:
        return tuple(getattr(self, field.name) for field in fields(self))


def build_app(app: App, settings: EnvironmentSettings) -> WorkloadStacks:
    """Adds every workload stack for one environment to `app`, then the compliance checks
    (they run on `app.synth()`); reads no context: settings say everything."""
    stacks = WorkloadStacks(
        mask_predictor=MaskPredictorStack(app, settings.stack_name("MaskPredictor"), settings=settings),
        sentiment=SentimentStack(app, settings.stack_name("Sentiment"), settings=settings),
        checkbox=CheckboxStack(app, settings.stack_name("Checkbox"), settings=settings),
        batch_predict=BatchPredictStack(app, settings.stack_name("BatchPredict"), settings=settings),
    )
    add_compliance_checks(app)
    return stacks
