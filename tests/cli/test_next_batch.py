"""`batch --next` through the real CLI, one plan per format and the older system's roadmap: it
runs what `next` picks, base's plan then marks exactly the merged units done (the smallest
edit, in the merge commit), and a second `next` moves on to what they unblocked.
"""

from __future__ import annotations

import shlex
import sys
from pathlib import Path

import pytest

from tests.cli.test_plan_lifecycle import CHANGES, FILES, PLANS, UNGATED
from tests.conftest import Repo

ROADMAP = """\
# Roadmap

### PRIORITY 1: US-001 - Import tracks 📝 Planned

### PRIORITY 2: US-002 - Elevation 📝 Planned

### PRIORITY 3: US-003 - Summary 📝 Planned

**Dependencies**: PRIORITY 1, PRIORITY 2
"""


def legacy(number: int, path: str) -> str:
    return f"# SPEC-{number:03d}: Spec {number}\n\n**Files to Create**:\n- `{path}`\n"


# format -> (files, the two units `next` picks first, the unit it picks after them or None,
# the edits (path, old, new) that say the two are done)
CASES: dict[str, tuple[dict[str, str], tuple[str, str], str | None, list[tuple[str, str, str]]]]
CASES = {
    "spec-kit": (
        PLANS["spec-kit"][0],
        ("010.US1", "010.US2"),
        "010.phase3",
        [
            ("specs/010-trail/tasks.md", "- [ ] T001", "- [X] T001"),
            ("specs/010-trail/tasks.md", "- [ ] T002", "- [X] T002"),
        ],
    ),
    "kiro": (
        PLANS["kiro"][0],
        ("trail.1", "trail.2"),
        "trail.3",
        [
            (".kiro/specs/trail/tasks.md", "- [ ] 1. (P)", "- [x] 1. (P)"),
            (".kiro/specs/trail/tasks.md", "- [ ] 2. (P)", "- [x] 2. (P)"),
        ],
    ),
    "ccpm": (
        PLANS["ccpm"][0],
        ("trail.1", "trail.2"),
        "trail.3",
        [
            (".claude/epics/trail/1.md", "status: open", "status: closed"),
            (".claude/epics/trail/2.md", "status: open", "status: closed"),
        ],
    ),
    "taskmaster": (
        PLANS["taskmaster"][0],
        ("tm.1", "tm.2"),
        "tm.3",
        [
            (".taskmaster/tasks/tasks.json", '"status": "pending"', '"status": "done"'),
            (".taskmaster/tasks/tasks.json", '"status": "pending"', '"status": "done"'),
        ],
    ),
    "openspec": (
        CHANGES,
        ("add-gpx", "add-stats"),
        None,
        [
            ("openspec/changes/add-gpx/tasks.md", "- [ ] 1.1", "- [x] 1.1"),
            ("openspec/changes/add-stats/tasks.md", "- [ ] 1.1", "- [x] 1.1"),
        ],
    ),
    # GSD's done is the SUMMARY.md the agent writes: gitwt writes none; its record counts.
    "gsd": (PLANS["gsd"][0], ("gsd.01-01", "gsd.01-02"), "gsd.01-03", []),
    "roadmap": (
        {
            "docs/roadmap/ROADMAP.md": ROADMAP,
            "docs/SPEC-001-gpx.md": legacy(1, FILES[0]),
            "docs/SPEC-002-stats.md": legacy(2, FILES[1]),
            "docs/SPEC-003-summary.md": legacy(3, "out/summary.txt"),
        },
        ("1", "2"),
        "3",
        [
            ("docs/roadmap/ROADMAP.md", "Import tracks 📝 Planned", "Import tracks ✅ Complete"),
            ("docs/roadmap/ROADMAP.md", "Elevation 📝 Planned", "Elevation ✅ Complete"),
        ],
    ),
}


def unit_command(repo: Repo, files: dict[str, str]) -> str:
    """Each task's command writes its own file and commits it."""
    script = (
        "import pathlib, subprocess, sys\n"
        f"files = {files!r}\n"
        "target = pathlib.Path(files[sys.argv[1]])\n"
        "target.parent.mkdir(parents=True, exist_ok=True)\n"
        "target.write_text(sys.argv[1] + '\\n')\n"
        "subprocess.run(['git', 'add', '-A'], check=True)\n"
        "subprocess.run(['git', 'commit', '-q', '-m', sys.argv[1]], check=True)\n"
    )
    (repo.path.parent / "unit.py").write_text(script)
    return f"{shlex.quote(sys.executable)} {shlex.quote(str(repo.path.parent / 'unit.py'))} {{id}}"


@pytest.mark.slow
@pytest.mark.parametrize("tool", sorted(CASES))
def test_batch_next_runs_the_set_marks_it_done_on_base_and_next_moves_on(
    repo: Repo, tool: str
) -> None:
    plan, (first, second), after, edits = CASES[tool]
    for path, text in plan.items():
        repo.write(path, text)
    repo.write(".gitparallel.toml", UNGATED)
    repo.commit_all(f"a {tool} plan")

    picked = repo.cli("next", "--json")
    assert picked.code == 0, picked
    assert [unit["id"] for unit in picked.json()["next"]] == [first, second]

    command = unit_command(repo, {first: FILES[0], second: FILES[1]})
    result = repo.cli("batch", "--next", "--run", command, "--json", timeout=300)
    assert result.code == 0, result
    assert result.json()["merge_results"] == {first: "merged", second: "merged"}

    expected = dict(plan)
    for path, old, new in edits:
        assert old in expected[path], (path, old)
        expected[path] = expected[path].replace(old, new, 1)
    for path, text in expected.items():
        assert repo.git("show", f"main:{path}") == text, path  # byte for byte the rest
    # The status is written in the merge commits themselves: no commit of its own.
    subjects = repo.git("log", "--first-parent", "--format=%s", "main").splitlines()
    assert all(s.startswith(("Merge task", f"a {tool} plan", "initial")) for s in subjects)

    repo.git("checkout", "-q", "-f", "main")  # the main checkout follows base
    again = repo.cli("next", "--json").json()
    assert [unit["id"] for unit in again["next"]] == ([after] if after else [])
    reasons = {unit["id"]: unit["reason"] for unit in again["left_out"]}
    # Done in its own plan; GSD's plan says nothing until a SUMMARY exists: gitwt's record.
    assert reasons[first] == reasons[second] == ("merged" if tool == "gsd" else "done")


def test_no_mark_done_and_a_failed_gate_leave_the_plan_as_it_was(repo: Repo) -> None:
    plan = PLANS["spec-kit"][0]
    for path, text in plan.items():
        repo.write(path, text)
    repo.write(".gitparallel.toml", UNGATED)
    repo.commit_all("a spec-kit plan")
    started = repo.cli("start", "010.US1", "010.US2", "--json")
    assert started.code == 0, started
    for index, task in enumerate(started.json()["tasks"]):
        worktree = Path(task["worktree"])
        (worktree / FILES[index]).parent.mkdir(parents=True, exist_ok=True)
        (worktree / FILES[index]).write_text("work\n")
        repo.git("-C", str(worktree), "add", "-A")
        repo.git("-C", str(worktree), "commit", "-q", "-m", task["id"])

    failing = repo.cli("merge", "010.US1", "--test", f"{shlex.quote(sys.executable)} -c 'exit(1)'")
    assert failing.code == 1
    assert repo.git("show", "main:specs/010-trail/tasks.md") == plan["specs/010-trail/tasks.md"]

    kept = repo.cli("merge", "010.US2", "--no-mark-done", "--json")
    assert kept.code == 0, kept
    assert repo.git("show", "main:specs/010-trail/tasks.md") == plan["specs/010-trail/tasks.md"]
    assert repo.git("show", f"main:{FILES[1]}") == "work\n"
    report = repo.cli("next", "--json").json()
    assert {u["id"]: u["reason"] for u in report["left_out"]}["010.US2"] == "merged"
