"""The app as `cdk synth -c env=<name>` builds it, once per test session, and its image functions.

Shared by the static image checks (tests/infra/test_image_settings.py) and the runtime
artifact tests (tests/artifacts/).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from stacks.common.paths import REPO_ROOT
from stacks.workloads import WORKLOADS
from tools.cdk_context import cdk_synth_context
from tools.cloud_assembly import CloudAssembly, FunctionDefinition

# At least these: discovery that finds nothing must not pass.
KNOWN_IMAGE_FUNCTIONS = {workload.name for workload in WORKLOADS if workload.package == "image"}
# What a shell passes on to `cdk synth`'s app (as tests/integration/test_cdk_cli.py does).
_SHELL_VARIABLE_PREFIXES = ("PATH", "HOME", "LANG", "LC_", "TMP", "TEMP", "USER", "NODE_", "NPM_")

_assemblies: dict[str, CloudAssembly] = {}  # per environment, once per test session


def synthesized_app(
    environments: tuple[str, ...], tmp_path_factory: pytest.TempPathFactory
) -> dict[str, CloudAssembly]:
    """The whole app synthesized per environment the way `cdk synth -c env=<name>` runs it:
    app.py with the CLI's context (tools/cdk_context.py), in a process of its own (in parallel, once per session).

    Bundling is skipped (`aws:cdk:bundling-stacks`: none): it only builds ZIP assets, while an
    image asset is its staged build context either way.
    """
    started = {}
    for environment in environments:
        if environment in _assemblies:
            continue
        outdir = tmp_path_factory.mktemp(f"app-{environment}")
        env = {
            **{k: v for k, v in os.environ.items() if k.startswith(_SHELL_VARIABLE_PREFIXES)},
            "PYTHONPATH": f"{REPO_ROOT / 'functions'}{os.pathsep}{REPO_ROOT}",
            "CDK_OUTDIR": str(outdir),
            "CDK_CONTEXT_JSON": json.dumps({**cdk_synth_context(environment), "aws:cdk:bundling-stacks": []}),
            "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20",
            "JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION": "1",
        }
        process = subprocess.Popen(
            [sys.executable, "app.py"],
            cwd=REPO_ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        started[environment] = (process, outdir)
    for environment, (process, outdir) in started.items():
        _, stderr = process.communicate()
        assert process.returncode == 0, f"app.py (env={environment}) failed:\n{stderr[-3000:]}"
        _assemblies[environment] = CloudAssembly(outdir)
    return {environment: _assemblies[environment] for environment in environments}


def image_functions(assembly: CloudAssembly) -> dict[str, FunctionDefinition]:
    """functions/ folder -> the container-image function built from it."""
    found = {}
    for fn in assembly.functions():
        if fn.package_type == "Image":
            assert fn.image is not None, f"{fn.function_name}: no image asset for its ImageUri"
            found[image_folder(fn)] = fn
    return found


def image_folder(fn: FunctionDefinition) -> str:
    """The function's folder under functions/, from where its Dockerfile is."""
    assert fn.image is not None
    parts = Path(fn.image.dockerfile).parts
    assert len(parts) == 3 and parts[0] == "functions" and parts[2] == "Dockerfile", (
        f"{fn.function_name}: Dockerfile at {fn.image.dockerfile}, expected functions/<folder>/Dockerfile"
    )
    return parts[1]


def dockerfile_of(fn: FunctionDefinition) -> Path:
    """The Dockerfile as staged in the build context CDK hands to `docker build`."""
    assert fn.image is not None
    return fn.image.context_dir / fn.image.dockerfile
