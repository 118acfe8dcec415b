"""Code every function package shares: the same logic, kept once.

Shipped inside each function as a top-level package beside it (the ZIP's root, or
/var/task/lambda_common in an image), so it imports as ``lambda_common`` everywhere.
Standard library only at import time: the ZIP function's cold start imports some of it.

Modules: errors (request errors -> error response), events (event kinds), env (environment
variables, vCPUs and threads), s3_download (a model file from S3, boto3 imported on use),
json_types (a value's type name for error messages), json_input (untrusted JSON: the
one decoding of request bodies, and the checks of events Lambda decoded), metric_names (every
custom metric's name), responses (health checks, JSON bodies and responses), telemetry (failures
logged and counted once, counters, the model-load log; image functions), s3_uri (S3 URIs;
image functions).
"""
