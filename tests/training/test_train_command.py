"""The training command end to end on a tiny data set: search, write, load."""

from __future__ import annotations

import json
from pathlib import Path

from mask_predictor.predictor import METADATA_FILE_NAME, MODEL_FILE_NAME, MaskPredictor
from tests.training.helpers import train_mask_predictor
from training.mask_predictor.search import C1_GRID, C2_GRID


def test_search_train_and_write_a_loadable_model(tiny_dataset: Path, tmp_path: Path) -> None:
    output = tmp_path / "model"

    result = train_mask_predictor(tiny_dataset, output, "--folds", "2", "--jobs", "2")

    assert result.returncode == 0, result.stderr
    assert f"[{len(C1_GRID) * len(C2_GRID)}/{len(C1_GRID) * len(C2_GRID)}]" in result.stderr, "progress on stderr"
    for needle in ("precision", "recall", "f1-score", "token accuracy", "name accuracy", "best: c1="):
        assert needle in result.stdout
    metadata = json.loads((output / METADATA_FILE_NAME).read_text())
    assert metadata["c1"] in C1_GRID and metadata["c2"] in C2_GRID
    assert metadata["train_names"] + metadata["held_out_names"] == 20
    assert metadata["synthetic_names"] == 0
    assert (output / MODEL_FILE_NAME).stat().st_mode & 0o444 == 0o444, "readable in the layer"
    predictor = MaskPredictor.from_directory(output)
    assert predictor.predict("3M 8210 N95")["components"]["brand"] == ["3M"]


def test_synthetic_file_next_to_the_data_is_used_and_reported(tiny_dataset: Path, tmp_path: Path) -> None:
    (tiny_dataset.parent / "synthetic.tsv").write_text(
        "name\tlabels\tsource\nAcme 1234 N95\tbrand model filter_type\tsynthetic\n", encoding="utf-8"
    )
    params = tmp_path / "params.json"
    params.write_text(json.dumps({"c1": 0.1, "c2": 0.01}))

    result = train_mask_predictor(tiny_dataset, tmp_path / "model", "--no-search", "--params-from", str(params))

    assert result.returncode == 0, result.stderr
    metadata = json.loads((tmp_path / "model" / METADATA_FILE_NAME).read_text())
    assert metadata["synthetic_names"] == 1 and metadata["synthetic_data_sha256"]
    assert (metadata["c1"], metadata["c2"]) == (0.1, 0.01)
    assert "synthetic: 1 added to training" in result.stderr


def test_invalid_data_fails_with_the_line(tmp_path: Path) -> None:
    bad = tmp_path / "masks.tsv"
    bad.write_text("name\tlabels\tsource\n3M 8210 N95\tbrand model\tx\n", encoding="utf-8")

    result = train_mask_predictor(bad, tmp_path / "m")

    assert result.returncode == 1
    assert "masks.tsv:2: 3 tokens" in result.stderr
    assert not (tmp_path / "m" / MODEL_FILE_NAME).exists()
