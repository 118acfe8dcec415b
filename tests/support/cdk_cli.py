"""The real CDK CLI (pinned in package.json): `cdk synth -c env=<name>` once per environment
per test session, as a user's shell runs it (bundling included).

Shared by the CLI tests (tests/integration/test_cdk_cli.py) and the infrastructure tests that
hold the in-process templates and cfn-lint to what the CLI writes (tests/infra/).
"""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from stacks.common.paths import REPO_ROOT
from tools.cloud_assembly import CloudAssembly

# A user's shell, not this test session's: other tests' fixtures may hold function settings
# (MODEL_DIR...) in os.environ while they are alive, and `make invoke` lets those win.
SHELL_VARIABLE_PREFIXES = (
    "PATH",
    "HOME",
    "LANG",
    "LC_",
    "PIP_",
    "NPM_",
    "NODE_",
    "TMP",
    "TEMP",
    "USER",
    "SSL_",
    "PYENV",
    "XDG_",
    "CI",
)


@dataclass(frozen=True)
class CliSynth:
    outdir: Path
    stderr: str

    @property
    def assembly(self) -> CloudAssembly:
        return CloudAssembly(self.outdir)


_synths: dict[str, CliSynth] = {}  # per environment, once per test session


def shell_env() -> dict[str, str]:
    return {
        **{k: v for k, v in os.environ.items() if k.startswith(SHELL_VARIABLE_PREFIXES)},
        "PYTHONPATH": f"{REPO_ROOT / 'functions'}{os.pathsep}{REPO_ROOT}",
        "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20",
        "JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION": "1",
    }


def run_in_repo(command: list[str], **kwargs: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, cwd=REPO_ROOT, env=shell_env(), capture_output=True, text=True, **kwargs)


def cdk_cli_synth(environments: tuple[str, ...], tmp_path_factory: pytest.TempPathFactory) -> dict[str, CliSynth]:
    """`npx --no-install cdk synth --quiet -c env=<name> -o <tmp>` for each environment not yet
    synthesized in this session, the environments in parallel."""
    started = {}
    for environment in environments:
        if environment in _synths:
            continue
        outdir = tmp_path_factory.mktemp(f"cdk.out-{environment}")
        command = ["npx", "--no-install", "cdk", "synth", "--quiet", "-c", f"env={environment}", "-o", str(outdir)]
        process = subprocess.Popen(
            command, cwd=REPO_ROOT, env=shell_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        started[environment] = (process, outdir)
    for environment, (process, outdir) in started.items():
        _, stderr = process.communicate()
        assert process.returncode == 0, f"cdk synth -c env={environment} failed:\n{stderr[-3000:]}"
        _synths[environment] = CliSynth(outdir=outdir, stderr=stderr)
    return {environment: _synths[environment] for environment in environments}
