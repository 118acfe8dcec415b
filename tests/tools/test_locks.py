"""Every dependency set is a complete lock with hashes, compiled from its input, and the
development environment holds exactly its lock."""

from __future__ import annotations

import re
from dataclasses import replace
from importlib.metadata import distributions
from pathlib import Path

import pytest

from stacks.common.paths import REPO_ROOT
from stacks.lambda_python import LAMBDA_PYTHON_VERSION
from stacks.workloads import WORKLOAD_NAMES
from tools.locks import all_locks, distribution_name, function_folders, locked_versions, pins, stale

LOCKS = all_locks()
_REQUIREMENT = re.compile(r"^[A-Za-z0-9]")
_EXACT_INPUT = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?==(\S+)\s*$")


@pytest.mark.parametrize("lock", LOCKS, ids=[lock.name for lock in LOCKS])
def test_the_lock_was_compiled_from_its_current_inputs(lock) -> None:
    assert stale(lock) is None, f"{stale(lock)}: run `make lock`"


@pytest.mark.parametrize("lock", LOCKS, ids=[lock.name for lock in LOCKS])
def test_every_requirement_is_pinned_with_hashes_and_the_inputs_pins_hold(lock) -> None:
    text = lock.output.read_text()
    entries = re.split(r"\n(?=[A-Za-z0-9])", text.split("\n", 3)[3])
    for entry in entries:
        if not _REQUIREMENT.match(entry):
            continue
        assert "==" in entry.split()[0], f"{lock.name}: {entry.split()[0]} is not pinned"
        assert "--hash=sha256:" in entry, f"{lock.name}: {entry.split()[0]} has no hash"
    locked = pins(lock.output)
    for source in (lock.source, *lock.includes):
        for line in source.read_text().splitlines():
            match = _EXACT_INPUT.match(line.split("#", 1)[0].strip())
            if match:
                name = distribution_name(match.group(1))
                assert locked.get(name) == match.group(2), f"{lock.name}: {name} is not {match.group(2)}"


def test_a_changed_input_makes_its_lock_stale(tmp_path: Path) -> None:
    lock = next(lock for lock in LOCKS if lock.name == "functions/mask_predictor/requirements-x86_64.txt")
    assert stale(lock) is None
    source = tmp_path / "requirements.in"
    source.write_text(lock.source.read_text().replace("python-crfsuite==0.9.12", "python-crfsuite==0.9.11"))
    reason = stale(replace(lock, source=source))
    assert reason is not None and "was not compiled from the current" in reason


def test_every_function_with_requirements_has_a_lock_per_architecture_for_lambdas_python() -> None:
    assert set(function_folders()) == set(WORKLOAD_NAMES)
    for folder in function_folders():
        for architecture in ("x86_64", "arm64"):
            lock = REPO_ROOT / "functions" / folder / f"requirements-{architecture}.txt"
            assert f"# target: Python {LAMBDA_PYTHON_VERSION}, " in lock.read_text().split("\n", 3)[1]


def test_the_development_environment_holds_exactly_its_lock() -> None:
    """By construction (uv pip sync): nothing importable here that requirements/dev.txt lacks."""
    allowed = locked_versions(REPO_ROOT / "requirements" / "dev.txt") | locked_versions(
        REPO_ROOT / "requirements" / "uv.txt"
    )
    installed = {(distribution_name(d.metadata["Name"]), d.version) for d in distributions()}
    extra = sorted(installed - allowed)
    assert not extra, f"installed but not in the lock (or another version): {extra}"


def test_excluded_distributions_are_absent_from_their_locks() -> None:
    for lock in LOCKS:
        if lock.excluded is None:
            continue
        excluded = {line.split("#", 1)[0].strip() for line in lock.excluded.read_text().splitlines()} - {""}
        live = {
            name
            for line in lock.output.read_text().splitlines()
            if (name := line.split("==", 1)[0]) in excluded and "sys_platform == 'never'" not in line
        }
        assert not live, f"{lock.name} holds {live}, which {lock.excluded.name} excludes"
