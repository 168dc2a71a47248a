"""`status --json` starts the same git processes for 2 live tasks as for 6 (DESIGN §10: bounded
by a constant where git can batch). Nothing in status is genuinely per task today: every
branch's commits come from one `rev-list`, their changed paths and audit from one
`diff-tree --stdin`, the forecast from one `merge-tree --stdin`, the specs at base from the
`cat-file --batch` discovery opened for the committed config. (A branch with several fork
points, after criss-cross merges, asks `merge-base` alone; these branches have one.)"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from bench.git_processes import git_processes, traced_environment
from tests.conftest import Repo
from tests.services.tasks.test_status import commit_file, start_open
from tests.services.tasks.test_supervisor import UNGATED


def traced_status(repo: Repo, log: Path) -> tuple[Counter[str], dict[str, object]]:
    log.unlink(missing_ok=True)
    result = repo.cli("status", "--json", env=traced_environment(log))
    assert result.code == 0, result.err
    return git_processes(log), result.json()


def add_tasks(repo: Repo, ids: list[str]) -> None:
    """Start `ids`, give each branch commits (the first two share a file: a real merge for the
    forecast), then move base, so no branch has base as an ancestor."""
    trees = start_open(repo, {task_id: [f"t{task_id}.txt"] for task_id in ids})
    for task_id, tree in trees.items():
        commit_file(tree, f"t{task_id}.txt", f"{task_id}\n")
        commit_file(tree, f"t{task_id}-2.txt", "outside\n")  # a finding for the audit
    for task_id in ids[:2]:
        commit_file(trees[task_id], "shared.txt", f"task {task_id}\n")
    repo.write("base.txt", f"after {ids[-1]}\n")
    repo.commit_all("base moves")


def test_status_git_processes_do_not_grow_with_the_tasks(repo: Repo, tmp_path: Path) -> None:
    repo.write("shared.txt", "base\n")
    repo.commit_all("shared")
    add_tasks(repo, ["1", "2"])
    two_first, report = traced_status(repo, tmp_path / "two-first")
    two_again, _ = traced_status(repo, tmp_path / "two-again")
    assert len(report["tasks"]) == 2  # type: ignore[arg-type]
    add_tasks(repo, ["3", "4", "5", "6"])
    six_first, report = traced_status(repo, tmp_path / "six-first")
    six_again, _ = traced_status(repo, tmp_path / "six-again")
    tasks = report["tasks"]
    assert len(tasks) == 6  # type: ignore[arg-type]
    assert all(task["ahead"] >= 2 and task["violations"] for task in tasks[2:])  # type: ignore[index]
    assert report["forecast"]["merges"] >= 1  # type: ignore[index]
    assert six_first == two_first, (
        two_first,
        six_first,
    )  # new tips: audit and paths in one diff-tree
    assert six_again == two_again, (two_again, six_again)
    # Every status judges every branch again (the audit cache is agent-writable, DESIGN §13):
    # still one diff-tree for all of them, with or without new tips.
    assert two_first["diff-tree"] == 1 and two_again["diff-tree"] == 1
    assert two_first["rev-list"] == 1 and two_first["merge-base"] == 0
    # The repository is discovered once per command (`status` used to discover it twice).
    assert two_first["rev-parse"] == 1, two_first
    # The specs at base come through the `cat-file` that read the committed config: 7 in all
    # (rev-parse, cat-file, for-each-ref, worktree list, rev-list, diff-tree, merge-tree).
    assert two_first["cat-file"] == 1 and two_again["cat-file"] == 1, two_first
    assert sum(two_first.values()) == 7 and sum(two_again.values()) == 7, two_first


TRAIL_PLAN = """# Tasks: Trail

## Phase 1: Setup

- [ ] T001 Create trail/config.toml

## Phase 2: User Story 1 - Walk (Priority: P1)

- [ ] T002 [US1] Write the walk in trail/walk.py

## Phase 3: User Story 2 - Run (Priority: P2)

- [ ] T003 [US2] Write the run in trail/run.py
"""


def test_plan_units_are_read_at_base_in_a_constant_number_of_processes(
    repo: Repo, tmp_path: Path
) -> None:
    """A plan unit's declaration comes from its plan at base, read through the catalog (one
    `git archive`, the tree listed): still the same processes for one unit as for two, the
    config read through the command's `cat-file` and the branches from status's own listing."""
    repo.write("specs/010-trail/tasks.md", TRAIL_PLAN)
    repo.write(".gitparallel.toml", UNGATED)
    repo.commit_all("plan")
    trees = {}
    for unit, path in (("010.US1", "trail/walk.py"), ("010.US2", "trail/run.py")):
        result = repo.cli("start", unit)
        assert result.code == 0, result.err
        trees[unit] = repo.path.parent / f"repo-wt{unit}"
        commit_file(trees[unit], path, f"{unit}\n")
        if unit == "010.US1":
            one, report = traced_status(repo, tmp_path / "one")
            assert [task["files"] for task in report["tasks"]] == [["trail/walk.py"]]  # type: ignore[index]
    two, report = traced_status(repo, tmp_path / "two")
    assert len(report["tasks"]) == 2 and not any(  # type: ignore[arg-type]
        task["violations"]
        for task in report["tasks"]  # type: ignore[attr-defined]
    )
    assert one == two, (one, two)
    assert one["cat-file"] == 1 and one["for-each-ref"] == 1 and one["archive"] == 1, one
