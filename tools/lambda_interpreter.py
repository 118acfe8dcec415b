"""Finds a CPython of Lambda's version (stacks/lambda_python.py) on this machine.

    python3 -m tools.lambda_interpreter     prints its path, or says how to get one (exit 2)

The artifact tests and `make invoke/serve ARTIFACT=1` start what ships under it. Looked for,
in order: $LAMBDA_PYTHON, `python3.13` on PATH, pyenv's installed 3.13.x, `uv python find`.
Standard library only: the Makefile runs it before any virtualenv exists.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from stacks.lambda_python import LAMBDA_PYTHON_VERSION


def _runs_version(candidate: str, version: str) -> bool:
    try:
        result = subprocess.run(
            [candidate, "-c", "import sys; print('%d.%d' % sys.version_info[:2], sys.implementation.name)"],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return False
    return result.returncode == 0 and result.stdout.split() == [version, "cpython"]


def _pyenv_candidates(version: str) -> list[str]:
    pyenv = shutil.which("pyenv")
    if not pyenv:
        return []
    listed = subprocess.run([pyenv, "versions", "--bare"], capture_output=True, text=True, check=False).stdout.split()
    installed = sorted((v for v in listed if v == version or v.startswith(version + ".")), reverse=True)
    root = subprocess.run([pyenv, "root"], capture_output=True, text=True, check=False).stdout.strip()
    return [str(Path(root) / "versions" / v / "bin" / f"python{version}") for v in installed]


def _uv_candidates(version: str) -> list[str]:
    uv = shutil.which("uv") or shutil.which("uv", path=str(Path(sys.executable).parent))
    if not uv:
        return []
    found = subprocess.run([uv, "python", "find", "--no-project", version], capture_output=True, text=True, check=False)
    return [found.stdout.strip()] if found.returncode == 0 and found.stdout.strip() else []


def find_lambda_interpreter(version: str = LAMBDA_PYTHON_VERSION) -> Path | None:
    """$LAMBDA_PYTHON when set (and then only it: a wrong one is an error, not a fallback),
    else the first CPython `version` found."""
    chosen = os.environ.get("LAMBDA_PYTHON", "")
    if chosen:
        return Path(chosen) if _runs_version(chosen, version) else None
    candidates = [shutil.which(f"python{version}") or ""]
    candidates += _pyenv_candidates(version) + _uv_candidates(version)
    for candidate in candidates:
        if candidate and _runs_version(candidate, version):
            return Path(candidate)
    return None


def how_to_get(version: str = LAMBDA_PYTHON_VERSION) -> str:
    chosen = os.environ.get("LAMBDA_PYTHON", "")
    if chosen:
        return f"LAMBDA_PYTHON={chosen} is not a CPython {version} (Lambda's Python, stacks/lambda_python.py): point it at one, or unset it to have one found"
    return (
        f"no CPython {version} found (Lambda's Python, stacks/lambda_python.py): looked at $LAMBDA_PYTHON, "
        f"python{version} on PATH, pyenv and `uv python find {version}`. Install one "
        f"(`pyenv install {version}`, `uv python install {version}`, or your OS's python{version} package), "
        f"or point LAMBDA_PYTHON at it."
    )


def main() -> int:
    found = find_lambda_interpreter()
    if found is None:
        print(how_to_get(), file=sys.stderr)
        return 2
    print(found)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
