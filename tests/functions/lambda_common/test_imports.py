"""lambda_common ships in the ZIP function too: standard library only at import time, and
nothing the mask predictor's cold start is kept free of."""

from __future__ import annotations

import ast
import json
import subprocess
import sys

from stacks.common.paths import FUNCTIONS_DIR

PACKAGE_DIR = FUNCTIONS_DIR / "lambda_common"
# Modules the mask predictor imports; `dataclasses` (-> `inspect`), `typing` and `pathlib`
# would each add milliseconds to its measured cold start.
USED_BY_THE_ZIP_FUNCTION = (
    "lambda_common.errors",
    "lambda_common.events",
    "lambda_common.env",
    "lambda_common.json_types",
    "lambda_common.metric_names",
    "lambda_common.responses",
)
SLOW_IMPORTS = ("dataclasses", "inspect", "typing", "pathlib")


def _module_level_imports(statements: list[ast.stmt]) -> list[str]:
    """Modules imported when the module runs (function bodies excluded, `if` blocks included)."""
    names: list[str] = []
    for node in statements:
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.append(node.module)
        elif isinstance(node, (ast.If, ast.Try)):
            names += _module_level_imports(node.body + node.orelse)
    return names


def test_every_module_imports_only_the_standard_library_at_import_time() -> None:
    allowed = set(sys.stdlib_module_names) | {"lambda_common", "__future__"}
    offenders = [
        f"{path.name}: {name}"
        for path in sorted(PACKAGE_DIR.glob("*.py"))
        for name in _module_level_imports(ast.parse(path.read_text(encoding="utf-8")).body)
        if name.split(".")[0] not in allowed
    ]
    assert offenders == []


def test_the_zip_functions_modules_load_no_slow_standard_modules() -> None:
    script = (
        "import json, sys\n"
        f"for name in {USED_BY_THE_ZIP_FUNCTION!r}: __import__(name)\n"
        "print(json.dumps(sorted(sys.modules)))\n"
    )
    result = subprocess.run(
        [sys.executable, "-S", "-c", script],
        env={"PYTHONPATH": str(PACKAGE_DIR.parent)},
        capture_output=True,
        text=True,
        check=True,
    )
    modules = set(json.loads(result.stdout))
    assert not modules & set(SLOW_IMPORTS), sorted(modules & set(SLOW_IMPORTS))
