"""Whole-template snapshots of every stack in every environment, so every infrastructure change
shows up as a reviewed diff, and proof that they are what the real `cdk synth` writes.

Content hashes are masked: retraining or editing a handler must not churn these; pytest
--snapshot-update refreshes them on purpose.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from syrupy.extensions.json import JSONSnapshotExtension

from stacks.settings import ENVIRONMENTS
from tests.support.cdk_cli import CliSynth

# Asset hashes (S3 keys, image tags, asset paths) are sha256 of the code and model content.
ASSET_HASH = re.compile(r"[0-9a-f]{64}")
# A staged asset's folder name: CDK appends the source path's "extension", and an image's
# source is the repository root, whose folder name (a clone in /tmp/tmp.Ab12Cd) may have one.
STAGED_ASSET_PATH = re.compile(r'"asset\.[0-9a-f]{64}[^"/]*"')
# Logical ids that CDK suffixes with a digest of content: a Lambda version's (code and
# configuration), a REST API deployment's (the API's methods and resources). The mask also
# takes the 8 upper-case characters before the digest (the construct path's stable hash).
HASHED_LOGICAL_ID = re.compile(r"(?<=[A-Za-z])[0-9A-F]{8}[0-9a-f]{32}(?![0-9a-f])")
# The CDKMetadata resource's payload: a compressed list of construct types and library versions.
ANALYTICS = re.compile(r'"Analytics": "v2:deflate64:[A-Za-z0-9+/=]+"')
# Whatever is left that looks like a digest (an account id is 12 digits).
DIGEST_LIKE = re.compile(r"[0-9a-fA-F]{20,}")

# Fixture names (tests/infra/conftest.py): every workload stack in every environment.
CASES = [
    f"{environment}_{workload}"
    for environment in ENVIRONMENTS
    for workload in ("mask", "sentiment", "checkbox", "batch")
]


def masked(template: dict[str, Any]) -> dict[str, Any]:
    text = json.dumps(template, sort_keys=True)
    text = STAGED_ASSET_PATH.sub('"asset.<asset-hash>"', text)
    text = ASSET_HASH.sub("<asset-hash>", text)
    text = HASHED_LOGICAL_ID.sub("<hash>", text)
    text = ANALYTICS.sub('"Analytics": "<cdk-analytics>"', text)
    return json.loads(text)


def stack_template(case: str, request: pytest.FixtureRequest) -> tuple[str, dict[str, Any]]:
    stack, template = request.getfixturevalue(case)
    return stack.stack_name, template.to_json()


@pytest.fixture
def snapshot_json(snapshot):
    return snapshot.use_extension(JSONSnapshotExtension)


@pytest.mark.parametrize("stack_fixture", CASES)
def test_template_snapshot(stack_fixture: str, request: pytest.FixtureRequest, snapshot_json) -> None:
    _, template = stack_template(stack_fixture, request)
    assert masked(template) == snapshot_json


@pytest.mark.parametrize("stack_fixture", CASES)
def test_template_equals_the_cdk_cli_synth(
    stack_fixture: str, request: pytest.FixtureRequest, cli_synths: dict[str, CliSynth]
) -> None:
    stack_name, template = stack_template(stack_fixture, request)
    environment = stack_fixture.split("_", 1)[0]
    assert masked(template) == masked(cli_synths[environment].assembly.template(stack_name))


@pytest.mark.parametrize("stack_fixture", CASES)
def test_masking_leaves_no_digest(stack_fixture: str, request: pytest.FixtureRequest) -> None:
    _, template = stack_template(stack_fixture, request)
    text = json.dumps(masked(template))
    assert "<asset-hash>" in text and "CurrentVersion<hash>" in text and "<cdk-analytics>" in text
    assert not DIGEST_LIKE.search(text), DIGEST_LIKE.search(text)


def test_masking_covers_the_rest_api_deployment(dev_checkbox) -> None:
    _, template = dev_checkbox
    resources = masked(template.to_json())["Resources"]
    deployments = [
        logical_id for logical_id, resource in resources.items() if resource["Type"] == "AWS::ApiGateway::Deployment"
    ]
    assert deployments == ["ApiDeployment<hash>"]


def test_masking_ignores_the_folder_name_of_the_clone() -> None:
    # CDK names an image's staged context after the repository root's "extension".
    digest = "0123456789abcdef" * 4
    for staged in (f"asset.{digest}", f"asset.{digest}.Ab12Cd"):
        assert masked({"Metadata": {"aws:asset:path": staged}}) == {
            "Metadata": {"aws:asset:path": "asset.<asset-hash>"}
        }
