"""The queue tells why a task waits, never starves, and makes a worktree only when a task starts.

Real processes and a real CPU gate: `cpu_max = 0` makes any load "busy" (a task may start only
while use is below the limit), so the test needs no faked load.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.conftest import Repo
from tests.services.tasks.test_supervisor import status_of, stop, wait_until

GATED = "sh -c 'while [ ! -e \"{gate}\"/{{id}} ]; do sleep 0.05; done'"


def specs(repo: Repo, config: str, **declared: list[str]) -> None:
    for task_id, files in declared.items():
        repo.spec(task_id.lstrip("t"), files)
    repo.write(".gitparallel.toml", config)
    repo.commit_all("specs")


def worktree(repo: Repo, task_id: str) -> Path:
    return repo.path.parent / f"repo-wt{task_id}"


@pytest.mark.slow
def test_busy_cpu_never_starves_the_queue_and_says_why(repo: Repo) -> None:
    specs(repo, "cpu_max = 0\npoll_interval = 0.2\n", t1=["a.txt"], t2=["b.txt"])
    gate = repo.path.parent / "gate"
    result = repo.api.start(["1", "2"], max_instances=2, run=GATED.format(gate=gate))
    assert result.ok, result.to_json()
    tasks = {task["id"]: task for task in result.tasks}
    # None of our tasks ran, so the first starts whatever the load; the second waits for CPU.
    assert tasks["1"]["state"] == "running"
    assert tasks["2"]["state"] == "queued"
    assert [wait["reason"] for wait in tasks["2"]["waits_for"]] == ["cpu"]
    assert re.fullmatch(r"cpu \d+% >=? 0%", tasks["2"]["waiting"])
    assert "starting although cpu" in repo.cli("logs", "1").out
    assert not worktree(repo, "2").exists(), "a queued task has no worktree yet"

    waiting = status_of(repo, "2")
    assert waiting["waits_for"][0]["reason"] == "cpu"
    assert re.search(r"2: queued.*\n    waits: cpu \d+% >=? 0%", repo.cli("status").out)

    gate.mkdir()
    (gate / "1").touch()
    wait_until(lambda: status_of(repo, "2")["state"] == "running")
    assert worktree(repo, "2").is_dir()
    assert "starting although cpu" in repo.cli("logs", "2").out
    assert status_of(repo, "2")["waits_for"] == []
    (gate / "2").touch()
    wait_until(lambda: status_of(repo, "2")["state"] == "succeeded")


def test_a_task_waiting_for_a_slot_says_so_and_has_no_worktree(repo: Repo) -> None:
    specs(repo, "cpu_max = 100\nmemory_max = 100\npoll_interval = 0.2\n", t1=["a"], t2=["b"])
    gate = repo.path.parent / "gate"
    result = repo.api.start(["1", "2"], max_instances=1, run=GATED.format(gate=gate))
    assert result.ok, result.to_json()
    queued = [(task["id"], task["waiting"]) for task in result.tasks if task["state"] == "queued"]
    assert queued == [("2", "no free slot (1 of 1 running)")]
    assert status_of(repo, "2")["waits_for"] == [
        {"reason": "slot", "text": "no free slot (1 of 1 running)", "task": None}
    ]
    assert not worktree(repo, "2").exists()
    assert repo.git("branch", "--list", "parallel/2") == ""
    gate.mkdir()
    (gate / "1").touch()
    (gate / "2").touch()
    wait_until(lambda: status_of(repo, "2")["state"] == "succeeded")
    assert worktree(repo, "2").is_dir()


@pytest.mark.slow
def test_partners_are_named_as_dependency_or_conflict(repo: Repo) -> None:
    repo.spec("1", ["shared.txt"])
    repo.spec("2", ["two.txt"], depends_on=["1"])
    repo.spec("3", ["shared.txt", "three.txt"])
    repo.write(".gitparallel.toml", "cpu_max = 100\nmemory_max = 100\npoll_interval = 0.2\n")
    repo.commit_all("specs")
    result = repo.api.start(["1", "2", "3"], queue=True, run="sleep 600")
    assert result.ok, result.to_json()
    queued = [(task["id"], task["waiting"]) for task in result.tasks if task["state"] == "queued"]
    assert queued == [("2", "depends on 1"), ("3", "conflicts with 1")]
    assert status_of(repo, "2")["waits_for"] == [
        {"reason": "depends", "text": "depends on 1", "task": "1"}
    ]
    assert status_of(repo, "3")["waits_for"] == [
        {"reason": "conflict", "text": "conflicts with 1", "task": "1"}
    ]
    text = repo.cli("status", "--no-forecast").out
    assert "    waits: depends on 1\n" in text and "    waits: conflicts with 1\n" in text
    assert {item.after for item in stop(repo, [], timeout=2)} == {"stopped"}
