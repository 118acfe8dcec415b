"""The report, as Markdown (pull-request comment, GitHub job summary) and as plain text (the
terminal), from the same classified diffs."""

from __future__ import annotations

from dataclasses import dataclass, field

from tools.synth_diff.classify import CodeChange, ResourceChange, StackDiff

# GitHub refuses comments over 65,536 characters; the cdk diff text is what gets cut.
MAX_CDK_DIFF_CHARS = 12_000
MAX_MARKDOWN_CHARS = 60_000


@dataclass
class Report:
    title: str
    context: list[str]
    diffs: list[StackDiff]
    errors: list[str] = field(default_factory=list)

    @property
    def security_count(self) -> int:
        return sum(len(d.security) for d in self.diffs)

    @property
    def replacement_count(self) -> int:
        return sum(len(d.replaced_or_removed) for d in self.diffs) + sum(
            1 for d in self.diffs if d.status == "removed" and not d.resources
        )

    def verdict(self) -> str:
        if self.errors:
            return "synth failed: nothing compared"
        parts = []
        parts.append(
            f"{self.security_count} security-relevant change(s)"
            if self.security_count
            else "no security-relevant change"
        )
        parts.append(
            f"{self.replacement_count} resource(s) REPLACED or REMOVED"
            if self.replacement_count
            else "no replacement or removal"
        )
        code = sum(1 for d in self.diffs for c in d.code if c.content_changed)
        if code:
            parts.append(f"code/model changed in {code} function(s)")
        return ", ".join(parts)


def _headline(r: ResourceChange, md: bool) -> str:
    tick = "`" if md else ""
    bold = "**" if md else ""
    kind = {"replaced": "REPLACED", "removed": "REMOVED"}.get(r.kind, r.kind)
    return f"{bold}{r.resource_type}{bold} {tick}{r.path}{tick} ({tick}{r.ids}{tick}) {kind}"


@dataclass(frozen=True)
class _Item:
    """One entry of a section: a resource, a function's code or model, or a note."""

    subject: ResourceChange | CodeChange | str
    lines: list[str]

    def head(self, md: bool) -> str:
        if isinstance(self.subject, ResourceChange):
            return _headline(self.subject, md)
        if isinstance(self.subject, CodeChange):
            tick = "`" if md else ""
            return f"{tick}{self.subject.name}{tick} ({tick}{self.subject.path}{tick})"
        return self.subject if md else self.subject.replace("`", "")


def _sections(diff: StackDiff) -> list[tuple[str, str, list[_Item]]]:
    """(markdown title, text title, items) per non-empty section."""
    sections = []
    if diff.security:
        sections.append(("🔐 Security-relevant", "SECURITY-RELEVANT", [_Item(r, r.security) for r in diff.security]))
    if diff.replaced_or_removed:
        items = []
        for r in diff.replaced_or_removed:
            lines = [f"why: {reason}" for reason in r.replacement_reasons]
            if r.loss_warning:
                lines.append(f"⚠️ DATA: {r.loss_warning}")
            elif r.kind == "removed" and r.deletion_policy in ("Retain", "RetainExceptOnCreate"):
                lines.append("DeletionPolicy Retain: left in the account, no longer managed")
            lines += [pc.describe() for pc in r.changes]
            items.append(_Item(r, lines))
        sections.append(("🚨 Replaced or removed", "REPLACED OR REMOVED", items))
    if diff.added:
        sections.append(("➕ Added", "ADDED", [_Item(r, []) for r in diff.added]))
    if diff.changed:
        sections.append(("✏️ Changed", "CHANGED", [_Item(r, [pc.describe() for pc in r.changes]) for r in diff.changed]))
    if diff.code:
        sections.append(("📦 Code / model changed", "CODE / MODEL CHANGED", [_Item(c, c.items) for c in diff.code]))
    if diff.notes:
        sections.append(("Other template changes", "OTHER TEMPLATE CHANGES", [_Item(n, []) for n in diff.notes]))
    return sections


def _section_lines(diff: StackDiff, md: bool) -> list[str]:
    """Every non-empty section of a stack's diff, as Markdown or as plain text."""
    out: list[str] = []
    for md_title, text_title, items in _sections(diff):
        out += [f"### {md_title} ({len(items)})", ""] if md else [f"{text_title} ({len(items)})"]
        for item in items:
            out.append(f"- {item.head(md)}" if md else f"  * {item.head(md)}")
            out += [f"  - {_md_line(line)}" if md else f"      {line}" for line in item.lines]
        out.append("")
    return out


PLAIN_PREFIXES = ("why:", "⚠️", "DeletionPolicy", "added", "removed", "publishes")


def _md_line(line: str) -> str:
    if line.startswith(PLAIN_PREFIXES):
        return line
    return f"`` {line} ``" if "`" in line else f"`{line}`"


def _counts(diff: StackDiff) -> tuple[int, int, int, int, int]:
    return (
        len(diff.security),
        len(diff.replaced_or_removed),
        len(diff.added),
        len(diff.changed),
        sum(1 for c in diff.code if c.content_changed),
    )


def _status(diff: StackDiff) -> str:
    return {"added": "new stack", "removed": "STACK REMOVED", "unchanged": "no changes"}.get(diff.status, "changed")


def _cut(text: str, limit: int) -> str:
    return (
        text if len(text) <= limit else text[:limit] + f"\n… ({len(text) - limit} more characters: see the text output)"
    )


def _with_changes(report: Report) -> list[StackDiff]:
    return [d for d in report.diffs if d.has_changes]


def _markdown_row(d: StackDiff) -> str:
    s, r, a, c, code = _counts(d)
    return f"| {d.stack} | {_status(d)} | {f'**{s}**' if s else 0} | {f'**{r}**' if r else 0} | {a} | {c} | {code} |"


def _text_row(d: StackDiff) -> str:
    s, r, a, c, code = _counts(d)
    return f"{d.stack:<24} {_status(d):<14} {s:>8} {r:>8} {a:>6} {c:>8} {code:>5}"


def to_markdown(report: Report) -> str:
    out = [f"# {report.title}", "", *[f"- {line}" for line in report.context], ""]
    out += [f"**{report.verdict()}**", ""]
    for error in report.errors:
        out += [f"> ❌ {error}", ""]
    out += [
        "| stack | status | security | replaced / removed | added | changed | code / model |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    out += [_markdown_row(d) for d in report.diffs]
    out.append("")
    for d in _with_changes(report):
        out += [f"## {d.stack} ({_status(d)})", ""]
        out += _section_lines(d, md=True)
        if d.cdk_diff.strip():
            out += [
                f"<details><summary><code>cdk diff {d.stack}</code></summary>",
                "",
                "```",
                _cut(d.cdk_diff.strip(), MAX_CDK_DIFF_CHARS),
                "```",
                "",
                "</details>",
                "",
            ]
    markdown = "\n".join(out)
    return _cut(markdown, MAX_MARKDOWN_CHARS)


def to_text(report: Report) -> str:
    rule = "=" * 78
    out = [report.title, rule, *report.context, "", report.verdict().upper(), ""]
    out += [f"ERROR: {error}" for error in report.errors]
    header = f"{'stack':<24} {'status':<14} {'security':>8} {'repl/rm':>8} {'added':>6} {'changed':>8} {'code':>5}"
    out += [header, "-" * len(header)]
    out += [_text_row(d) for d in report.diffs]
    out.append("")
    for d in _with_changes(report):
        out += [rule, f"{d.stack} ({_status(d)})", rule]
        out += _section_lines(d, md=False)
        if d.cdk_diff.strip():
            out += [f"--- cdk diff {d.stack} ---", d.cdk_diff.rstrip(), ""]
    return "\n".join(out)
