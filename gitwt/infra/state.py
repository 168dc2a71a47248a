"""Task state under `$(git rev-parse --git-common-dir)/parallel/`: task files, lock, events, logs.

Every write takes the lock, writes a temporary file in the same folder, fsyncs and renames it over
the old one, so a crash leaves either the old or the new file, never half of one. Stdlib only: the
commit hooks record violations through this module.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import time
from collections.abc import Iterator
from typing import Any, cast

from gitwt.infra.json_payload import JsonObject

# The task states and the record reader live in `records` (the hooks read records without this
# module's imports); re-exported here for the writers.
from gitwt.infra.records import (
    CLEANED,
    CONFLICTED,
    ENDED_STATES,
    FAILED,
    LOST,
    MERGED,
    OPEN,
    QUEUED,
    REJECTED,
    RUNNING,
    STATE_DIR,
    STOPPED,
    SUCCEEDED,
    StateError,
    all_tasks,
    has_ended,
    is_live,
    live_tasks,
    merged_by_gitwt,
    read_task,
    state_dir,
    task_path,
)
from gitwt.infra.task_record import TaskRecord

SCHEMA_VERSION = 1


__all__ = [
    "CLEANED",
    "CONFLICTED",
    "ENDED_STATES",
    "FAILED",
    "LOST",
    "MERGED",
    "OPEN",
    "QUEUED",
    "REJECTED",
    "RUNNING",
    "SCHEMA_VERSION",
    "STATE_DIR",
    "STOPPED",
    "SUCCEEDED",
    "StateError",
    "all_tasks",
    "append_event",
    "earlier_runs",
    "has_ended",
    "is_live",
    "keep_earlier_run",
    "live_tasks",
    "locked",
    "log_path",
    "merged_by_gitwt",
    "read_events",
    "read_task",
    "state_dir",
    "task_path",
    "update_task",
    "write_json_atomic",
    "write_task",
]


def _ensure(common_dir: str) -> str:
    root = state_dir(common_dir)
    for sub in ("tasks", "logs"):
        os.makedirs(os.path.join(root, sub), exist_ok=True)
    return root


_held: dict[str, int] = {}  # lock depth per state folder in this process


@contextlib.contextmanager
def locked(common_dir: str) -> Iterator[None]:
    """Hold the state lock (an flock on `parallel/lock`, a file that is never renamed).

    Re-entrant within one process: a service that holds the lock for a whole merge can call
    helpers that take it again, where a second flock on a new descriptor would deadlock.
    """
    root = _ensure(common_dir)
    if _held.get(root):
        _held[root] += 1
        try:
            yield
        finally:
            _held[root] -= 1
        return
    handle = os.open(os.path.join(root, "lock"), os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(handle, fcntl.LOCK_EX)
        _held[root] = 1
        try:
            yield
        finally:
            _held[root] = 0
    finally:
        fcntl.flock(handle, fcntl.LOCK_UN)
        os.close(handle)


# A lone surrogate, as \uXXXX (json.loads reads it back as the same character).
_SURROGATE_ESCAPES = {code: f"\\u{code:04x}" for code in range(0xD800, 0xE000)}


def dumps(data: Any, *, indent: int | None = None, sort_keys: bool = False) -> str:
    """The JSON text of state files, events, saved rules and reports: one encoding for paths.

    Paths are str decoded from git's bytes with surrogateescape (gitwt.infra.git.split_z, and
    Python's own argv), so a byte that is not UTF-8 (`app/\\xff.py`) is a lone surrogate,
    which UTF-8 cannot encode: writing it crashed. Here it is written as its `\\udcff` escape,
    which is valid JSON and which json.loads turns back into the same str, so the path
    round-trips byte for byte; everything else stays readable UTF-8. People see such a path
    quoted the way git quotes it (gitwt.core.display.quote_path).
    """
    text = json.dumps(data, indent=indent, ensure_ascii=False, sort_keys=sort_keys)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        # Surrogates only ever occur inside JSON strings, where an escape means the same.
        text = text.translate(_SURROGATE_ESCAPES)
    return text


def _new_file(folder: str) -> tuple[int, str]:
    """A new file in `folder` that nobody else has open: what `tempfile.mkstemp` makes, without
    importing tempfile (and shutil, random), ~4 ms of every command's start-up. O_EXCL with
    O_NOFOLLOW: an existing name, a symlink planted there included, is never opened."""
    flags = os.O_RDWR | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
    for _ in range(100):
        name = os.path.join(folder, f".tmp-{os.getpid()}-{os.urandom(6).hex()}")
        try:
            return os.open(name, flags, 0o600), name
        except FileExistsError:
            continue
    raise FileExistsError(f"no free temporary name in {folder}")


def write_json_atomic(path: str, data: Any) -> None:
    folder = os.path.dirname(path)
    descriptor, temporary = _new_file(folder)
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            handle.write(dumps(data, indent=2, sort_keys=True))
            handle.write("\n")
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise
    directory = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)


def log_path(common_dir: str, task_id: str, run: int | None = None) -> str:
    """The task's log (its current run), or an earlier run's, `<id>.log.<run>` (run 1 is the
    first). Not `<id>.<run>.log`: ids hold dots, and `tm.7.1.log` is task tm.7.1's own log."""
    name = f"{task_id}.log" + (f".{run}" if run is not None else "")
    return os.path.join(state_dir(common_dir), "logs", name)


def earlier_runs(common_dir: str, task_id: str) -> list[int]:
    """The numbers of the task's earlier runs whose logs are kept, in order."""
    prefix = f"{task_id}.log."
    try:
        names = os.listdir(os.path.join(state_dir(common_dir), "logs"))
    except FileNotFoundError:
        return []
    found = [name[len(prefix) :] for name in names if name.startswith(prefix)]
    return sorted(int(run) for run in found if run.isascii() and run.isdigit())


def keep_earlier_run(common_dir: str, task_id: str) -> int:
    """Before a task runs again: its log so far becomes the next earlier run's; the number of
    the run about to start."""
    runs = earlier_runs(common_dir, task_id)
    number = (runs[-1] if runs else 0) + 1
    current = log_path(common_dir, task_id)
    if os.path.exists(current) and os.path.getsize(current):
        os.replace(current, log_path(common_dir, task_id, number))
        number += 1
    return number


def write_task(common_dir: str, data: TaskRecord) -> None:
    """Write a whole task record. Call with the lock held."""
    _ensure(common_dir)
    stored = {**data, "schema": SCHEMA_VERSION, "updated_at": time.time()}
    write_json_atomic(task_path(common_dir, data["id"]), stored)


def update_task(common_dir: str, task_id: str, **changes: Any) -> TaskRecord:
    """Read-modify-write one task record under the lock; returns the new record."""
    with locked(common_dir):
        current = read_task(common_dir, task_id)
        if current is None:
            raise StateError(f"no state for task {task_id}", "start it with 'git parallel start'")
        current.update(cast(TaskRecord, changes))
        write_task(common_dir, current)
        return current


def append_event(common_dir: str, kind: str, **fields: Any) -> None:
    """Append one line to events.jsonl (a single O_APPEND write: lines never interleave)."""
    root = _ensure(common_dir)
    line = dumps({"time": time.time(), "event": kind, **fields}) + "\n"
    handle = os.open(
        os.path.join(root, "events.jsonl"), os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644
    )
    try:
        os.write(handle, line.encode())
    finally:
        os.close(handle)


def read_events(common_dir: str) -> list[JsonObject]:
    path = os.path.join(state_dir(common_dir), "events.jsonl")
    try:
        with open(path, encoding="utf-8") as handle:
            return [json.loads(line) for line in handle if line.strip()]
    except FileNotFoundError:
        return []
