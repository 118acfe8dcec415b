"""What ships imports only the standard library and python-crfsuite."""

from __future__ import annotations

import ast
import json
import sys

from stacks.common.paths import REPO_ROOT
from tests.training.helpers import MODEL_DIR, run_python
from tools.locks import pins

FUNCTION_DIR = REPO_ROOT / "functions" / "mask_predictor"
FORBIDDEN = (
    "sklearn",
    "sklearn_crfsuite",
    "numpy",
    "scipy",
    "joblib",
    "boto3",
    "botocore",
    "aws_lambda_powertools",
    "pydantic",
    "training",
    "tqdm",
)


def test_importing_and_running_the_handler_loads_no_training_or_aws_libraries() -> None:
    script = (
        "import json, sys\n"
        "from mask_predictor import handler\n"
        "handler.lambda_handler({'mask_names': ['3M Aura 9205+ N95']}, None)\n"
        "print(json.dumps(sorted(sys.modules)), file=sys.stderr)\n"
    )
    result = run_python("-c", script, env={"MODEL_DIR": str(MODEL_DIR), "PYTHONPATH": str(REPO_ROOT / "functions")})

    assert result.returncode == 0, result.stderr
    modules = json.loads(result.stderr.strip().splitlines()[-1])
    loaded = sorted({m for m in modules if m.split(".")[0] in FORBIDDEN})
    assert loaded == [], f"the function imported {loaded}"
    assert "pycrfsuite" in modules


def test_every_module_imports_only_stdlib_pycrfsuite_or_its_own_package() -> None:
    # lambda_common ships in the ZIP beside mask_predictor; tests/functions/lambda_common checks
    # that it imports only the standard library itself.
    allowed = set(sys.stdlib_module_names) | {"pycrfsuite", "mask_predictor", "lambda_common", "__future__"}
    offenders = []
    for path in sorted(FUNCTION_DIR.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            offenders += [f"{path.name}: {name}" for name in names if name.split(".")[0] not in allowed]
    assert offenders == []


def test_the_locks_hold_only_python_crfsuite() -> None:
    for architecture in ("x86_64", "arm64"):
        assert pins(FUNCTION_DIR / f"requirements-{architecture}.txt") == {"python-crfsuite": "0.9.12"}
