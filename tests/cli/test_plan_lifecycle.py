"""Units of plans other tools wrote through the whole life of a task, with the real CLI: `start`
two units, `status`, commit in a worktree, `merge`, `clean`; `batch GROUP` in dependency waves.

Each plan is written here in its tool's own layout and grammar, with two independent units
(each creating its own file) and a third that depends on both.
"""

from __future__ import annotations

import shlex
import sys
from pathlib import Path

import pytest

from tests.conftest import Repo, git

UNGATED = "cpu_max = 100\nmemory_max = 100\npoll_interval = 0.2\n"

SPECKIT = """\
# Tasks: Trail log

## Phase 1: User Story 1 - Import tracks (Priority: P1)

- [ ] T001 [P] [US1] Create the GPX reader in out/gpx.txt

## Phase 2: User Story 2 - Elevation (Priority: P2)

- [ ] T002 [P] [US2] Create the elevation statistics in out/stats.txt

## Phase 3: Polish

- [ ] T003 Create the summary in out/summary.txt
"""

KIRO = """\
# Implementation Plan

- [ ] 1. (P) Import GPX tracks
  - Create `out/gpx.txt` that reads track points
  - _Requirements: 1.1_

- [ ] 2. (P) Elevation statistics
  - Create `out/stats.txt` with ascent and descent
  - _Requirements: 2.1_

- [ ] 3. Summary
  - Create `out/summary.txt` from both
"""

# format -> (plan file, its text, the two independent units, the one after both, group)
PLANS = {
    "spec-kit": (
        "specs/010-trail/tasks.md",
        SPECKIT,
        ("010.US1", "010.US2"),
        "010.phase3",
        "010",
    ),
    "kiro": (".kiro/specs/trail/tasks.md", KIRO, ("trail.1", "trail.2"), "trail.3", "trail"),
}
FILES = {0: "out/gpx.txt", 1: "out/stats.txt"}


def planned(repo: Repo, tool: str) -> tuple[tuple[str, str], str, str]:
    path, text, units, last, group = PLANS[tool]
    repo.write(path, text)
    repo.write(".gitparallel.toml", UNGATED)
    repo.commit_all(f"a {tool} plan")
    return units, last, group


@pytest.mark.parametrize("tool", sorted(PLANS))
def test_start_status_merge_clean_two_units(repo: Repo, tool: str) -> None:
    (first, second), _, _ = planned(repo, tool)
    started = repo.cli("start", first, second, "--json")
    assert started.code == 0, started
    tasks = {task["id"]: task for task in started.json()["tasks"]}
    assert set(tasks) == {first, second}
    assert tasks[first]["branch"] == f"parallel/{first}"  # a dotted id is a valid branch name
    worktree = Path(tasks[first]["worktree"])
    assert worktree.is_dir() and first in worktree.name

    (worktree / FILES[0]).parent.mkdir(parents=True, exist_ok=True)
    (worktree / FILES[0]).write_text("reader\n")
    git(worktree, "add", "-A")
    git(worktree, "commit", "-q", "-m", f"{first}: the reader")
    (worktree / FILES[1]).write_text("not this unit's\n")
    git(worktree, "add", "-A")
    refused = repo.cli("check", "--staged", cwd=worktree)
    assert refused.code == 1 and FILES[1] in refused.out  # the other unit's file
    git(worktree, "reset", "-q", "--hard")

    status = repo.cli("status", first, second, "--json")
    assert status.code == 0, status
    rows = {row["id"]: row for row in status.json()["tasks"]}
    assert rows[first]["state"] == "open" and rows[first]["ahead"] == 1
    assert rows[second]["ahead"] == 0

    merged = repo.cli("merge", first, "--json")
    assert merged.code == 0, merged
    assert [r["result"] for r in merged.json()["results"]] == ["merged"]
    assert repo.git("show", f"main:{FILES[0]}") == "reader\n"

    cleaned = repo.cli("clean", second, "--json")
    assert cleaned.code == 0, cleaned
    assert cleaned.json()["tasks"][0]["cleaned"] is True
    assert f"parallel/{second}" not in repo.git("branch", "--list")


@pytest.mark.slow
@pytest.mark.parametrize("tool", sorted(PLANS))
def test_batch_of_a_group_runs_its_units_in_waves(repo: Repo, tool: str) -> None:
    (first, second), last, group = planned(repo, tool)
    files = {first: FILES[0], second: FILES[1], last: "out/summary.txt"}
    # Each unit's command writes its own file and commits it; the last one also records
    # whether the two others' work was on its base when it started.
    script = (
        "import pathlib, subprocess, sys\n"
        f"files = {files!r}\n"
        "unit = sys.argv[1]\n"
        "seen = all(pathlib.Path(f).exists() for u, f in files.items() if u != unit)\n"
        "target = pathlib.Path(files[unit])\n"
        "target.parent.mkdir(parents=True, exist_ok=True)\n"
        "target.write_text(f'{unit} saw the others: {seen}\\n')\n"
        "subprocess.run(['git', 'add', '-A'], check=True)\n"
        "subprocess.run(['git', 'commit', '-q', '-m', unit], check=True)\n"
    )
    (repo.path.parent / "unit.py").write_text(script)
    command = (
        f"{shlex.quote(sys.executable)} {shlex.quote(str(repo.path.parent / 'unit.py'))} {{id}}"
    )
    result = repo.cli("batch", group, "--run", command, "--json", timeout=300)
    assert result.code == 0, result
    report = result.json()
    assert sorted(report["tasks_executed"]) == sorted([first, second, last])
    assert report["merge_results"] == {first: "merged", second: "merged", last: "merged"}
    assert report["not_run"] == []
    assert repo.git("show", "main:out/summary.txt") == f"{last} saw the others: True\n"
    assert "saw the others: False" in repo.git("show", f"main:{FILES[0]}")
