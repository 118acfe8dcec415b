"""The app's workload stacks (stacks/workloads.py), the opt-in account stack and the cdk-nag checks, built one
way for `cdk synth` (app.py) and for the infrastructure tests (tests/infra/synth.py), so the
tests assert what ships."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from aws_cdk import App, Stack

from stacks.account import AccountStack
from stacks.common.compliance import add_compliance_checks
from stacks.settings import EnvironmentSettings
from stacks.workloads import WORKLOADS


@dataclass(frozen=True)
class WorkloadStacks:
    """Each workload's stack by its name (`stacks.checkbox`, in stacks/workloads.py's order)."""

    workloads: dict[str, Stack] = field(default_factory=dict)
    # Account-wide settings (API Gateway's CloudWatch role): only with
    # settings.api_gateway_account_logging, never part of a workload stack.
    account: AccountStack | None = None

    def __getattr__(self, name: str) -> Any:
        try:
            return self.__dict__["workloads"][name]
        except KeyError:
            raise AttributeError(name) from None

    def all(self) -> tuple[Stack, ...]:
        return (*self.workloads.values(), *((self.account,) if self.account is not None else ()))


def build_app(app: App, settings: EnvironmentSettings) -> WorkloadStacks:
    """Adds every workload stack for one environment to `app` (and the account stack when
    settings ask for it), then the compliance checks (they run on `app.synth()`); reads no
    context: settings say everything."""
    workloads = {
        workload.name: workload.stack_type()(app, settings.stack_name(workload.stack_id), settings=settings)
        for workload in WORKLOADS
    }
    account = None
    if settings.api_gateway_account_logging:
        account = AccountStack(app, settings.stack_name("Account"), settings=settings)
        for workload in WORKLOADS:
            if workload.http == "rest_api":
                # `cdk deploy --all` sets the account's role before a stage that may log with it.
                workloads[workload.name].add_stack_dependency(
                    account, "the stage's execution logs need the account's CloudWatch role"
                )
    add_compliance_checks(app)
    return WorkloadStacks(workloads=workloads, account=account)
