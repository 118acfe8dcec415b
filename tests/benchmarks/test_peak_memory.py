"""benchmarks/peak_memory.py: a child's peak memory is its own, not its parent's.

On Linux getrusage's ru_maxrss survives fork + exec: a child started by a large parent reports
the parent's size. VmHWM starts afresh at exec. Each test starts a parent process that holds
about 300 MB and starts a small child from it (subprocess: fork/vfork + exec), then compares.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import pytest

from benchmarks.peak_memory import PEAK_RSS_SOURCE, PRINT_PEAK_RSS, parse_peak_rss, peak_rss_mb
from stacks.common.paths import REPO_ROOT

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="VmHWM and ru_maxrss semantics are Linux's"
)

PARENT_ALLOCATION_MB = 300

# The child: a stripped interpreter (-I -S: no site-packages, no PYTHONPATH) that cannot import
# the helper, so it execs its source. It prints what ru_maxrss says, then its own peak line, and
# waits on stdin so that its parent can read /proc/<pid>/status while it is still alive.
CHILD = (
    "import resource, sys\n"
    "print('ru_maxrss_mb=' + repr(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024), flush=True)\n"
    + PRINT_PEAK_RSS
    + "sys.stdin.read()\n"
)

PARENT = textwrap.dedent(
    """
    import json, subprocess, sys
    from benchmarks.peak_memory import child_peak_rss_mb, parse_peak_rss, peak_rss_mb

    held = b"\\x01" * ({allocation} << 20)  # every page written: resident
    child = subprocess.Popen([sys.executable, "-I", "-S", "-c", {child!r}],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    printed = [child.stdout.readline(), child.stdout.readline()]
    read_by_parent = child_peak_rss_mb(child.pid)  # alive: blocked on its stdin
    child.stdin.close()
    child.wait()
    print(json.dumps({{
        "parent_peak_mb": peak_rss_mb(),
        "child_ru_maxrss_mb": float(printed[0].split("=", 1)[1]),
        "child_own_peak_mb": parse_peak_rss("".join(printed)),
        "child_peak_read_by_parent_mb": read_by_parent,
        "after_exit": child_peak_rss_mb(child.pid),
        "held": len(held) >> 20,
    }}))
    """
).format(allocation=PARENT_ALLOCATION_MB, child=CHILD)


@pytest.fixture(scope="module")
def figures() -> dict:
    completed = subprocess.run(
        [sys.executable, "-c", PARENT],
        env={**os.environ, "PYTHONPATH": str(REPO_ROOT)},
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(completed.stdout.splitlines()[-1])


def test_the_parent_really_holds_its_allocation(figures: dict) -> None:
    assert figures["parent_peak_mb"] >= PARENT_ALLOCATION_MB


def test_ru_maxrss_in_the_child_reports_the_parents_memory(figures: dict) -> None:
    # What benchmarks/batch_predict_job.py used to record: the parent's size, not the job's.
    assert figures["child_ru_maxrss_mb"] >= 0.9 * PARENT_ALLOCATION_MB


def test_the_helper_reports_the_childs_own_peak(figures: dict) -> None:
    # A bare interpreter is about 10 MB; a third of the parent's allocation is far above it.
    assert 0 < figures["child_own_peak_mb"] < PARENT_ALLOCATION_MB / 3
    assert figures["child_own_peak_mb"] < figures["child_ru_maxrss_mb"] / 3


def test_the_parent_reads_the_same_figure_from_proc_while_the_child_lives(figures: dict) -> None:
    read = figures["child_peak_read_by_parent_mb"]
    assert read is not None
    assert figures["child_own_peak_mb"] <= read < PARENT_ALLOCATION_MB / 3  # the mark only rises


def test_a_child_that_has_exited_has_no_figure(figures: dict) -> None:
    assert figures["after_exit"] is None


def test_the_source_defines_the_same_function_standalone() -> None:
    namespace: dict = {}
    exec(PEAK_RSS_SOURCE, namespace)  # noqa: S102 - the helper's own source
    assert namespace["peak_rss_mb"]() >= peak_rss_mb() * 0.5  # same process, same mark, read twice
    assert namespace["child_peak_rss_mb"](os.getpid()) == pytest.approx(peak_rss_mb(), rel=0.1)


def test_parse_takes_the_last_line_and_nothing_else() -> None:
    assert parse_peak_rss("noise\npeak_rss_mb=12.5\nmore\npeak_rss_mb=13.25\n") == 13.25
    assert parse_peak_rss("no figure here\n") is None
