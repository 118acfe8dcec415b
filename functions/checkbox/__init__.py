"""Checkbox detector: finds checked and unchecked checkboxes on scanned forms with a YOLO model
exported to ONNX, behind an API Gateway REST API (GET /health, POST /predict).

What ships to Lambda (a container image, functions/checkbox/Dockerfile) is exactly this
package, the shared lambda_common package, onnxruntime, numpy, Pillow and Powertools, plus the
model named by MODEL_PATH (baked into the image) or downloaded from MODEL_S3_URI at cold start.
No torch, no ultralytics.
Handler: ``checkbox.handler.lambda_handler``.

Modules: config (environment), errors (ModelError), events (event kinds), request
(body, content types, thresholds), multipart (form-data parser), imaging (decoding at the
model's scale), yolo (letterbox, output layouts, NMS), detector (the model), model_store (S3).
"""
