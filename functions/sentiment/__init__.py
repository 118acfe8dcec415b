"""Sentiment: classifies batches of texts with a DistilBERT exported to ONNX.

What ships to Lambda (a container image, functions/sentiment/Dockerfile) is exactly this
package, the shared lambda_common package, onnxruntime, tokenizers, numpy and Powertools, plus
the model directory named by MODEL_DIR (baked into the image) or downloaded from MODEL_S3_URI
at cold start. No torch, no transformers. Handler: ``sentiment.handler.lambda_handler``.
"""
