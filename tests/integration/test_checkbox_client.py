"""clients/checkbox.py end to end: against `python -m tools.serve` (the dev assembly the CDK CLI
synthesizes, the checkbox function only, on free ports: its REST routes and embedded S3), a
small scan goes inline and a 10 MB scan through POST /uploads, a presigned PUT and a predict by
s3_key. The client's own policies (retries, error surfacing, SigV4) against stub servers are in
tests/clients/test_client_checkbox.py."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

from benchmarks.checkbox_form import encode, synthetic_form
from clients.checkbox import CheckboxClient, main
from clients.checkbox_results import Box, Prediction
from clients.errors import FunctionRequestError
from tests.support.cdk_cli import cdk_cli_synth, shell_env
from tools.local_serve.child_process import ServeProcess

A4_300_DPI = (2480, 3508)
LOCAL_KEY = "any-local-key"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServeProcess]:
    cdk_out = cdk_cli_synth(("dev",), tmp_path_factory)["dev"].outdir
    log_path = tmp_path_factory.mktemp("serve-checkbox") / "serve.log"
    with ServeProcess.start(
        cdk_out=cdk_out, log_path=log_path, arguments=["--function", "checkbox"], environ=shell_env()
    ) as process:
        yield process


@pytest.fixture(scope="module")
def base_url(server: ServeProcess) -> str:
    return server.endpoints.http + server.functions[server.function_name("checkbox")]["http_prefix"]


@pytest.fixture(scope="module")
def noisy_a4_scan() -> bytes:
    """A 300 dpi A4 colour PNG, its top half scanner noise: incompressible, so over 10 MB."""
    form, _ = synthetic_form(size=A4_300_DPI)
    pixels = np.array(form.convert("RGB"))
    noise_rows = A4_300_DPI[1] // 2
    pixels[:noise_rows] = np.random.default_rng(7).integers(0, 256, size=(noise_rows, A4_300_DPI[0], 3), dtype=np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, "PNG")
    return buffer.getvalue()


def small_form() -> tuple[bytes, tuple[int, int]]:
    size = (620, 877)
    form, _ = synthetic_form(size=size)
    return encode(form, "JPEG"), size


# --- against make serve -------------------------------------------------------------------------


def test_a_small_scan_goes_inline_and_comes_back_typed(base_url: str, tmp_path: Path) -> None:
    image, (width, height) = small_form()
    path = tmp_path / "form.jpg"
    path.write_bytes(image)
    prediction = CheckboxClient(base_url, api_key=LOCAL_KEY).predict(path, conf=0.2, iou=0.5)
    assert isinstance(prediction, Prediction) and prediction.via == "inline"
    (page,) = prediction.pages
    assert (page.index, page.width, page.height) == (0, width, height)
    assert (prediction.conf, prediction.iou) == (0.2, 0.5)
    assert prediction.model.class_names == ("checked", "unchecked") and len(prediction.model.sha256) == 64
    for detection in page.detections:
        assert detection.class_name == prediction.model.class_names[detection.class_id]
        assert isinstance(detection.box, Box) and 0 <= detection.box.x1 < detection.box.x2 <= width


def test_a_10_mb_scan_goes_through_the_upload_route_by_itself(base_url: str, noisy_a4_scan: bytes) -> None:
    assert len(noisy_a4_scan) >= 10_000_000  # past API Gateway's 10 MB and Lambda's 6 MB
    prediction = CheckboxClient(base_url, api_key=LOCAL_KEY).predict(noisy_a4_scan, conf=0.3)
    assert prediction.via == "upload"
    (page,) = prediction.pages
    assert (page.width, page.height) == A4_300_DPI
    assert prediction.conf == 0.3


def test_inline_and_upload_routes_give_the_same_detections(base_url: str) -> None:
    image, _ = small_form()
    client = CheckboxClient(base_url, api_key=LOCAL_KEY)
    inline, uploaded = client.predict(image, conf=0.2), client.predict(image, conf=0.2, upload=True)
    assert (inline.via, uploaded.via) == ("inline", "upload")
    assert inline.pages == uploaded.pages


def test_the_functions_400_message_surfaces(base_url: str) -> None:
    client = CheckboxClient(base_url, api_key=LOCAL_KEY)
    with pytest.raises(FunctionRequestError) as inline:
        client.predict(b"%PDF-1.7 not an image")
    assert (inline.value.status_code, inline.value.error_type) == (400, "ValidationError")
    assert "the file is not a PNG, JPEG, TIFF or WebP image (it is a PDF document)" in inline.value.message
    with pytest.raises(FunctionRequestError) as uploaded:
        client.predict(b"%PDF-1.7 not an image", upload=True)
    assert "(it is a PDF document)" in uploaded.value.message


def test_an_unuploaded_key_and_a_missing_api_key_are_4xx_with_their_messages(base_url: str) -> None:
    client = CheckboxClient(base_url, api_key=LOCAL_KEY)
    ticket_key = "checkbox-uploads/0b6f6d3e-3c8a-4f51-9d2e-5a7c1e2f3b4d"
    with pytest.raises(FunctionRequestError) as missing:
        client._call(
            "POST", "/predict", body=json.dumps({"s3_key": ticket_key}).encode(), content_type="application/json"
        )
    assert missing.value.status_code == 404
    assert "PUT the image to the upload_url from POST /uploads first" in missing.value.message
    with pytest.raises(FunctionRequestError) as wrong_route:
        CheckboxClient(base_url + "/nope", api_key=LOCAL_KEY).health()
    assert (
        wrong_route.value.status_code == 403
        and "Missing Authentication Token: no such route" in wrong_route.value.message
    )


def test_the_cli_prints_the_prediction_as_json(base_url: str, tmp_path: Path, capsys: Any) -> None:
    image, (width, _) = small_form()
    path = tmp_path / "form.jpg"
    path.write_bytes(image)
    assert main(["--url", base_url, "--api-key", LOCAL_KEY, "--upload", "--conf", "0.2", str(path)]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["via"] == "upload" and printed["pages"][0]["width"] == width
    assert main(["--url", base_url, "--api-key", LOCAL_KEY, str(tmp_path / "absent.jpg")]) == 1
    assert "absent.jpg" in capsys.readouterr().err


def test_the_banner_shows_the_upload_flow(server: ServeProcess, base_url: str) -> None:
    output = server.output()
    assert f"u=$(curl -s -X POST -H 'x-api-key: local' {base_url}/uploads)" in output
    assert "curl -s -X PUT -H 'Content-Type: application/octet-stream' -T " in output
    assert f"python -m clients.checkbox --url {base_url} --api-key local --upload " in output
