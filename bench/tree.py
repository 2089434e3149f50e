"""Memory of a whole gunicorn process tree (master and every worker), as a platform bills it.

A PaaS bills the dyno: the master and its workers together. RSS counts every resident page of
each process, so pages the processes share (code, and whatever a forked worker has not written
to since the fork) count once per process; PSS divides each shared page among the processes
that map it, so the tree's PSS counts every page once. Both come from /proc/<pid>/smaps_rollup
(psutil is not installed).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from bench.launcher import ServedApp, children_of

# The smaps_rollup lines kept per process, in KiB.
_FIELDS = {
    "Rss": "rss_kib",
    "Pss": "pss_kib",
    "Shared_Clean": "shared_clean_kib",
    "Shared_Dirty": "shared_dirty_kib",
    "Private_Clean": "private_clean_kib",
    "Private_Dirty": "private_dirty_kib",
    "Anonymous": "anonymous_kib",
}


@dataclass(frozen=True)
class ProcessMemory:
    """One process's resident memory, from /proc/<pid>/smaps_rollup, in KiB."""

    pid: int
    role: str
    rss_kib: int
    pss_kib: int
    shared_clean_kib: int
    shared_dirty_kib: int
    private_clean_kib: int
    private_dirty_kib: int
    anonymous_kib: int


def rollup(pid: int, role: str) -> ProcessMemory | None:
    """pid's smaps_rollup figures, or None if it is gone."""
    try:
        lines = Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()
    except OSError:
        return None
    values = dict.fromkeys(_FIELDS.values(), 0)
    for line in lines[1:]:  # the first line names the address range
        key, _, rest = line.partition(":")
        if key in _FIELDS:
            values[_FIELDS[key]] = int(rest.split()[0])
    return ProcessMemory(pid=pid, role=role, **values)


def tree_memory(app: ServedApp) -> dict[str, Any]:
    """RSS and PSS of an app's master and workers, each and summed."""
    if app.process is None:
        return {"processes": [], "rss_kib": 0, "pss_kib": 0, "workers": 0}
    master = app.process.pid
    found = [rollup(master, "master")]
    found += [rollup(pid, "worker") for pid in children_of(master)]
    processes = [p for p in found if p is not None]
    return {
        "processes": [asdict(p) for p in processes],
        "rss_kib": sum(p.rss_kib for p in processes),
        "pss_kib": sum(p.pss_kib for p in processes),
        "master_rss_kib": sum(p.rss_kib for p in processes if p.role == "master"),
        "workers": sum(p.role == "worker" for p in processes),
    }
