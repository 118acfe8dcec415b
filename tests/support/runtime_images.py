"""Running an image function's real task root, and reading what it imported.

A task root is built by the function's Dockerfile install step (tests/support/image_install.py)
and run under Lambda's CPython with nothing else importable; the scripts here make real
requests and print the modules they imported, the distributions owning them and the answers.
"""

from __future__ import annotations

import base64
import textwrap

from stacks.lambda_python import LAMBDA_PYTHON_VERSION
from tests.support.artifacts import Artifacts
from tests.support.checkbox import encoded, page_image
from tests.support.image_install import image_task_root, run_isolated, runtime_dir
from tools.locks import distribution_name

RUNTIME_BASE_IMAGE = f"public.ecr.aws/lambda/python:{LAMBDA_PYTHON_VERSION}"


def script_context(function_name: str, memory_mb: int) -> str:
    """Source of the `Context` class a task-root script passes its handler: version "1" of `function_name`."""
    arn = f"arn:aws:lambda:eu-west-1:123456789012:function:{function_name}"
    return (
        "class Context:\n"
        f"    function_name, function_version, memory_limit_in_mb = {function_name!r}, '1', {memory_mb}\n"
        "    aws_request_id = 'req-1'\n"
        f"    invoked_function_arn = {arn!r}\n"
    )


SENTIMENT_SCRIPT = (
    textwrap.dedent(
        """
    import json, os, sys, time
    assert sys.version_info[:2] == tuple(map(int, os.environ["EXPECTED_PYTHON"].split(".")))
    started = time.perf_counter()
    from sentiment.handler import lambda_handler
    cold_start_s = time.perf_counter() - started
    """
    )
    + script_context("sentiment-test", 2048)
    + textwrap.dedent(
        """
    answers = [
        lambda_handler({"texts": ["I love this!", "This is terrible", ""]}, Context()),
        lambda_handler({"action": "health"}, Context()),
        lambda_handler({"action": "keep_warm"}, Context()),
        lambda_handler({"texts": 5}, Context()),
        lambda_handler({"version": "2.0", "rawPath": "/predict", "body": '{"texts": ["ok"]}', "isBase64Encoded": False,
                        "headers": {}, "requestContext": {"http": {"method": "POST", "path": "/predict"},
                                                          "stage": "$default"}}, Context()),
    ]
    modules = sorted(sys.modules)
    from importlib.metadata import packages_distributions
    owners = {name: sorted(set(dists)) for name, dists in packages_distributions().items()}
    print(json.dumps({"modules": modules, "owners": owners, "answers": answers, "cold_start_s": cold_start_s,
                      "stdlib": sorted(sys.stdlib_module_names)}, default=str))
    """
    )
)


CHECKBOX_SCRIPT = (
    textwrap.dedent(
        """
    import json, os, sys
    assert sys.version_info[:2] == tuple(map(int, os.environ["EXPECTED_PYTHON"].split(".")))
    from checkbox.handler import lambda_handler
    """
    )
    + script_context("checkbox-test", 3008)
    + textwrap.dedent(
        """
    image = sys.stdin.read().strip()
    answers = [
        lambda_handler({"httpMethod": "GET", "path": "/health"}, Context()),
        lambda_handler({"action": "keep_warm"}, Context()),
        lambda_handler({"httpMethod": "POST", "path": "/predict", "headers": {"Content-Type": "image/png"},
                        "body": image, "isBase64Encoded": True}, Context()),
        lambda_handler({"httpMethod": "POST", "path": "/predict", "headers": {"Content-Type": "application/json"},
                        "body": json.dumps({"image": image, "conf": 5})}, Context()),
    ]
    modules = sorted(sys.modules)
    from importlib.metadata import packages_distributions
    owners = {name: sorted(set(dists)) for name, dists in packages_distributions().items()}
    print(json.dumps({"modules": modules, "owners": owners, "answers": answers,
                      "stdlib": sorted(sys.stdlib_module_names)}, default=str))
    """
    )
)


def run_sentiment(environment: dict[str, str], artifacts: Artifacts) -> dict:
    """SENTIMENT_SCRIPT in the real task root under Lambda's Python, with the Lambda runtime's boto3."""
    paths = [image_task_root(artifacts, "sentiment"), runtime_dir(artifacts)]
    return run_isolated(
        SENTIMENT_SCRIPT, paths=paths, environment={**environment, "EXPECTED_PYTHON": LAMBDA_PYTHON_VERSION}
    )


def run_checkbox(environment: dict[str, str], artifacts: Artifacts) -> dict:
    """CHECKBOX_SCRIPT in the real task root under Lambda's Python, with the Lambda runtime's boto3."""
    paths = [image_task_root(artifacts, "checkbox"), runtime_dir(artifacts)]
    image = base64.b64encode(encoded(page_image(500, 700), "PNG")).decode()
    environment = {**environment, "EXPECTED_PYTHON": LAMBDA_PYTHON_VERSION}
    return run_isolated(CHECKBOX_SCRIPT, paths=paths, environment=environment, stdin=image)


def undeclared_imports(fresh_run: dict, *, allowed: set[str], own: set[str]) -> dict[str, list[str]]:
    """The top-level modules a fresh run imported from distributions outside `allowed` (own
    packages, the standard library and interpreter internals excepted): module -> owners."""
    tops = {name.split(".")[0] for name in fresh_run["modules"]}
    stdlib = set(fresh_run["stdlib"])
    undeclared = {}
    # cython_runtime: the module object every Cython extension (simplejpeg's) registers, no file.
    for top in tops - stdlib - own - {"lambda_common", "__main__", "_distutils_hack", "cython_runtime"}:
        owners = {distribution_name(owner) for owner in fresh_run["owners"].get(top, [])}
        if top.startswith("_") and not owners:
            continue  # interpreter-internal modules (_io, _abc, ...)
        if not owners & allowed:
            undeclared[top] = sorted(owners)
    return undeclared
