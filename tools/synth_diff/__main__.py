"""What a change does to the deployed stacks, before it is deployed: `make synth-diff`.

Synthesizes a base commit (default: the merge base of HEAD and main) in a temporary git
worktree and the working tree as it is (uncommitted changes included), both with the pinned
CDK CLI and this virtualenv, then reports per stack: security-relevant changes first, then
replaced/removed/added resources, changed properties, and code or model changes. No AWS
credentials: `cdk diff --app <assembly> --template <base template>` compares the two files.

    python -m tools.synth_diff [--base REF] [--env dev|prod|all] [--fail-on security|replacement]

Writes <out>/synth-diff.md (a pull-request comment; also appended to $GITHUB_STEP_SUMMARY when
set) and prints the text version. Exit status: 0, or 1 when --fail-on finds what it names
(security: any security-relevant change; replacement: any resource replaced or removed), or 2
when a synth fails.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tools.synth_diff.classify import StackDiff, compare_templates
from tools.synth_diff.render import Report, to_markdown, to_text

ENVIRONMENTS = ("dev", "prod")
MAIN_BRANCHES = ("main", "origin/main")
REPORT_NAME = "synth-diff.md"


class SynthDiffError(Exception):
    pass


def git(repo: Path, *args: str) -> str:
    completed = subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True)
    if completed.returncode != 0:
        raise SynthDiffError(f"git {' '.join(args)}: {completed.stderr.strip()}")
    return completed.stdout.strip()


def resolve_base(repo: Path, base: str | None) -> tuple[str, str]:
    """(commit, description). Default: the merge base of HEAD and main; on main itself that is
    HEAD, so the comparison is the working tree's uncommitted changes against HEAD."""
    if base:
        return git(repo, "rev-parse", "--verify", f"{base}^{{commit}}"), f"`{base}`"
    head = git(repo, "rev-parse", "HEAD")
    for branch in MAIN_BRANCHES:
        try:
            merge_base = git(repo, "merge-base", "HEAD", branch)
        except SynthDiffError:
            continue
        if merge_base == head:
            return head, f"HEAD: the merge base with {branch} is HEAD itself"
        return merge_base, f"merge base of HEAD and {branch}"
    return head, "HEAD (no main branch found)"


def cli_env(root: Path) -> dict[str, str]:
    return {
        **os.environ,
        "PYTHONPATH": f"{root / 'functions'}{os.pathsep}{root}",
        "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20",
        "JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION": "1",
        "CDK_DISABLE_CLI_TELEMETRY": "true",
    }


@dataclass
class Synth:
    label: str
    root: Path  # the tree synthesized
    outdir: Path
    process: subprocess.Popen[str] | None = None

    def start(self, cdk: Path, environment: str) -> None:
        app = f"{shlex.quote(sys.executable)} app.py"
        command = [
            str(cdk),
            "synth",
            "--quiet",
            "--no-notices",
            "--app",
            app,
            "-c",
            f"env={environment}",
            "-o",
            str(self.outdir),
        ]
        self.process = subprocess.Popen(
            command, cwd=self.root, env=cli_env(self.root), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )

    def wait(self) -> None:
        assert self.process is not None
        output, _ = self.process.communicate()
        if self.process.returncode != 0:
            tail = "\n".join(output.strip().splitlines()[-30:])
            raise SynthDiffError(f"cdk synth of {self.label} failed (exit {self.process.returncode}):\n{tail}")


def stack_templates(assembly: Path) -> dict[str, Path]:
    manifest = json.loads((assembly / "manifest.json").read_text())
    return {
        name: assembly / artifact["properties"]["templateFile"]
        for name, artifact in manifest["artifacts"].items()
        if artifact["type"] == "aws:cloudformation:stack"
    }


def cdk_diff_text(cdk: Path, stack: str, new_assembly: Path, base_template: Path, workdir: Path) -> str:
    completed = subprocess.run(
        [
            str(cdk),
            "diff",
            stack,
            "--app",
            str(new_assembly),
            "--template",
            str(base_template),
            "--no-color",
            "--no-notices",
        ],
        cwd=workdir,
        env=cli_env(workdir),
        capture_output=True,
        text=True,
    )
    text = (completed.stdout + completed.stderr).strip()
    return text if completed.returncode == 0 else f"(cdk diff exited {completed.returncode})\n{text}"


def compare_assemblies(cdk: Path | None, base: Path, new: Path, workdir: Path) -> list[StackDiff]:
    """Every stack on either side, classified, with the pinned CLI's diff text (cdk=None: none)."""
    base_templates, new_templates = stack_templates(base), stack_templates(new)
    names = [*new_templates, *(name for name in base_templates if name not in new_templates)]
    empty = workdir / "empty.template.json"
    empty.write_text('{"Resources": {}}')

    def one(name: str) -> StackDiff:
        old_t = _load(base_templates.get(name))
        new_t = _load(new_templates.get(name))
        diff = compare_templates(name, old_t, new_t, old_assembly=base, new_assembly=new)
        if cdk is not None and new_t is not None and diff.has_changes:
            diff.cdk_diff = cdk_diff_text(cdk, name, new, base_templates.get(name, empty), workdir)
        return diff

    with ThreadPoolExecutor(max_workers=4) as pool:
        return list(pool.map(one, names))


def _load(path: Path | None) -> dict[str, Any] | None:
    return json.loads(path.read_text()) if path is not None else None


def exit_status(report: Report, fail_on: str | None) -> int:
    if report.errors:
        return 2
    if fail_on == "security" and report.security_count:
        return 1
    if fail_on == "replacement" and report.replacement_count:
        return 1
    return 0


def run(*, repo: Path, base: str | None, environments: tuple[str, ...], out: Path) -> Report:
    cdk = repo / "node_modules" / ".bin" / "cdk"
    if not cdk.exists():
        raise SynthDiffError(f"{cdk} not found: run `make setup` (npm ci) first")
    commit, how = resolve_base(repo, base)
    dirty = bool(git(repo, "status", "--porcelain", "--untracked-files=no"))
    out.mkdir(parents=True, exist_ok=True)
    (out / ".gitignore").write_text("*\n")  # generated: never committed
    worktree = Path(tempfile.mkdtemp(prefix="synth-diff-base-")) / "tree"
    git(repo, "worktree", "add", "--detach", "--quiet", str(worktree), commit)
    synths: list[tuple[str, Synth, Synth]] = []
    try:
        for environment in environments:
            env_out = out / environment
            shutil.rmtree(env_out, ignore_errors=True)
            env_out.mkdir(parents=True)
            pair = (
                Synth(f"base {commit[:10]} ({environment})", worktree, env_out / "base"),
                Synth(f"the working tree ({environment})", repo, env_out / "new"),
            )
            for synth in pair:
                synth.start(cdk, environment)
            synths.append((environment, *pair))
        errors = []
        for _, base_synth, new_synth in synths:
            for synth in (base_synth, new_synth):
                try:
                    synth.wait()
                except SynthDiffError as error:
                    errors.append(str(error))
    finally:
        subprocess.run(["git", "worktree", "remove", "--force", str(worktree)], cwd=repo, capture_output=True)
        shutil.rmtree(worktree.parent, ignore_errors=True)
        subprocess.run(["git", "worktree", "prune"], cwd=repo, capture_output=True)
    version = subprocess.run(
        [str(cdk), "--version"], cwd=repo, env=cli_env(repo), capture_output=True, text=True
    ).stdout.strip()
    diffs: list[StackDiff] = []
    if not errors:
        for environment, base_synth, new_synth in synths:
            diffs += compare_assemblies(cdk, base_synth.outdir, new_synth.outdir, out / environment)
    subject = git(repo, "log", "-1", "--format=%h %s", commit)
    return Report(
        title=f"Synth diff: {commit[:10]} → working tree ({', '.join(environments)})",
        context=[
            f"base: `{subject}` ({how})",
            "compared with: the working tree" + (" (uncommitted changes included)" if dirty else ""),
            f"environments: {', '.join(environments)}; CDK CLI {version or '?'}; no credentials used",
        ],
        diffs=diffs,
        errors=errors,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--base", default=None, help="git ref to compare with (default: merge base with main)")
    parser.add_argument("--env", default="dev", choices=[*ENVIRONMENTS, "all"])
    parser.add_argument("--fail-on", choices=["security", "replacement"], default=None)
    parser.add_argument(
        "--out", type=Path, default=Path("cdk.out.diff"), help="assemblies and synth-diff.md (default %(default)s)"
    )
    parser.add_argument(
        "--repo", type=Path, default=None, help="repository (default: the one containing the working directory)"
    )
    args = parser.parse_args(argv)
    try:
        repo = (args.repo or Path(git(Path.cwd(), "rev-parse", "--show-toplevel"))).resolve()
        out = args.out if args.out.is_absolute() else repo / args.out
        environments = ENVIRONMENTS if args.env == "all" else (args.env,)
        report = run(repo=repo, base=args.base, environments=environments, out=out)
    except SynthDiffError as error:
        print(f"synth-diff: {error}", file=sys.stderr)
        return 2
    markdown = to_markdown(report)
    (out / REPORT_NAME).write_text(markdown + "\n")
    summary = os.environ.get("GITHUB_STEP_SUMMARY")
    if summary:
        with open(summary, "a", encoding="utf-8") as handle:
            handle.write(markdown + "\n")
    print(to_text(report))
    print(f"\nMarkdown report: {out / REPORT_NAME}")
    status = exit_status(report, args.fail_on)
    if status == 1:
        print(f"synth-diff: failing on {args.fail_on} (FAIL_ON={args.fail_on})", file=sys.stderr)
    return status


if __name__ == "__main__":
    sys.exit(main())
