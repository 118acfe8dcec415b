"""The context `cdk synth -c env=<name>` runs app.py with, for whoever synthesizes the app
without the CLI (in-process for the infrastructure tests, or app.py in a subprocess).

cdk.json's context (feature flags included), the environment's name as `-c env=<name>` puts it,
and what the CLI adds by default: its --path-metadata, --asset-metadata and
--version-reporting defaults, and bundling for every stack. Without those, resource Metadata
(the construct paths local bucket names come from) and the CDKMetadata resource would be
missing from the templates.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from stacks.common.paths import REPO_ROOT

CLI_DEFAULT_CONTEXT: dict[str, Any] = {
    "aws:cdk:enable-path-metadata": True,
    "aws:cdk:enable-asset-metadata": True,
    "aws:cdk:version-reporting": True,
    "aws:cdk:bundling-stacks": ["**"],
}


def cdk_synth_context(environment: str, *, repo_root: Path = REPO_ROOT) -> dict[str, Any]:
    cdk_json_context = json.loads((repo_root / "cdk.json").read_text())["context"]
    return {**cdk_json_context, "env": environment, **CLI_DEFAULT_CONTEXT}
