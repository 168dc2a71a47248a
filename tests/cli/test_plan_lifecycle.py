"""Units of plans other tools wrote through the whole life of a task, with the real CLI: `start`
two units, `status`, commit in a worktree, `merge`, `clean`; `batch GROUP` in dependency waves.

Each plan is written here in its tool's own layout and grammar, with two independent units
(each creating its own file) and a third that depends on both.
"""

from __future__ import annotations

import json
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


def ccpm_task(name: str, path: str, depends_on: str = "[]") -> str:
    return (
        f"---\nname: {name}\nstatus: open\ncreated: 2026-03-02T09:00:00Z\n"
        f"updated: 2026-03-02T09:00:00Z\ndepends_on: {depends_on}\n"
        f"parallel: {'true' if depends_on == '[]' else 'false'}\nconflicts_with: []\n---\n\n"
        f"# Task: {name}\n\n## Description\n{name}.\n\n### Files Affected\n- `{path}` (new)\n"
    )


def gsd_plan(plan: str, wave: int, depends_on: str, path: str) -> str:
    return (
        f"---\nphase: 01-trail\nplan: {plan}\ntype: execute\nwave: {wave}\n"
        f"depends_on: {depends_on}\nfiles_modified:\n  - {path}\nautonomous: true\n---\n\n"
        f'<objective>\nPlan {plan}.\n</objective>\n\n<tasks>\n\n<task type="auto">\n'
        f"  <name>Task 1: write it</name>\n  <files>{path}</files>\n"
        "  <action>Write the file.</action>\n  <verify>test -f it</verify>\n"
        "  <done>It exists</done>\n</task>\n\n</tasks>\n"
    )


def taskmaster(tasks: list[tuple[int, str, str, list[int]]]) -> str:
    listed = [
        {
            "id": number,
            "title": title,
            "description": title,
            "details": f"Create {path}.",
            "testStrategy": "",
            "priority": "medium",
            "dependencies": depends,
            "status": "pending",
            "subtasks": [],
        }
        for number, title, path, depends in tasks
    ]
    return json.dumps({"master": {"tasks": listed, "metadata": {}}}, indent=2) + "\n"


def openspec_change(path: str) -> str:
    return f"## 1. Work\n\n- [ ] 1.1 Create `{path}`\n"


# format -> (plan files and texts, the two independent units, the one after both, group)
PLANS = {
    "spec-kit": (
        {"specs/010-trail/tasks.md": SPECKIT},
        ("010.US1", "010.US2"),
        "010.phase3",
        "010",
    ),
    "kiro": ({".kiro/specs/trail/tasks.md": KIRO}, ("trail.1", "trail.2"), "trail.3", "trail"),
    "ccpm": (
        {
            ".claude/epics/trail/1.md": ccpm_task("Import GPX", "out/gpx.txt"),
            ".claude/epics/trail/2.md": ccpm_task("Elevation", "out/stats.txt"),
            ".claude/epics/trail/3.md": ccpm_task("Summary", "out/summary.txt", "[1, 2]"),
        },
        ("trail.1", "trail.2"),
        "trail.3",
        "trail",
    ),
    "gsd": (
        {
            ".planning/phases/01-trail/01-01-PLAN.md": gsd_plan("01", 1, "[]", "out/gpx.txt"),
            ".planning/phases/01-trail/01-02-PLAN.md": gsd_plan("02", 1, "[]", "out/stats.txt"),
            ".planning/phases/01-trail/01-03-PLAN.md": gsd_plan(
                "03", 2, '["01-01", "01-02"]', "out/summary.txt"
            ),
        },
        ("gsd.01-01", "gsd.01-02"),
        "gsd.01-03",
        "gsd.01",
    ),
    "taskmaster": (
        {
            ".taskmaster/tasks/tasks.json": taskmaster(
                [
                    (1, "Import GPX", "out/gpx.txt", []),
                    (2, "Elevation", "out/stats.txt", []),
                    (3, "Summary", "out/summary.txt", [1, 2]),
                ]
            )
        },
        ("tm.1", "tm.2"),
        "tm.3",
        "tm",
    ),
}
# An OpenSpec change is one unit with no order to another: two changes, no group of them.
CHANGES = {
    "openspec/changes/add-gpx/tasks.md": openspec_change("out/gpx.txt"),
    "openspec/changes/add-stats/tasks.md": openspec_change("out/stats.txt"),
}
UNITS = {**{tool: plan[1] for tool, plan in PLANS.items()}, "openspec": ("add-gpx", "add-stats")}
FILES = {0: "out/gpx.txt", 1: "out/stats.txt"}


def planned(repo: Repo, tool: str) -> None:
    for path, text in (PLANS[tool][0] if tool in PLANS else CHANGES).items():
        repo.write(path, text)
    repo.write(".gitparallel.toml", UNGATED)
    repo.commit_all(f"a {tool} plan")


@pytest.mark.parametrize("tool", sorted(UNITS))
def test_start_status_merge_clean_two_units(repo: Repo, tool: str) -> None:
    planned(repo, tool)
    first, second = UNITS[tool]
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
    planned(repo, tool)
    _, (first, second), last, group = PLANS[tool]
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


def test_a_group_id_names_its_started_units_in_status_merge_and_clean(repo: Repo) -> None:
    planned(repo, "spec-kit")
    _, (first, second), last, group = PLANS["spec-kit"]
    refused = repo.cli("start", group)
    assert refused.code == 1 and last in refused.err  # it depends on the two others
    started = repo.cli("start", first, second, "--json")
    assert started.code == 0, started
    for index, task in enumerate(started.json()["tasks"]):
        worktree = Path(task["worktree"])
        (worktree / FILES[index]).parent.mkdir(parents=True, exist_ok=True)
        (worktree / FILES[index]).write_text(f"{task['id']}\n")
        git(worktree, "add", "-A")
        git(worktree, "commit", "-q", "-m", task["id"])
    rows = repo.cli("status", group, "--json").json()["tasks"]
    assert sorted(row["id"] for row in rows) == sorted([first, second])
    merged = repo.cli("merge", group, "--json")
    assert merged.code == 0, merged
    assert sorted(r["id"] for r in merged.json()["results"]) == sorted([first, second])
    assert repo.cli("status", "nothing.here").code == 2


def test_a_unit_whose_id_cannot_name_a_branch_is_a_problem_naming_its_file(repo: Repo) -> None:
    repo.write("openspec/changes/fix auth/tasks.md", openspec_change("src/auth.py"))
    repo.write("openspec/changes/v2.lock/tasks.md", openspec_change("src/v2.py"))
    repo.write("openspec/changes/add-gpx/tasks.md", openspec_change("out/gpx.txt"))
    repo.commit_all("changes")
    listed = repo.cli("specs", "--json").json()["specs"]
    problems = {p["source"].rstrip("/"): p for entry in listed for p in entry["problems"]}
    for name in ("fix auth", "v2.lock"):
        problem = next(p for source, p in problems.items() if name in source)
        assert "task id" in problem["message"] and problem["hint"]
    assert [entry["id"] for entry in listed if entry["id"]] == ["add-gpx"]
    assert repo.cli("start", "add-gpx").code == 0
