"""The model directory's layout: the contract between the exporter
(training/sentiment/export_onnx.py), which writes it, and inference.py, which reads it.

Nothing imported: the image's export stage (Dockerfile) copies this one file next to the
exporter, which runs without the function's dependencies.
"""

FORMAT_VERSION = 1  # model.json's format_version
MODEL_FILE = "model.onnx"
TOKENIZER_FILE = "tokenizer.json"
LABELS_FILE = "labels.json"
METADATA_FILE = "model.json"
ARTIFACT_FILES = (MODEL_FILE, TOKENIZER_FILE, LABELS_FILE, METADATA_FILE)
INPUT_NAMES = ("input_ids", "attention_mask")
OUTPUT_NAME = "logits"
QUANTIZATIONS = ("int8", "none")  # model.json's quantization
