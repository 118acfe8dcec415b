#!/usr/bin/env python3
"""The CDK app: the only place that reads context or environment variables."""

from __future__ import annotations

import sys

from aws_cdk import App

from stacks.app_builder import build_app
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
    build_app(app, settings)
    app.synth()


if __name__ == "__main__":
    main()
