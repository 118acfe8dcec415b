#!/usr/bin/env python3
"""The CDK app: the only place that reads context or environment variables."""

from __future__ import annotations

import sys

from aws_cdk import App

from stacks.batch_predict import BatchPredictStack
from stacks.checkbox import CheckboxStack
from stacks.common.compliance import add_compliance_checks
from stacks.mask_predictor import MaskPredictorStack
from stacks.sentiment import SentimentStack
from stacks.settings import settings_for


def main() -> None:
    app = App()
    settings = settings_for(
        app.node.try_get_context("env") or "dev",
        account=app.node.try_get_context("account"),
        region=app.node.try_get_context("region"),
    )
    # Every cdk command synthesizes first, so a deploy shows its target before it starts.
    print(
        f"Target: environment={settings.name} account={settings.account} region={settings.region}",
        file=sys.stderr,
    )
    MaskPredictorStack(app, settings.stack_name("MaskPredictor"), settings=settings)
    SentimentStack(app, settings.stack_name("Sentiment"), settings=settings)
    CheckboxStack(app, settings.stack_name("Checkbox"), settings=settings)
    BatchPredictStack(app, settings.stack_name("BatchPredict"), settings=settings)
    add_compliance_checks(app)
    app.synth()


if __name__ == "__main__":
    main()
