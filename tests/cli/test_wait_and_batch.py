"""`wait` and `batch` as a user runs them: real repositories, real task processes, the real CLI."""

from __future__ import annotations

import shlex
import sys
from datetime import datetime
from pathlib import Path

import pytest

from gitwt.services import demo
from tests.conftest import Repo, end_leftover_processes, git, run_cli

UNGATED = "cpu_max = 100\nmemory_max = 100\npoll_interval = 0.2\n"
GATED = 'sh -c \'while [ ! -e "{gate}"/{{id}} ]; do sleep 0.05; done; exit $(cat "{gate}"/{{id}})\''
AGENT = f"{shlex.quote(sys.executable)} -m gitwt.services.demo_agent {{id}} --pause 0"


def specs(repo: Repo, count: int) -> None:
    for number in range(1, count + 1):
        repo.spec(str(number), [f"src/t{number}.txt"])
    repo.write(".gitparallel.toml", UNGATED)
    repo.commit_all("specs")


def is_iso(stamp: str) -> bool:
    return datetime.fromisoformat(stamp).tzinfo is not None


@pytest.mark.slow
def test_wait_blocks_until_the_tasks_end_and_reports_them(repo: Repo) -> None:
    specs(repo, 2)
    gate = repo.path.parent / "gate"
    gate.mkdir()
    assert repo.cli("start", "1", "2", "--run", GATED.format(gate=gate)).code == 0

    early = repo.cli("wait", "--timeout", "0.3", "--json")
    assert early.code == 1
    report = early.json()
    assert report["schema"] == "git-parallel/wait/1"
    assert report["timed_out"] is True
    assert (report["completed"], report["failed"], report["pending"], report["total"]) == (
        0,
        0,
        2,
        2,
    )
    assert "timed out" in early.err

    (gate / "1").write_text("0")
    (gate / "2").write_text("4")
    done = repo.cli("wait", "--json")
    assert done.code == 1, "task 2 failed"
    report = done.json()
    assert report["timed_out"] is False
    assert (report["completed"], report["failed"], report["total"]) == (1, 1, 2)
    tasks = {task["id"]: task for task in report["tasks"]}
    assert tasks["1"]["state"] == "succeeded" and tasks["1"]["ok"] is True
    assert tasks["2"]["state"] == "failed" and tasks["2"]["exit_code"] == 4
    assert is_iso(report["start_time"]) and is_iso(report["end_time"])
    assert report["duration_seconds"] >= 0
    # Progress went to stderr, one line per change.
    assert "1: succeeded (exit 0)" in done.err and "2: failed (exit 4)" in done.err

    text = repo.cli("wait", "1")
    assert text.code == 0
    assert "1 completed, 0 failed of 1" in text.out


def test_wait_with_nothing_running_returns_at_once(repo: Repo) -> None:
    specs(repo, 1)
    result = repo.cli("wait")
    assert result.code == 0
    assert "nothing to wait for" in result.out


def test_wait_refuses_an_open_task_and_an_unknown_one(repo: Repo) -> None:
    specs(repo, 1)
    assert repo.cli("start", "1").code == 0  # no command: open
    refused = repo.cli("wait", "1")
    assert refused.code == 2
    assert refused.err.startswith("git parallel: error: task 1 is open")
    assert "hint: merge it when its work is done" in refused.err
    unknown = repo.cli("wait", "9")
    assert unknown.code == 2 and "task 9 has not been started" in unknown.err


def test_wait_follows_a_queued_task_to_its_end(repo: Repo) -> None:
    specs(repo, 3)
    result = repo.cli("start", "1", "2", "3", "--max", "1", "--run", "sleep 0.3")
    assert result.code == 0 and "queued 3" in result.out
    waited = repo.cli("wait", "--json")
    assert waited.code == 0, waited.out + waited.err
    assert waited.json()["completed"] == 3
    assert "3: queued (no free slot" in waited.err


@pytest.mark.slow
def test_batch_on_the_demo_tasks_gives_the_coordinators_report(tmp_path: Path) -> None:
    root = tmp_path / "coffee-maker"
    root.mkdir()
    demo.create_repository(str(root))
    try:
        # Each agent pauses 0.6 s between commits: a speedup is only measured over commands that
        # ran a second in all (shorter, start-up is what would be timed, and it is None).
        paced = AGENT.replace("--pause 0", "--pause 0.6")
        result = run_cli(root, "batch", "101", "102", "--run", paced, "--json")
        assert result.code == 0, result.out + result.err
        report = result.json()
        assert report["schema"] == "git-parallel/batch/1"
        assert report["success"] is True
        assert report["tasks_executed"] == ["101", "102"]
        assert report["worktrees_created"] == 2
        assert report["monitoring_result"] == {"completed": 2, "failed": 0, "total": 2}
        assert report["merge_results"] == {"101": "merged", "102": "merged"}
        assert report["duration_seconds"] > 0
        assert is_iso(report["start_time"]) and is_iso(report["end_time"])
        assert report["start_time"] <= report["end_time"]
        assert isinstance(report["speedup"], float) and report["speedup"] > 0
        # Both tasks arrived on main as merge commits; their worktrees and branches are gone.
        merges = git(root, "log", "--merges", "--format=%s", "main").splitlines()
        assert len(merges) == 2
        assert "task 101" in git(root, "log", "--format=%s", "main")
        assert git(root, "branch", "--list", "parallel/*") == ""
        assert not (tmp_path / "coffee-maker-wt101").exists()
        assert "batch: merging 101 102" in result.err

        # 103 conflicts with 101 (app/recipes.py): refused like start, nothing is created.
        refused = run_cli(root, "batch", "101", "103", "--run", AGENT)
        assert refused.code == 1
        assert "not starting" in refused.err
        assert git(root, "branch", "--list", "parallel/*") == ""
    finally:
        end_leftover_processes(tmp_path)


def test_batch_merges_what_succeeded_and_keeps_nothing_of_a_failure(repo: Repo) -> None:
    specs(repo, 2)
    command = (
        "sh -c 'if [ {id} = 2 ]; then exit 5; fi; mkdir -p src && echo {id} > src/t{id}.txt && "
        "git add src && git commit -qm work'"
    )
    result = repo.cli("batch", "1", "2", "--run", command)
    assert result.code == 1
    assert "not every task merged: 1 of 2 succeeded, 1 merged, 2 worktree(s)" in result.out
    states = {
        task["id"]: task["state"] for task in repo.cli("status", "1", "2", "--json").json()["tasks"]
    }
    assert states == {"1": "merged", "2": "cleaned"}
    assert repo.git("show", "main:src/t1.txt") == "1\n"
    assert "cleaned 2: it failed and left no work" in result.out
    assert not (repo.path.parent / "repo-wt2").exists()


def test_batch_needs_a_command_for_every_task(repo: Repo) -> None:
    specs(repo, 1)
    refused = repo.cli("batch", "1")
    assert refused.code == 2
    assert "batch needs a command for every task; 1 has none" in refused.err
    assert "hint: pass --run CMD" in refused.err
    assert not (repo.path / ".git" / "parallel" / "tasks" / "1.json").exists()
