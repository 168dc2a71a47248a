"""The task-line expansion of each of the six plan formats, in-process on a real repository
(`planning.report_plan(..., task_lines=True)`, what `plan --task-lines` and `batch --task-lines`
both run).

spec-kit, cc-sdd and Task Master give task lines: a unit becomes its lines, in the order the
tool's rules give. ccpm, OpenSpec and GSD give none: their units run whole, and the report says
so. A Task Master task whose own text names a file none of its subtasks names runs whole too.
"""

from __future__ import annotations

import json

import pytest

from gitwt.services.context import Context
from gitwt.services.specs.planning import report_plan, task_line_plan
from tests.cli.test_plan_bookkeeping import KIRO_LINES, PLANS, SPECKIT, SPECKIT_PLAN
from tests.conftest import Repo

NO_LINES = "its plan gives it no task lines"


def taskmaster_subtasks() -> str:
    """Task 1 in two subtasks (the second waits for the first), task 2 in one that waits for
    task 1 as a whole: each subtask names its file; the tasks' own text names none."""

    def sub(number: int, path: str, depends: list) -> dict:
        return {
            "id": number,
            "title": f"Step {number}",
            "description": "",
            "details": f"Create {path}.",
            "status": "pending",
            "dependencies": depends,
        }

    tasks = [
        {
            "id": 1,
            "title": "Import",
            "description": "Import tracks.",
            "details": "",
            "dependencies": [],
            "status": "pending",
            "subtasks": [
                sub(1, "out/gpx.txt", []),
                sub(2, "out/kml.txt", []),
                sub(3, "out/all.txt", [1, 2]),
            ],
        },
        {
            "id": 2,
            "title": "Stats",
            "description": "Statistics.",
            "details": "",
            "dependencies": [1],
            "status": "pending",
            "subtasks": [sub(1, "out/stats.txt", [])],
        },
    ]
    return json.dumps({"master": {"tasks": tasks, "metadata": {}}}, indent=2) + "\n"


# tool -> (plan files, names, expected waves, expected whole units)
CASES = {
    "spec-kit": (
        {SPECKIT_PLAN: SPECKIT},
        ["010"],
        [["010.T001"], ["010.T002", "010.T003", "010.T004", "010.T005"]],
        {},
    ),
    "kiro": (
        {".kiro/specs/trail/tasks.md": KIRO_LINES},
        ["trail"],
        [["trail.1.1", "trail.1.2"]],
        {},
    ),
    "taskmaster": (
        {".taskmaster/tasks/tasks.json": taskmaster_subtasks()},
        ["tm"],
        [["tm.1.1", "tm.1.2"], ["tm.1.3"], ["tm.2.1"]],
        {},
    ),
    "taskmaster-details": (  # each task's details name its file, its subtask does not
        PLANS["taskmaster"].files,
        ["tm"],
        [["tm.1", "tm.2"]],
        {
            "tm.1": "it names paths none of its task lines names: out/gpx.txt",
            "tm.2": "it names paths none of its task lines names: out/stats.txt",
        },
    ),
    "ccpm": (
        PLANS["ccpm"].files,
        ["trail"],
        [["trail.1", "trail.2"]],
        {"trail.1": NO_LINES, "trail.2": NO_LINES},
    ),
    "openspec": (
        PLANS["openspec"].files,
        ["add-gpx", "add-stats"],
        [["add-gpx", "add-stats"]],
        {"add-gpx": NO_LINES, "add-stats": NO_LINES},
    ),
    "gsd": (
        PLANS["gsd"].files,
        ["gsd.01"],
        [["gsd.01-01", "gsd.01-02"]],
        {"gsd.01-01": NO_LINES, "gsd.01-02": NO_LINES},
    ),
}


@pytest.mark.parametrize("tool", sorted(CASES))
def test_each_format_expands_into_its_task_lines(repo: Repo, tool: str) -> None:
    files, names, waves, whole = CASES[tool]
    for path, text in files.items():
        repo.write(path, text)
    repo.commit_all("the plan")
    context = Context.discover(str(repo.path))
    _, report = report_plan(names, context, task_lines=True)
    assert report.survey.unusable == [], report.survey.problems
    assert report.plan.waves == waves
    assert report.survey.expansion is not None
    assert report.survey.expansion.whole == whole
    assert report.held_apart == []
    # What `batch --task-lines` runs is the same.
    assert task_line_plan(Context.discover(str(repo.path)), names).plan.waves == waves


def test_a_dependency_on_an_expanded_unit_waits_for_each_of_its_lines(repo: Repo) -> None:
    """spec-kit's story phase waits for Setup: named as two units, the story's lines wait for
    Setup's line; named alone, Setup is outside the run (as for units: treated as done)."""
    repo.write(SPECKIT_PLAN, SPECKIT)
    repo.commit_all("the plan")
    _, both = report_plan(["010.phase1", "010.US1"], Context.discover(str(repo.path)), True)
    depends = {task.id: task.depends_on for task in both.plan.tasks}
    assert depends["010.T002"] == ("010.T001",)
    assert both.plan.waves == [["010.T001"], ["010.T002", "010.T003"]]
    _, alone = report_plan(["010.US1"], Context.discover(str(repo.path)), True)
    assert alone.plan.waves == [["010.T002", "010.T003"]]
