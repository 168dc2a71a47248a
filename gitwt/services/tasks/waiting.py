"""`wait`: block until tasks have ended, then say how each ended and how long it took.

It waits on the condition, not on a clock: a running task ends when its task runner exits (the
runner writes the exit record and runs the next scheduling step first), so `wait` sleeps on the
runners' process descriptors (`pidfd`, Linux) and wakes the moment one exits. Queued tasks have
no process yet; they are looked at again every `poll_interval`, as the queue waiter does.
Reads only, except that it makes sure a queue waiter runs while tasks are queued.
"""

from __future__ import annotations

import contextlib
import os
import select
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, TypedDict

from gitwt.errors import GitParallelError
from gitwt.infra import state
from gitwt.services import json_reports

if TYPE_CHECKING:
    from gitwt.infra.task_record import TaskRecord
    from gitwt.services.context import Context

Progress = Callable[[str], None]  # receives one line of progress (the CLI prints it on stderr)
FALLBACK_POLL = 0.2  # seconds between looks where the system has no pidfd
PROCESS_WAIT = 60.0  # seconds between looks while every task has a process to wake us


def iso_time(stamp: float | None) -> str | None:
    """A time stamp as local ISO 8601 with its UTC offset: unambiguous for people and programs."""
    if stamp is None:
        return None
    return datetime.fromtimestamp(stamp).astimezone().isoformat(timespec="seconds")


def is_active(observed: str) -> bool:
    """Queued or running (supervised or not): the task has not ended yet."""
    from gitwt.services.tasks import supervisor  # lazily, as every use of it here

    return supervisor.is_active(observed)


def succeeded(record: TaskRecord, observed: str) -> bool:
    """Its command succeeded, or it merged (a merged task may since have been cleaned)."""
    return observed == state.SUCCEEDED or state.merged_by_gitwt(record)


class TaskOutcomeJson(TypedDict):
    """One task in `wait --json` and `batch --json` (`tasks`)."""

    id: str
    state: str
    ok: bool
    exit_code: int | None
    exit_signal: int | None
    runtime: float | None
    start_time: str | None
    end_time: str | None


class Monitoring(TypedDict):
    """The older system's `monitoring_result`."""

    completed: int
    failed: int
    total: int


class WaitJson(Monitoring):
    """`wait --json` (schema git-parallel/wait/1)."""

    schema: str
    ok: bool
    timed_out: bool
    pending: int
    duration_seconds: float
    start_time: str | None
    end_time: str | None
    tasks: list[TaskOutcomeJson]


@dataclass
class TaskOutcome:
    id: str
    state: str  # as observed: succeeded, failed, merged, stopped, lost... or still running
    exit_code: int | None = None
    exit_signal: int | None = None
    started_at: float | None = None
    ended_at: float | None = None
    ok: bool = False

    @property
    def runtime(self) -> float | None:
        if self.started_at is None:
            return None
        return round((self.ended_at or time.time()) - self.started_at, 3)

    def to_json(self) -> TaskOutcomeJson:
        return {
            "id": self.id,
            "state": self.state,
            "ok": self.ok,
            "exit_code": self.exit_code,
            "exit_signal": self.exit_signal,
            "runtime": self.runtime,
            "start_time": iso_time(self.started_at),
            "end_time": iso_time(self.ended_at),
        }


@dataclass
class WaitReport:
    tasks: list[TaskOutcome]
    started: float  # when the wait began and ended (time.time())
    ended: float
    timed_out: bool = False
    records: list[TaskRecord] = field(default_factory=list)  # as they were at the end

    @property
    def completed(self) -> int:
        return sum(1 for task in self.tasks if task.ok)

    @property
    def pending(self) -> int:
        return sum(1 for task in self.tasks if is_active(task.state))

    @property
    def failed(self) -> int:
        return len(self.tasks) - self.completed - self.pending

    @property
    def ok(self) -> bool:
        """Every task succeeded (or merged) in time: the command's exit code 0."""
        return not self.timed_out and self.completed == len(self.tasks)

    @property
    def duration(self) -> float:
        return round(self.ended - self.started, 3)

    def monitoring(self) -> Monitoring:
        """The older system's `monitoring_result`."""
        return {"completed": self.completed, "failed": self.failed, "total": len(self.tasks)}

    def to_json(self) -> WaitJson:
        return {
            "schema": json_reports.schema("wait"),
            "ok": self.ok,
            "timed_out": self.timed_out,
            **self.monitoring(),
            "pending": self.pending,
            "duration_seconds": self.duration,
            "start_time": iso_time(self.started),
            "end_time": iso_time(self.ended),
            "tasks": [task.to_json() for task in self.tasks],
        }


def _chosen(context: Context, ids: Sequence[str]) -> list[str]:
    """The ids to wait for: the named tasks, else every live task that runs a command."""
    from gitwt.services.tasks import supervisor

    records = state.all_tasks(context.repo.common_dir)
    chosen = supervisor.choose(
        records,
        ids,
        lambda record: state.is_live(record) and record.get("state") != state.OPEN,
    )
    for record in chosen:
        if record.get("state") == state.OPEN:
            raise GitParallelError(
                f"task {record['id']} is open: it runs no command, so it never ends by itself",
                f"merge it when its work is done: 'git parallel merge {record['id']}'",
            )
    return [record["id"] for record in chosen]


def _outcome(record: TaskRecord, common: str) -> TaskOutcome:
    from gitwt.services.tasks.supervisor import observe

    seen = observe(record, common).state
    exit_record = record.get("exit") or {}
    return TaskOutcome(
        id=record["id"],
        state=seen,
        exit_code=exit_record.get("code"),
        exit_signal=exit_record.get("signal"),
        started_at=record.get("started_at"),
        ended_at=record.get("ended_at"),
        ok=succeeded(record, seen),
    )


def _describe(task: TaskOutcome, record: TaskRecord) -> str:
    if task.state == state.QUEUED:
        from gitwt.services.tasks.scheduler import waiting_text

        why = waiting_text(record.get("waiting") or [])
        return f"queued ({why})" if why else "queued"
    if is_active(task.state):
        return task.state
    parts = [task.state]
    if task.exit_signal:
        parts.append(f"(signal {task.exit_signal})")
    elif task.exit_code is not None:
        parts.append(f"(exit {task.exit_code})")
    if task.runtime is not None:
        parts.append(f"after {task.runtime:.1f}s")
    return " ".join(parts)


def _sleep_until_an_exit(pids: list[int], seconds: float) -> None:
    """Block up to `seconds`, returning as soon as one of these processes exits."""
    poller = select.poll()
    opened: list[int] = []
    try:
        for pid in pids:
            try:
                descriptor = os.pidfd_open(pid)
            except ProcessLookupError:
                return  # it has ended already: look again now
            except (AttributeError, OSError):
                seconds = min(seconds, FALLBACK_POLL)  # no pidfd here: look again soon
                continue
            opened.append(descriptor)
            poller.register(descriptor, select.POLLIN)
        poller.poll(max(0.0, seconds) * 1000)
    finally:
        for descriptor in opened:
            os.close(descriptor)
    for pid in pids:
        # A runner this very process spawned (the API in-process) is our child: reap it.
        with contextlib.suppress(ChildProcessError, OSError):
            os.waitpid(pid, os.WNOHANG)


def _processes(record: TaskRecord) -> list[int]:
    """The processes whose exit may end this task: its runner, else its unsupervised command."""
    from gitwt.services.tasks.supervisor import verified

    for identity in (record.get("shim"), record.get("child")):
        process = verified(identity)
        if process is not None:
            return [process.pid]
    return []


def wait(
    context: Context,
    ids: Sequence[str] = (),
    *,
    timeout: float | None = None,
    progress: Progress | None = None,
) -> WaitReport:
    """Block until the tasks (named, else every live task with a command) have ended, or until
    `timeout` seconds have passed; report how each ended."""
    from gitwt.services.tasks import scheduler

    common = context.repo.common_dir
    began = time.time()
    deadline = None if timeout is None else time.monotonic() + timeout
    chosen = _chosen(context, ids)
    say = progress or (lambda _line: None)
    if chosen:
        say(f"waiting for {len(chosen)} task(s): {' '.join(chosen)}")
    shown: dict[str, str] = {}
    waiter_checked = False
    while True:
        records = [state.read_task(common, task_id) or {"id": task_id} for task_id in chosen]
        outcomes = [_outcome(record, common) for record in records]
        for task, record in zip(outcomes, records, strict=True):
            line = _describe(task, record)
            if shown.get(task.id) != line:
                shown[task.id] = line
                ended = sum(1 for other in outcomes if not is_active(other.state))
                say(f"{task.id}: {line} [{ended} of {len(outcomes)} ended]")
        active = [
            record for record, task in zip(records, outcomes, strict=True) if is_active(task.state)
        ]
        left = None if deadline is None else deadline - time.monotonic()
        if not active or (left is not None and left <= 0):
            timed_out = bool(active)
            if timed_out:
                say(f"timed out after {timeout:g}s: {len(active)} task(s) have not ended")
            return WaitReport(outcomes, began, time.time(), timed_out, records)
        if not waiter_checked and any(r.get("state") == state.QUEUED for r in active):
            scheduler.ensure_waiter(context)  # a killed waiter must not leave the queue stuck
            waiter_checked = True
        processes = [_processes(record) for record in active]
        # A running task ends when its process exits, which wakes us; only a queued task (or
        # one whose process cannot be watched) needs a look every poll_interval.
        pause = context.config.poll_interval if not all(processes) else PROCESS_WAIT
        if left is not None:
            pause = min(left, pause)
        _sleep_until_an_exit([pid for pids in processes for pid in pids], pause)
