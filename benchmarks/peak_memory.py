"""Peak resident memory of a process (Linux), the one way every benchmark measures it.

What Lambda reports as "Max Memory Used" is the peak resident set of the function's process.
Read it from the kernel's high-water mark, ``VmHWM`` in ``/proc/<pid>/status``, which starts
afresh at exec (proc(5)): a freshly exec'd child reports only its own memory. Never use
``getrusage(RUSAGE_SELF).ru_maxrss`` for this: on Linux the child inherits it from the parent
that forked it (at exec the kernel folds the old address space's high-water mark, the
parent's, into it), so a 13 MB child of a 500 MB parent reports about 513 MB.

API (standard library only, no ``from __future__``: a stripped child interpreter, ``python -S``
with only an image's packages, can import this module or exec ``PEAK_RSS_SOURCE``):

- ``peak_rss_mb() -> float``: this process's peak RSS in MiB so far (RuntimeError off Linux).
- ``child_peak_rss_mb(pid) -> float | None``: another process's peak RSS in MiB so far, read
  from ``/proc/<pid>/status``; None once it has exited (a zombie's memory is already gone,
  so read it while the child is still alive: after its last piece of work, before telling it
  to stop). The mark only rises, so the last reading is the peak up to that moment.
- ``PEAK_RSS_SOURCE: str``: the source of both functions, to ``exec`` (or prepend to a
  ``python -c`` script) in a child that cannot import this module.
- ``PRINT_PEAK_RSS: str``: ``PEAK_RSS_SOURCE`` plus a print of the line
  ``peak_rss_mb=<MiB>`` to stdout; exec it as a child's last statement.
- ``parse_peak_rss(output: str) -> float | None``: the figure from the last such line of a
  child's output.

Example: ``subprocess.run([python, "-c", script + "\\n" + PRINT_PEAK_RSS], capture_output=True,
text=True)`` then ``parse_peak_rss(completed.stdout)``.
"""

PEAK_RSS_PREFIX = "peak_rss_mb="


def child_peak_rss_mb(pid: "int | str") -> "float | None":
    """Peak RSS (MiB) of process `pid` so far ("self": this one); None if it has exited."""
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024  # kB
    except (FileNotFoundError, ProcessLookupError):
        return None  # reaped
    return None  # a zombie (or a kernel thread): no address space, no mark


def peak_rss_mb() -> float:
    """Peak RSS (MiB) of this process so far: its own since its last exec."""
    peak = child_peak_rss_mb("self")
    if peak is None:
        raise RuntimeError("no VmHWM in /proc/self/status: peak memory is measured on Linux only")
    return peak


def __getattr__(name: str) -> str:
    # PEAK_RSS_SOURCE and PRINT_PEAK_RSS, built on first use: a measured process that only
    # imports peak_rss_mb does not pay for `inspect` (a few MB in a bare interpreter).
    if name not in ("PEAK_RSS_SOURCE", "PRINT_PEAK_RSS"):
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import inspect

    source = inspect.getsource(child_peak_rss_mb) + "\n\n" + inspect.getsource(peak_rss_mb)
    if name == "PRINT_PEAK_RSS":
        source += f"\n\nprint({PEAK_RSS_PREFIX!r} + repr(peak_rss_mb()), flush=True)\n"
    return source


def parse_peak_rss(output: str) -> "float | None":
    """The figure of the last ``peak_rss_mb=`` line in a child's output (None if it has none)."""
    for line in reversed(output.splitlines()):
        if line.startswith(PEAK_RSS_PREFIX):
            return float(line[len(PEAK_RSS_PREFIX) :])
    return None
