"""Peak memory of the running benchmark process, shared by the index benchmarks."""

from __future__ import annotations


def peak_rss_mb() -> float:
    """This process's peak resident memory, mapped index files included (Linux).

    VmHWM, not ``getrusage``: Linux carries ``ru_maxrss`` across exec, so a child
    would report its parent's peak.
    """
    with open("/proc/self/status", encoding="ascii") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM in /proc/self/status")
