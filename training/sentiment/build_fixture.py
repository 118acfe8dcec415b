"""Build the committed fixture model: a tiny DistilBERT sentiment classifier in the artifact layout.

    python -m training.sentiment.build_fixture [--output fixtures/sentiment/model]

Tests (and `make invoke` on a fresh clone) run the function's real loading and inference code
on it without torch, transformers or the network. It has the real model's architecture and
interfaces, scaled down: DistilBERT with 2 layers, dim 32, 2 heads, 512 positions, a WordPiece
tokenizer (`tokenizers`) whose vocabulary comes from the committed corpus (data/), 2 labels.
It is fine-tuned for a few seconds on data/fixture_labelled.tsv so clear positive and negative
texts come out plausibly, saved with `save_pretrained`, and exported by
`export_onnx.export_model` (the same code path and validation as the Docker build stage):
int8 into fixtures/sentiment/model/, and fp32 into fixtures/sentiment/model-fp32/.
Seeded and single-threaded: a rebuild with the same library versions is byte-identical.
"""

from __future__ import annotations

import argparse
import logging
import random
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from stacks.common.paths import REPO_ROOT
from training.sentiment.export_onnx import ExportError, configure_logging, export_model
from training.sentiment.samples import DATA_DIR, FRAGMENTS_FILE, read_lines

DEFAULT_OUTPUT = REPO_ROOT / "fixtures" / "sentiment" / "model"
# The same weights without quantization, next to it: int8 dynamic quantization computes one
# activation scale per batch tensor, so a text's int8 scores move slightly (~1e-3) with its
# batch-mates; tests that need batch-exact results (batched vs one by one) use this one.
FP32_SUFFIX = "-fp32"
CORPUS_FILE = DATA_DIR / "fixture_corpus.txt"
LABELLED_FILE = DATA_DIR / "fixture_labelled.tsv"

MODEL_ID = "fixture/tiny-distilbert-sentiment"
LABELS = ("negative", "positive")
SPECIAL_TOKENS = ("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]")
SEED = 1234
VOCAB_SIZE = 2000
MAX_LENGTH = 512
ARCHITECTURE = {"n_layers": 2, "n_heads": 2, "dim": 32, "hidden_dim": 64}
EPOCHS = 60
BATCH_SIZE = 16
LEARNING_RATE = 3e-3

LOG = logging.getLogger("build_fixture")


def labelled_examples() -> tuple[list[str], list[int]]:
    texts, labels = [], []
    for line in read_lines(LABELLED_FILE):
        label, _, text = line.partition("\t")
        if label not in LABELS or not text:
            raise ValueError(f"{LABELLED_FILE.name}: bad line {line!r} (want '<label>\\t<text>')")
        texts.append(text)
        labels.append(LABELS.index(label))
    return texts, labels


def train_tokenizer(lines: list[str]):  # -> tokenizers.Tokenizer
    """A BERT-style WordPiece tokenizer (lower-cased, accents stripped) for the corpus `lines`.

    The vocabulary is counted here rather than by tokenizers' WordPieceTrainer, which breaks
    ties by hash order and so gives a slightly different vocabulary in every process. It holds
    the special tokens, every character seen (alone and as a "##" continuation, so any word
    splits into known pieces) and the corpus's words by descending frequency up to VOCAB_SIZE.
    Normalization, pre-tokenization and the WordPiece model are tokenizers' own.
    """
    from collections import Counter

    from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, processors

    normalizer = normalizers.BertNormalizer(lowercase=True, strip_accents=True, clean_text=True)
    pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    words: Counter[str] = Counter()
    for line in lines:
        words.update(word for word, _ in pre_tokenizer.pre_tokenize_str(normalizer.normalize_str(line)))
    characters = sorted({char for word in words for char in word})
    vocabulary = [*SPECIAL_TOKENS, *characters, *(f"##{char}" for char in characters)]
    known = set(vocabulary)
    for word, _ in sorted(words.items(), key=lambda item: (-item[1], item[0])):
        if len(vocabulary) >= VOCAB_SIZE:
            break
        if word not in known:
            vocabulary.append(word)
            known.add(word)

    tokenizer = Tokenizer(
        models.WordPiece(
            {token: index for index, token in enumerate(vocabulary)}, unk_token="[UNK]", max_input_chars_per_word=100
        )
    )
    tokenizer.normalizer = normalizer
    tokenizer.pre_tokenizer = pre_tokenizer
    tokenizer.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]",
        pair="[CLS] $A [SEP] $B:1 [SEP]:1",
        special_tokens=[("[CLS]", vocabulary.index("[CLS]")), ("[SEP]", vocabulary.index("[SEP]"))],
    )
    tokenizer.decoder = decoders.WordPiece()
    return tokenizer


def build(output: Path) -> dict:
    """Train, then export twice from the same saved model: int8 into `output` (the default
    the image ships), fp32 into `output` + "-fp32". Returns the int8 model.json."""
    import torch
    from transformers import DistilBertConfig, DistilBertForSequenceClassification, PreTrainedTokenizerFast

    random.seed(SEED)
    np.random.seed(SEED)
    torch.manual_seed(SEED)
    torch.use_deterministic_algorithms(True)
    torch.set_num_threads(1)

    texts, labels = labelled_examples()
    corpus = read_lines(CORPUS_FILE) + texts + read_lines(FRAGMENTS_FILE)
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=train_tokenizer(corpus),
        unk_token="[UNK]",
        pad_token="[PAD]",
        cls_token="[CLS]",
        sep_token="[SEP]",
        mask_token="[MASK]",
        model_max_length=MAX_LENGTH,
        model_input_names=["input_ids", "attention_mask"],
    )
    config = DistilBertConfig(
        vocab_size=len(tokenizer),
        max_position_embeddings=MAX_LENGTH,
        pad_token_id=tokenizer.pad_token_id,
        id2label=dict(enumerate(LABELS)),
        label2id={label: index for index, label in enumerate(LABELS)},
        **ARCHITECTURE,
    )
    model = DistilBertForSequenceClassification(config)
    LOG.info("vocabulary %d tokens, %d parameters", len(tokenizer), sum(p.numel() for p in model.parameters()))

    started = time.perf_counter()
    accuracy = _fine_tune(torch, model, tokenizer, texts, labels)
    LOG.info(
        "fine-tuned %d epochs in %.1f s, training accuracy %.1f%%",
        EPOCHS,
        time.perf_counter() - started,
        100 * accuracy,
    )

    with tempfile.TemporaryDirectory(prefix="sentiment-fixture-") as saved:
        model.save_pretrained(saved)
        tokenizer.save_pretrained(saved)
        export_model(saved, output.with_name(output.name + FP32_SUFFIX), model_id=MODEL_ID, quantize=False)
        return export_model(saved, output, model_id=MODEL_ID, quantize=True)


def _fine_tune(torch, model, tokenizer, texts: list[str], labels: list[int]) -> float:
    encoded = tokenizer(texts, padding=True, truncation=True, return_tensors="pt")
    targets = torch.tensor(labels)
    optimiser = torch.optim.AdamW(model.parameters(), lr=LEARNING_RATE, weight_decay=0.01)
    generator = torch.Generator().manual_seed(SEED)
    model.train()
    for _ in range(EPOCHS):
        for batch in torch.randperm(len(texts), generator=generator).split(BATCH_SIZE):
            optimiser.zero_grad()
            output = model(
                input_ids=encoded["input_ids"][batch],
                attention_mask=encoded["attention_mask"][batch],
                labels=targets[batch],
            )
            output.loss.backward()
            optimiser.step()
    model.eval()
    with torch.inference_mode():
        predicted = model(**encoded).logits.argmax(dim=1)
    return float((predicted == targets).float().mean())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    args = parser.parse_args(argv)
    configure_logging(LOG)
    try:
        metadata = build(args.output)
    except ExportError as error:
        print(f"build_fixture: FAILED: {error}", file=sys.stderr)
        return 1
    for directory in (args.output, args.output.with_name(args.output.name + FP32_SUFFIX)):
        size = sum(path.stat().st_size for path in directory.iterdir() if path.is_file())
        print(f"{directory}: {size / 1024:.0f} KiB")
    print(f"int8 sha256 {metadata['sha256']}, export {metadata['export']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
