"""The function detects what ultralytics' own predict detects, with the committed model, on the
committed held-out pages (fixtures/checkbox/parity/, written with ultralytics by `make
train-checkbox`: training/checkbox/parity_reference.py). No torch and no ultralytics here: the
function runs as Lambda runs it, through `lambda_handler` with API Gateway's events.

Scored as `make bench` scores it (benchmarks/checkbox_scoring.py): a detection matches when the
class is the same and the IoU is at least 0.95; quality against the boxes the generator drew.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from benchmarks.checkbox_scoring import match_pages, match_rate, score_against_truth, total
from checkbox.detector import Detector
from stacks.common.paths import REPO_ROOT
from tests.support.events import json_body, rest_event
from tools.local_lambda import LocalLambdaContext

PARITY_DIR = REPO_ROOT / "fixtures" / "checkbox" / "parity"
EXPECTED = json.loads((PARITY_DIR / "expected.json").read_text())
MODEL = REPO_ROOT / EXPECTED["model"]
CONTENT_TYPES = {".jpg": "image/jpeg", ".png": "image/png"}


@pytest.fixture(scope="module")
def answers(handler: ModuleType, context: LocalLambdaContext) -> dict[str, list[tuple[float, ...]]]:
    """The function's detections for every parity page, with the committed model."""
    detector = Detector.load(MODEL, intra_op_threads=2)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(handler, "DETECTOR", detector)
        found = {}
        for name in EXPECTED["pages"]:
            path = PARITY_DIR / name
            query = {"conf": str(EXPECTED["predict_args"]["conf"]), "iou": str(EXPECTED["predict_args"]["iou"])}
            event = rest_event(
                "POST", "/predict", path.read_bytes(), content_type=CONTENT_TYPES[path.suffix], query=query
            )
            response = handler.lambda_handler(event, context)
            assert response["statusCode"] == 200, response["body"]
            (page,) = json_body(response)["pages"]
            found[name] = [_detection(d) for d in page["detections"]]
    return found


@pytest.fixture(scope="module")
def context() -> LocalLambdaContext:
    return LocalLambdaContext(function_name="checkbox-test", memory_limit_in_mb=3008, timeout_seconds=29)


def _detection(answer: dict[str, Any]) -> tuple[float, ...]:
    box = answer["box"]
    return (answer["class_id"], answer["confidence"], box["x1"], box["y1"], box["x2"], box["y2"])


def _theirs(name: str) -> list[tuple[float, ...]]:
    return [
        (d["class_id"], d["confidence"], d["x1"], d["y1"], d["x2"], d["y2"])
        for d in EXPECTED["pages"][name]["detections"]
    ]


def _drawn(name: str) -> list[tuple[float, ...]]:
    return [(b["class_id"], b["x1"], b["y1"], b["x2"], b["y2"]) for b in EXPECTED["pages"][name]["drawn_boxes"]]


def test_the_reference_was_made_with_the_committed_model() -> None:
    assert hashlib.sha256(MODEL.read_bytes()).hexdigest() == EXPECTED["model_sha256"]
    assert {Path(name).suffix for name in EXPECTED["pages"]} == {".jpg", ".png"}
    assert {page["dpi"] for page in EXPECTED["pages"].values()} == {150, 300}


def test_at_least_99_percent_of_detections_match_ultralytics(answers: dict[str, list[tuple[float, ...]]]) -> None:
    pages = {name: match_pages(answers[name], _theirs(name)) for name in EXPECTED["pages"]}
    assert sum(page.second for page in pages.values()) > 100  # a reference worth comparing with
    assert match_rate(list(pages.values())) >= 0.99, pages


@pytest.mark.parametrize("name", sorted(EXPECTED["pages"]))
def test_each_page_matches_ultralytics(answers: dict[str, list[tuple[float, ...]]], name: str) -> None:
    """Page by page the same input tensor and the same ONNX Runtime give the same boxes (to
    float noise: ultralytics maps boxes back with one scale for both axes, the function with
    each axis' own, a hundredth of a pixel apart)."""
    page = match_pages(answers[name], _theirs(name))
    assert page.matched == page.first == page.second, page
    assert page.max_confidence_difference < 1e-3 and page.min_iou > 0.99, page


def test_precision_and_recall_are_no_lower_than_ultralytics(answers: dict[str, list[tuple[float, ...]]]) -> None:
    ours = total([score_against_truth(answers[name], _drawn(name)) for name in EXPECTED["pages"]])
    theirs = total([score_against_truth(_theirs(name), _drawn(name)) for name in EXPECTED["pages"]])
    assert ours.precision is not None and theirs.precision is not None
    assert ours.precision >= theirs.precision and ours.recall >= theirs.recall
    assert ours.recall > 0.8  # the committed model finds the drawn boxes (models/checkbox/MODEL_CARD.md)
