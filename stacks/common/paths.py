"""The repository's root, the one definition every module uses (stacks, tools, tests, training,
benchmarks; never the functions, which ship without it), resolved from this file so synth and
the tools work from any working directory."""

from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
FUNCTIONS_DIR = REPO_ROOT / "functions"
