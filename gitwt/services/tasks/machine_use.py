"""What the machine and the tasks use now: `status`'s resources line and JSON."""

from __future__ import annotations

import os
from collections.abc import Iterable
from typing import Protocol, TypedDict


class _Measured(Protocol):
    @property
    def cpu_percent(self) -> float | None: ...
    @property
    def rss(self) -> int | None: ...


class Resources(TypedDict):
    """What the machine and the tasks use now (`status`'s resources line and JSON)."""

    tasks_cpu_percent: float
    tasks_rss_bytes: int
    memory_percent: float
    load_percent: float
    cpus: int | None


def resources(tasks: Iterable[_Measured]) -> Resources:
    """The tasks' CPU and memory, and the machine's memory and load."""
    measured = list(tasks)
    return {
        "tasks_cpu_percent": round(sum(task.cpu_percent or 0 for task in measured), 1),
        "tasks_rss_bytes": sum(task.rss or 0 for task in measured),
        "memory_percent": memory_percent(),
        "load_percent": round(100 * os.getloadavg()[0] / (os.cpu_count() or 1), 1),
        "cpus": os.cpu_count(),
    }


def memory_percent() -> float:
    """Memory in use, as psutil.virtual_memory().percent on Linux, from /proc/meminfo: status
    needs psutil (15-30 ms to import) only when a task runs."""
    try:
        with open("/proc/meminfo", encoding="ascii") as handle:
            fields = dict(line.split(":", 1) for line in handle if ":" in line)
        total = int(fields["MemTotal"].split()[0])
        available = int(fields["MemAvailable"].split()[0])
    except (OSError, KeyError, ValueError):
        import psutil

        return float(psutil.virtual_memory().percent)
    return round(100.0 * (total - available) / total, 1) if total else 0.0
