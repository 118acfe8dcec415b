"""Whole-template snapshots, so every infrastructure change shows up as a reviewed diff.

Asset hashes (code and model content) are masked: retraining or editing a handler must not
churn these; `make test --snapshot-update` (pytest --snapshot-update) refreshes them on purpose.
"""

from __future__ import annotations

import json
import re

import pytest
from aws_cdk import Stack
from aws_cdk.assertions import Template
from syrupy.extensions.json import JSONSnapshotExtension

ASSET_HASH = re.compile(r"[0-9a-f]{64}")
# Lambda version logical ids embed a hash of the function's code and configuration.
VERSION_ID = re.compile(r"CurrentVersion[0-9A-F]{8}[0-9a-f]{32}")


def masked(template: Template) -> dict:
    text = json.dumps(template.to_json(), sort_keys=True)
    text = VERSION_ID.sub("CurrentVersion<hash>", ASSET_HASH.sub("<asset-hash>", text))
    return json.loads(text)


@pytest.fixture
def snapshot_json(snapshot):  # type: ignore[no-untyped-def]
    return snapshot.use_extension(JSONSnapshotExtension)


@pytest.mark.parametrize(
    "stack_fixture", ["dev_mask", "prod_mask", "dev_sentiment", "prod_sentiment", "dev_checkbox", "dev_batch", "prod_batch"]
)
def test_template_snapshot(stack_fixture: str, request: pytest.FixtureRequest, snapshot_json) -> None:  # type: ignore[no-untyped-def]
    _, template = request.getfixturevalue(stack_fixture)
    assert masked(template) == snapshot_json


def test_masking_removes_asset_hashes(dev_mask: tuple[Stack, Template]) -> None:
    _, template = dev_mask
    text = json.dumps(masked(template))
    assert "<asset-hash>" in text and not ASSET_HASH.search(text)
