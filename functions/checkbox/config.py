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
| UPLOADS_BUCKET               | (unset: no uploads)      | bucket of POST /uploads' presigned PUTs and of  |
|                              |                          | predictions by s3_key                           |
| UPLOADS_PREFIX               | checkbox-uploads/        | the only prefix uploads are written and read    |
|                              |                          | under (the role may use no other)               |
| UPLOAD_URL_EXPIRES_SECONDS   | 300                      | lifetime of an upload URL                       |
| MAX_UPLOAD_BYTES             | 50000000                 | largest uploaded object read for a prediction   |
| POWERTOOLS_SERVICE_NAME      | checkbox                 | logger service and the `service` dimension      |
| POWERTOOLS_METRICS_NAMESPACE | MlInference              | CloudWatch namespace of the custom metrics      |

MAX_BODY_BYTES: API Gateway accepts 10 MB, but Lambda's synchronous payload limit is 6 MB
(6,291,456 bytes) for the whole event, and API Gateway hands binary bodies (images,
multipart) to Lambda base64-encoded, 4/3 of their size. 4,500,000 bytes encode to 6,000,000,
leaving ~290 kB for headers and the request context. A JSON body is not re-encoded, but its
base64 image is: JSON carries images up to ~3.3 MB under the default; multipart and raw
image bodies carry 4.5 MB.

MAX_UPLOAD_BYTES: an uploaded scan never passes through the invoke payload, so it is bounded
by the function's memory instead: the object, then its decoded pages, are held in memory.

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

from lambda_common.env import (
    ENV_INTRA_OP_THREADS,
    LAMBDA_PAYLOAD_LIMIT_BYTES,
    EnvReader,
    configured_threads,
    function_identity,
)
from lambda_common.function_config import BaseFunctionConfig
from lambda_common.s3_uri import S3Object, S3UriError

ENV_MODEL_PATH = "MODEL_PATH"
ENV_MODEL_S3_URI = "MODEL_S3_URI"
ENV_MAX_IMAGE_PIXELS = "MAX_IMAGE_PIXELS"
ENV_MAX_PAGES = "MAX_PAGES"
ENV_MAX_BODY_BYTES = "MAX_BODY_BYTES"
ENV_DEFAULT_CONF = "DEFAULT_CONF"
ENV_DEFAULT_IOU = "DEFAULT_IOU"
ENV_MAX_DETECTIONS = "MAX_DETECTIONS"
ENV_UPLOADS_BUCKET = "UPLOADS_BUCKET"
ENV_UPLOADS_PREFIX = "UPLOADS_PREFIX"
ENV_UPLOAD_URL_EXPIRES_SECONDS = "UPLOAD_URL_EXPIRES_SECONDS"
ENV_MAX_UPLOAD_BYTES = "MAX_UPLOAD_BYTES"
# What tunes the function besides MODEL_PATH: cleared where a developer's shell must not leak in.
TUNING_VARIABLES = (
    ENV_MODEL_S3_URI,
    ENV_MAX_IMAGE_PIXELS,
    ENV_MAX_PAGES,
    ENV_MAX_BODY_BYTES,
    ENV_DEFAULT_CONF,
    ENV_DEFAULT_IOU,
    ENV_MAX_DETECTIONS,
    ENV_INTRA_OP_THREADS,
    ENV_UPLOADS_BUCKET,
    ENV_UPLOADS_PREFIX,
    ENV_UPLOAD_URL_EXPIRES_SECONDS,
    ENV_MAX_UPLOAD_BYTES,
)
# The limits of MAX_UPLOAD_BYTES and UPLOAD_URL_EXPIRES_SECONDS (stacks/settings.py checks the same).
MAX_UPLOAD_BYTES_LIMIT = 1_000_000_000
UPLOAD_URL_EXPIRES_RANGE = (10, 3600)

# Where functions/checkbox/Dockerfile bakes the model (${LAMBDA_TASK_ROOT}/checkbox_model/).
DEFAULT_MODEL_PATH = "/var/task/checkbox_model/model.onnx"
LABELS_FILE = "labels.json"

# A key prefix the role's ARN pattern (<prefix>*) can name exactly: no wildcards, ends with "/".
_UPLOADS_PREFIX = re.compile(r"[A-Za-z0-9!\-_.'()]+(/[A-Za-z0-9!\-_.'()]+)*/")
_BUCKET_NAME = re.compile(r"[a-z0-9][a-z0-9.\-]{1,61}[a-z0-9]")
_ONNX_KEY = re.compile(r"\S*[^/\s]\.onnx")


class ModelObject(S3Object):
    """The model's S3 object (a .onnx key), and the labels.json beside it."""

    @classmethod
    def parse(cls, uri: str) -> ModelObject:
        model = super().parse(uri.strip())
        if not _ONNX_KEY.fullmatch(model.key):
            raise S3UriError(f"{uri!r} is not an s3://bucket/key.onnx URI")
        return model

    @property
    def labels_key(self) -> str:
        parent = str(PurePosixPath(self.key).parent)
        return LABELS_FILE if parent == "." else f"{parent}/{LABELS_FILE}"


@dataclass(frozen=True, kw_only=True)
class UploadSettings:
    """Where POST /uploads sends scans too large for a request body, and how far it trusts them."""

    bucket: str
    prefix: str = "checkbox-uploads/"
    url_expires_seconds: int = 300
    max_upload_bytes: int = 50_000_000


@dataclass(frozen=True, kw_only=True)
class FunctionConfig(BaseFunctionConfig):
    model_path: Path
    model_s3: ModelObject | None = None
    max_image_pixels: int = 40_000_000
    max_pages: int = 20
    max_body_bytes: int = 4_500_000
    default_conf: float = 0.25
    default_iou: float = 0.45
    max_detections: int = 300
    uploads: UploadSettings | None = None
    service_name: str = "checkbox"  # and intra_op_threads, metrics_namespace, function_name, function_version

    @property
    def model_source(self) -> str:
        """Where the model comes from, for logs and health checks."""
        return self.model_s3.uri if self.model_s3 is not None else str(self.model_path)

    def health_fields(self) -> dict[str, object]:
        """What a health check reports of the configuration."""
        limits = {
            "max_body_bytes": self.max_body_bytes,
            "max_image_pixels": self.max_image_pixels,
            "max_pages": self.max_pages,
            "max_detections": self.max_detections,
            "max_upload_bytes": self.uploads.max_upload_bytes if self.uploads else None,
        }
        defaults = {"conf": self.default_conf, "iou": self.default_iou}
        return {"limits": limits, "defaults": defaults, "intra_op_threads": self.intra_op_threads}

    @classmethod
    def from_environ(cls, environ: Mapping[str, str], *, cpu_count: int | None = None) -> FunctionConfig:
        env = EnvReader(environ)

        model_s3, s3_text = env.s3_uri(ENV_MODEL_S3_URI, ModelObject.parse, "s3://bucket/path/model.onnx")

        model_path = Path(environ.get(ENV_MODEL_PATH, "").strip() or DEFAULT_MODEL_PATH)
        if not s3_text and not model_path.is_file():
            env.problems.append(
                f"{ENV_MODEL_PATH}={str(model_path)!r} is not a file: set {ENV_MODEL_PATH} to the exported"
                f" model.onnx or {ENV_MODEL_S3_URI} to s3://bucket/path/model.onnx"
            )

        threads = configured_threads(env, cpu_count=cpu_count)
        uploads = _upload_settings(env)
        config = cls(
            model_path=model_path,
            model_s3=model_s3,
            max_image_pixels=env.integer(ENV_MAX_IMAGE_PIXELS, cls.max_image_pixels, low=1, high=500_000_000),
            max_pages=env.integer(ENV_MAX_PAGES, cls.max_pages, low=1, high=1000),
            max_body_bytes=env.integer(ENV_MAX_BODY_BYTES, cls.max_body_bytes, low=1, high=LAMBDA_PAYLOAD_LIMIT_BYTES),
            default_conf=env.fraction(ENV_DEFAULT_CONF, cls.default_conf),
            default_iou=env.fraction(ENV_DEFAULT_IOU, cls.default_iou),
            max_detections=env.integer(ENV_MAX_DETECTIONS, cls.max_detections, low=1, high=100_000),
            uploads=uploads,
            intra_op_threads=threads,
            **function_identity(env, service_name=cls.service_name, metrics_namespace=cls.metrics_namespace),
        )
        env.raise_problems("invalid checkbox function configuration")
        return config


def _upload_settings(env: EnvReader) -> UploadSettings | None:
    """The uploads' settings; None when UPLOADS_BUCKET is unset (the function then takes inline images only)."""
    bucket = env.text(ENV_UPLOADS_BUCKET, "")
    prefix = env.text(ENV_UPLOADS_PREFIX, UploadSettings.prefix)
    low, high = UPLOAD_URL_EXPIRES_RANGE
    expires = env.integer(ENV_UPLOAD_URL_EXPIRES_SECONDS, UploadSettings.url_expires_seconds, low=low, high=high)
    max_bytes = env.integer(ENV_MAX_UPLOAD_BYTES, UploadSettings.max_upload_bytes, low=1, high=MAX_UPLOAD_BYTES_LIMIT)
    if not _UPLOADS_PREFIX.fullmatch(prefix) or {".", ".."} & set(prefix.split("/")):
        env.problems.append(
            f"{ENV_UPLOADS_PREFIX} must be a key prefix such as 'checkbox-uploads/' (letters, digits, !-_.'() and"
            f" '/', ending with '/', no '.' or '..' segment), got {prefix!r}"
        )
    if not bucket:
        return None
    if not _BUCKET_NAME.fullmatch(bucket) or ".." in bucket:
        env.problems.append(f"{ENV_UPLOADS_BUCKET} must be an S3 bucket name (3-63 of a-z 0-9 . -), got {bucket!r}")
    return UploadSettings(bucket=bucket, prefix=prefix, url_expires_seconds=expires, max_upload_bytes=max_bytes)
