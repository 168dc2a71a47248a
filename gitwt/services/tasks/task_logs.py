"""The `logs` service: copy a task's log to stdout, and follow it until the task has ended."""

from __future__ import annotations

import os
import time
from typing import BinaryIO

from gitwt.errors import GitParallelError
from gitwt.infra import state
from gitwt.infra.task_record import TaskRecord
from gitwt.services.context import Context


def print_log(context: Context, task_id: str, follow: bool = False, run: int | None = None) -> None:
    """Copy the task's log (its current run, or earlier run `run`) to stdout; with `follow`,
    keep going until the task has ended."""
    import sys

    from gitwt.services.tasks import supervisor

    common = context.repo.common_dir
    found = supervisor.select(state.all_tasks(common), [task_id])
    if not found:
        raise GitParallelError(f"task {task_id} has not been started", "see 'git parallel status'")
    record = found[0]
    path = state.log_path(common, record["id"])
    if run is not None:
        path = _run_log(common, record["id"], run)
        follow = follow and path == state.log_path(common, record["id"])
    if not os.path.exists(path):
        if not record.get("command"):
            raise GitParallelError(
                f"task {record['id']} has no command, so no log",
                f"work in {record.get('worktree')}",
            )
        if not follow:
            return
    _copy(path, record, common, follow, sys.stdout.buffer)


def _run_log(common: str, task_id: str, run: int) -> str:
    """The log of run `run` (1 is the first; the last is the current log)."""
    earlier = state.earlier_runs(common, task_id)
    if run in earlier:
        return state.log_path(common, task_id, run)
    current = (earlier[-1] if earlier else 0) + 1
    if run == current:
        return state.log_path(common, task_id)
    raise GitParallelError(
        f"task {task_id} has no run {run}",
        f"its runs are 1 to {current}" if current > 1 else "it has run once: leave out --run",
    )


def _copy(path: str, record: TaskRecord, common: str, follow: bool, output: BinaryIO) -> None:
    from gitwt.services.tasks import supervisor

    position = 0
    while True:
        if os.path.exists(path):
            with open(path, "rb") as handle:
                handle.seek(position)
                chunk = handle.read()
            if chunk:
                output.write(chunk)
                output.flush()
                position += len(chunk)
                continue
        if not follow:
            return
        current = state.read_task(common, record["id"]) or record
        if not supervisor.is_active(supervisor.observe(current).state):
            # One last read: the shim writes its final line just before recording the exit.
            follow = False
            continue
        time.sleep(0.2)
