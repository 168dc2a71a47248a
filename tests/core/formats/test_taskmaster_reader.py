"""Task Master's tasks.json read as Task Master reads it: tags, files, dependencies, bad JSON."""

from __future__ import annotations

import json
from typing import Any

from gitwt.core.formats import taskmaster
from gitwt.core.formats.plan_units import DEFERRED, DONE, IN_PROGRESS, OPEN, PlanReading
from tests.core.formats.expected_readings import (
    FIXTURES,
    compare,
    expected,
    paths_of,
    plan_reading,
)


def item(number: int | str, **fields: Any) -> dict[str, Any]:
    return {
        "id": number,
        "title": f"Task {number}",
        "status": "pending",
        "dependencies": [],
        **fields,
    }


def tagged(tasks: list[dict[str, Any]], tag: str = "master", **others: Any) -> str:
    data = {tag: {"tasks": tasks, "metadata": {"updated": "2026-03-05T10:00:00.000Z"}}, **others}
    return json.dumps(data, indent=2)


def read(text: str, **more: str) -> PlanReading:
    return taskmaster.read({taskmaster.TASKS: text, **more})


def test_the_fixture_gives_exactly_its_expected_reading() -> None:
    root = FIXTURES / "taskmaster"
    reading = plan_reading(taskmaster.read, root, taskmaster.plan_of)
    compare(root, reading, lambda unit: f"tm.{unit['id']}")
    wanted = expected(root)
    assert [[t.native_id for t in u.tasks] for u in reading.units] == [
        u["tasks"] for u in wanted["units"]
    ]
    assert reading.claims == () and reading.problems == ()
    assert [(u.native_id, u.group, u.title, u.status, u.files) for u in reading.units] == [
        (u["id"], "tm", u["title"], OPEN, tuple(u["files"])) for u in wanted["units"]
    ]
    # each unit's line is its "id" line in the file
    assert [u.line for u in reading.units] == [5, 16, 27, 38]


def test_the_tag_state_json_names_is_read_and_the_others_are_shown() -> None:
    text = json.dumps(
        {
            "master": {"tasks": [item(1, details="Edit src/master.py")]},
            "feature-x": {"tasks": [item(1, details="Edit src/feature.py")]},
        }
    )
    state = json.dumps({"currentTag": "feature-x"})
    reading = read(text, **{taskmaster.STATE: state})
    assert [paths_of(u.mentions) for u in reading.units] == [["src/feature.py"]]
    assert [(i.token, i.reason) for i in reading.ignored] == [
        ("tag master", "not the current tag ('feature-x', from state.json)")
    ]
    # without state.json: master; without master: the first tag, as Task Master falls back
    assert [paths_of(u.mentions) for u in read(text).units] == [["src/master.py"]]
    only = json.dumps({"feature-x": {"tasks": [item(1, details="Edit src/feature.py")]}})
    assert [paths_of(u.mentions) for u in read(only).units] == [["src/feature.py"]]


def test_a_missing_tag_is_a_problem() -> None:
    reading = read(tagged([item(1)]), **{taskmaster.STATE: '{"currentTag": "gone"}'})
    assert reading.units == ()
    (problem,) = reading.problems
    assert "'gone'" in problem.message and problem.hint


def test_untagged_and_old_layouts() -> None:
    untagged = json.dumps({"tasks": [item(1, details="Edit src/a.py")]})
    assert [u.id for u in read(untagged).units] == ["tm.1"]
    assert taskmaster.plan_of("tasks/tasks.json") == taskmaster.plan_of(taskmaster.TASKS)
    old = taskmaster.read({"tasks/tasks.json": untagged})
    assert [(u.id, u.source) for u in old.units] == [("tm.1", "tasks/tasks.json")]
    both = taskmaster.read({"tasks/tasks.json": untagged, taskmaster.TASKS: tagged([item(2)])})
    assert [u.id for u in both.units] == ["tm.2"]
    assert [i.token for i in both.ignored] == ["tasks/tasks.json"]
    # another tool's tasks/tasks.json is not a Task Master plan, and no problem either
    other = taskmaster.read({"tasks/tasks.json": '[{"name": "lint"}]'})
    assert (other.units, other.problems) == ((), ())


def test_relevant_files_that_change_are_declared_and_references_are_not() -> None:
    files = [
        {"path": "src/auth/service.ts", "description": "login", "action": "modify"},
        {"path": "src/auth/jwt.ts", "description": "new strategy", "action": "create"},
        {"path": "src/users/repo.ts", "description": "lookups", "action": "reference"},
    ]
    reading = read(tagged([item(1, relevantFiles=files)]))
    (unit,) = reading.units
    assert paths_of(unit.mentions) == ["src/auth/service.ts", "src/auth/jwt.ts"]
    assert [m.note for m in unit.mentions] == ["relevantFiles (modify)", "relevantFiles (create)"]
    assert [(i.token, i.reason) for i in reading.ignored] == [
        ("src/users/repo.ts", "relevantFiles: reference (read, not changed)")
    ]


def test_dependencies_numbers_strings_and_subtasks() -> None:
    tasks = [
        item(1, details="src/a.py"),
        item(
            7,
            details="src/g.py",
            subtasks=[
                item(1, details="src/g1.py"),
                item(2, dependencies=[1], details="src/g2.py"),
            ],
        ),
        item(8, dependencies=["7.2", "1"], details="src/h.py"),
        item(
            9,
            details="src/i.py",
            subtasks=[item(1, dependencies=["7.1"], details="src/i1.py")],
        ),
    ]
    units = {u.id: u for u in read(tagged(tasks)).units}
    # a unit waiting for subtask 7.2 waits for task 7, which holds it
    assert units["tm.8"].depends_on == ("tm.7", "tm.1")
    (first, second) = units["tm.7"].tasks
    assert (first.id, second.id, second.depends_on) == ("tm.7.1", "tm.7.2", ("tm.7.1",))
    # a subtask waiting for another task's subtask makes its unit wait for that task
    assert units["tm.9"].tasks[0].depends_on == ("tm.7.1",)
    # a subtask run on its own waits for what its task waits for
    ten = next(
        u
        for u in read(tagged([*tasks[:3], item(10, dependencies=[8], subtasks=[item(1)])])).units
        if u.id == "tm.10"
    )
    assert ten.tasks[0].depends_on == ("tm.8",)
    assert units["tm.9"].depends_on == ("tm.7",)
    assert paths_of(units["tm.7"].mentions) == ["src/g.py", "src/g1.py", "src/g2.py"]


def test_statuses() -> None:
    tasks = [
        item(n, status=s)
        for n, s in enumerate(
            ["pending", "done", "in-progress", "deferred", "cancelled", "review"], 1
        )
    ]
    assert [u.status for u in read(tagged(tasks)).units] == [
        OPEN,
        DONE,
        IN_PROGRESS,
        DEFERRED,
        DEFERRED,
        IN_PROGRESS,
    ]


def test_malformed_json_is_a_problem_with_file_and_line() -> None:
    text = '{\n  "master": {\n    "tasks": [\n      {"id": 1,}\n    ]\n  }\n}\n'
    reading = read(text)
    (problem,) = reading.problems
    assert (problem.source, problem.line) == (taskmaster.TASKS, 4)
    assert problem.message.startswith(f"malformed JSON in {taskmaster.TASKS}:4") and problem.hint


def test_deep_nesting_is_a_problem_not_a_traceback() -> None:
    text = '{"master": {"tasks": [' + "[" * 100_000 + "]" * 100_000 + "]}}"
    (problem,) = read(text).problems
    assert "nests too deep" in problem.message


def test_unknown_dependencies_and_bad_ids_are_reported() -> None:
    tasks = [item(1, dependencies=[5]), item("a b"), item(1)]
    reading = read(tagged(tasks))
    assert [u.id for u in reading.units] == ["tm.1"]
    messages = [p.message for p in reading.problems]
    assert any("depends on 5" in m for m in messages)
    assert any("no usable id ('a b')" in m for m in messages)
    assert any("two tasks" in m for m in messages)
    assert all(p.source == taskmaster.TASKS and p.hint for p in reading.problems)


def test_code_blocks_in_details_declare_nothing() -> None:
    details = (
        "Implement core/storage.py:\n```python\nimport os\n"
        "with open('data/cache.json') as f:\n    pass\n```\nThen update `core/runner.py`."
    )
    (unit,) = read(tagged([item(3, details=details)])).units
    assert paths_of(unit.mentions) == ["core/storage.py", "core/runner.py"]


def test_notes_update_subtask_appends_are_not_the_plan() -> None:
    details = (
        "Add the parser in `src/gpx.rs`.\n"
        "<info added on 2026-03-05T11:00:00.000Z>\nAlso touched src/model.rs and "
        "`src/util/time.rs` while debugging.\n</info added on 2026-03-05T11:00:00.000Z>"
    )
    sub = item(1, details=details)
    (unit,) = read(tagged([item(4, subtasks=[sub])])).units
    assert paths_of(unit.tasks[0].mentions) == ["src/gpx.rs"]
