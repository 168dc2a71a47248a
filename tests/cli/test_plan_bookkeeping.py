"""Plans are living files (DESIGN §2, §6), through the real CLI for each of the six tools.

Two units of one plan are started, and, for the tools whose plans have task lines, two task
lines the plan lets run side by side (spec-kit `[P]`, cc-sdd `(P)`, Task Master subtasks that
wait for nothing; ccpm, OpenSpec and GSD plans give no task lines). In each worktree the agent
does what its tool's implement step does (ticks its task lines, sets its status, appends a note,
writes its SUMMARY) and commits: the commit hook accepts it. Ticking another unit's task or
editing any other line of the plan is refused, naming the line; a shared progress file is
refused with the hint to update it on base. Merging both, one after the other, gives no
conflict: base's plan holds both units' bookkeeping, byte for byte.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import Repo, git

UNGATED = "cpu_max = 100\nmemory_max = 100\npoll_interval = 0.2\n"

SPECKIT = """\
# Tasks: Trail log

## Phase 1: Setup

- [ ] T001 Create the settings in out/settings.txt

## Phase 2: User Story 1 - Import tracks (Priority: P1)

- [ ] T002 [P] [US1] Create the GPX reader in out/gpx.txt
- [ ] T003 [P] [US1] Create the GPX writer in out/gpx_out.txt

## Phase 3: User Story 2 - Elevation (Priority: P2)

- [ ] T004 [P] [US2] Create the elevation statistics in out/stats.txt
- [ ] T005 [P] [US2] Create the pace statistics in out/pace.txt
"""

KIRO = """\
# Implementation Plan

- [ ] 1. (P) Import GPX tracks
- [ ] 1.1 Read the track points
  - Create `out/gpx.txt` that reads track points
  - _Requirements: 1.1_

- [ ] 2. (P) Elevation statistics
- [ ] 2.1 Sum ascent and descent
  - Create `out/stats.txt` with ascent and descent
  - _Requirements: 2.1_
"""

KIRO_LINES = """\
# Implementation Plan

- [ ] 1. Alerts
- [ ] 1.1 (P) Evaluate the thresholds in `out/rules.txt`
- [ ] 1.2 (P) Send the alerts by SMS in `out/sms.txt`
"""


def ccpm_task(name: str, path: str) -> str:
    return (
        f"---\nname: {name}\nstatus: open\ncreated: 2026-03-02T09:00:00Z\n"
        "updated: 2026-03-02T09:00:00Z\ndepends_on: []\nparallel: true\nconflicts_with: []\n"
        f"---\n\n# Task: {name}\n\n## Acceptance Criteria\n- [ ] It works\n\n"
        f"### Files Affected\n- `{path}` (new)\n"
    )


def gsd_plan(plan: str, path: str) -> str:
    return (
        f"---\nphase: 01-trail\nplan: {plan}\ntype: execute\nwave: 1\ndepends_on: []\n"
        f"files_modified:\n  - {path}\nautonomous: true\n---\n\n<objective>\nPlan {plan}.\n"
        f'</objective>\n\n<tasks>\n\n<task type="auto">\n  <name>Task 1: write it</name>\n'
        f"  <files>{path}</files>\n  <action>Write the file.</action>\n</task>\n\n</tasks>\n"
    )


def taskmaster() -> str:
    listed = [
        {
            "id": number,
            "title": title,
            "description": title,
            "details": f"Create {path}.",
            "testStrategy": "",
            "priority": "medium",
            "dependencies": [],
            "status": "pending",
            "subtasks": [
                {
                    "id": 1,
                    "title": f"{title}: first step",
                    "description": "",
                    "details": "Start small.",
                    "status": "pending",
                    "dependencies": [],
                }
            ],
        }
        for number, title, path in (
            (1, "Import GPX", "out/gpx.txt"),
            (2, "Elevation", "out/stats.txt"),
        )
    ]
    metadata = {"created": "2026-03-05T10:00:00.000Z", "updated": "2026-03-05T10:00:00.000Z"}
    return json.dumps({"master": {"tasks": listed, "metadata": metadata}}, indent=2) + "\n"


def taskmaster_lines() -> str:
    """One task in two subtasks that wait for nothing: Task Master's own rule lets them run side
    by side (it has no parallel mark; its dependencies are the order)."""
    subtasks = [
        {
            "id": number,
            "title": f"Read {path}",
            "description": "",
            "details": f"Create {path}.",
            "status": "pending",
            "dependencies": [],
        }
        for number, path in ((1, "out/gpx.txt"), (2, "out/kml.txt"))
    ]
    task = {
        "id": 1,
        "title": "Import tracks",
        "description": "Import GPX and KML tracks.",
        "details": "",
        "testStrategy": "",
        "priority": "medium",
        "dependencies": [],
        "status": "pending",
        "subtasks": subtasks,
    }
    metadata = {"created": "2026-03-05T10:00:00.000Z", "updated": "2026-03-05T10:00:00.000Z"}
    return json.dumps({"master": {"tasks": [task], "metadata": metadata}}, indent=2) + "\n"


def set_subtask(sub: int, status: str, updated: str, note: str = "") -> Callable[[dict], None]:
    """What `set-status --id=1.<sub>` (and `update-subtask`, with a note) write."""

    def change(data: dict) -> None:
        entry = data["master"]["tasks"][0]["subtasks"][sub - 1]
        entry["status"] = status
        entry["details"] += note
        data["master"]["metadata"]["updated"] = updated

    return change


def replaced(old: str, new: str) -> Callable[[str], str]:
    def edit(text: str) -> str:
        assert old in text, old
        return text.replace(old, new, 1)

    return edit


def both(*edits: Callable[[str], str]) -> Callable[[str], str]:
    def edit(text: str) -> str:
        for one in edits:
            text = one(text)
        return text

    return edit


def json_edit(change: Callable[[dict], None]) -> Callable[[str], str]:
    def edit(text: str) -> str:
        data = json.loads(text)
        change(data)
        return json.dumps(data, indent=2) + "\n"  # as Task Master writes it

    return edit


def set_status(task: int, status: str, updated: str, note: str = "") -> Callable[[dict], None]:
    def change(data: dict) -> None:
        entry = data["master"]["tasks"][task - 1]
        entry["status"] = status
        entry["subtasks"][0]["status"] = status
        if note:
            entry["subtasks"][0]["details"] += note
        data["master"]["metadata"]["updated"] = updated

    return change


@dataclass
class Plan:
    files: dict[str, str]
    units: tuple[str, str]
    # per unit: (file, its implement step's edit); for a whole new file the edit gets ""
    own: tuple[tuple[str, Callable[[str], str]], tuple[str, Callable[[str], str]]]
    # an edit in the first unit's worktree that is not its bookkeeping: (file, edit, a text
    # of the first line the refusal names; None: the file is no bookkeeping of it at all)
    foreign: tuple[str, Callable[[str], str], str | None]
    shared: str | None = None  # a shared progress file of the plan, refused for any task


SPECKIT_PLAN = "specs/010-trail/tasks.md"
KIRO_PLAN = ".kiro/specs/trail/tasks.md"
TM_PLAN = ".taskmaster/tasks/tasks.json"
EPIC = ".claude/epics/trail"
PHASE = ".planning/phases/01-trail"

PLANS = {
    "spec-kit": Plan(
        {SPECKIT_PLAN: SPECKIT},
        ("010.US1", "010.US2"),
        (
            (SPECKIT_PLAN, replaced("- [ ] T002", "- [X] T002")),
            (SPECKIT_PLAN, replaced("- [ ] T004", "- [X] T004")),
        ),
        (SPECKIT_PLAN, replaced("- [ ] T004", "- [X] T004"), "T004"),
    ),
    # Two task lines the plan marks [P], side by side in one file: adjacent ticks.
    "spec-kit-lines": Plan(
        {SPECKIT_PLAN: SPECKIT},
        ("010.T002", "010.T003"),
        (
            (SPECKIT_PLAN, replaced("- [ ] T002", "- [X] T002")),
            (SPECKIT_PLAN, replaced("- [ ] T003", "- [X] T003")),
        ),
        (SPECKIT_PLAN, replaced("Create the GPX reader", "Write the GPX reader"), "T002"),
    ),
    "kiro": Plan(
        {KIRO_PLAN: KIRO},
        ("trail.1", "trail.2"),
        (
            (
                KIRO_PLAN,
                both(
                    replaced("- [ ] 1.1 Read", "- [x] 1.1 Read"),
                    replaced(
                        "_Requirements: 1.1_\n", "_Requirements: 1.1_\n  - _Blocked: no feed_\n"
                    ),
                ),
            ),
            (
                KIRO_PLAN,
                both(replaced("- [ ] 2.1 Sum", "- [x] 2.1 Sum"), replaced("- [ ] 2.", "- [x] 2.")),
            ),
        ),
        (KIRO_PLAN, replaced("- [ ] 2.1 Sum", "- [x] 2.1 Sum"), "2.1 Sum"),
    ),
    # Two (P) sub-tasks side by side: cc-sdd runs them one at a time; here each has a worktree.
    "kiro-lines": Plan(
        {KIRO_PLAN: KIRO_LINES},
        ("trail.1.1", "trail.1.2"),
        (
            (KIRO_PLAN, replaced("- [ ] 1.1 (P)", "- [x] 1.1 (P)")),
            (KIRO_PLAN, replaced("- [ ] 1.2 (P)", "- [x] 1.2 (P)")),
        ),
        (KIRO_PLAN, replaced("- [ ] 1. Alerts", "- [x] 1. Alerts"), "1. Alerts"),
    ),
    "openspec": Plan(
        {
            "openspec/changes/add-gpx/tasks.md": "## 1. Work\n\n- [ ] 1.1 Create `out/gpx.txt`\n",
            "openspec/changes/add-stats/tasks.md": (
                "## 1. Work\n\n- [ ] 1.1 Create `out/stats.txt`\n"
            ),
        },
        ("add-gpx", "add-stats"),
        (
            ("openspec/changes/add-gpx/tasks.md", replaced("- [ ] 1.1", "- [x] 1.1")),
            ("openspec/changes/add-stats/tasks.md", replaced("- [ ] 1.1", "- [x] 1.1")),
        ),
        ("openspec/changes/add-gpx/tasks.md", replaced("## 1. Work", "## 1. Work!"), "Work!"),
    ),
    "ccpm": Plan(
        {
            f"{EPIC}/epic.md": "---\nname: trail\nstatus: backlog\n---\n\n# Epic: trail\n",
            f"{EPIC}/1.md": ccpm_task("Import GPX", "out/gpx.txt"),
            f"{EPIC}/2.md": ccpm_task("Elevation", "out/stats.txt"),
        },
        ("trail.1", "trail.2"),
        (
            (
                f"{EPIC}/1.md",
                both(
                    replaced("status: open", "status: closed"),
                    replaced("updated: 2026-03-02T09:00:00Z", "updated: 2026-03-03T10:00:00Z"),
                    replaced("- [ ] It works", "- [x] It works"),
                ),
            ),
            (f"{EPIC}/2.md", replaced("status: open", "status: in-progress")),
        ),
        (f"{EPIC}/1.md", replaced("name: Import GPX", "name: Import GPX files"), "GPX files"),
        f"{EPIC}/epic.md",
    ),
    "taskmaster": Plan(
        {TM_PLAN: taskmaster()},
        ("tm.1", "tm.2"),
        (
            (
                TM_PLAN,
                json_edit(
                    set_status(1, "done", "2026-03-06T09:00:00.000Z", "\n<info added>read</info>")
                ),
            ),
            (TM_PLAN, json_edit(set_status(2, "in-progress", "2026-03-06T08:00:00.000Z"))),
        ),
        (TM_PLAN, json_edit(set_status(2, "done", "2026-03-06T09:00:00.000Z")), '"done"'),
    ),
    # Two subtasks of one task, side by side: two statuses and metadata.updated in one file.
    "taskmaster-lines": Plan(
        {TM_PLAN: taskmaster_lines()},
        ("tm.1.1", "tm.1.2"),
        (
            (
                TM_PLAN,
                json_edit(set_subtask(1, "done", "2026-03-06T09:00:00.000Z", "\n<info>ok</info>")),
            ),
            (TM_PLAN, json_edit(set_subtask(2, "in-progress", "2026-03-06T08:00:00.000Z"))),
        ),
        (TM_PLAN, json_edit(set_subtask(2, "done", "2026-03-06T09:00:00.000Z")), '"done"'),
    ),
    "gsd": Plan(
        {
            f"{PHASE}/01-01-PLAN.md": gsd_plan("01", "out/gpx.txt"),
            f"{PHASE}/01-02-PLAN.md": gsd_plan("02", "out/stats.txt"),
            ".planning/STATE.md": "# State\n\nPhase 1 of 1\n",
        },
        ("gsd.01-01", "gsd.01-02"),
        (
            (f"{PHASE}/01-01-SUMMARY.md", lambda _: "# Summary 01-01\n\nRead the tracks.\n"),
            (f"{PHASE}/01-02-SUMMARY.md", lambda _: "# Summary 01-02\n\nSummed ascent.\n"),
        ),
        (f"{PHASE}/01-01-PLAN.md", replaced("Write the file.", "Write it."), None),
        ".planning/STATE.md",
    ),
}


def planned(repo: Repo, plan: Plan) -> dict[str, Path]:
    for path, text in plan.files.items():
        repo.write(path, text)
    repo.write(".gitparallel.toml", UNGATED)
    repo.commit_all("the plan")
    started = repo.cli("start", *plan.units, "--json")
    assert started.code == 0, started
    return {task["id"]: Path(task["worktree"]) for task in started.json()["tasks"]}


def edit(worktree: Path, path: str, change: Callable[[str], str]) -> None:
    target = worktree / path
    before = target.read_text() if target.exists() else ""
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(change(before))


def commit(worktree: Path, message: str) -> tuple[int, str]:
    git(worktree, "add", "-A")
    done = subprocess.run(
        ["git", "commit", "-q", "-m", message], cwd=worktree, capture_output=True, text=True
    )
    return done.returncode, done.stdout + done.stderr


def committed(repo: Repo, plan: Plan) -> dict[str, str]:
    """Start both units, check the refusals, commit each unit's bookkeeping; base's plan
    files as they must read once both are merged."""
    worktrees = planned(repo, plan)
    first, second = (worktrees[unit] for unit in plan.units)

    # Something else than bookkeeping in a plan file: refused, naming the line.
    path, change, marker = plan.foreign
    edit(first, path, change)
    code, said = commit(first, "not bookkeeping")
    assert code != 0, said
    assert path in said
    if marker is not None:
        lines = (first / path).read_text().splitlines()
        line = next(number for number, text in enumerate(lines, 1) if marker in text)
        assert f"line {line}:" in said, said
    git(first, "reset", "-q", "--hard")

    if plan.shared is not None:  # a shared progress file: refused, updated on base after merge
        edit(first, plan.shared, lambda text: text + "Plan 1 done\n")
        code, said = commit(first, "shared progress")
        assert code != 0 and plan.shared in said, said
        assert "update it on base after the merge" in said, said
        git(first, "reset", "-q", "--hard")

    # Each unit's own implement step: accepted by the commit hook.
    for worktree, (path, change) in zip((first, second), plan.own, strict=True):
        edit(worktree, path, change)
        code, said = commit(worktree, "bookkeeping")
        assert code == 0, said

    expected = dict(plan.files)
    for path, change in plan.own:
        expected[path] = change(expected.get(path, ""))
    return expected


@pytest.mark.parametrize("tool", sorted(PLANS))
def test_each_unit_commits_its_own_bookkeeping_and_nothing_else(repo: Repo, tool: str) -> None:
    committed(repo, PLANS[tool])


@pytest.mark.parametrize("tool", sorted(PLANS))
def test_merging_both_units_keeps_both_units_bookkeeping(repo: Repo, tool: str) -> None:
    """spec-kit-lines (adjacent ticks) and taskmaster, taskmaster-lines (two statuses, both
    sides rewriting metadata.updated) are where git's own merge conflicts."""
    plan = PLANS[tool]
    expected = committed(repo, plan)
    if tool.startswith("taskmaster"):  # the first unit's metadata.updated is the later one
        expected[TM_PLAN] = expected[TM_PLAN].replace("2026-03-06T08:00", "2026-03-06T09:00")
    status = repo.cli("status", *plan.units, "--json")  # bookkeeping is no forecast conflict
    assert status.code == 0, status
    assert [row["conflicts_with"] for row in status.json()["tasks"]] == [{}, {}], status.out
    for unit in plan.units:  # one after the other: the second meets the first's marks on base
        # Only the agents' own marks here; what merge itself writes (mark_done) is
        # tests/cli/test_next_batch.py's.
        merged = repo.cli("merge", unit, "--no-mark-done", "--json")
        assert merged.code == 0, merged
        assert [r["result"] for r in merged.json()["results"]] == ["merged"], merged.out
    for path, text in expected.items():
        assert repo.git("show", f"main:{path}") == text, path


def test_a_plan_conflict_beyond_status_marks_stays_a_conflict(repo: Repo) -> None:
    """Base rewrote the line beside the task's tick: git conflicts, and since base's side is
    no bookkeeping, gitwt does not write the file; base and the branch stay as they were."""
    plan = PLANS["spec-kit-lines"]
    worktrees = planned(repo, plan)
    first = worktrees[plan.units[0]]
    edit(first, SPECKIT_PLAN, replaced("- [ ] T002", "- [X] T002"))
    assert commit(first, "tick T002")[0] == 0
    repo.write(SPECKIT_PLAN, SPECKIT.replace("Create the GPX writer", "Write the GPX writer"))
    repo.commit_all("the plan changes on base")  # the plan file is no unit's declared path
    before = repo.git("rev-parse", "main").strip()

    merged = repo.cli("merge", plan.units[0], "--json")
    assert merged.code == 1, merged
    (result,) = merged.json()["results"]
    assert result["result"] == "conflicted" and result["paths"] == [SPECKIT_PLAN]
    assert repo.git("rev-parse", "main").strip() == before


HOOK = str(Path(sys.executable).parent / "git-parallel-hook")
PAYLOADS = Path(__file__).resolve().parents[1] / "fixtures" / "agent-payloads"


def agent_hook(verb: str, payload: str, worktree: Path, path: str) -> subprocess.CompletedProcess:
    text = (PAYLOADS / payload).read_text()
    text = text.replace("@WORKTREE@", str(worktree)).replace("@PATH@", path)
    text = text.replace("@COMMAND@", "make")
    return subprocess.run(
        [HOOK, verb], input=text, cwd=worktree, capture_output=True, text=True, check=False
    )


def test_no_overlap_and_the_same_verdict_in_check_and_the_agents_hooks(repo: Repo) -> None:
    """Two [P] task lines of one tasks.md: `plan` sees no conflict through the plan file, and
    `check --path`, `check --staged` and the agents' hooks judge the plan file as the commit
    hook does (`check --path` allows it, the content is judged once written; the pre-edit hook
    judges the content the payload gives: tests/hook/test_agent_hook_plan_edits.py)."""
    plan = PLANS["spec-kit-lines"]
    for path, text in plan.files.items():
        repo.write(path, text)
    repo.commit_all("the plan")
    planned_units = repo.cli("plan", *plan.units, "--json")
    assert planned_units.code == 0, planned_units
    assert planned_units.json()["conflicts"] == []
    assert planned_units.json()["bookkeeping"] == {
        unit: [
            {"path": SPECKIT_PLAN, "kind": "markdown", "ids": [native], "provenance": "bookkeeping"}
        ]
        for unit, native in zip(plan.units, ("T002", "T003"), strict=True)
    }
    worktrees = planned(repo, plan)
    first = worktrees[plan.units[0]]

    asked = repo.cli("check", "--path", SPECKIT_PLAN, cwd=first)
    assert asked.code == 0, asked
    pre_edit = agent_hook("agent", "claude-write.json", first, SPECKIT_PLAN)
    assert pre_edit.returncode == 2 and "line 1:" in pre_edit.stderr, pre_edit.stderr  # code

    edit(first, SPECKIT_PLAN, replaced("- [ ] T003", "- [x] T003"))  # the other line's box
    shell = agent_hook("agent-shell", "claude-bash-after.json", first, "")
    assert shell.returncode == 2 and "line 10:" in shell.stderr, shell.stderr
    git(first, "add", "-A")
    staged = repo.cli("check", "--staged", cwd=first)
    assert staged.code == 1 and "line 10:" in staged.out + staged.err, staged

    git(first, "reset", "-q", "--hard")
    edit(first, SPECKIT_PLAN, replaced("- [ ] T002", "- [x] T002"))  # its own
    shell = agent_hook("agent-shell", "claude-bash-after.json", first, "")
    assert shell.returncode == 0, shell.stderr
    git(first, "add", "-A")
    assert repo.cli("check", "--staged", cwd=first).code == 0


def test_a_shared_progress_file_is_refused_before_the_edit_too(repo: Repo) -> None:
    plan = PLANS["gsd"]
    worktrees = planned(repo, plan)
    first = worktrees[plan.units[0]]
    asked = repo.cli("check", "--path", ".planning/STATE.md", cwd=first)
    assert asked.code == 1, asked
    assert "update it on base after the merge" in asked.out + asked.err
    assert repo.cli("check", "--path", f"{PHASE}/01-01-SUMMARY.md", cwd=first).code == 0
    assert repo.cli("check", "--path", f"{PHASE}/01-02-SUMMARY.md", cwd=first).code == 1


def test_a_ccpm_task_writes_its_own_updates_folder_only(repo: Repo) -> None:
    plan = PLANS["ccpm"]
    worktrees = planned(repo, plan)
    first = worktrees[plan.units[0]]
    edit(first, f"{EPIC}/updates/1/stream-A.md", lambda _: "# Stream A\n\nProgress: 50%\n")
    code, said = commit(first, "progress of task 1")
    assert code == 0, said
    edit(first, f"{EPIC}/updates/2/stream-A.md", lambda _: "# Stream A\n")
    code, said = commit(first, "another task's progress")
    assert code != 0 and f"{EPIC}/updates/2/stream-A.md" in said, said


def test_bookkeeping_widened_in_the_record_is_tampered(repo: Repo) -> None:
    """The record's bookkeeping is agent-writable: the audit derives it from the plan on base,
    and a record that gives a unit another unit's status marks rejects the task."""
    plan = PLANS["ccpm"]
    worktrees = planned(repo, plan)
    first = plan.units[0]
    common = Path(repo.git("rev-parse", "--path-format=absolute", "--git-common-dir").strip())
    records = {unit: common / "parallel" / "tasks" / f"{unit}.json" for unit in plan.units}
    mine, theirs = (json.loads(records[unit].read_text()) for unit in plan.units)
    mine["bookkeeping"] = mine["bookkeeping"] + theirs["bookkeeping"]
    records[first].write_text(json.dumps(mine))
    path, change = plan.own[1]  # the second unit's own status change, made by the first
    edit(worktrees[first], path, change)
    git(worktrees[first], "add", "-A")
    git(worktrees[first], "commit", "-q", "--no-verify", "-m", "tick the other unit's task")
    base = repo.git("rev-parse", "main").strip()
    merged = repo.cli("merge", first, "--json")
    assert merged.code == 1, merged
    assert "tampered" in merged.out, merged.out
    assert repo.git("rev-parse", "main").strip() == base
