"""Supervision without a daemon (DESIGN §8): spawn task runners, observe, stop, gate, schedule.

`start` writes each task's record and the scheduler (`gitwt.services.tasks.scheduler`) spawns one
task runner per task that may run (the process `gitwt.cli.task_process`, which calls
`gitwt.services.tasks.task_runner`), then returns. The runner runs the command, writes the exit
record and runs one scheduling step. Nothing here trusts a bare
pid: a process is the one we started only if it is alive and has the create_time we stored.
"""

from __future__ import annotations

import contextlib
import os
import signal
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from gitwt.infra import state
from gitwt.infra.processes import TASK_PROCESS_MODULE, spawn_detached

if TYPE_CHECKING:
    import psutil

    from gitwt.infra.task_record import ProcessIdentity, TaskRecord
    from gitwt.services.context import Context

UNSUPERVISED = "unsupervised"  # shown, never stored: the shim died but the command still runs
CREATE_TIME_TOLERANCE = 0.05  # seconds; psutil derives create_time from boot time + ticks
EXIT_GRACE = 5.0  # how long `stop` waits for a shim to write the exit record itself


# --- processes -------------------------------------------------------------------------------


def identity(pid: int) -> ProcessIdentity:
    """What we store for a process: its pid and create_time, so a reused pid is not mistaken."""
    import psutil

    return {"pid": pid, "create_time": psutil.Process(pid).create_time()}


def verified(info: ProcessIdentity | None) -> psutil.Process | None:
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


def observe(record: TaskRecord, common_dir: str | None = None) -> Observation:
    """The effective state of a task. A stored `running` is believed only while its shim is alive;
    with the shim gone it is `unsupervised` (the command still runs) or `lost` (nothing runs and
    no exit was recorded)."""
    stored = record.get("state") or state.LOST
    now = time.time()
    started = record.get("started_at")
    ended = record.get("ended_at")
    runtime = ((ended or now) - started) if started else None
    if stored != state.RUNNING:
        return Observation(stored, runtime=runtime)
    import psutil  # only here: a start of new tasks never needs it (0.015 s to import)

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


def is_active(task_state: str | None) -> bool:
    """The one definition of "its command may still run": queued, running, or unsupervised (the
    shim died, the command did not). A stored state or an observed one (`observe(...).state`)."""
    return task_state in (state.QUEUED, state.RUNNING, UNSUPERVISED)


def occupies_slot(record: TaskRecord) -> bool:
    """A task holds one of the max_instances slots while its command may still run."""
    return observe(record).state in (state.RUNNING, UNSUPERVISED)


# --- spawning --------------------------------------------------------------------------------


def spawn_shim(common_dir: str, record: TaskRecord, note: str | None = None) -> TaskRecord:
    """Start the shim for a prepared task, detached in its own session, output to the task log
    (after `note`, when the scheduler has something to say about this start).

    Call with the state lock held and write the returned record at once: the shim refuses to
    run unless the record names it, so a spawner that crashes in between starts nothing twice.
    """
    log = state.log_path(common_dir, record["id"])
    os.makedirs(os.path.dirname(log), exist_ok=True)
    # One log per run: a task started again (after `clean`) does not mix its lines with the
    # run before, which is kept as <id>.log.<n> for `logs ID --run N`.
    run = state.keep_earlier_run(common_dir, record["id"])
    with open(log, "ab") as handle:
        stamp = time.strftime("%Y-%m-%d %H:%M:%S")
        earlier = f" (run {run}; 'git parallel logs {record['id']} --run 1' shows the first)"
        line = (
            f"--- git parallel: task {record['id']} starting at {stamp}{earlier if run > 1 else ''}"
        )
        handle.write(f"{line}\n".encode())
        if note:
            handle.write(f"--- git parallel: {note}\n".encode())
        handle.flush()
        shim_pid = spawn_detached(
            TASK_PROCESS_MODULE, [common_dir, record["id"]], record["worktree"], handle
        )
    return {
        **record,
        "state": state.RUNNING,
        "shim": identity(shim_pid),
        "child": None,
        "exit": None,
        "started_at": time.time(),
        "ended_at": None,
        "stop_requested": None,
    }


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


def _targets(record: TaskRecord) -> tuple[list[psutil.Process], set[int]]:
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
    common = context.repo.common_dir
    results: dict[str, StopResult] = {}
    with state.locked(common):
        to_stop = _request_stops(common, ids, results)
    _terminate(to_stop, results, timeout)
    _record_stopped(common, to_stop)
    return [results[key] for key in results]


def _request_stops(common: str, ids: list[str], results: dict[str, StopResult]) -> list[TaskRecord]:
    """Under the lock: mark running tasks stop_requested (returned, to signal), take queued ones
    off the queue, and fill `results` for each chosen task."""
    from gitwt.errors import GitParallelError

    to_stop: list[TaskRecord] = []
    records = state.all_tasks(common)
    for task_id in ids:
        if not select(records, [task_id]):
            raise GitParallelError(
                f"task {task_id} has not been started", "see 'git parallel status'"
            )
    chosen = (
        select(records, ids)
        if ids
        else [record for record in records.values() if is_active(record.get("state"))]
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
                {
                    "state": state.STOPPED,
                    "ended_at": now,
                    "exit": {"code": None, "signal": None, "ended_at": now},
                }
            )
            state.write_task(common, record)
            results[task_id] = StopResult(
                task_id, before, state.STOPPED, message="removed from the queue"
            )
        else:
            results[task_id] = StopResult(
                task_id, before, before, message=f"nothing to stop ({before})"
            )
    return to_stop


def _terminate(to_stop: list[TaskRecord], results: dict[str, StopResult], timeout: float) -> None:
    """SIGTERM the tasks' processes, SIGKILL what is left after `timeout` (counted in results)."""
    import psutil

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


def _record_stopped(common: str, to_stop: list[TaskRecord]) -> None:
    """Give each shim EXIT_GRACE to record its exit; record `stopped` ourselves if it did not."""
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
                    {
                        "state": state.STOPPED,
                        "ended_at": now,
                        "exit": {"code": None, "signal": int(signal.SIGTERM), "ended_at": now},
                    }
                )
                state.write_task(common, fresh)
        state.append_event(common, "stopped", task=task_id)


def _group_alive(group: int) -> bool:
    try:
        os.killpg(group, 0)
    except (ProcessLookupError, PermissionError):
        return False
    return True


def select(records: dict[str, TaskRecord], ids: Iterable[str]) -> list[TaskRecord]:
    """The records of these ids ('65' and '065' are one task; a stem id may be typed without
    its 'SPEC-'); unknown ids are left out."""
    from gitwt.core.spec_ids import answers_to

    chosen = []
    for task_id in ids:
        match = next((record for key, record in records.items() if answers_to(key, task_id)), None)
        if match is not None and match not in chosen:
            chosen.append(match)
    return chosen


def choose(
    records: dict[str, TaskRecord],
    ids: Iterable[str],
    default: Callable[[TaskRecord], bool],
) -> list[TaskRecord]:
    """The named tasks (each must have been started), else every task `default` keeps, in
    natural id order. One rule for status, merge and clean."""
    from gitwt.core.specs import same_id
    from gitwt.core.task_ids import natural_key
    from gitwt.errors import GitParallelError

    ids = list(ids)
    if not ids:
        return [records[key] for key in sorted(records, key=natural_key) if default(records[key])]
    chosen: list[TaskRecord] = []
    for task_id in ids:
        # A plan's group id (`004`) names its started units where no task has that id.
        found = select(records, [task_id]) or [
            records[key]
            for key in sorted(records, key=natural_key)
            if same_id(str(records[key].get("group") or ""), task_id)
        ]
        if not found:
            raise GitParallelError(
                f"task {task_id} has not been started", "see 'git parallel status'"
            )
        chosen += [record for record in found if record not in chosen]
    return chosen
