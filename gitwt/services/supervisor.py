"""Supervision without a daemon (DESIGN §8): spawn task runners, observe, stop, gate, schedule.

`start` writes each task's record and spawns one task runner per running task
(`gitwt.services.task_runner`), then returns. The runner runs the command, writes the exit
record and runs one `schedule` step. While tasks are queued, a single detached queue waiter
(`gitwt.services.task_runner --wait`) retries `schedule` every `poll_interval`, so a task queued
for CPU/memory or for a partner's merge starts even when no runner is left to notice. Nothing
here trusts a bare pid: a process is the one we started only if it is alive and has the
create_time we stored.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from gitwt.infra import failpoints, state

if TYPE_CHECKING:
    import psutil

    from gitwt.services.context import Context

UNSUPERVISED = "unsupervised"  # shown, never stored: the shim died but the command still runs
CREATE_TIME_TOLERANCE = 0.05  # seconds; psutil derives create_time from boot time + ticks
EXIT_GRACE = 5.0  # how long `stop` waits for a shim to write the exit record itself


# --- processes -------------------------------------------------------------------------------


def identity(pid: int) -> dict[str, Any]:
    """What we store for a process: its pid and create_time, so a reused pid is not mistaken."""
    import psutil

    return {"pid": pid, "create_time": psutil.Process(pid).create_time()}


def verified(info: dict[str, Any] | None) -> psutil.Process | None:
    """The live process `info` describes, or None when it is dead, a zombie or a reused pid."""
    if not info or not info.get("pid"):
        return None
    import psutil

    try:
        process = psutil.Process(int(info["pid"]))
        if abs(process.create_time() - float(info.get("create_time") or 0)) > CREATE_TIME_TOLERANCE:
            return None
        if process.status() == psutil.STATUS_ZOMBIE:
            return None
        return process
    except (psutil.NoSuchProcess, psutil.AccessDenied, ValueError):
        return None


def process_tree(root: psutil.Process | None) -> list[psutil.Process]:
    """`root` and every descendant it has right now (a snapshot)."""
    import psutil

    if root is None:
        return []
    try:
        return [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess:
        return []


@dataclass
class Observation:
    """A task as it really is: the stored state checked against the process table."""

    state: str
    pid: int | None = None
    cpu_percent: float | None = None
    rss: int | None = None
    runtime: float | None = None
    processes: int = 0


def observe(record: dict[str, Any], common_dir: str | None = None) -> Observation:
    """The effective state of a task. A stored `running` is believed only while its shim is alive;
    with the shim gone it is `unsupervised` (the command still runs) or `lost` (nothing runs and
    no exit was recorded)."""
    import psutil

    stored = record.get("state") or state.LOST
    now = time.time()
    started = record.get("started_at")
    ended = record.get("ended_at")
    runtime = ((ended or now) - started) if started else None
    if stored != state.RUNNING:
        return Observation(stored, runtime=runtime)
    shim = verified(record.get("shim"))
    child = verified(record.get("child"))
    if shim is None and common_dir is not None:
        # The shim may have written its exit record and left just after we read the file.
        fresh = state.read_task(common_dir, record["id"])
        if fresh and fresh.get("state") != state.RUNNING:
            return observe(fresh)
    effective = stored if shim is not None else (UNSUPERVISED if child else state.LOST)
    if effective == state.LOST:
        return Observation(state.LOST, runtime=runtime)
    tree = process_tree(child)
    cpu_seconds = 0.0
    rss = 0
    for process in tree:
        with contextlib.suppress(psutil.Error):
            times = process.cpu_times()
            cpu_seconds += times.user + times.system + times.children_user + times.children_system
            rss += process.memory_info().rss
    elapsed = (now - child.create_time()) if child else None
    cpu = (100.0 * cpu_seconds / elapsed) if elapsed and elapsed > 0 else 0.0
    return Observation(
        effective,
        pid=child.pid if child else (shim.pid if shim else None),
        cpu_percent=round(cpu, 1),
        rss=rss,
        runtime=runtime,
        processes=len(tree),
    )


def occupies_slot(record: dict[str, Any]) -> bool:
    """A task holds one of the max_instances slots while its command may still run."""
    return observe(record).state in (state.RUNNING, UNSUPERVISED)


# --- spawning --------------------------------------------------------------------------------


def child_environment(extra: dict[str, str]) -> dict[str, str]:
    env = dict(os.environ)
    # A command started from inside a hook must not inherit the hook's repository variables.
    for name in ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_PREFIX"):
        env.pop(name, None)
    for name in failpoints.VARIABLES:
        env.pop(name, None)  # a crash point is for the process a test started
    env.update(extra)
    return env


def spawn_shim(common_dir: str, record: dict[str, Any]) -> dict[str, Any]:
    """Start the shim for a prepared task, detached in its own session, output to the task log.

    Call with the state lock held and write the returned record at once: the shim refuses to
    run unless the record names it, so a spawner that crashes in between starts nothing twice.
    """
    log = state.log_path(common_dir, record["id"])
    os.makedirs(os.path.dirname(log), exist_ok=True)
    with open(log, "ab") as handle:
        stamp = time.strftime("%Y-%m-%d %H:%M:%S")
        handle.write(f"--- git parallel: task {record['id']} starting at {stamp}\n".encode())
        handle.flush()
        shim = subprocess.Popen(
            [sys.executable, "-m", "gitwt.services.task_runner", common_dir, record["id"]],
            cwd=record["worktree"],
            stdin=subprocess.DEVNULL,
            stdout=handle,
            stderr=handle,
            start_new_session=True,
            close_fds=True,
            env=child_environment({}),
        )
    return {
        **record,
        "state": state.RUNNING,
        "shim": identity(shim.pid),
        "child": None,
        "exit": None,
        "started_at": time.time(),
        "ended_at": None,
        "stop_requested": None,
    }


# --- resources -------------------------------------------------------------------------------


def resources_busy(cpu_max: float, memory_max: float) -> str | None:
    """Why no task may start now (CPU or memory above its limit), or None."""
    import psutil

    memory = psutil.virtual_memory().percent
    if memory > memory_max:
        return f"memory at {memory:.0f}% (memory_max {memory_max:g}%)"
    cpu = psutil.cpu_percent(interval=0.2)
    if cpu > cpu_max:
        return f"CPU at {cpu:.0f}% (cpu_max {cpu_max:g}%)"
    return None


# --- scheduling ------------------------------------------------------------------------------


@dataclass
class ScheduleResult:
    started: list[str] = field(default_factory=list)
    opened: list[str] = field(default_factory=list)
    lost: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)
    waiting: dict[str, str] = field(default_factory=dict)  # queued id -> why it still waits


def queue_order(records: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    from gitwt.core.separation import natural_key

    return sorted(
        records, key=lambda record: (record.get("queued_at") or 0, natural_key(record["id"]))
    )


def blockers(record: dict[str, Any], records: dict[str, dict[str, Any]]) -> list[str]:
    """Partners this queued task waits for: they must be merged (or cleaned) first."""
    return [
        partner
        for partner in record.get("waits_for") or []
        if (records.get(partner) or {}).get("state") in state.LIVE_STATES
    ]


def schedule(context: Context) -> ScheduleResult:
    """One scheduling step: start every queued task that fits now. Safe to call any time.

    Under the state lock it (1) marks `running` tasks whose shim and command are both gone as
    `lost`, freeing their slots; (2) walks the queue in order and, for each task whose partners
    (`waits_for`: conflicting or depended-on tasks) are no longer live, creates its worktree if
    needed and either opens it (no command) or spawns its shim, while fewer than max_instances
    tasks run and CPU/memory are under `cpu_max`/`memory_max`. Called by `start`, by every shim
    when its command ends, by the queue waiter, and by anything that frees a partner (merge).
    """
    from gitwt.errors import GitParallelError
    from gitwt.services import worktrees

    common = context.repo.common_dir
    result = ScheduleResult()
    with state.locked(common):
        records = state.all_tasks(common)
        for task_id, record in records.items():
            if record.get("state") == state.RUNNING and observe(record).state == state.LOST:
                now = time.time()
                record.update(
                    state=state.LOST,
                    ended_at=now,
                    exit={"code": None, "signal": None, "ended_at": now, "reason": "shim died"},
                )
                state.write_task(common, record)
                state.append_event(common, "lost", task=task_id)
                result.lost.append(task_id)
        running = sum(1 for record in records.values() if occupies_slot(record))
        busy_reason: str | None = None
        checked_resources = False
        for record in queue_order(r for r in records.values() if r.get("state") == state.QUEUED):
            task_id = record["id"]
            waiting_on = blockers(record, records)
            if waiting_on:
                result.waiting[task_id] = f"waits for {', '.join(waiting_on)} to be merged"
                continue
            if record.get("command"):
                limit = int(record.get("max_instances") or context.config.max_instances)
                if running >= limit:
                    result.waiting[task_id] = f"no free slot ({running} of {limit} running)"
                    continue
                if not checked_resources:
                    busy_reason = resources_busy(context.config.cpu_max, context.config.memory_max)
                    checked_resources = True
                if busy_reason:
                    result.waiting[task_id] = busy_reason
                    continue
            try:
                if not record.get("base_oid"):
                    record = worktrees.prepare_task(context, record)
            except GitParallelError as error:
                now = time.time()
                record.update(state=state.FAILED, ended_at=now, error=error.message)
                state.write_task(common, record)
                state.append_event(common, "failed", task=task_id, error=error.message)
                result.failed[task_id] = error.message
                continue
            if record.get("command"):
                record = spawn_shim(common, record)
                failpoints.hit("start:shim-spawned")
                running += 1
                result.started.append(task_id)
                state.append_event(common, "started", task=task_id, pid=record["shim"]["pid"])
            else:
                record = {**record, "state": state.OPEN, "started_at": time.time()}
                result.opened.append(task_id)
                state.append_event(common, "opened", task=task_id)
            records[task_id] = record
            state.write_task(common, record)
            failpoints.hit("start:running")
    if result.waiting:
        ensure_waiter(context)
    return result


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
        subprocess.Popen(
            [sys.executable, "-m", "gitwt.services.task_runner", "--wait", context.repo.toplevel],
            cwd=context.repo.toplevel,
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=output,
            start_new_session=True,
            close_fds=True,
            env=child_environment({}),
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
                pass  # reap shims this waiter spawned and that have ended
        context = Context.discover(toplevel)
        # The waiter lock is ours, so the ensure_waiter inside schedule starts no second one.
        if not schedule(context).waiting:
            return 0


# --- stopping --------------------------------------------------------------------------------


@dataclass
class StopResult:
    task_id: str
    before: str
    after: str
    killed: int = 0  # processes that needed SIGKILL
    message: str = ""


def _signal_all(processes: Iterable[psutil.Process], groups: Iterable[int], signum: int) -> None:
    import psutil

    for group in groups:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(group, signum)
    for process in processes:
        with contextlib.suppress(psutil.Error):
            process.send_signal(signum)


def _targets(record: dict[str, Any]) -> tuple[list[psutil.Process], set[int]]:
    """A snapshot of the task's processes (the command's tree and every orphan the subreaper
    shim adopted) and the command's process group. The shim itself is spared: it records the
    exit and schedules the next task."""

    shim = verified(record.get("shim"))
    child = verified(record.get("child"))
    found: dict[int, psutil.Process] = {}
    for process in [*process_tree(child), *process_tree(shim)[1:]]:
        found[process.pid] = process
    groups: set[int] = set()
    if child is not None:
        with contextlib.suppress(ProcessLookupError):
            groups.add(os.getpgid(child.pid))
    return list(found.values()), groups


def stop(context: Context, ids: list[str], timeout: float = 10.0) -> list[StopResult]:
    """SIGTERM each task's process group and a snapshot of all its descendants, SIGKILL what is
    left after `timeout`, then record the task as `stopped`. With no ids: every running task."""
    import psutil

    from gitwt.errors import GitParallelError

    common = context.repo.common_dir
    results: dict[str, StopResult] = {}
    to_stop: list[dict[str, Any]] = []
    with state.locked(common):
        records = state.all_tasks(common)
        for task_id in ids:
            if not select(records, [task_id]):
                raise GitParallelError(
                    f"task {task_id} has not been started", "see 'git parallel status'"
                )
        chosen = (
            select(records, ids)
            if ids
            else [
                record
                for record in records.values()
                if record.get("state") in (state.RUNNING, state.QUEUED)
            ]
        )
        for record in chosen:
            task_id = record["id"]
            before = observe(record).state
            if before in (state.RUNNING, UNSUPERVISED):
                record["stop_requested"] = time.time()
                state.write_task(common, record)
                to_stop.append(record)
                results[task_id] = StopResult(task_id, before, state.STOPPED)
            elif before == state.QUEUED:
                now = time.time()
                record.update(
                    state=state.STOPPED,
                    ended_at=now,
                    exit={"code": None, "signal": None, "ended_at": now},
                )
                state.write_task(common, record)
                results[task_id] = StopResult(
                    task_id, before, state.STOPPED, message="removed from the queue"
                )
            else:
                results[task_id] = StopResult(
                    task_id, before, before, message=f"nothing to stop ({before})"
                )

    snapshot: dict[str, tuple[list[psutil.Process], set[int]]] = {
        record["id"]: _targets(record) for record in to_stop
    }
    for processes, groups in snapshot.values():
        _signal_all(processes, groups, signal.SIGTERM)
    everything = [process for processes, _ in snapshot.values() for process in processes]
    _, alive = psutil.wait_procs(everything, timeout=timeout)
    for record in to_stop:
        # Anything still alive, or started since the snapshot, gets SIGKILL.
        processes, groups = _targets(record)
        left = [process for process in processes if process in alive or process not in everything]
        left += [process for process in snapshot[record["id"]][0] if process in alive]
        if left or any(_group_alive(group) for group in groups):
            _signal_all(left, groups, signal.SIGKILL)
            results[record["id"]].killed = len({process.pid for process in left})
    psutil.wait_procs(alive, timeout=2.0)

    deadline = time.time() + EXIT_GRACE
    for record in to_stop:
        task_id = record["id"]
        while time.time() < deadline:
            fresh = state.read_task(common, task_id) or record
            if fresh.get("state") != state.RUNNING or verified(fresh.get("shim")) is None:
                break
            time.sleep(0.05)
        with state.locked(common):
            fresh = state.read_task(common, task_id) or record
            if fresh.get("state") == state.RUNNING:
                # The shim is gone (or hung): record the stop ourselves.
                now = time.time()
                fresh.update(
                    state=state.STOPPED,
                    ended_at=now,
                    exit={"code": None, "signal": int(signal.SIGTERM), "ended_at": now},
                )
                state.write_task(common, fresh)
        state.append_event(common, "stopped", task=task_id)
    return [results[key] for key in results]


def _group_alive(group: int) -> bool:
    try:
        os.killpg(group, 0)
    except (ProcessLookupError, PermissionError):
        return False
    return True


def select(records: dict[str, dict[str, Any]], ids: Iterable[str]) -> list[dict[str, Any]]:
    """The records of these ids ('65' and '065' are one task); unknown ids are left out."""
    from gitwt.core.specs import same_id

    chosen = []
    for task_id in ids:
        match = next((record for key, record in records.items() if same_id(key, task_id)), None)
        if match is not None and match not in chosen:
            chosen.append(match)
    return chosen


def choose(
    records: dict[str, dict[str, Any]],
    ids: Iterable[str],
    default: Callable[[dict[str, Any]], bool],
) -> list[dict[str, Any]]:
    """The named tasks (each must have been started), else every task `default` keeps, in
    natural id order. One rule for status, merge and clean."""
    from gitwt.core.separation import natural_key
    from gitwt.errors import GitParallelError

    ids = list(ids)
    if not ids:
        return [records[key] for key in sorted(records, key=natural_key) if default(records[key])]
    chosen: list[dict[str, Any]] = []
    for task_id in ids:
        found = select(records, [task_id])
        if not found:
            raise GitParallelError(
                f"task {task_id} has not been started", "see 'git parallel status'"
            )
        chosen += [record for record in found if record not in chosen]
    return chosen
