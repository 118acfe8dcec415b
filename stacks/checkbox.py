"""Checkbox detector: YOLO as ONNX in a container function behind an authenticated REST API,
with an uploads bucket for scans too large for a request body (POST /uploads, then POST
/predict {"s3_key"})."""

from __future__ import annotations

from aws_cdk import aws_apigateway as apigateway

from stacks.common.rest_api import InferenceRestApi, Route
from stacks.common.settings_environment import settings_environment
from stacks.common.upload_bucket import UploadBucket
from stacks.common.workload_stack import WorkloadStack
from stacks.settings import EnvironmentSettings

FOLDER = "checkbox"
IMAGE_BINARY_MEDIA_TYPES = ("multipart/form-data", "image/*", "application/octet-stream")
_THRESHOLD = apigateway.JsonSchema(
    type=apigateway.JsonSchemaType.NUMBER, minimum=0, exclusive_minimum=True, maximum=1, exclusive_maximum=True
)
# S3's longest key: the function checks the exact shape it issues (uploads prefix + uuid).
_MAX_S3_KEY_LENGTH = 1024
# POST /predict as JSON: {"image": "<base64>", "conf": 0.25, "iou": 0.45}, or an uploaded scan
# {"s3_key": "<what POST /uploads returned>", "conf": ..., "iou": ...}: exactly one of the two.
PREDICT_JSON_BODY = apigateway.JsonSchema(
    schema=apigateway.JsonSchemaVersion.DRAFT4,
    type=apigateway.JsonSchemaType.OBJECT,
    properties={
        "image": apigateway.JsonSchema(type=apigateway.JsonSchemaType.STRING, min_length=1),
        "s3_key": apigateway.JsonSchema(
            type=apigateway.JsonSchemaType.STRING, min_length=1, max_length=_MAX_S3_KEY_LENGTH
        ),
        "conf": _THRESHOLD,
        "iou": _THRESHOLD,
    },
    one_of=[apigateway.JsonSchema(required=["image"]), apigateway.JsonSchema(required=["s3_key"])],
)
ROUTES = (
    Route(path="/health", method="GET"),
    # No body: a new upload URL needs nothing but the caller's authentication.
    Route(path="/uploads", method="POST"),
    Route(path="/predict", method="POST", required_headers=("Content-Type",), json_body_schema=PREDICT_JSON_BODY),
)


class CheckboxStack(WorkloadStack):
    DESCRIPTION = "Checkbox detector (YOLO, ONNX Runtime) on AWS Lambda behind API Gateway"
    RESOURCE_PREFIX = "checkbox"

    def compose(self, settings: EnvironmentSettings) -> None:
        workload = settings.checkbox
        self.uploads = UploadBucket(
            self,
            "Uploads",
            prefix=workload.uploads_prefix,
            expire_after_days=workload.uploads_expire_days,
            access_log_retention_days=workload.api.access_log_retention_days,
        )
        self.detector = self.add_image_function(
            "Detector",
            folder=FOLDER,
            description="Detects checked and unchecked checkboxes on scanned forms (YOLO, ONNX Runtime)",
            settings=workload.function,
            environment={
                **settings_environment(workload, "max_image_pixels", "max_pages"),
                "UPLOADS_BUCKET": self.uploads.bucket.bucket_name,
                **settings_environment(workload, "uploads_prefix", "upload_url_expires_seconds", "max_upload_bytes"),
            },
            context_paths=(f"functions/{FOLDER}", "functions/lambda_common", workload.model_file),
            build_args={"MODEL_FILE": workload.model_file},
            model_s3_uri=workload.model_s3_uri,
        )
        self.uploads.grant_presign_and_read(self.detector.role)
        self.api = InferenceRestApi(
            self,
            "Api",
            api_name=self.resource_name,
            target=self.detector.alias,
            routes=ROUTES,
            binary_media_types=IMAGE_BINARY_MEDIA_TYPES,
            settings=workload.api,
        )
