"""One image through the model: decode each page at the model's scale, run it, map the
detections back to the page's pixels, and time every stage.

Pure of transport: the handler hands it the image's bytes, whether they came in the request
body or from an uploaded S3 object, and shapes the answer around what it returns.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from checkbox.detector import Detector
from checkbox.imaging import ImageLimits, open_image, scaled_pages
from checkbox.request import PredictRequest, RequestLimits, body_bytes, explain_text_body, parse_predict
from checkbox.uploads import Uploads
from lambda_common.errors import ValidationError
from lambda_common.metric_names import DETECTIONS, IMAGES_PROCESSED, PAGES_PROCESSED


@dataclass(frozen=True, kw_only=True)
class Detected:
    pages: list[dict[str, Any]]  # {"page", "width", "height", "detections"} per page, in order
    image_format: str | None
    timing_ms: dict[str, float]  # decode, preprocess, inference, postprocess (not rounded)

    @property
    def detection_count(self) -> int:
        return sum(len(page["detections"]) for page in self.pages)

    def metric_counts(self) -> dict[str, float]:
        return {IMAGES_PROCESSED: 1, PAGES_PROCESSED: len(self.pages), DETECTIONS: self.detection_count}

    @property
    def rounded_timing_ms(self) -> dict[str, float]:
        return {stage: round(ms, 2) for stage, ms in self.timing_ms.items()}

    def log_fields(self, request: PredictRequest) -> dict[str, Any]:
        """What the "detected" log line says about this result."""
        return {
            "format": self.image_format,
            "source": request.source,
            "pages": len(self.pages),
            "detections": self.detection_count,
            "conf": request.conf,
            "iou": request.iou,
            "timing_ms": self.rounded_timing_ms,
        }


def detect(
    image: bytes,
    *,
    detector: Detector,
    limits: ImageLimits,
    conf: float,
    iou: float,
    max_detections: int,
    decode_ms: float = 0.0,
) -> Detected:
    """Every page of `image` through `detector`; `decode_ms` is time already spent getting the
    image (reading the request), counted as decoding."""
    timing = {"decode": decode_ms, "preprocess": 0.0, "inference": 0.0, "postprocess": 0.0}
    started = time.perf_counter()
    pages = []
    with open_image(image, limits=limits) as opened:
        timing["decode"] += (time.perf_counter() - started) * 1000
        image_format = opened.format
        input_width, input_height = detector.input_size
        for page in scaled_pages(opened, data=image, input_width=input_width, input_height=input_height, limits=limits):
            timing["decode"] += page.decode_ms
            timing["preprocess"] += page.resize_ms
            mark = time.perf_counter()
            tensor = page.letterbox.tensor(page.pixels)
            timing["preprocess"] += (time.perf_counter() - mark) * 1000
            mark = time.perf_counter()
            output = detector.run(tensor)
            timing["inference"] += (time.perf_counter() - mark) * 1000
            mark = time.perf_counter()
            detections = detector.detections(output, page.letterbox, conf=conf, iou=iou, max_detections=max_detections)
            timing["postprocess"] += (time.perf_counter() - mark) * 1000
            pages.append(
                {
                    "page": page.index,
                    "width": page.letterbox.width,
                    "height": page.letterbox.height,
                    "detections": detections,
                }
            )
    return Detected(pages=pages, image_format=image_format, timing_ms=timing)


def detect_request(
    request: PredictRequest,
    *,
    detector: Detector,
    uploads: Uploads | None,
    limits: ImageLimits,
    max_detections: int,
    parse_ms: float,
) -> Detected:
    """detect() on the request's image, inline or read from the uploads bucket (`s3_key`);
    `parse_ms`, the time spent reading the request, is counted as decoding."""
    image, read_ms = request.image, 0.0
    if request.s3_key is not None:
        if uploads is None:
            raise ValidationError(
                "this function has no uploads bucket (UPLOADS_BUCKET): send the image inline as 'image'"
            )
        started = time.perf_counter()
        image = uploads.read_upload(request.s3_key)
        read_ms = (time.perf_counter() - started) * 1000
    return detect(
        image,
        detector=detector,
        limits=limits,
        conf=request.conf,
        iou=request.iou,
        max_detections=max_detections,
        decode_ms=parse_ms + read_ms,
    )


def detect_http_request(
    raw_event: dict[str, Any],
    *,
    content_type: str | None,
    query: dict[str, str] | None,
    detector: Detector,
    uploads: Uploads | None,
    request_limits: RequestLimits,
    image_limits: ImageLimits,
    max_detections: int,
) -> tuple[PredictRequest, Detected]:
    """POST /predict: the body read and parsed (request.py), then detect_request(); a 400 about a
    text body that was meant to be an image says so (explain_text_body)."""
    started = time.perf_counter()
    body = body_bytes(raw_event, max_bytes=request_limits.max_body_bytes)
    try:
        request = parse_predict(body, content_type=content_type, query=query, limits=request_limits)
        parse_ms = (time.perf_counter() - started) * 1000
        result = detect_request(
            request,
            detector=detector,
            uploads=uploads,
            limits=image_limits,
            max_detections=max_detections,
            parse_ms=parse_ms,
        )
    except ValidationError as error:
        raise explain_text_body(error, body=body, event=raw_event, content_type=content_type) from None
    return request, result


def predict_answer(result: Detected, request: PredictRequest, *, detector: Detector) -> dict[str, Any]:
    """The body of a 200 answer to POST /predict."""
    identity = detector.identity
    return {
        "pages": result.pages,
        "model": {
            "sha256": identity.sha256,
            "input": {"width": identity.input_width, "height": identity.input_height},
            "class_names": list(identity.class_names),
        },
        "thresholds": {"conf": request.conf, "iou": request.iou},
        "timing_ms": result.rounded_timing_ms,
    }
