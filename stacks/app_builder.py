"""The app's four workload stacks, the opt-in account stack and the cdk-nag checks, built one
way for `cdk synth` (app.py) and for the infrastructure tests (tests/infra/synth.py), so the
tests assert what ships."""

from __future__ import annotations

from dataclasses import dataclass, fields

from aws_cdk import App, Stack

from stacks.account import AccountStack
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
    # Account-wide settings (API Gateway's CloudWatch role): only with
    # settings.api_gateway_account_logging, never part of a workload stack.
    account: AccountStack | None = None

    def all(self) -> tuple[Stack, ...]:
        stacks = (getattr(self, field.name) for field in fields(self))
        return tuple(stack for stack in stacks if stack is not None)


def build_app(app: App, settings: EnvironmentSettings) -> WorkloadStacks:
    """Adds every workload stack for one environment to `app` (and the account stack when
    settings ask for it), then the compliance checks (they run on `app.synth()`); reads no
    context: settings say everything."""
    mask_predictor = MaskPredictorStack(app, settings.stack_name("MaskPredictor"), settings=settings)
    sentiment = SentimentStack(app, settings.stack_name("Sentiment"), settings=settings)
    checkbox = CheckboxStack(app, settings.stack_name("Checkbox"), settings=settings)
    batch_predict = BatchPredictStack(app, settings.stack_name("BatchPredict"), settings=settings)
    account = (
        AccountStack(app, settings.stack_name("Account"), settings=settings)
        if settings.api_gateway_account_logging
        else None
    )
    stacks = WorkloadStacks(
        mask_predictor=mask_predictor, sentiment=sentiment, checkbox=checkbox, batch_predict=batch_predict, account=account
    )
    if account is not None:
        # `cdk deploy --all` sets the account's role before a stage that may log with it.
        stacks.checkbox.add_stack_dependency(account, "the stage's execution logs need the account's CloudWatch role")
    add_compliance_checks(app)
    return stacks
