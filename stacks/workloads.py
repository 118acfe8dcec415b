"""The workloads, once: what app.py builds, what `make serve` and `make invoke` run, what the tests
walk. Adding a workload is one entry here plus its own folders (README: "Add a workload").

A workload's folders all carry its name: functions/<name>/ (what ships), events/<name>/ (sample
events), fixtures/<name>/ (committed test models), docs/<name>.md, and optionally
training/<name>/ and clients/<name>.py. So does its stack: the class <Name>Stack in
stacks/<name>.py, deployed as "<Name>-<env>" (<Name>: the name in CamelCase), imported only when
the app is built, so the local tools and the tests read this module without importing the CDK.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from stacks.common.paths import REPO_ROOT


@dataclass(frozen=True, kw_only=True)
class Workload:
    name: str  # the folder name everywhere (functions/<name>/, events/<name>/...)
    package: Literal["zip", "image"]
    # How HTTP reaches the handler: a Function URL event (served locally as one even where the
    # environment deploys no URL), a REST API proxy event, or none (the Invoke API only).
    http: Literal["function_url", "rest_api", "none"]
    has_client: bool = False  # a Python client in clients/<name>.py
    # Models an image builds at `docker build` (an export stage), stood in for by a committed
    # fixture when run outside the image: environment variable -> path in the repository.
    local_model_fixtures: dict[str, str] = field(default_factory=dict)
    serve_workers: int = 1  # worker processes `make serve` starts by default

    @property
    def stack_id(self) -> str:
        """The name in CamelCase ("mask_predictor" -> "MaskPredictor"): the stack is "<stack_id>-<env>"."""
        return "".join(part.capitalize() for part in self.name.split("_"))

    @property
    def client(self) -> str | None:
        """The module of its Python client, if it has one."""
        return f"clients.{self.name}" if self.has_client else None

    @property
    def function_dir(self) -> Path:
        return REPO_ROOT / "functions" / self.name

    @property
    def events_dir(self) -> Path:
        return REPO_ROOT / "events" / self.name

    @property
    def fixtures_dir(self) -> Path:
        return REPO_ROOT / "fixtures" / self.name

    @property
    def docs_page(self) -> Path:
        return REPO_ROOT / "docs" / f"{self.name}.md"

    def stack_type(self) -> Any:
        """stacks/<name>.py's <stack_id>Stack (imports the CDK)."""
        return getattr(importlib.import_module(f"stacks.{self.name}"), f"{self.stack_id}Stack")


WORKLOADS: tuple[Workload, ...] = (
    Workload(
        name="mask_predictor",
        package="zip",
        http="function_url",
        has_client=True,
        # It answers in about a millisecond, so the local server's own HTTP and pipe work
        # dominates: with `make load` at concurrency 32 on 2 cores, 2 workers beat 1 and more
        # gain nothing (docs/local.md).
        serve_workers=2,
    ),
    Workload(
        name="sentiment",
        package="image",
        http="function_url",
        has_client=True,
        local_model_fixtures={"MODEL_DIR": "fixtures/sentiment/model"},
    ),
    Workload(
        name="checkbox",
        package="image",
        http="rest_api",
        has_client=True,
    ),
    Workload(
        name="batch_predict",
        package="image",
        http="none",
    ),
)
WORKLOAD_NAMES: tuple[str, ...] = tuple(workload.name for workload in WORKLOADS)


def workload(name: str) -> Workload:
    for candidate in WORKLOADS:
        if candidate.name == name:
            return candidate
    raise KeyError(f"no workload {name!r}: one of {', '.join(WORKLOAD_NAMES)}")
