"""Synthetic repositories for the benchmarks: one `git fast-import`, one commit on main.

Writing tens of thousands of files through `git add` would take longer than what is measured.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterable, Mapping
from pathlib import Path

BLOB = b"line\n" * 20


def fast_import(
    repo: Path,
    paths: Iterable[str],
    files: Mapping[str, str] = {},
    sparse_main: Iterable[str] | None = None,
) -> None:
    """Create `repo` with every path holding one shared blob, plus `files` with their own text,
    committed on main and checked out; with `sparse_main` (no-cone patterns) only what they
    select is checked out (a million files would take minutes and gigabytes of tmpfs)."""
    repo.mkdir(parents=True)
    subprocess.run(["git", "init", "-q", "-b", "main"], cwd=repo, check=True)
    stream = [b"blob\nmark :1\n", b"data %d\n" % len(BLOB), BLOB, b"\n"]
    stream.append(b"commit refs/heads/main\ncommitter B <b@example.com> 0 +0000\ndata 4\ninit\n")
    stream += [f"M 100644 :1 {path}\n".encode() for path in paths]
    for path, text in files.items():
        body = text.encode()
        stream.append(
            f"M 100644 inline {path}\n".encode() + b"data %d\n" % len(body) + body + b"\n"
        )
    subprocess.run(
        ["git", "fast-import", "--quiet"],
        cwd=repo,
        input=b"".join(stream),
        check=True,
        capture_output=True,
    )
    if sparse_main is not None:
        patterns = "".join(f"{pattern}\n" for pattern in sparse_main).encode()
        subprocess.run(
            ["git", "sparse-checkout", "set", "--no-cone", "--stdin"],
            cwd=repo, input=patterns, check=True, capture_output=True,
        )  # fmt: skip
    subprocess.run(
        ["git", "checkout", "-q", "-f", "main"], cwd=repo, check=True, capture_output=True
    )


def spec(task_id: int, declared: str) -> str:
    return f"---\nid: {task_id}\ntitle: bench {task_id}\nfiles:\n  - {declared}\n---\n"


UNGATED_CONFIG = "cpu_max = 100\nmemory_max = 100\n"  # the machine is shared: no resource gate


def scratch_directory() -> Path | None:
    """Where benchmarks build their repositories: tmpfs when the machine has one.

    On this project's machines the disk is slow and noisy (a 20,000-file checkout takes 5-12 s),
    which would measure the disk rather than the programs compared on it.
    """
    shared_memory = Path("/dev/shm")
    return shared_memory if shared_memory.is_dir() and os.access(shared_memory, os.W_OK) else None


def storage(path: Path) -> str:
    """The file-system type `path` is on (from /proc/mounts), for the printed figures."""
    best, kind = "", "unknown"
    try:
        mounts = Path("/proc/mounts").read_text().splitlines()
    except OSError:
        return kind
    resolved = str(path.resolve())
    for line in mounts:
        fields = line.split()
        if len(fields) > 2 and resolved.startswith(fields[1]) and len(fields[1]) > len(best):
            best, kind = fields[1], fields[2]
    return kind


def conditions(path: Path | None) -> dict[str, object]:
    """What a run saw: the 1-, 5- and 15-minute load averages, the CPUs, and the storage of `path`.

    Printed with every figure: on a shared machine a ratio means little without the load it ran
    under, and a figure measured on disk measures the disk.
    """
    where = path if path is not None else Path(os.environ.get("TMPDIR", "/tmp"))
    load = [round(value, 2) for value in os.getloadavg()]
    return {"load": load, "cpus": os.cpu_count(), "storage": storage(where), "dir": str(where)}
