"""A full-size DistilBERT sentiment model for the benchmark: random weights, real shapes, no download.

Random weights cost exactly the compute trained ones do, so the benchmark builds the
architecture of distilbert-base-uncased-finetuned-sst-2-english from transformers'
``DistilBertConfig`` defaults (6 layers, dim 768, 12 heads, hidden 3072, 512 positions,
30522 tokens) with 2 labels, initialised from a fixed seed, and a BERT-style WordPiece
tokenizer with the real vocabulary size synthesised locally with ``tokenizers``:

- the BERT layout of special tokens: [PAD]=0, [unused0..98], [UNK]=100, [CLS]=101,
  [SEP]=102, [MASK]=103, more [unusedN] up to id 998;
- every printable ASCII character, alone and as a "##" continuation, so any text tokenizes;
- the words of the committed sentences (benchmarks/sentiment_texts.py and
  training/sentiment/data) by frequency, then their prefixes and "##" suffixes, then
  [unusedN] fillers up to 30522 entries.

What matters for timing is the number of tokens per text, which the benchmark controls
directly (sentiment_texts.py), and the embedding matrix's size, which is the real one.

Both exports go through training/sentiment/export_onnx.py's ``export_model`` (the Docker
build stage's code path and validation). With random weights the two classes' logits are
nearly equal, so int8 quantization noise flips labels far more often than with a trained
model and the int8 check (>= 99% same labels as PyTorch) is expected to fail. When it does,
the failure is recorded and reported, and the fp32 export is quantized with the same function
export_model uses (``_quantize``), unchecked: for timing only, never for serving.
"""

from __future__ import annotations

import hashlib
import json
import logging
import shutil
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchmarks.sentiment_texts import SENTENCES
from sentiment.model_layout import LABELS_FILE, METADATA_FILE, MODEL_FILE, TOKENIZER_FILE
from training.sentiment.export_onnx import ExportError, _quantize, export_model, sha256_file
from training.sentiment.samples import DATA_DIR, read_lines

LOG = logging.getLogger("benchmarks.sentiment")

MODEL_ID = "benchmark/distilbert-base-uncased-random-sst2-shape"
LABELS = ("negative", "positive")
SEED = 20261124
VOCAB_SIZE = 30522  # distilbert-base-uncased's
MAX_LENGTH = 512
BUILD_VERSION = 1  # bump when anything below changes what is built

PAD, UNK, CLS, SEP, MASK = "[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"
# transformers' name for each special token's role (PreTrainedTokenizerFast keywords).
SPECIAL_TOKENS = {"unk_token": UNK, "pad_token": PAD, "cls_token": CLS, "sep_token": SEP, "mask_token": MASK}


@dataclass(frozen=True)
class BuiltModels:
    saved_dir: Path  # save_pretrained() output: the PyTorch pipeline loads this
    fp32_dir: Path  # the function's artifact layout, fp32
    int8_dir: Path  # the function's artifact layout, dynamic int8
    report: dict[str, Any]  # parameters, export validation outcomes


def corpus_lines() -> list[str]:
    lines = list(SENTENCES)
    for path in sorted(DATA_DIR.glob("*.txt")) + sorted(DATA_DIR.glob("*.tsv")):
        lines.extend(line.split("\t")[-1] for line in read_lines(path))
    return lines


def vocabulary(lines: list[str]) -> list[str]:
    """30522 WordPiece entries in BERT's layout (see the module docstring)."""
    from tokenizers import normalizers, pre_tokenizers

    normalizer = normalizers.BertNormalizer(lowercase=True, strip_accents=True, clean_text=True)
    pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    words: Counter[str] = Counter()
    for line in lines:
        words.update(word for word, _ in pre_tokenizer.pre_tokenize_str(normalizer.normalize_str(line)))

    unused = (f"[unused{index}]" for index in range(VOCAB_SIZE))
    entries = [PAD, *(next(unused) for _ in range(99)), UNK, CLS, SEP, MASK]
    entries += [next(unused) for _ in range(999 - len(entries))]
    characters = sorted({chr(code) for code in range(33, 127)} | {char for word in words for char in word})
    entries += characters + [f"##{char}" for char in characters]
    ordered_words = [word for word, _ in sorted(words.items(), key=lambda item: (-item[1], item[0]))]
    pieces = [
        piece for word in ordered_words for size in range(2, len(word)) for piece in (word[:size], f"##{word[-size:]}")
    ]
    known = set(entries)
    for entry in ordered_words + pieces:
        if len(entries) >= VOCAB_SIZE:
            break
        if entry not in known:
            known.add(entry)
            entries.append(entry)
    while len(entries) < VOCAB_SIZE:
        entries.append(next(unused))
    return entries


def build_tokenizer() -> Any:  # a tokenizers.Tokenizer
    from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, processors

    entries = vocabulary(corpus_lines())
    tokenizer = Tokenizer(
        models.WordPiece(
            {token: index for index, token in enumerate(entries)}, unk_token=UNK, max_input_chars_per_word=100
        )
    )
    tokenizer.normalizer = normalizers.BertNormalizer(lowercase=True, strip_accents=True, clean_text=True)
    tokenizer.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    tokenizer.post_processor = processors.TemplateProcessing(
        single=f"{CLS} $A {SEP}",
        pair=f"{CLS} $A {SEP} $B:1 {SEP}:1",
        special_tokens=[(CLS, entries.index(CLS)), (SEP, entries.index(SEP))],
    )
    tokenizer.decoder = decoders.WordPiece()
    return tokenizer


def save_pretrained_model(directory: Path) -> dict[str, Any]:
    """The random-weight DistilBERT classifier and its tokenizer, saved as transformers saves them."""
    import torch
    from transformers import DistilBertConfig, DistilBertForSequenceClassification, PreTrainedTokenizerFast

    torch.manual_seed(SEED)
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=build_tokenizer(),
        **SPECIAL_TOKENS,
        model_max_length=MAX_LENGTH,
        model_input_names=["input_ids", "attention_mask"],
    )
    config = DistilBertConfig(
        vocab_size=len(tokenizer),
        pad_token_id=tokenizer.pad_token_id,
        id2label=dict(enumerate(LABELS)),
        label2id={label: index for index, label in enumerate(LABELS)},
    )
    model = DistilBertForSequenceClassification(config).eval()
    model.save_pretrained(directory)
    tokenizer.save_pretrained(directory)
    return {
        "architecture": "DistilBertForSequenceClassification",
        "config": {
            key: getattr(config, key)
            for key in ("vocab_size", "dim", "n_layers", "n_heads", "hidden_dim", "max_position_embeddings")
        },
        "labels": list(LABELS),
        "parameters": sum(parameter.numel() for parameter in model.parameters()),
        "seed": SEED,
        "weights": "random (seeded): timing only, predictions are meaningless",
    }


def build_models(work_dir: Path, *, rebuild: bool = False) -> BuiltModels:
    """Build (or reuse from an earlier run in ``work_dir``) the saved model and both exports."""
    saved_dir, fp32_dir, int8_dir = work_dir / "transformers", work_dir / "onnx-fp32", work_dir / "onnx-int8"
    report_path = work_dir / "build.json"
    key = _build_key()
    if not rebuild and report_path.is_file():
        report = json.loads(report_path.read_text())
        if report.get("key") == key and all((d / METADATA_FILE).is_file() for d in (fp32_dir, int8_dir)):
            LOG.info("reusing the models built in %s", work_dir)
            return BuiltModels(saved_dir=saved_dir, fp32_dir=fp32_dir, int8_dir=int8_dir, report=report)
    if work_dir.exists():
        shutil.rmtree(work_dir)
    work_dir.mkdir(parents=True)

    LOG.info("building a full-size DistilBERT (random weights) in %s", saved_dir)
    model_report = save_pretrained_model(saved_dir)
    LOG.info("exporting fp32 with export_onnx.export_model (validated)")
    fp32_metadata = export_model(str(saved_dir), fp32_dir, model_id=MODEL_ID, quantize=False)
    LOG.info("exporting int8 with export_onnx.export_model (validated)")
    try:
        export_model(str(saved_dir), int8_dir, model_id=MODEL_ID, quantize=True)
        int8_report = {"validation": "passed", "check": None}
    except ExportError as error:
        LOG.warning("int8 export validation failed (expected with random weights): %s", error)
        _unchecked_int8(fp32_dir, int8_dir, fp32_metadata, reason=str(error))
        int8_report = {
            "validation": "FAILED: quantized without the check, for timing only",
            "check": str(error),
        }
    int8_metadata = json.loads((int8_dir / METADATA_FILE).read_text())
    report = {
        "key": key,
        "model": model_report,
        "fp32_export": {"validation": "passed", "figures": fp32_metadata["export"]},
        "int8_export": {**int8_report, "figures": int8_metadata["export"]},
        "files_bytes": {
            name: _directory_bytes(directory)
            for name, directory in (("transformers", saved_dir), ("onnx-fp32", fp32_dir), ("onnx-int8", int8_dir))
        },
    }
    report_path.write_text(json.dumps(report, indent=2) + "\n")
    return BuiltModels(saved_dir=saved_dir, fp32_dir=fp32_dir, int8_dir=int8_dir, report=report)


def build_fused_int8(built: BuiltModels) -> tuple[Path, dict[str, Any]]:
    """Investigation only: the fp32 export run through onnxruntime's offline transformer
    optimizer (``model_type="bert"``: fuses embeddings + LayerNorm, bias + GELU, residual +
    LayerNorm) BEFORE export_onnx's dynamic int8 quantization, in the function's layout.

    The Docker build does not do this today; the benchmark times it to size the gain.
    """
    from onnxruntime.transformers.optimizer import optimize_model

    out = built.int8_dir.parent / "onnx-int8-fused"
    report_path = out / "fused.json"
    if report_path.is_file() and (out / METADATA_FILE).is_file():
        return out, json.loads(report_path.read_text())
    out.mkdir(parents=True, exist_ok=True)
    config = json.loads((built.saved_dir / "config.json").read_text())
    optimized = optimize_model(
        str(built.fp32_dir / MODEL_FILE), model_type="bert", num_heads=config["n_heads"], hidden_size=config["dim"]
    )
    fused = {name: count for name, count in optimized.get_fused_operator_statistics().items() if count}
    staged = out / "fused-fp32.onnx"
    optimized.save_model_to_file(str(staged))
    _quantize(staged, out / MODEL_FILE)
    staged.unlink()
    for name in (TOKENIZER_FILE, LABELS_FILE):
        shutil.copyfile(built.fp32_dir / name, out / name)
    metadata = json.loads((built.int8_dir / METADATA_FILE).read_text())
    metadata.update(sha256=sha256_file(out / MODEL_FILE), model_id=f"{MODEL_ID}+fused")
    (out / METADATA_FILE).write_text(json.dumps(metadata, indent=2) + "\n")
    report = {"fused_operators": fused, "model_bytes": (out / MODEL_FILE).stat().st_size}
    report_path.write_text(json.dumps(report, indent=2) + "\n")
    return out, report


def _unchecked_int8(fp32_dir: Path, int8_dir: Path, fp32_metadata: dict[str, Any], *, reason: str) -> None:
    """The validated fp32 export quantized by export_onnx's own quantization step, no check."""
    int8_dir.mkdir(parents=True, exist_ok=True)
    _quantize(fp32_dir / MODEL_FILE, int8_dir / MODEL_FILE)
    for name in (TOKENIZER_FILE, LABELS_FILE):
        shutil.copyfile(fp32_dir / name, int8_dir / name)
    metadata = {
        **fp32_metadata,
        "quantization": "int8",
        "sha256": sha256_file(int8_dir / MODEL_FILE),
        "export": {**fp32_metadata["export"], "int8_validation": f"skipped for benchmarking: {reason}"},
    }
    (int8_dir / METADATA_FILE).write_text(json.dumps(metadata, indent=2) + "\n")


def _directory_bytes(directory: Path) -> int:
    return sum(path.stat().st_size for path in directory.rglob("*") if path.is_file())


def _build_key() -> str:
    """Changes whenever what would be built changes: parameters, sentences, library versions."""
    import importlib.metadata

    parts = [
        str(BUILD_VERSION),
        MODEL_ID,
        str(SEED),
        str(VOCAB_SIZE),
        str(MAX_LENGTH),
        *LABELS,
        *corpus_lines(),
        *(
            f"{name}=={importlib.metadata.version(name)}"
            for name in ("torch", "transformers", "tokenizers", "onnx", "onnxruntime")
        ),
        Path(__file__).read_text(),
        (Path(__file__).parents[1] / "training" / "sentiment" / "export_onnx.py").read_text(),
    ]
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()
