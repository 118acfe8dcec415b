"""What importing some modules loads, seen from a fresh interpreter started in the repository."""

from __future__ import annotations

import ast
import subprocess
import sys
from collections.abc import Iterable, Mapping

from stacks.common.paths import REPO_ROOT


def packages_loaded(
    modules: Iterable[str], packages: Iterable[str], *, env: Mapping[str, str] | None = None
) -> list[str]:
    """Those of the top-level `packages` that importing `modules` (in order) loads, in a fresh
    interpreter run in REPO_ROOT with `env` as its whole environment (this one's if None)."""
    code = (
        "import importlib, sys\n"
        f"for name in {list(modules)!r}: importlib.import_module(name)\n"
        f"print(sorted({{m.split('.')[0] for m in sys.modules}} & {set(packages)!r}))"
    )
    completed = subprocess.run([sys.executable, "-c", code], cwd=REPO_ROOT, env=env, capture_output=True, text=True)
    assert completed.returncode == 0, completed.stderr
    return ast.literal_eval(completed.stdout.strip())
