"""The queue (DESIGN §8): which queued task starts now, why the others wait, and the waiter.

A queued task waits for one of five reasons, shown by `start` and `status`: a partner it
`depends on` or `conflicts with` (until that partner is merged or cleaned), no free `slot`
(max_instances), `cpu` or `memory` at or above `cpu_max`/`memory_max`. The resource gate never
starves the queue: when none of our tasks is running, the first task free of partners starts
whatever the load, and its log says so. A queued task's worktree is made when it starts, from
base as it is then.

While tasks are queued, one detached queue waiter (`gitwt.cli.task_process --wait`) runs a
scheduling step every `poll_interval`, so a task queued for CPU/memory starts even when no task
runner is left to notice.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from gitwt.infra import failpoints, state
from gitwt.infra.processes import TASK_PROCESS_MODULE, spawn_detached
from gitwt.infra.task_record import shim_pid

if TYPE_CHECKING:
    from gitwt.infra.task_record import TaskRecord, WaitReason
    from gitwt.services.context import Context
    from gitwt.services.tasks.worktrees import Layout

# Why a queued task waits: the `reason` of each entry of its `waiting` list.
DEPENDS, CONFLICT, SLOT, CPU, MEMORY = "depends", "conflict", "slot", "cpu", "memory"


@dataclass(frozen=True)
class Wait:
    """One reason a queued task does not start yet."""

    reason: str  # DEPENDS, CONFLICT, SLOT, CPU or MEMORY
    text: str  # what `status` shows: 'cpu 93% > 80%', 'depends on 64'
    task: str | None = None  # the partner, for DEPENDS and CONFLICT

    def to_json(self) -> WaitReason:
        return {"reason": self.reason, "text": self.text, "task": self.task}


def waiting_text(waits: Iterable[WaitReason]) -> str:
    """The stored reasons of a queued task as one line, e.g. 'depends on 64; conflicts with 66'."""
    return "; ".join(str(wait.get("text")) for wait in waits)


@dataclass
class ScheduleResult:
    started: list[str] = field(default_factory=list)
    opened: list[str] = field(default_factory=list)
    lost: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)
    waiting: dict[str, str] = field(default_factory=dict)  # queued id -> why it still waits
    despite_load: dict[str, str] = field(default_factory=dict)  # started although busy: why


def queue_order(records: Iterable[TaskRecord]) -> list[TaskRecord]:
    from gitwt.core.separation import natural_key

    return sorted(
        records, key=lambda record: (record.get("queued_at") or 0, natural_key(record["id"]))
    )


def blockers(record: TaskRecord, records: dict[str, TaskRecord]) -> list[str]:
    """Partners this queued task waits for: they must be merged (or cleaned) first."""
    return [
        partner for partner in record.get("waits_for") or [] if state.is_live(records.get(partner))
    ]


def partner_waits(record: TaskRecord, partners: list[str]) -> list[Wait]:
    """`depends on X` for a declared dependency, else `conflicts with X` (start queued it)."""
    from gitwt.core.specs import same_id

    depends = record.get("depends_on") or []
    return [
        Wait(DEPENDS, f"depends on {partner}", partner)
        if any(same_id(partner, wanted) for wanted in depends)
        else Wait(CONFLICT, f"conflicts with {partner}", partner)
        for partner in partners
    ]


def _busy(value: float, limit: float) -> bool:
    return value > limit or limit <= 0


def _over(name: str, value: float, limit: float) -> str:
    return f"{name} {value:.0f}% {'>' if value > limit else '>='} {limit:g}%"


class ResourceGate:
    """CPU and memory against `cpu_max`/`memory_max`, measured once per scheduling step and only
    if a task could otherwise start. Use above the limit is busy; so is any use at a limit of 0
    (the knob that holds every task but the one the no-starvation rule starts), while a limit
    of 100 never holds a task back."""

    def __init__(self, cpu_max: float, memory_max: float) -> None:
        self.cpu_max = cpu_max
        self.memory_max = memory_max
        self._found: list[Wait] | None = None

    def busy(self) -> list[Wait]:
        if self._found is None:
            import psutil

            found = []
            memory = psutil.virtual_memory().percent
            if _busy(memory, self.memory_max):
                found.append(Wait(MEMORY, _over("memory", memory, self.memory_max)))
            cpu = psutil.cpu_percent(interval=0.2)
            if _busy(cpu, self.cpu_max):
                found.append(Wait(CPU, _over("cpu", cpu, self.cpu_max)))
            self._found = found
        return self._found


def _mark_lost(common: str, records: dict[str, TaskRecord], result: ScheduleResult) -> None:
    """`running` tasks whose shim and command are both gone are `lost`: their slots are free."""
    from gitwt.services.tasks.supervisor import observe

    for task_id, record in records.items():
        if record.get("state") == state.RUNNING and observe(record).state == state.LOST:
            now = time.time()
            record.update(
                {
                    "state": state.LOST,
                    "ended_at": now,
                    "exit": {"code": None, "signal": None, "ended_at": now, "reason": "shim died"},
                }
            )
            state.write_task(common, record)
            state.append_event(common, "lost", task=task_id)
            result.lost.append(task_id)


def _waits(
    record: TaskRecord,
    records: dict[str, TaskRecord],
    running: int,
    limit: int,
    gate: ResourceGate,
) -> tuple[list[Wait], str | None]:
    """Why this queued task cannot start now (empty: it starts), and, when it starts only because
    none of our tasks runs, the load it starts despite."""
    partners = blockers(record, records)
    if partners:
        return partner_waits(record, partners), None
    if not record.get("command"):
        return [], None  # an open task runs nothing: no slot, no load
    if running >= limit:
        return [Wait(SLOT, f"no free slot ({running} of {limit} running)")], None
    busy = gate.busy()
    if busy and running > 0:
        return busy, None
    return [], "; ".join(wait.text for wait in busy) or None


def schedule(context: Context, layout: Layout | None = None) -> ScheduleResult:
    """One scheduling step: start every queued task that fits now. Safe to call any time.

    Under the state lock it marks dead `running` tasks `lost`, then walks the queue in order:
    a task whose partners are gone and that fits (slot, resources) gets its worktree
    (`layout`: the worktrees and branches as `start` read them, else read once here); every
    other one gets its reasons stored, so `status` can say why it waits. Then the prepared tasks
    open (no command) or have their task runners spawned, one right after the other, so tasks
    that may run together start together. Called by `start`, by every task runner when its
    command ends, by the queue waiter, and by anything that frees a partner (merge, clean).
    """
    from gitwt.services.tasks import supervisor

    common = context.repo.common_dir
    result = ScheduleResult()
    with state.locked(common):
        records = state.all_tasks(common)
        _mark_lost(common, records, result)
        running = sum(1 for record in records.values() if supervisor.occupies_slot(record))
        gate = ResourceGate(context.config.cpu_max, context.config.memory_max)
        fits: list[tuple[TaskRecord, str | None]] = []  # start now, once prepared
        ready: list[tuple[TaskRecord, str | None]] = []
        for record in queue_order(r for r in records.values() if r.get("state") == state.QUEUED):
            limit = int(record.get("max_instances") or context.config.max_instances)
            waits, despite = _waits(record, records, running, limit, gate)
            if waits:
                stored = [wait.to_json() for wait in waits]
                result.waiting[record["id"]] = waiting_text(stored)
                if record.get("waiting") != stored:
                    state.write_task(common, {**record, "waiting": stored})
                continue
            fits.append((record, despite))
            running += 1 if record.get("command") else 0
        made = _prepare(context, [record for record, _ in fits], result, layout)
        for (_, despite), prepared in zip(fits, made, strict=True):
            if prepared is not None:
                ready.append((prepared, despite))
        for record, despite in ready:
            records[record["id"]] = _launch(context, record, despite, result)
    if result.waiting:
        ensure_waiter(context)
    return result


def _prepare(
    context: Context, records: list[TaskRecord], result: ScheduleResult, layout: Layout | None
) -> list[TaskRecord | None]:
    """Create the worktrees of the queued tasks that start now (unless a crashed start already
    did), in one batch; each record with its `base_oid`, or None when its worktree could not be
    made (the task is then failed; a slot it was counted in frees at the next step)."""
    from gitwt.errors import GitParallelError
    from gitwt.services.tasks import worktrees

    common = context.repo.common_dir
    todo = [record for record in records if not record.get("base_oid")]
    made: dict[str, TaskRecord | GitParallelError] = {}
    if todo:
        outcomes = worktrees.prepare_tasks(context, todo, layout or worktrees.read_layout(context))
        made = {record["id"]: outcome for record, outcome in zip(todo, outcomes, strict=True)}
    prepared: list[TaskRecord | None] = []
    for record in records:
        outcome = made.get(record["id"], record)
        if isinstance(outcome, GitParallelError):
            now = time.time()
            record.update(
                {"state": state.FAILED, "ended_at": now, "error": outcome.message, "waiting": []}
            )
            state.write_task(common, record)
            state.append_event(common, "failed", task=record["id"], error=outcome.message)
            result.failed[record["id"]] = outcome.message
            prepared.append(None)
            continue
        if record["id"] in made:
            state.write_task(common, outcome)
            failpoints.hit("start:prepared")
        prepared.append(outcome)
    return prepared


def _launch(
    context: Context, record: TaskRecord, despite: str | None, result: ScheduleResult
) -> TaskRecord:
    """Open a prepared task (no command) or spawn its runner; the new record, written."""
    from gitwt.services.tasks import supervisor

    common = context.repo.common_dir
    task_id = record["id"]
    record = {**record, "waiting": []}
    if record.get("command"):
        note = None
        if despite:
            result.despite_load[task_id] = despite
            note = f"starting although {despite}: none of our tasks was running"
        record = supervisor.spawn_shim(common, record, note=note)
        failpoints.hit("start:shim-spawned")
        result.started.append(task_id)
        extra = {"despite": despite} if despite else {}
        state.append_event(common, "started", task=task_id, pid=shim_pid(record), **extra)
    else:
        record = {**record, "state": state.OPEN, "started_at": time.time()}
        result.opened.append(task_id)
        state.append_event(common, "opened", task=task_id)
    state.write_task(common, record)
    failpoints.hit("start:running")
    return record


# --- the queue waiter ------------------------------------------------------------------------


def _waiter_lock_path(common_dir: str) -> str:
    return os.path.join(state.state_dir(common_dir), "waiter.lock")


def hold_waiter_lock(common_dir: str) -> int | None:
    """Take the one-waiter lock without blocking; the descriptor, or None if a waiter runs."""
    handle = os.open(_waiter_lock_path(common_dir), os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(handle)
        return None
    return handle


def ensure_waiter(context: Context) -> None:
    """Make sure one detached waiter polls the queue (it exits once the queue is empty)."""

    common = context.repo.common_dir
    handle = hold_waiter_lock(common)
    if handle is None:
        return  # one is running
    os.close(handle)  # a racing spawn is harmless: the second waiter finds the lock taken
    log = os.path.join(state.state_dir(common), "waiter.log")
    with open(log, "ab") as output:
        spawn_detached(
            TASK_PROCESS_MODULE,
            ["--wait", context.repo.toplevel],
            context.repo.toplevel,
            output,
        )


def wait_loop(toplevel: str) -> int:
    """The waiter: every poll_interval, one scheduling step, until nothing is queued.

    The config is read again each time, so raising `cpu_max` or `max_instances` takes effect.
    """
    from gitwt.services.context import Context

    context = Context.discover(toplevel)
    handle = hold_waiter_lock(context.repo.common_dir)
    if handle is None:
        return 0
    while True:
        time.sleep(context.config.poll_interval)
        with contextlib.suppress(ChildProcessError):
            while os.waitpid(-1, os.WNOHANG)[0]:
                pass  # reap task runners this waiter spawned and that have ended
        context = Context.discover(toplevel)
        # The waiter lock is ours, so the ensure_waiter inside schedule starts no second one.
        if not schedule(context).waiting:
            return 0
