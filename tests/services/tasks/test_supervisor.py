"""Supervision with real processes: shims, exit records, stop, lost shims and the queue."""

from __future__ import annotations

import json
import os
import signal
import time
from collections.abc import Callable
from pathlib import Path

import psutil
import pytest

from tests.conftest import Repo


def wait_until(predicate: Callable[[], object], timeout: float = 20.0) -> object:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout}s waiting for {predicate}")


def record(repo: Repo, task_id: str) -> dict:
    path = repo.path / ".git" / "parallel" / "tasks" / f"{task_id}.json"
    return json.loads(path.read_text())


def status_of(repo: Repo, task_id: str) -> dict:
    """What `status ID --json` shows of one task, asked in-process (tests poll it)."""
    return repo.api.status([task_id]).to_json()["tasks"][0]


UNGATED = "cpu_max = 100\nmemory_max = 100\npoll_interval = 0.2\n"


def stop(repo: Repo, ids: list[str], timeout: float) -> list:
    """What `stop IDS --timeout T` does, in-process: each task's StopResult."""
    from gitwt.services.tasks import supervisor

    return supervisor.stop(repo.api.context(), ids, timeout=timeout)


def two_specs(repo: Repo, count: int = 2) -> None:
    """Specs 1..count with separate files; no CPU gate (other test workers keep CPUs busy)."""
    for number in range(1, count + 1):
        repo.spec(str(number), [f"src/t{number}.txt"])
    repo.write(".gitparallel.toml", UNGATED)
    repo.commit_all("specs")


def alive(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


@pytest.mark.slow
def test_command_that_commits_goes_running_then_succeeded(repo: Repo) -> None:
    two_specs(repo, 1)
    go = repo.path.parent / "go"  # the command commits only once the test has seen it running
    command = (
        f'sh -c \'mkdir -p src && echo work > src/t1.txt && until [ -e "{go}" ]; do sleep 0.05; '
        "done && git add src/t1.txt && git commit -q -m work && echo committed'"
    )
    started = repo.api.start(["1"], run=command)
    assert started.ok, started.to_json()
    assert [(task["id"], task["state"]) for task in started.tasks] == [("1", "running")]
    assert status_of(repo, "1")["state"] == "running"
    go.write_text("")

    wait_until(lambda: status_of(repo, "1")["state"] == "succeeded")
    task = status_of(repo, "1")
    assert task["exit_code"] == 0
    assert task["ahead"] == 1
    assert task["files"] == ["src/t1.txt"]
    assert record(repo, "1")["exit"]["code"] == 0
    assert "committed" in repo.cli("logs", "1").out


@pytest.mark.slow
def test_failing_command_is_failed_with_its_code(repo: Repo) -> None:
    two_specs(repo, 1)
    assert repo.api.start(["1"], run="sh -c 'echo oops >&2; exit 3'").ok
    wait_until(lambda: status_of(repo, "1")["state"] == "failed")
    task = status_of(repo, "1")
    assert task["exit_code"] == 3
    assert "oops" in repo.cli("logs", "1").out


@pytest.mark.slow
def test_missing_program_is_failed_with_127(repo: Repo) -> None:
    two_specs(repo, 1)
    assert repo.api.start(["1"], run="no-such-program-xyz").ok
    wait_until(lambda: status_of(repo, "1")["state"] == "failed")
    assert status_of(repo, "1")["exit_code"] == 127
    assert "cannot run 'no-such-program-xyz'" in repo.cli("logs", "1").out


@pytest.mark.slow
def test_stop_leaves_no_survivor_not_even_a_setsid_grandchild(repo: Repo) -> None:
    two_specs(repo, 1)
    command = "sh -c 'setsid sleep 600 & sleep 600'"
    assert repo.api.start(["1"], run=command).ok
    shim_pid = record(repo, "1")["shim"]["pid"]

    def grandchild_in_its_own_session() -> list[int] | None:
        """The shim's descendants once both sleeps run and one has left for its own session.

        Counting processes is not enough: the background child exists (as `sh`, then `setsid`)
        before setsid(2) and exec, so a count taken then sees a single session.
        """
        try:
            tree = psutil.Process(shim_pid).children(recursive=True)
            names = [process.name() for process in tree]
            sessions = {os.getsid(process.pid) for process in tree}
        except (psutil.NoSuchProcess, ProcessLookupError):
            return None  # a process of the tree is between fork and exec, or gone: look again
        return (
            [process.pid for process in tree]
            if names.count("sleep") >= 2 and len(sessions) >= 2
            else None
        )

    tree = wait_until(grandchild_in_its_own_session)
    assert isinstance(tree, list)

    [stopped] = stop(repo, ["1"], timeout=5)
    assert (stopped.task_id, stopped.before, stopped.after) == ("1", "running", "stopped")
    wait_until(lambda: not any(alive(pid) for pid in tree), timeout=10)
    assert status_of(repo, "1")["state"] == "stopped"


@pytest.mark.slow
def test_stop_escalates_to_sigkill_after_the_timeout(repo: Repo) -> None:
    two_specs(repo, 1)
    command = "sh -c 'trap \"\" TERM; while :; do sleep 0.1; done'"
    assert repo.api.start(["1"], run=command).ok
    wait_until(lambda: record(repo, "1").get("child"))
    child = record(repo, "1")["child"]["pid"]
    began = time.monotonic()
    [stopped] = stop(repo, ["1"], timeout=0.5)
    assert stopped.killed > 0  # processes that needed SIGKILL
    assert time.monotonic() - began < 8
    wait_until(lambda: not alive(child), timeout=5)
    assert status_of(repo, "1")["state"] == "stopped"


@pytest.mark.slow
def test_killed_shim_is_never_reported_running(repo: Repo) -> None:
    two_specs(repo, 2)
    assert repo.api.start(["1", "2"], run="sleep 600").ok
    wait_until(lambda: record(repo, "1").get("child") and record(repo, "2").get("child"))
    first, second = record(repo, "1"), record(repo, "2")

    # Task 1: only the shim dies; its command keeps running unsupervised.
    os.kill(first["shim"]["pid"], signal.SIGKILL)
    wait_until(lambda: status_of(repo, "1")["state"] == "unsupervised")
    # Task 2: shim and command both die: nothing runs and no exit was recorded.
    os.kill(second["shim"]["pid"], signal.SIGKILL)
    os.kill(second["child"]["pid"], signal.SIGKILL)
    wait_until(lambda: status_of(repo, "2")["state"] == "lost")
    assert status_of(repo, "2")["pid"] is None
    text = repo.cli("status").out
    assert "unsupervised" in text and "lost" in text

    # stop still ends the unsupervised command.
    child = first["child"]["pid"]
    assert [item.after for item in stop(repo, ["1"], timeout=2)] == ["stopped"]
    wait_until(lambda: not alive(child), timeout=5)
    assert status_of(repo, "1")["state"] == "stopped"


@pytest.mark.slow
def test_reused_pid_is_not_trusted(repo: Repo) -> None:
    two_specs(repo, 1)
    assert repo.api.start(["1"], run="sleep 600").ok
    wait_until(lambda: record(repo, "1").get("child"))
    path = repo.path / ".git" / "parallel" / "tasks" / "1.json"
    data = json.loads(path.read_text())
    real_shim = data["shim"]["pid"]
    # Pretend the shim's pid now belongs to another process: our own, with another start time.
    data["shim"] = {"pid": os.getpid(), "create_time": data["shim"]["create_time"]}
    path.write_text(json.dumps(data))
    assert status_of(repo, "1")["state"] == "unsupervised"
    os.kill(real_shim, signal.SIGKILL)
    assert [item.after for item in stop(repo, ["1"], timeout=2)] == ["stopped"]


@pytest.mark.slow
def test_queue_starts_two_then_the_third_when_one_ends(repo: Repo) -> None:
    two_specs(repo, 3)
    gate = repo.path.parent / "gate"
    command = f"sh -c 'while [ ! -e \"{gate}\"/{{id}} ]; do sleep 0.05; done'"
    result = repo.api.start(["1", "2", "3"], max_instances=2, run=command)
    assert result.ok, result.to_json()
    states = {task["id"]: task["state"] for task in result.tasks}
    assert states == {"1": "running", "2": "running", "3": "queued"}
    assert "no free slot" in result.tasks[2]["waiting"]

    gate.mkdir()
    (gate / "2").touch()
    wait_until(lambda: status_of(repo, "3")["state"] == "running")
    assert status_of(repo, "2")["state"] == "succeeded"
    assert status_of(repo, "1")["state"] == "running"
    (gate / "1").touch()
    (gate / "3").touch()
    wait_until(lambda: status_of(repo, "3")["state"] == "succeeded")
    wait_until(lambda: status_of(repo, "1")["state"] == "succeeded")


@pytest.mark.slow
def test_queued_task_waits_while_resources_are_busy(repo: Repo) -> None:
    two_specs(repo, 2)
    # memory_max 1%: no machine is that idle, so the gate holds the second task back (the first
    # starts whatever the load: none of our tasks was running).
    repo.write(".gitparallel.toml", "memory_max = 1\npoll_interval = 0.2\n")
    repo.commit_all("config")
    result = repo.api.start(["1", "2"], run="sleep 600")
    task = result.tasks[1]
    assert task["state"] == "queued"
    assert "memory" in task["waiting"]
    # Freeing the resources (here: raising the limit, committed: the config is base's) lets
    # the waiter start it.
    repo.write(".gitparallel.toml", UNGATED)
    repo.commit_all("raise the limits")
    wait_until(lambda: status_of(repo, "2")["state"] == "running")
    assert {item.after for item in stop(repo, [], timeout=2)} == {"stopped"}


@pytest.mark.slow
def test_stop_of_a_queued_task_takes_it_out_of_the_queue(repo: Repo) -> None:
    two_specs(repo, 2)
    assert repo.api.start(["1", "2"], max_instances=1, run="sleep 600").ok
    assert status_of(repo, "2")["state"] == "queued"
    stopped = {item.task_id: item.message for item in stop(repo, [], timeout=2)}
    assert stopped["2"] == "removed from the queue"
    assert {status_of(repo, key)["state"] for key in "12"} == {"stopped"}


def test_command_runs_in_the_worktree_with_placeholders(repo: Repo, tmp_path: Path) -> None:
    two_specs(repo, 1)
    out = tmp_path / "seen"
    command = f'sh -c \'pwd > "{out}"; echo {{id}} {{spec}} >> "{out}"\''
    assert repo.api.start(["1"], run=command).ok
    wait_until(lambda: status_of(repo, "1")["state"] == "succeeded")
    worktree = record(repo, "1")["worktree"]
    lines = out.read_text().splitlines()
    assert lines[0] == worktree
    assert lines[1] == f"1 {worktree}/docs/SPEC-1-task.md"


@pytest.mark.slow
def test_spec_run_command_needs_trust(repo: Repo, tmp_path: Path) -> None:
    repo.spec("1", ["src/t1.txt"], run="echo from-spec")
    repo.write(".gitparallel.toml", UNGATED)
    repo.commit_all("spec")
    env = {"GIT_PARALLEL_TRUST_FILE": str(tmp_path / "trust.json")}
    refused = repo.cli("start", "1", env=env)
    assert refused.code == 1
    assert "git parallel trust 1" in refused.err
    assert not (repo.path.parent / "repo-wt1").exists()
    assert repo.cli("trust", "1", env=env).code == 0
    assert repo.cli("start", "1", env=env).code == 0
    wait_until(lambda: status_of(repo, "1")["state"] == "succeeded")
    assert "from-spec" in repo.cli("logs", "1").out


def test_logs_follow_returns_when_the_task_ends(repo: Repo) -> None:
    two_specs(repo, 1)
    command = "sh -c 'echo first; sleep 1; echo second'"
    assert repo.api.start(["1"], run=command).ok
    followed = repo.cli("logs", "1", "-f", timeout=30)
    assert followed.code == 0
    assert "first" in followed.out and "second" in followed.out
    assert "succeeded" in followed.out
