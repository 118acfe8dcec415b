"""The function's configuration: every environment variable it reads, validated once at cold start.

Environment variables (the stack must use these names; it cannot import function code).
The ENV_* constants below hold the same names for code in this package:

| variable                     | default                  | meaning                                         |
|------------------------------|--------------------------|-------------------------------------------------|
| MODEL_PATH                   | /var/task/checkbox_model/| the exported ONNX model (the image sets it to   |
|                              | model.onnx               | the baked-in model); a labels.json beside it    |
|                              |                          | overrides the class names in its metadata       |
| MODEL_S3_URI                 | (unset)                  | s3://bucket/key.onnx: downloaded to /tmp once   |
|                              |                          | per cold start (with labels.json beside it, if  |
|                              |                          | there is one) and used instead of MODEL_PATH    |
| MAX_IMAGE_PIXELS             | 40000000                 | largest page accepted, width x height (A4 at    |
|                              |                          | 600 dpi is 34.8 M); also Pillow's bomb guard    |
| MAX_PAGES                    | 20                       | most pages of a multi-page TIFF                 |
| MAX_BODY_BYTES               | 4500000                  | largest request body, as the client sent it     |
|                              |                          | (see below)                                     |
| DEFAULT_CONF                 | 0.25                     | confidence threshold when a request sends none  |
| DEFAULT_IOU                  | 0.45                     | NMS IoU threshold when a request sends none     |
| MAX_DETECTIONS               | 300                      | most detections kept per page (after NMS)       |
| INTRA_OP_THREADS             | (computed)               | onnxruntime intra-op threads; by default the    |
|                              |                          | vCPUs Lambda gives the function's memory        |
| POWERTOOLS_SERVICE_NAME      | checkbox                 | logger service and the `service` dimension      |
| POWERTOOLS_METRICS_NAMESPACE | MlInference              | CloudWatch namespace of the custom metrics      |

MAX_BODY_BYTES: API Gateway accepts 10 MB, but Lambda's synchronous payload limit is 6 MB
(6,291,456 bytes) for the whole event, and API Gateway hands binary bodies (images,
multipart) to Lambda base64-encoded, 4/3 of their size. 4,500,000 bytes encode to 6,000,000,
leaving ~290 kB for headers and the request context. A JSON body is not re-encoded, but its
base64 image is: JSON carries images up to ~3.3 MB under the default; multipart and raw
image bodies carry 4.5 MB.

Read too, but set by Lambda itself: AWS_LAMBDA_FUNCTION_MEMORY_SIZE (thread count),
AWS_LAMBDA_FUNCTION_NAME and AWS_LAMBDA_FUNCTION_VERSION (health checks report them when the
context does not say). A bad value stops the cold start with one ConfigError naming every
problem, rather than failing later on a request.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from lambda_common.env import LAMBDA_PAYLOAD_LIMIT_BYTES, EnvReader, configured_threads, function_identity

ENV_MODEL_PATH = "MODEL_PATH"
ENV_MODEL_S3_URI = "MODEL_S3_URI"
ENV_MAX_IMAGE_PIXELS = "MAX_IMAGE_PIXELS"
ENV_MAX_PAGES = "MAX_PAGES"
ENV_MAX_BODY_BYTES = "MAX_BODY_BYTES"
ENV_DEFAULT_CONF = "DEFAULT_CONF"
ENV_DEFAULT_IOU = "DEFAULT_IOU"
ENV_MAX_DETECTIONS = "MAX_DETECTIONS"

# Where functions/checkbox/Dockerfile bakes the model (${LAMBDA_TASK_ROOT}/checkbox_model/).
DEFAULT_MODEL_PATH = "/var/task/checkbox_model/model.onnx"
LABELS_FILE = "labels.json"

_S3_OBJECT_URI = re.compile(r"s3://(?P<bucket>[a-z0-9][a-z0-9.\-]{1,61}[a-z0-9])/(?P<key>\S*[^/\s]\.onnx)")


@dataclass(frozen=True, kw_only=True)
class S3Object:
    """The model's S3 object, and the labels.json beside it."""

    bucket: str
    key: str

    @classmethod
    def parse(cls, uri: str) -> S3Object:
        match = _S3_OBJECT_URI.fullmatch(uri.strip())
        if match is None:
            raise ValueError(f"{uri!r} is not an s3://bucket/key.onnx URI")
        return cls(bucket=match.group("bucket"), key=match.group("key"))

    @property
    def labels_key(self) -> str:
        parent = str(PurePosixPath(self.key).parent)
        return LABELS_FILE if parent == "." else f"{parent}/{LABELS_FILE}"

    @property
    def uri(self) -> str:
        return f"s3://{self.bucket}/{self.key}"


@dataclass(frozen=True, kw_only=True)
class FunctionConfig:
    model_path: Path
    model_s3: S3Object | None = None
    max_image_pixels: int = 40_000_000
    max_pages: int = 20
    max_body_bytes: int = 4_500_000
    default_conf: float = 0.25
    default_iou: float = 0.45
    max_detections: int = 300
    intra_op_threads: int = 1
    service_name: str = "checkbox"
    metrics_namespace: str = "MlInference"
    function_name: str | None = None
    function_version: str | None = None

    @property
    def model_source(self) -> str:
        """Where the model comes from, for logs and health checks."""
        return self.model_s3.uri if self.model_s3 is not None else str(self.model_path)

    @classmethod
    def from_environ(cls, environ: Mapping[str, str], *, cpu_count: int | None = None) -> FunctionConfig:
        env = EnvReader(environ)

        def probability(variable: str, default: float) -> float:
            raw = environ.get(variable, "").strip()
            if not raw:
                return default
            try:
                value = float(raw)
            except ValueError:
                env.problems.append(f"{variable} must be a number strictly between 0 and 1, got {raw!r}")
                return default
            if not 0.0 < value < 1.0:
                env.problems.append(f"{variable} must be strictly between 0 and 1, got {raw}")
            return value

        model_s3 = None
        s3_text = environ.get(ENV_MODEL_S3_URI, "").strip()
        if s3_text:
            try:
                model_s3 = S3Object.parse(s3_text)
            except ValueError:
                env.problems.append(f"{ENV_MODEL_S3_URI} must look like s3://bucket/path/model.onnx, got {s3_text!r}")

        model_path = Path(environ.get(ENV_MODEL_PATH, "").strip() or DEFAULT_MODEL_PATH)
        if not s3_text and not model_path.is_file():
            env.problems.append(
                f"{ENV_MODEL_PATH}={str(model_path)!r} is not a file: set {ENV_MODEL_PATH} to the exported"
                f" model.onnx or {ENV_MODEL_S3_URI} to s3://bucket/path/model.onnx"
            )

        threads = configured_threads(env, cpu_count=cpu_count)
        config = cls(
            model_path=model_path,
            model_s3=model_s3,
            max_image_pixels=env.integer(ENV_MAX_IMAGE_PIXELS, cls.max_image_pixels, low=1, high=500_000_000),
            max_pages=env.integer(ENV_MAX_PAGES, cls.max_pages, low=1, high=1000),
            max_body_bytes=env.integer(ENV_MAX_BODY_BYTES, cls.max_body_bytes, low=1, high=LAMBDA_PAYLOAD_LIMIT_BYTES),
            default_conf=probability(ENV_DEFAULT_CONF, cls.default_conf),
            default_iou=probability(ENV_DEFAULT_IOU, cls.default_iou),
            max_detections=env.integer(ENV_MAX_DETECTIONS, cls.max_detections, low=1, high=100_000),
            intra_op_threads=threads,
            **function_identity(env, service_name=cls.service_name, metrics_namespace=cls.metrics_namespace),
        )  # type: ignore[arg-type]  # env.integer() returns the int default whenever one is given
        env.raise_problems("invalid checkbox function configuration")
        return config
