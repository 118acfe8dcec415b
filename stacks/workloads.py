"""The workloads, once: what app.py builds, what `make serve` and `make invoke` run, what the tests
walk. Adding a workload is one entry here plus its own folders (README: "Add a workload").

A workload's folders all carry its name: functions/<name>/ (what ships), events/<name>/ (sample
events), fixtures/<name>/ (committed test models), docs/<name>.md, and optionally
training/<name>/ and clients/<name>.py. The stack class is named by import path, so the local
tools and the tests read this module without importing the CDK.
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
    stack_id: str  # the stack is "<stack_id>-<env>"
    stack_class: str  # "module:Class", imported only when the app is built
    package: Literal["zip", "image"]
    # How HTTP reaches the handler: a Function URL event (served locally as one even where the
    # environment deploys no URL), a REST API proxy event, or none (the Invoke API only).
    http: Literal["function_url", "rest_api", "none"]
    client: str | None = None  # the module of its Python client, if it has one
    # Models an image builds at `docker build` (an export stage), stood in for by a committed
    # fixture when run outside the image: environment variable -> path in the repository.
    local_model_fixtures: dict[str, str] = field(default_factory=dict)
    serve_workers: int = 1  # worker processes `make serve` starts by default

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
        module, _, name = self.stack_class.partition(":")
        return getattr(importlib.import_module(module), name)


WORKLOADS: tuple[Workload, ...] = (
    Workload(
        name="mask_predictor",
        stack_id="MaskPredictor",
        stack_class="stacks.mask_predictor:MaskPredictorStack",
        package="zip",
        http="function_url",
        client="clients.mask_predictor",
        # It answers in about a millisecond, so the local server's own HTTP and pipe work
        # dominates: with `make load` at concurrency 32 on 2 cores, 2 workers beat 1 and more
        # gain nothing (docs/local.md).
        serve_workers=2,
    ),
    Workload(
        name="sentiment",
        stack_id="Sentiment",
        stack_class="stacks.sentiment:SentimentStack",
        package="image",
        http="function_url",
        client="clients.sentiment",
        local_model_fixtures={"MODEL_DIR": "fixtures/sentiment/model"},
    ),
    Workload(
        name="checkbox",
        stack_id="Checkbox",
        stack_class="stacks.checkbox:CheckboxStack",
        package="image",
        http="rest_api",
        client="clients.checkbox",
    ),
    Workload(
        name="batch_predict",
        stack_id="BatchPredict",
        stack_class="stacks.batch_predict:BatchPredictStack",
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
