"""Load: 20 tasks under `--max 4`, each making 50 commits through the hooks, then one merge; and
50 racing `claim` calls on one path. Real git, real shims, real hooks; nothing is timed."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import Repo
from tests.services.specs.test_claim import rules_of
from tests.services.tasks.test_supervisor import UNGATED

TASKS = 20
COMMITS = 50
MAX = 4
CLAIMERS = 50

# Each task first proves its hook is there (a commit of an undeclared file is refused), then
# edits only its declared file and commits, so the real pre-commit and post-commit shims of the
# task worktree run on every commit; a commit the hook refused would end the loop with a failure.
COMMIT_LOOP = (
    "sh -c 'mkdir -p src && echo x > stray{id}.txt && git add stray{id}.txt && "
    "! git commit -q -m stray && git rm -q --cached stray{id}.txt && rm stray{id}.txt && "
    "for n in $(seq 1 %d); do echo $n >> src/t{id}.txt && git add src/t{id}.txt && "
    'git commit -q -m "task {id} commit $n" || exit 1; done\''.replace("%d", str(COMMITS))
)


def events(repo: Repo) -> list[dict]:
    lines = (repo.path / ".git" / "parallel" / "events.jsonl").read_text().splitlines()
    return [json.loads(line) for line in lines]  # every line must be one valid JSON object


def wait_for_states(repo: Repo, ids: list[str], wanted: str, deadline: float) -> list[dict]:
    """Poll `status --json` until every task is `wanted` (failing early if one cannot be)."""
    while True:
        result = repo.cli("status", *ids, "--json", "--no-forecast")
        assert result.code == 0, result.err
        tasks = result.json()["tasks"]
        states = {task["id"]: task["state"] for task in tasks}
        if all(value == wanted for value in states.values()):
            return tasks
        broken = {key: value for key, value in states.items() if value in ("failed", "lost")}
        assert not broken, (broken, [repo.cli("logs", key).out[-2000:] for key in broken])
        assert time.monotonic() < deadline, f"tasks still not {wanted}: {states}"
        time.sleep(0.5)


def most_overlapping(intervals: list[tuple[float, float]]) -> int:
    """The largest number of [start, end] intervals that hold at one instant."""
    edges = sorted([(start, 1) for start, _ in intervals] + [(end, -1) for _, end in intervals])
    # At equal times an end sorts before a start (-1 < 1): a slot freed and taken is not overlap.
    current = peak = 0
    for _, step in edges:
        current += step
        peak = max(peak, current)
    return peak


@pytest.mark.slow
def test_twenty_tasks_of_fifty_commits_under_max_four_all_merge(repo: Repo) -> None:
    ids = [str(number) for number in range(1, TASKS + 1)]
    for task_id in ids:
        repo.spec(task_id, [f"src/t{task_id}.txt"])
    repo.write(".gitparallel.toml", UNGATED)
    repo.commit_all("specs")
    base_before = repo.git("rev-parse", "main").strip()

    started = repo.cli("start", *ids, "--max", str(MAX), "--run", COMMIT_LOOP)
    assert started.code == 0, started.err
    wait_for_states(repo, ids, "succeeded", time.monotonic() + 900)

    merged = repo.cli("merge", "--json", timeout=600)
    assert merged.code == 0, merged.err + merged.out
    final = wait_for_states(repo, ids, "merged", time.monotonic() + 60)
    assert all(task["violations"] == [] for task in final)

    # main: one merge commit per task, and every task commit reachable from it.
    merges = repo.git("rev-list", "--merges", f"{base_before}..main").split()
    assert len(merges) == TASKS
    singles = repo.git("rev-list", "--no-merges", f"{base_before}..main").split()
    assert len(singles) == TASKS * COMMITS
    subjects = repo.git("log", "--no-merges", "--format=%s", f"{base_before}..main").splitlines()
    for task_id in ids:
        mine = [s for s in subjects if s.startswith(f"task {task_id} commit ")]
        assert len(mine) == COMMITS, task_id
        assert (repo.path / f"src/t{task_id}.txt").read_text().split() == [
            str(n) for n in range(1, COMMITS + 1)
        ]
    assert repo.git("status", "--porcelain").strip() == ""
    fsck = subprocess.run(["git", "fsck", "--no-progress"], cwd=repo.path, capture_output=True)
    assert fsck.returncode == 0, fsck.stderr

    # Every state file parses, has schema 1 and says merged with no violation.
    folder = repo.path / ".git" / "parallel" / "tasks"
    records = {path.stem: json.loads(path.read_text()) for path in folder.glob("*.json")}
    assert sorted(records) == sorted(ids)
    for task_id, record in records.items():
        assert record["schema"] == 1, task_id
        assert record["state"] == "merged", task_id
        assert record["violations"] == [], task_id
        assert record["exit"]["code"] == 0, task_id
    assert not list(folder.glob(".tmp-*")), "a temporary state file was left behind"

    # No event lost: each task was queued, started, exited (succeeded) and merged, once each.
    log = events(repo)
    for task_id in ids:
        kinds = [event["event"] for event in log if event.get("task") == task_id]
        for kind in ("queued", "started", "exited", "merge"):
            assert kinds.count(kind) == 1, (task_id, kinds)
        assert kinds.index("queued") < kinds.index("started") < kinds.index("exited")
        assert kinds.index("exited") < kinds.index("merge")
        exited = next(e for e in log if e.get("task") == task_id and e["event"] == "exited")
        assert exited["state"] == "succeeded"
        merge = next(e for e in log if e.get("task") == task_id and e["event"] == "merge")
        assert merge["result"] == "merged"
    assert not [event for event in log if event["event"] in ("lost", "failed", "violation")]

    # Never more than MAX commands at once, by the recorded times of the records and of the
    # events (the shim records its exit after the command ended; a slot is held until then).
    intervals = [(record["started_at"], record["ended_at"]) for record in records.values()]
    assert all(start < end for start, end in intervals)
    assert most_overlapping(intervals) <= MAX
    when = {(e["task"], e["event"]): e["time"] for e in log if e["event"] in ("started", "exited")}
    assert most_overlapping([(when[i, "started"], when[i, "exited"]) for i in ids]) <= MAX


@pytest.mark.slow
def test_fifty_racing_claims_on_one_path_have_exactly_one_winner(repo: Repo) -> None:
    ids = [str(number) for number in range(1, CLAIMERS + 1)]
    for task_id in ids:
        repo.spec(task_id, [f"src/t{task_id}/"])
    repo.write(".gitparallel.toml", UNGATED)
    repo.commit_all("specs")
    # Open tasks (no command): live, each in its worktree, nothing running.
    started = repo.cli("start", *ids, "--sparse", timeout=600)
    assert started.code == 0, started.err

    racers = [
        subprocess.Popen(
            [sys.executable, "-m", "gitwt", "claim", task_id, "shared/config.py"],
            cwd=repo.path,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=dict(os.environ),
        )
        for task_id in ids
    ]
    outcomes = {}
    for task_id, racer in zip(ids, racers, strict=True):
        out, err = racer.communicate(timeout=600)
        outcomes[task_id] = (racer.returncode, out, err)

    winners = [task_id for task_id, (code, _, _) in outcomes.items() if code == 0]
    assert len(winners) == 1, outcomes
    (winner,) = winners
    for task_id, (code, _, err) in outcomes.items():
        if task_id == winner:
            continue
        assert code == 1, (task_id, code, err)
        assert f"task {winner}" in err and "shared/config.py" in err, err

    folder = repo.path / ".git" / "parallel" / "tasks"
    records = {path.stem: json.loads(path.read_text()) for path in folder.glob("*.json")}
    holders = [key for key, record in records.items() if record["claims"]]
    assert holders == [winner]
    assert records[winner]["claims"][0]["paths"] == ["shared/config.py"]
    assert all(record["schema"] == 1 for record in records.values())
    claimed = [event for event in events(repo) if event["event"] == "claimed"]
    assert [event["task"] for event in claimed] == [winner]
    # The winner's hook snapshot has the path; the losers' do not.
    for task_id, record in records.items():
        declared = rules_of(Path(record["worktree"]))
        assert ("shared/config.py" in declared) == (task_id == winner), task_id
