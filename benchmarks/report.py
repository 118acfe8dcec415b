"""Writes a benchmark's figures as JSON (for tools) and a Markdown table (for people)."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from stacks.common.paths import REPO_ROOT

# Where the benchmarks publish their figures (docs/benchmarks.md quotes them).
RESULTS_DIR = REPO_ROOT / "benchmarks" / "results"


def markdown_table(*, headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    lines = [
        "| " + " | ".join(headers) + " |",
        "|" + "|".join("---" for _ in headers) + "|",
        *("| " + " | ".join(row) + " |" for row in rows),
    ]
    return "\n".join(lines)


def write_results(*, results_dir: Path, name: str, figures: dict[str, Any], markdown: str) -> tuple[Path, Path]:
    results_dir.mkdir(parents=True, exist_ok=True)
    json_path = results_dir / f"{name}.json"
    markdown_path = results_dir / f"{name}.md"
    json_path.write_text(json.dumps(figures, indent=2, ensure_ascii=False) + "\n")
    markdown_path.write_text(markdown.rstrip() + "\n")
    return json_path, markdown_path


def publish_results(
    *,
    name: str,
    figures: dict[str, Any],
    evaluate_targets: Callable[[dict[str, Any]], list[dict[str, Any]]],
    render_markdown: Callable[[dict[str, Any]], str],
) -> None:
    """Adds figures["targets"], writes the figures and their markdown into RESULTS_DIR, and
    prints the markdown and where it wrote them."""
    figures["targets"] = evaluate_targets(figures)
    markdown = render_markdown(figures)
    json_path, markdown_path = write_results(results_dir=RESULTS_DIR, name=name, figures=figures, markdown=markdown)
    print()
    print(markdown)
    print(f"\nwrote {json_path.relative_to(REPO_ROOT)} and {markdown_path.relative_to(REPO_ROOT)}")
