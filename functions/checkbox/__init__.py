"""Checkbox detector: finds checked and unchecked checkboxes on scanned forms with a YOLO model
exported to ONNX, behind an API Gateway REST API (GET /health, POST /predict, POST /uploads).

What ships to Lambda (a container image, functions/checkbox/Dockerfile) is exactly this
package, the shared lambda_common package, onnxruntime, numpy, Pillow, simplejpeg, pyspng,
pybase64, OpenCV (headless: the resize) and Powertools, plus the model named by MODEL_PATH
(baked into the image) or downloaded from MODEL_S3_URI at cold start. No torch, no ultralytics.
Handler: ``checkbox.handler.lambda_handler``.

Modules: config (environment), events (event kinds), request (body, content types,
thresholds), multipart (form-data parser), uploads (presigned uploads and reading them back),
imaging (decoding, limits, orientation, the resize), decoders (the fast JPEG and PNG route),
yolo (letterbox, output layouts, NMS), detector (the model), pipeline (pages through the
model, the answer body), model_store (model from S3). Shared with the other functions
(lambda_common): errors (ModelError), responses, telemetry, metric_names, s3_uri.
"""
