"""Every dependency lock in the repository: what each is compiled from, for which Python and
platform, and the check that it still matches its inputs.

    python -m tools.locks compile [--upgrade]   (make lock / make lock-upgrade)
    python -m tools.locks check                 (exit 1 naming each stale lock)

One tool compiles them all: uv (pinned in requirements/uv.in), because it resolves for a
platform and Python other than this machine's: Lambda's manylinux x86_64/aarch64 and CPython
3.13 from a 3.11 laptop. Each lock starts with a digest of everything that went into it
(inputs, exclusions, constraints, target), so a lock edited by hand or left behind by an
edited input is caught by `check` (and by tests/test_locks.py) without any network.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from stacks.common.paths import FUNCTIONS_DIR, REPO_ROOT
from stacks.lambda_python import LAMBDA_PYTHON_VERSION

REQUIREMENTS_DIR = REPO_ROOT / "requirements"
# The development tools' own Python: the oldest the development lock must install on.
DEV_PYTHON_VERSION = "3.11"
# Lambda architecture (the settings' vocabulary) -> uv's target platform for its manylinux wheels.
LAMBDA_PLATFORMS = {"x86_64": "x86_64-manylinux_2_28", "arm64": "aarch64-manylinux_2_28"}
DIGEST_PREFIX = "# inputs-sha256: "
# Shared by the export and benchmark locks (which include the export requirements).
EXPORT_EXCLUDED = REQUIREMENTS_DIR / "export-excluded.txt"
EXPORT_EXTRA_HASHES = REQUIREMENTS_DIR / "export-extra-hashes.txt"
_PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?==([^\s;\\]+)")


@dataclass(frozen=True, kw_only=True)
class Lock:
    """One lock file and how it is compiled."""

    output: Path
    source: Path  # the human-edited .in file
    python_version: str
    platform: str | None = None  # a uv --python-platform, or None for a universal (any OS) lock
    excluded: Path | None = None  # distributions never installed (one name a line, with reasons)
    constraints: tuple[Path, ...] = ()  # locks whose versions this one must share
    extra_hashes: Path | None = None  # hashes of builds from outside PyPI (PyTorch's CPU wheels)
    includes: tuple[Path, ...] = field(default=())  # `-r` files of the source, part of the digest

    @property
    def name(self) -> str:
        return self.output.relative_to(REPO_ROOT).as_posix()

    def inputs(self) -> list[Path]:
        return [p for p in (self.source, *self.includes, self.excluded, *self.constraints, self.extra_hashes) if p]

    def digest(self) -> str:
        h = hashlib.sha256()
        target = f"python={self.python_version} platform={self.platform or 'universal'} uv={uv_version_pinned()}"
        h.update(target.encode() + b"\0")
        for path in self.inputs():
            h.update(Path(os.path.relpath(path, REPO_ROOT)).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
        return h.hexdigest()


def uv_version_pinned() -> str:
    match = re.search(r"^uv==(\S+)", (REQUIREMENTS_DIR / "uv.in").read_text(), re.MULTILINE)
    assert match, "requirements/uv.in must pin uv==<version>"
    return match.group(1)


def function_folders() -> list[str]:
    """Every function with its own runtime dependencies (a requirements.in)."""
    return sorted(p.parent.name for p in FUNCTIONS_DIR.glob("*/requirements.in"))


def function_lock_path(folder: str, architecture: str) -> Path:
    return FUNCTIONS_DIR / folder / f"requirements-{architecture}.txt"


def lambda_runtime_lock_path(architecture: str) -> Path:
    return REQUIREMENTS_DIR / f"lambda-runtime-{architecture}.txt"


def development_lock(name: str, **options: Any) -> Lock:
    """requirements/<name>.in compiled into requirements/<name>.txt for the development tools'
    Python; `options` are the Lock's other fields (universal unless they name a platform)."""
    return Lock(
        output=REQUIREMENTS_DIR / f"{name}.txt",
        source=REQUIREMENTS_DIR / f"{name}.in",
        python_version=DEV_PYTHON_VERSION,
        **options,
    )


def all_locks() -> list[Lock]:
    """In compile order: a lock's constraints are compiled before it."""
    locks = [development_lock("uv")]
    for architecture, platform in LAMBDA_PLATFORMS.items():
        locks.append(
            Lock(
                output=lambda_runtime_lock_path(architecture),
                source=REQUIREMENTS_DIR / "lambda-runtime.in",
                python_version=LAMBDA_PYTHON_VERSION,
                platform=platform,
            )
        )
        for folder in function_folders():
            excluded = FUNCTIONS_DIR / folder / "requirements-excluded.txt"
            locks.append(
                Lock(
                    output=function_lock_path(folder, architecture),
                    source=FUNCTIONS_DIR / folder / "requirements.in",
                    python_version=LAMBDA_PYTHON_VERSION,
                    platform=platform,
                    excluded=excluded if excluded.exists() else None,
                )
            )
    # The handler tests run the functions' code in the development environment: same versions.
    shipped = tuple(function_lock_path(folder, "x86_64") for folder in function_folders())
    dev = development_lock("dev", constraints=(*shipped, lambda_runtime_lock_path("x86_64")))
    export = development_lock(
        "export", excluded=EXPORT_EXCLUDED, constraints=(dev.output,), extra_hashes=EXPORT_EXTRA_HASHES
    )
    bench = development_lock(
        "bench",
        excluded=EXPORT_EXCLUDED,
        constraints=(dev.output, export.output),
        extra_hashes=EXPORT_EXTRA_HASHES,
        includes=(dev.source, export.source),
    )
    # `make train-checkbox` (training/checkbox/train.py): torch + ultralytics (AGPL-3.0) in a
    # virtualenv of its own, never shipped and never in `make test`. Resolved for the machine
    # that trains (CPython 3.11, Linux x86_64) rather than universally: PyPI's torch 2.14.1 for
    # that platform is the CUDA build, and its NVIDIA libraries are locked with it (`import torch`
    # loads them, GPU or not). Its own pins (requirements/train-checkbox.in) match the
    # development and function locks where they overlap (numpy, Pillow, onnx, onnxruntime).
    train_checkbox = development_lock("train-checkbox", platform=LAMBDA_PLATFORMS["x86_64"])
    return [*locks, dev, export, bench, train_checkbox]


def listed_names(path: Path) -> list[str]:
    """Names one a line, comments and blank lines ignored."""
    return [line.split("#", 1)[0].strip() for line in path.read_text().splitlines() if line.split("#", 1)[0].strip()]


def distribution_name(name: str) -> str:
    """PEP 503 normalised: 'Typing_Extensions' and 'typing-extensions' are one distribution."""
    return re.sub(r"[-_.]+", "-", name).lower()


def _pinned(lock_file: Path) -> Iterator[tuple[str, str]]:
    """(normalised name, version) of each pin line of a requirements file, in file order."""
    for line in lock_file.read_text().splitlines():
        match = _PIN.match(line)
        if match:
            yield distribution_name(match.group(1)), match.group(2)


def pins(lock_file: Path) -> dict[str, str]:
    """Normalised name -> version of every requirement in a requirements file."""
    return dict(_pinned(lock_file))


def locked_versions(lock_file: Path) -> set[tuple[str, str]]:
    """(normalised name, version) of every requirement, one per environment marker variant."""
    return set(_pinned(lock_file))


def requirement_lines(lock_file: Path) -> list[str]:
    """Each pin of a lock with its environment marker, without hashes (constraints for another);
    builds that are not on PyPI (local versions, `+cpu`) are left to the extra hashes."""
    return [
        line.removesuffix("\\").strip()
        for line in lock_file.read_text().splitlines()
        if (match := _PIN.match(line)) and "+" not in match.group(2)
    ]


def read_digest(lock_file: Path) -> str | None:
    for line in lock_file.read_text().splitlines()[:3]:
        if line.startswith(DIGEST_PREFIX):
            return line.removeprefix(DIGEST_PREFIX).strip()
    return None


def stale(lock: Lock) -> str | None:
    """Why `lock` does not match its inputs, or None."""
    if not lock.output.exists():
        return f"{lock.name} is missing"
    if read_digest(lock.output) != lock.digest():
        inputs = ", ".join(os.path.relpath(p, REPO_ROOT) for p in lock.inputs())
        return f"{lock.name} was not compiled from the current {inputs}"
    return None


def _uv() -> str:
    found = shutil.which("uv", path=str(Path(sys.executable).parent)) or shutil.which("uv")
    if not found:
        raise SystemExit("uv is not installed: run `make setup` (it installs requirements/uv.txt)")
    return found


def compile_lock(lock: Lock, *, upgrade: bool) -> None:
    with tempfile.TemporaryDirectory() as scratch:
        command = [
            _uv(),
            "pip",
            "compile",
            str(lock.source.relative_to(REPO_ROOT)),
            "--output-file",
            str(lock.output.relative_to(REPO_ROOT)),
            "--generate-hashes",
            "--quiet",
            "--no-header",
            "--python-version",
            lock.python_version,
            "--index-url",
            "https://pypi.org/simple",
            "--no-config",
        ]
        command += ["--python-platform", lock.platform] if lock.platform else ["--universal"]
        if upgrade:
            command.append("--upgrade")
        if lock.excluded:
            # uv's documented way to drop a dependency: an override that never applies.
            overrides = Path(scratch) / "overrides.txt"
            overrides.write_text("".join(f"{name} ; sys_platform == 'never'\n" for name in listed_names(lock.excluded)))
            command += ["--override", str(overrides)]
        if lock.constraints:
            constraints = Path(scratch) / "constraints.txt"
            lines = sorted({line for path in lock.constraints for line in requirement_lines(path)})
            constraints.write_text("".join(f"{line}\n" for line in lines))
            command += ["--constraint", str(constraints)]
        subprocess.run(command, check=True, cwd=REPO_ROOT)
    body = lock.output.read_text()
    if lock.extra_hashes:
        body = _add_extra_hashes(body, lock.extra_hashes)
    header = (
        f"# {lock.name}: compiled by `make lock` (tools/locks.py) from {lock.source.relative_to(REPO_ROOT).as_posix()};"
        " do not edit.\n"
        f"# target: Python {lock.python_version}, {lock.platform or 'any platform'}\n"
        f"{DIGEST_PREFIX}{lock.digest()}\n"
    )
    lock.output.write_text(header + body)


def _add_extra_hashes(body: str, extra: Path) -> str:
    """Adds each build of `extra` (`name==version+local ; marker --hash=sha256:...`, a build
    that is not on PyPI) as its own requirement for the platforms its marker names, and limits
    the PyPI pin of that version to the other platforms: where the marker holds, only that
    build can be installed."""
    for line in listed_names(extra):
        requirement, _, rest = line.partition(";")
        marker, *hashes = rest.split(" --hash=")
        match = _PIN.match(requirement.strip())
        assert match and "+" in match.group(2) and hashes, (
            f"{extra.name}: {line!r} is not 'name==version+local ; marker --hash=...'"
        )
        name, public_version = match.group(1), match.group(2).split("+", 1)[0]
        clauses = [clause.strip() for clause in marker.strip().split(" and ")]
        assert all(" == " in clause for clause in clauses), f"{extra.name}: only `a == 'x' and b == 'y'` markers"
        elsewhere = " or ".join(clause.replace(" == ", " != ") for clause in clauses)
        anchor = re.compile(rf"^{re.escape(name)}=={re.escape(public_version)} \\\n", re.MULTILINE)
        found = anchor.search(body)
        if not found:  # the pin is not in this lock
            continue
        continuation = " \\\n    "
        local_build = (
            f"{requirement.strip()} ; {marker.strip()}"
            + "".join(f"{continuation}--hash={h.strip()}" for h in hashes)
            + "\n"
        )
        body = (
            body[: found.start()] + local_build + f"{name}=={public_version} ; {elsewhere} \\\n" + body[found.end() :]
        )
    return body


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    compile_parser = sub.add_parser("compile", help="compile every lock from its inputs")
    compile_parser.add_argument("--upgrade", action="store_true", help="take the newest versions the inputs allow")
    sub.add_parser("check", help="exit 1 if a lock does not match its inputs")
    args = parser.parse_args(argv)
    if args.command == "compile":
        for lock in all_locks():
            if args.upgrade or stale(lock):
                print(f"compiling {lock.name}", file=sys.stderr)
                compile_lock(lock, upgrade=args.upgrade)
        return 0
    problems = [reason for lock in all_locks() if (reason := stale(lock))]
    for reason in problems:
        print(f"stale: {reason}; run `make lock`", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
