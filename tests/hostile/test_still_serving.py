"""After the storm (this module runs after test_corpus and test_generated): the server and
every function still answer a known-good request, and the tier saw no fault at all."""

from __future__ import annotations

import json
from typing import Any

from tests.support.hostile_client import TALLY, HostileClient, Outcome
from tests.support.hostile_inputs import b64, image_bytes
from tools.local_serve.child_process import ServeProcess

API_KEY = {"x-api-key": "hostile-local-key"}


def test_every_function_still_answers_a_good_request(
    client: HostileClient, prefixes: dict[str, str], batch_example: dict[str, Any], hostile_server: ServeProcess
) -> None:
    image = json.dumps({"image": b64(image_bytes("PNG"))}).encode()

    def post(function: str, route: str, body: bytes, headers: dict[str, str] | None = None) -> Outcome:
        """A JSON POST to `route` below the function's HTTP prefix."""
        return client.http(
            function,
            "POST",
            prefixes[function] + route,
            body=body,
            headers={"Content-Type": "application/json", **(headers or {})},
        )

    answers = {
        "mask http": post("mask_predictor", "/predict", b'{"mask_name": "3M Aura 9205+ N95"}'),
        "mask invoke": client.invoke("mask_predictor", {"mask_name": "3M Aura 9205+ N95"}),
        "sentiment http": post("sentiment", "/", b'{"texts": ["I love this!"]}'),
        "sentiment invoke": client.invoke("sentiment", {"texts": ["This is terrible"]}),
        "checkbox http": post("checkbox", "/predict", image, API_KEY),
        "checkbox invoke": client.invoke("checkbox", {"httpMethod": "GET", "path": "/health"}),
        "batch invoke": client.invoke("batch_predict", batch_example),
    }

    assert {name: outcome.status for name, outcome in answers.items()} == dict.fromkeys(answers, 200), {
        name: outcome.detail for name, outcome in answers.items() if outcome.status != 200
    }
    assert hostile_server.process.poll() is None


def test_the_storm_caused_no_fault() -> None:
    assert TALLY.total("sent") > 0
    assert TALLY.problems == [], "\n".join(TALLY.problems[:20])
