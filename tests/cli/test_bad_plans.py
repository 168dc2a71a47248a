"""Bad plans other tools wrote, through the real CLI: each is a problem naming its file and
line, the rest of the report stays complete, and the exit code is 2 only when a unit the user
named cannot be used. Never a traceback."""

from __future__ import annotations

import pytest

from tests.cli.test_plan_claims import copy_plan
from tests.conftest import Repo

TASKS_JSON = ".taskmaster/tasks/tasks.json"
BROKEN_TASK = ".claude/epics/invoice-export/104.md"


@pytest.fixture
def broken(repo: Repo) -> Repo:
    copy_plan(repo, "spec-kit")
    copy_plan(repo, "ccpm")
    repo.write(TASKS_JSON, '{\n  "master": {\n    "tasks": [\n      {"id": 1, "title": "x",\n')
    repo.write(
        BROKEN_TASK,
        "---\nname: Broken\nstatus: open\ndepends_on: [101\nparallel: true\n---\n# Task\n",
    )
    (repo.path / ".claude/epics/invoice-export/105.md").write_bytes(b"\xff\xfe not text")
    repo.commit_all("plans, some of them broken")
    return repo


def test_specs_lists_every_unit_and_every_problem_with_file_and_line(broken: Repo) -> None:
    result = broken.cli("specs", "--json")
    assert result.code == 0, result
    listed = result.json()["specs"]
    assert {"004.US1", "invoice-export.101", "invoice-export.103"} <= {e["id"] for e in listed}
    problems = {(p["source"], p["line"]) for e in listed for p in e["problems"]}
    assert (TASKS_JSON, 5) in problems and (BROKEN_TASK, 5) in problems
    assert any(source.endswith("105.md") for source, _ in problems)
    assert "Traceback" not in result.err


def test_a_bad_plan_elsewhere_leaves_plan_of_other_units_alone(broken: Repo) -> None:
    result = broken.cli("plan", "004.US1", "--json")
    assert result.code == 0, result
    assert result.json()["spec_problems"] == [] and result.json()["unusable"] == []


def test_a_named_unit_of_a_broken_plan_is_unusable_and_says_why(broken: Repo) -> None:
    result = broken.cli("plan", "tm.1")
    assert result.code == 2
    assert result.err.startswith("git parallel: error: task tm.1 cannot be read: malformed JSON")
    assert f"{TASKS_JSON}:5" in result.err and "hint:" in result.err
    result = broken.cli("plan", "invoice-export.104", "--json")
    assert result.code == 2
    (problem,) = result.json()["spec_problems"]
    assert (problem["source"], problem["line"], problem["task"]) == (
        BROKEN_TASK,
        5,  # where YAML noticed the bracket left open on line 4
        "invoice-export.104",
    )


def test_a_group_with_a_broken_unit_is_reported_whole(broken: Repo) -> None:
    result = broken.cli("plan", "invoice-export", "--json")
    assert result.code == 2  # 104 was meant with its group, and cannot be read
    report = result.json()
    assert report["unusable"] == ["invoice-export.104"]
    assert sorted(report["task_file_map"]) == [
        "invoice-export.101",
        "invoice-export.102",
        "invoice-export.103",
    ]
    assert any(not claim["holds"] for claim in report["claims"])  # the rest stays complete
    assert broken.cli("start", "invoice-export").code == 2  # nothing starts with a unit missing
