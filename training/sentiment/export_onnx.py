"""Export a sequence-classification model to the sentiment function's artifact layout.

    python -m training.sentiment.export_onnx --model distilbert-base-uncased-finetuned-sst-2-english \\
        --output build/sentiment-model [--no-quantize] [--model-id NAME] [--labels negative,positive]

`--model` is a Hugging Face model id or a local directory saved with `save_pretrained`. The
output directory receives exactly what the function loads:

    model.onnx      inputs input_ids + attention_mask (int64, dynamic batch and sequence), output logits
    tokenizer.json  the fast tokenizer (truncation at max_length, no padding: the function pads)
    labels.json     {"0": "negative", "1": "positive"}: class index -> label, lower case
    model.json      {"format_version", "model_id", "quantization": "int8"|"none", "sha256" of
                     model.onnx, "max_length", "pad_token_id", "export": {validation figures}}

The export is validated before anything is written, and fails (exit status 1, a message on
stderr) unless, on a few hundred sample texts of varied length (training/sentiment/samples.py):
- the saved tokenizer.json encodes every sample exactly as the transformers tokenizer does;
- the fp32 ONNX model's logits are within 1e-3 of PyTorch's (max absolute difference);
- with quantization (the default), the int8 model predicts PyTorch's label on >= 99% of them.

The Docker build stage (functions/sentiment/Dockerfile) and the fixture script
(training/sentiment/build_fixture.py) both call `export_model`. torch and transformers are
imported only when exporting, so the validation checks below are importable without them.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import os
import shutil
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

# The layout the function reads, from the function itself (on PYTHONPATH here; the image's
# export stage copies that one file next to this package).
from sentiment import model_layout
from training.sentiment.samples import DEFAULT_SAMPLE_COUNT, validation_texts

if TYPE_CHECKING:
    import onnxruntime

LOG = logging.getLogger("export_onnx")

DEFAULT_OPSET = 18
MIN_OPSET = 17
FP32_MAX_ABS_LOGIT_DIFF = 1e-3
INT8_MIN_LABEL_AGREEMENT = 0.99
VALIDATION_BATCH_SIZE = 16
# Models whose tokenizer declares no usable limit get the position-embedding count, at most this.
FALLBACK_MAX_LENGTH = 512


class ExportError(Exception):
    """The model cannot be exported, or the export disagrees with PyTorch; the message says how."""


@dataclass(frozen=True)
class Fp32Check:
    max_abs_logit_diff: float
    tolerance: float

    @property
    def passed(self) -> bool:
        return self.max_abs_logit_diff <= self.tolerance


@dataclass(frozen=True)
class Int8Check:
    label_agreement: float
    disagreements: int
    samples: int
    max_abs_logit_diff: float
    min_agreement: float

    @property
    def passed(self) -> bool:
        return self.label_agreement >= self.min_agreement


def check_fp32(reference: np.ndarray, exported: np.ndarray, *, tolerance: float = FP32_MAX_ABS_LOGIT_DIFF) -> Fp32Check:
    """Largest absolute logit difference between the fp32 export and PyTorch."""
    _same_shape(reference, exported)
    diff = float(np.max(np.abs(reference.astype(np.float64) - exported.astype(np.float64))))
    return Fp32Check(max_abs_logit_diff=diff, tolerance=tolerance)


def check_int8(
    reference: np.ndarray, quantized: np.ndarray, *, min_agreement: float = INT8_MIN_LABEL_AGREEMENT
) -> Int8Check:
    """Share of samples on which the int8 export predicts PyTorch's label."""
    _same_shape(reference, quantized)
    same = np.argmax(reference, axis=1) == np.argmax(quantized, axis=1)
    diff = float(np.max(np.abs(reference.astype(np.float64) - quantized.astype(np.float64))))
    return Int8Check(
        label_agreement=float(np.mean(same)),
        disagreements=int(np.size(same) - np.count_nonzero(same)),
        samples=int(np.size(same)),
        max_abs_logit_diff=diff,
        min_agreement=min_agreement,
    )


def _same_shape(a: np.ndarray, b: np.ndarray) -> None:
    if a.shape != b.shape or a.ndim != 2 or a.shape[0] == 0:
        raise ExportError(
            f"logits to compare must be the same non-empty (samples, labels) shape, got {a.shape} and {b.shape}"
        )


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def label_map(id2label: dict[int, str], override: Sequence[str] | None = None) -> dict[str, str]:
    """labels.json content: class index (as a string) -> lower-case label.

    Generic names (LABEL_0...) would reach callers as "label_0", so they need `override`.
    """
    count = len(id2label)
    if override is not None:
        if len(override) != count:
            raise ExportError(f"--labels names {len(override)} labels but the model has {count} classes")
        labels = [label.strip().lower() for label in override]
    else:
        labels = [str(id2label[index]).strip().lower() for index in range(count)]
        generic = [label for label in labels if label.startswith("label_")]
        if generic:
            raise ExportError(
                f"the model's labels are generic ({', '.join(generic)}); name them with"
                " --labels, e.g. --labels negative,positive"
            )
    if count < 2:
        raise ExportError(f"a classifier needs at least 2 labels, the model has {count}")
    if len(set(labels)) != count or not all(labels):
        raise ExportError(f"labels must be distinct and non-empty, got {labels}")
    return {str(index): label for index, label in enumerate(labels)}


def export_model(
    source: str,
    output_dir: Path,
    *,
    model_id: str | None = None,
    quantize: bool = True,
    max_length: int | None = None,
    labels: Sequence[str] | None = None,
    sample_count: int = DEFAULT_SAMPLE_COUNT,
    opset: int = DEFAULT_OPSET,
) -> dict[str, Any]:
    """Export, validate and write the artifact layout into `output_dir`; returns model.json.

    Nothing is written to `output_dir` unless every check passes (ExportError otherwise).
    """
    if opset < MIN_OPSET:
        raise ExportError(f"opset must be at least {MIN_OPSET}, got {opset}")
    import onnx
    import onnxruntime
    import torch
    import transformers
    from tokenizers import Tokenizer

    LOG.info("loading %s", source)
    try:
        tokenizer = transformers.AutoTokenizer.from_pretrained(source)
        # Eager attention exports as MatMul + additive mask + Softmax. SDPA would be decomposed
        # into Where/IsNaN passes over the whole (batch, heads, seq, seq) score tensor: about a
        # fifth of full-size DistilBERT's int8 time on 512-token texts, for the same logits.
        model = transformers.AutoModelForSequenceClassification.from_pretrained(source, attn_implementation="eager")
    except (OSError, ValueError) as error:
        raise ExportError(f"cannot load {source!r} as a sequence classifier: {error}") from error
    if not getattr(tokenizer, "is_fast", False):
        raise ExportError(f"{source} has no fast (tokenizers) tokenizer; the function needs tokenizer.json")
    model.eval()
    limit = _max_length(tokenizer, model.config, max_length)
    labels_json = label_map(dict(model.config.id2label), labels)
    pad_token_id = tokenizer.pad_token_id
    if pad_token_id is None:
        raise ExportError(f"{source}'s tokenizer has no padding token")
    texts = validation_texts(sample_count)

    with tempfile.TemporaryDirectory(prefix="sentiment-export-") as work_name:
        work = Path(work_name)
        runtime_tokenizer = Tokenizer.from_str(tokenizer.backend_tokenizer.to_str())
        runtime_tokenizer.no_padding()
        runtime_tokenizer.enable_truncation(limit)
        runtime_tokenizer.save(str(work / model_layout.TOKENIZER_FILE))
        batches = _encode(tokenizer, Tokenizer.from_file(str(work / model_layout.TOKENIZER_FILE)), texts, limit)
        # A 2 x n example: torch.export specialises dimensions of size 0 or 1.
        example = tokenizer(["an example", "another example text"], padding=True, return_tensors="np")

        fp32_path = work / "model.fp32.onnx"
        LOG.info("exporting to ONNX (opset %d)", opset)
        _export_onnx(
            torch,
            model,
            {name: example[name].astype(np.int64) for name in model_layout.INPUT_NAMES},
            fp32_path,
            opset=opset,
            max_length=limit,
        )
        onnx.checker.check_model(str(fp32_path), full_check=True)

        with torch.inference_mode():
            reference = np.concatenate(
                [
                    model(**{name: torch.from_numpy(batch[name]) for name in model_layout.INPUT_NAMES}).logits.numpy()
                    for batch in batches
                ]
            )
        fp32 = check_fp32(reference, _onnx_logits(onnxruntime, fp32_path, batches))
        LOG.info("fp32: max |logit diff| %.3g (tolerance %.0e)", fp32.max_abs_logit_diff, fp32.tolerance)
        if not fp32.passed:
            raise ExportError(
                f"the fp32 ONNX model disagrees with PyTorch: max |logit diff| {fp32.max_abs_logit_diff:.3g}"
                f" > {fp32.tolerance:.0e} on {len(texts)} samples"
            )
        figures: dict[str, Any] = {
            "samples": len(texts),
            "fp32_max_abs_logit_diff": _round(fp32.max_abs_logit_diff),
            "fp32_tolerance": fp32.tolerance,
        }
        final = fp32_path
        if quantize:
            final = work / "model.int8.onnx"
            _quantize(fp32_path, final)
            int8 = check_int8(reference, _onnx_logits(onnxruntime, final, batches))
            LOG.info(
                "int8: same label on %.2f%% of %d samples (minimum %.0f%%), max |logit diff| %.3g",
                100 * int8.label_agreement,
                int8.samples,
                100 * int8.min_agreement,
                int8.max_abs_logit_diff,
            )
            if not int8.passed:
                raise ExportError(
                    f"the int8 ONNX model disagrees with PyTorch on {int8.disagreements} of {int8.samples}"
                    f" samples ({100 * int8.label_agreement:.2f}% agreement < {100 * int8.min_agreement:.0f}%);"
                    " export without quantization (--no-quantize / QUANTIZE=false)"
                )
            figures.update(
                int8_label_agreement=_round(int8.label_agreement),
                int8_min_label_agreement=int8.min_agreement,
                int8_max_abs_logit_diff=_round(int8.max_abs_logit_diff),
            )
        figures["versions"] = {
            "torch": torch.__version__,
            "transformers": transformers.__version__,
            "onnx": onnx.__version__,
            "onnxruntime": onnxruntime.__version__,
        }
        metadata = {
            "format_version": model_layout.FORMAT_VERSION,
            "model_id": model_id or _default_model_id(source),
            "quantization": "int8" if quantize else "none",
            "sha256": sha256_file(final),
            "max_length": limit,
            "pad_token_id": int(pad_token_id),
            "inputs": list(model_layout.INPUT_NAMES),
            "output": model_layout.OUTPUT_NAME,
            "opset": opset,
            "export": figures,
        }
        staged = {
            model_layout.MODEL_FILE: final,
            model_layout.TOKENIZER_FILE: work / model_layout.TOKENIZER_FILE,
            model_layout.LABELS_FILE: _write_json(work / model_layout.LABELS_FILE, labels_json),
            model_layout.METADATA_FILE: _write_json(work / model_layout.METADATA_FILE, metadata),
        }
        _publish(staged, output_dir)
    LOG.info("wrote %s (%s, sha256 %s)", output_dir, metadata["quantization"], metadata["sha256"][:12])
    return metadata


def _max_length(tokenizer: Any, config: Any, requested: int | None) -> int:
    positions = int(getattr(config, "max_position_embeddings", FALLBACK_MAX_LENGTH))
    declared = int(tokenizer.model_max_length) if tokenizer.model_max_length < 1_000_000 else positions
    limit = requested if requested is not None else min(declared, positions)
    if not 8 <= limit <= positions:
        raise ExportError(f"max_length must be within 8..{positions} (the model's positions), got {limit}")
    return limit


def _default_model_id(source: str) -> str:
    path = Path(source)
    return path.resolve().name if path.is_dir() else source


def _encode(tokenizer: Any, runtime_tokenizer: Any, texts: list[str], max_length: int) -> list[dict[str, np.ndarray]]:
    """Padded batches from the transformers tokenizer, after checking tokenizer.json agrees.

    Texts are batched in order of token count, as the function batches them: padding stays
    small (validation runs fast) while batches still mix lengths and carry padding."""
    runtime_ids = [encoding.ids for encoding in runtime_tokenizer.encode_batch(texts)]
    order = sorted(range(len(texts)), key=lambda index: len(runtime_ids[index]))
    batches = []
    for start in range(0, len(order), VALIDATION_BATCH_SIZE):
        chunk = order[start : start + VALIDATION_BATCH_SIZE]
        encoded = tokenizer(
            [texts[index] for index in chunk], padding=True, truncation=True, max_length=max_length, return_tensors="np"
        )
        batch = {name: np.ascontiguousarray(encoded[name], dtype=np.int64) for name in model_layout.INPUT_NAMES}
        for row, index in enumerate(chunk):
            expected = batch["input_ids"][row][batch["attention_mask"][row] == 1].tolist()
            if runtime_ids[index] != expected:
                raise ExportError(
                    f"tokenizer.json encodes sample {index} differently from the transformers"
                    f" tokenizer ({len(runtime_ids[index])} vs {len(expected)} tokens): {texts[index][:80]!r}"
                )
        batches.append(batch)
    return batches


def _export_onnx(
    torch: Any, model: Any, example: dict[str, np.ndarray], path: Path, *, opset: int, max_length: int
) -> None:
    """torch.onnx.export (dynamo) with dynamic batch and sequence axes; `example` is traced."""

    class LogitsOnly(torch.nn.Module):
        """The classifier with tensor inputs and the logits as its only output."""

        def __init__(self, classifier: Any) -> None:
            super().__init__()
            self.classifier = classifier

        def forward(self, input_ids: Any, attention_mask: Any) -> Any:
            return self.classifier(input_ids=input_ids, attention_mask=attention_mask).logits

    batch = torch.export.Dim("batch")
    sequence = torch.export.Dim("sequence", max=max_length)
    inputs = tuple(torch.from_numpy(example[name]) for name in model_layout.INPUT_NAMES)
    try:
        torch.onnx.export(
            LogitsOnly(model).eval(),
            inputs,
            str(path),
            input_names=list(model_layout.INPUT_NAMES),
            output_names=[model_layout.OUTPUT_NAME],
            opset_version=opset,
            dynamo=True,
            external_data=False,
            dynamic_shapes={"input_ids": {0: batch, 1: sequence}, "attention_mask": {0: batch, 1: sequence}},
        )
    except Exception as error:  # the exporter raises many types; all mean the same here
        raise ExportError(f"torch.onnx.export failed: {error}") from error
    if not path.exists():
        raise ExportError(f"torch.onnx.export wrote no {path.name}")


def _session(onnxruntime: Any, path: Path) -> onnxruntime.InferenceSession:
    options = onnxruntime.SessionOptions()
    options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.inter_op_num_threads = 1
    options.log_severity_level = 3
    session = onnxruntime.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    names = tuple(node.name for node in session.get_inputs())
    outputs = tuple(node.name for node in session.get_outputs())
    if names != model_layout.INPUT_NAMES or outputs != (model_layout.OUTPUT_NAME,):
        raise ExportError(
            f"{path.name} has inputs {names} and outputs {outputs},"
            f" expected {model_layout.INPUT_NAMES} and ({model_layout.OUTPUT_NAME!r},)"
        )
    return session


def _onnx_logits(onnxruntime: Any, path: Path, batches: list[dict[str, np.ndarray]]) -> np.ndarray:
    session = _session(onnxruntime, path)
    return np.concatenate([session.run([model_layout.OUTPUT_NAME], batch)[0] for batch in batches])


def _quantize(source: Path, destination: Path) -> None:
    """Dynamic int8 quantization of the weights of MatMul/Gemm nodes (activations stay float)."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    LOG.info("quantizing (dynamic int8)")
    quantize_dynamic(source, destination, weight_type=QuantType.QInt8, per_channel=False, reduce_range=False)


def _write_json(path: Path, content: dict[str, Any]) -> Path:
    path.write_text(json.dumps(content, indent=2, sort_keys=False) + "\n", encoding="utf-8")
    return path


def _publish(staged: dict[str, Path], output_dir: Path) -> None:
    """Copy the artifacts into place, model.json last: a model.json means a complete directory."""
    output_dir.mkdir(parents=True, exist_ok=True)
    for name in model_layout.ARTIFACT_FILES:
        partial = output_dir / f".{name}.partial"
        shutil.copyfile(staged[name], partial)
        os.replace(partial, output_dir / name)


def _round(value: float) -> float:
    return float(f"{value:.6g}")


def configure_logging(*loggers: logging.Logger) -> None:
    """The command-line logging of the export (and of `loggers`): warnings from everything,
    progress from the exporter, on stderr."""
    logging.basicConfig(level=logging.WARNING, format="%(name)s: %(message)s", stream=sys.stderr)
    for logger in (LOG, *loggers):
        logger.setLevel(logging.INFO)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", required=True, help="Hugging Face model id or local model directory")
    parser.add_argument("--output", required=True, type=Path, help="directory to write the artifacts into")
    parser.add_argument(
        "--model-id", help="identity recorded in model.json (default: --model, or the directory's name)"
    )
    parser.add_argument(
        "--quantize",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="dynamic int8 quantization (default: on)",
    )
    parser.add_argument("--max-length", type=int, help="truncation length in tokens (default: the model's)")
    parser.add_argument("--labels", help="comma-separated labels by class index, e.g. negative,positive")
    parser.add_argument("--samples", type=int, default=DEFAULT_SAMPLE_COUNT, help="validation sample count")
    parser.add_argument("--opset", type=int, default=DEFAULT_OPSET)
    args = parser.parse_args(argv)
    configure_logging()
    try:
        export_model(
            args.model,
            args.output,
            model_id=args.model_id,
            quantize=args.quantize,
            max_length=args.max_length,
            labels=args.labels.split(",") if args.labels else None,
            sample_count=args.samples,
            opset=args.opset,
        )
    except ExportError as error:
        print(f"export_onnx: FAILED: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
