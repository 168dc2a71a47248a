"""The task runner, run by the detached process `python -m gitwt.cli.task_process COMMON_DIR
TASK_ID` (the command-line side parses and prints; this module does the work and returns data).

It is started detached by `start` (or a scheduling step) with stdout/stderr on the task log. It
becomes a child subreaper, so grandchildren that call setsid are still its descendants and are
reaped here; runs the task command in its own process group in the worktree; writes the exit
record atomically; then runs one scheduling step so queued tasks take the freed slot.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from typing import Any

from gitwt.infra import state
from gitwt.infra.task_record import TaskRecord, shim_pid

PR_SET_CHILD_SUBREAPER = 36
LEFTOVER_GRACE = 2.0  # seconds between SIGTERM and SIGKILL for processes the command left behind


def become_subreaper() -> bool:
    if not sys.platform.startswith("linux"):
        return False
    libc = ctypes.CDLL(None, use_errno=True)
    return bool(libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0)


def log(message: str) -> None:
    stamp = time.strftime("%Y-%m-%d %H:%M:%S")
    sys.stdout.write(f"--- git parallel: {message} at {stamp}\n")
    sys.stdout.flush()


def launch(common_dir: str, task_id: str) -> tuple[subprocess.Popen[bytes] | None, str | None]:
    """Start the command if the record still names this shim and no stop was asked for.

    Decided under the lock, so the spawner has finished writing the record, and `stop` either
    sees the child or sees no command started.
    """
    from gitwt.services.tasks.supervisor import identity

    with state.locked(common_dir):
        record = state.read_task(common_dir, task_id)
        if record is None or shim_pid(record) != os.getpid():
            return None, "the task record does not name this shim; not running anything"
        if record.get("stop_requested"):
            return None, "stopped before the command started"
        argv = record.get("command")
        if not argv:
            return None, "the task record names no command; not running anything"
        log(f"running {argv!r} in {record['worktree']}")
        env = task_environment(record)
        try:
            child = subprocess.Popen(
                argv, cwd=record["worktree"], stdin=subprocess.DEVNULL, env=env, process_group=0
            )
        except OSError as error:
            return None, f"cannot run {argv[0]!r}: {error.strerror or error}"
        record["child"] = identity(child.pid)
        state.write_task(common_dir, record)
    return child, None


def task_environment(record: TaskRecord) -> dict[str, str]:
    """What the setup and the command see: the task's id, worktree and branch."""
    from gitwt.infra.processes import child_environment

    return child_environment(
        {
            "GIT_PARALLEL_TASK": record["id"],
            "GIT_PARALLEL_WORKTREE": record["worktree"],
            "GIT_PARALLEL_BRANCH": record["branch"],
        }
    )


def run_setup(common_dir: str, task_id: str) -> tuple[int, str] | None:
    """Run config `setup` in the worktree before the command (DESIGN §8), output to the log;
    (wait status, problem) when it failed, else None (no setup, or `launch` will say why not)."""
    with state.locked(common_dir):
        record = state.read_task(common_dir, task_id)
        if (
            record is None
            or shim_pid(record) != os.getpid()
            or record.get("stop_requested")
            or not record.get("setup")
        ):
            return None
    argv = record.get("setup") or []
    log(f"setup: running {argv!r} in {record['worktree']}")
    try:
        done = subprocess.run(
            argv,
            cwd=record["worktree"],
            stdin=subprocess.DEVNULL,
            env=task_environment(record),
            check=False,
        )
    except OSError as error:
        return 127 << 8, f"setup: cannot run {argv[0]!r}: {error.strerror or error}"
    if done.returncode == 0:
        log("setup done")
        return None
    status = -done.returncode if done.returncode < 0 else done.returncode << 8
    return status, f"setup {argv!r} failed (exit {done.returncode}); the task did not run"


def forward_signals(child: subprocess.Popen[bytes]) -> None:
    """A shim told to stop passes it on to the command's process group, then waits as usual."""

    def forward(signum: int, _frame: Any) -> None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(child.pid, signum)

    for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(signum, forward)


def wait_for(child: subprocess.Popen[bytes]) -> int:
    """Wait for the command, reaping every adopted orphan on the way; its raw wait status."""
    while True:
        try:
            pid, status = os.wait()
        except ChildProcessError:
            return 0
        if pid == child.pid:
            child.returncode = 0  # reaped here; keep Popen from waiting on a reused pid
            return status


def end_leftovers() -> int:
    """Processes the command left behind (daemons, setsid grandchildren) end with it."""
    import psutil

    try:
        leftovers = psutil.Process().children(recursive=True)
    except psutil.Error:
        return 0
    if not leftovers:
        return 0
    for process in leftovers:
        with contextlib.suppress(psutil.Error):
            process.terminate()
    _, alive = psutil.wait_procs(leftovers, timeout=LEFTOVER_GRACE)
    for process in alive:
        with contextlib.suppress(psutil.Error):
            process.kill()
    deadline = time.time() + LEFTOVER_GRACE
    while time.time() < deadline:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            break
        if pid == 0:
            time.sleep(0.02)
    return len(leftovers)


def record_exit(common_dir: str, task_id: str, status: int | None, problem: str | None) -> str:
    now = time.time()
    code = os.waitstatus_to_exitcode(status) if status is not None else None
    signum = -code if code is not None and code < 0 else None
    with state.locked(common_dir):
        record = state.read_task(common_dir, task_id)
        if record is None or shim_pid(record) != os.getpid():
            return "unknown"
        if record.get("stop_requested"):
            outcome = state.STOPPED
        elif code == 0:
            outcome = state.SUCCEEDED
        else:
            outcome = state.FAILED
        # The final line goes to the log before the exit is recorded: `logs -f` stops following
        # once the record says the task ended, so the line must already be there.
        log(f"task {task_id} {outcome} (exit {code})")
        record.update(
            {
                "state": outcome,
                "ended_at": now,
                "exit": {
                    "code": code if signum is None else None,
                    "signal": signum,
                    "ended_at": now,
                    **({"error": problem} if problem else {}),
                },
            }
        )
        state.write_task(common_dir, record)
    state.append_event(common_dir, "exited", task=task_id, state=outcome, code=code, signal=signum)
    return outcome


def run_task(common_dir: str, task_id: str, show_merge: Callable[[Any], None] | None = None) -> int:
    become_subreaper()
    failed_setup = run_setup(common_dir, task_id)
    child, problem = (None, failed_setup[1]) if failed_setup else launch(common_dir, task_id)
    if child is None and problem and problem.startswith("the task record"):
        log(problem)
        return 3
    status: int | None = None
    if child is not None:
        forward_signals(child)
        status = wait_for(child)
        left = end_leftovers()
        if left:
            log(f"ended {left} process(es) the command left running")
    elif failed_setup:
        log(problem or "setup failed")
        status = failed_setup[0]
    elif problem:
        log(problem)
        status = 127 << 8 if problem.startswith("cannot run") else None
    outcome = record_exit(common_dir, task_id, status, problem)
    if outcome == state.SUCCEEDED:
        merged = auto_merge(common_dir, task_id)
        if merged is not None and show_merge is not None:
            show_merge(merged)
    schedule_next(common_dir, task_id)
    return 0


def auto_merge(common_dir: str, task_id: str) -> Any:
    """`start --auto-merge`: merge the task as `git parallel merge ID` would; the merge result
    (for the log), or None when there was nothing to merge or the merge was refused."""
    record = state.read_task(common_dir, task_id) or {}
    if not record.get("auto_merge"):
        return None
    from gitwt.errors import GitParallelError
    from gitwt.services.context import Context
    from gitwt.services.merging.merge import merge

    log(f"auto-merge of task {task_id}")
    try:
        context = Context.discover(record.get("repo") or os.path.dirname(common_dir))
        result = merge(context, [task_id])
    except GitParallelError as error:  # refused (dirty base, untrusted test): say so, keep all
        log(f"auto-merge refused: {error.message}" + (f" ({error.hint})" if error.hint else ""))
        return None
    except Exception as error:  # the task succeeded and is recorded; never hide that
        log(f"auto-merge failed: {error}")
        return None
    return result


def schedule_next(common_dir: str, task_id: str) -> None:
    """One scheduling step from the repository the task was started in."""
    from gitwt.services.context import Context
    from gitwt.services.tasks.scheduler import schedule

    record = state.read_task(common_dir, task_id) or {}
    try:
        result = schedule(Context.discover(record.get("repo") or os.path.dirname(common_dir)))
    except Exception as error:  # the exit is recorded; a failed step must not hide that
        log(f"scheduling step failed: {error}")
        return
    for started in result.started:
        log(f"started queued task {started}")
