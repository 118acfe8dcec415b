"""The workload registry (stacks/workloads.py) names every workload, and each entry's folders exist."""

from __future__ import annotations

import importlib

import pytest

from stacks.common.paths import FUNCTIONS_DIR, REPO_ROOT
from stacks.workloads import WORKLOAD_NAMES, WORKLOADS, workload


def test_every_function_folder_with_a_handler_is_a_workload() -> None:
    handlers = {path.parent.name for path in FUNCTIONS_DIR.glob("*/handler.py")}
    assert handlers == set(WORKLOAD_NAMES)


@pytest.mark.parametrize("entry", WORKLOADS, ids=lambda entry: entry.name)
def test_a_workloads_folders_exist(entry) -> None:
    assert (entry.function_dir / "handler.py").is_file()
    assert (entry.function_dir / "requirements.in").is_file()
    assert (entry.function_dir / "Dockerfile").is_file() == (entry.package == "image")
    assert sorted(entry.events_dir.glob("*.json")), f"no sample events in {entry.events_dir}"
    assert entry.docs_page.is_file()
    assert f"docs/{entry.name}.md" in (REPO_ROOT / "README.md").read_text()
    for path in entry.local_model_fixtures.values():
        assert (REPO_ROOT / path).exists()


@pytest.mark.parametrize("entry", WORKLOADS, ids=lambda entry: entry.name)
def test_a_workloads_stack_and_client_import(entry) -> None:
    assert entry.stack_type().__name__.endswith("Stack")
    if entry.client is not None:
        importlib.import_module(entry.client)


def test_names_and_stack_ids_are_unique_and_looked_up_by_name() -> None:
    assert len(set(WORKLOAD_NAMES)) == len(WORKLOADS)
    assert len({entry.stack_id for entry in WORKLOADS}) == len(WORKLOADS)
    assert workload("checkbox").http == "rest_api"
    with pytest.raises(KeyError, match="one of mask_predictor"):
        workload("nope")
