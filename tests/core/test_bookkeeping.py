"""The bookkeeping judge and the merge combination on texts (DESIGN §2, §6): what a unit may
write into its plan, named by line, and two sides' marks combined byte for byte."""

from __future__ import annotations

import json

from gitwt.core.bookkeeping import bookkeeping_violations, shared_progress
from gitwt.core.bookkeeping_merge import combined, generic_entry

PLAN = "# Tasks\n\n- [ ] T001 a in x.py\n- [ ] T002 b in y.py\n  - detail\n- [ ] T003 c\n"
OWN = ["markdown", "tasks.md", ["T001", "T002"]]


def test_own_ticks_and_blocked_notes_pass_anything_else_names_its_line() -> None:
    ticked = PLAN.replace("[ ] T001", "[x] T001").replace("[ ] T002", "[X] T002")
    assert bookkeeping_violations(PLAN, ticked, OWN) == []
    assert bookkeeping_violations(PLAN, PLAN.replace("[ ] T001", "[-] T001"), OWN) == []
    blocked = PLAN.replace("  - detail\n", "  - detail\n  - _Blocked: no feed_\n")
    assert bookkeeping_violations(PLAN, blocked, OWN) == []
    assert bookkeeping_violations(blocked, PLAN, OWN) == []  # the note taken out again
    other = PLAN.replace("[ ] T003", "[x] T003")
    assert bookkeeping_violations(PLAN, other, OWN) == [
        (6, "the check box of task T003, which is not this task's")
    ]
    reworded = PLAN.replace("b in y.py", "b in z.py")
    assert bookkeeping_violations(PLAN, reworded, OWN) == [(4, "changed beyond its check box")]
    added = PLAN.replace("  - detail\n", "  - detail\n  - more work\n")
    assert bookkeeping_violations(PLAN, added, OWN) == [(6, "line added to the plan")]
    dropped = PLAN.replace("  - detail\n", "")
    assert [line for line, _ in bookkeeping_violations(PLAN, dropped, OWN)] == [5]
    assert bookkeeping_violations(PLAN, None, OWN)[0][0] == 1  # deleting the plan


def test_ids_written_in_bold_in_brackets_or_after_an_optional_mark() -> None:
    plan = "- [ ] **T001** a\n- [ ] [T002] b\n- [ ]* 2.3 optional\n- [ ] 2.4 other\n"
    entry = ["markdown", "tasks.md", ["T001", "T002", "2.3"]]
    ticked = plan.replace("- [ ]", "- [x]", 3)
    assert bookkeeping_violations(plan, ticked, entry) == []
    assert bookkeeping_violations(plan, plan.replace("[ ] 2.4", "[x] 2.4"), entry)[0][0] == 4


def test_line_endings_are_part_of_the_line() -> None:
    crlf = PLAN.replace("\n", "\r\n")
    assert bookkeeping_violations(crlf, crlf.replace("[ ] T001", "[x] T001"), OWN) == []
    mixed = crlf.replace("- [ ] T001 a in x.py\r\n", "- [x] T001 a in x.py\n")
    assert bookkeeping_violations(crlf, mixed, OWN) == [(3, "changed beyond its check box")]


def test_front_matter_status_and_updated_only() -> None:
    task = "---\nname: A\nstatus: open\nupdated: 1\n---\n\n# A\n- [ ] works\n"
    entry = ["markdown", "1.md", ["*"]]
    closed = task.replace("status: open", "status: closed").replace("updated: 1", "updated: 2")
    assert bookkeeping_violations(task, closed.replace("[ ] works", "[x] works"), entry) == []
    renamed = task.replace("name: A", "name: B")
    assert bookkeeping_violations(task, renamed, entry)[0][0] == 2


def tasks_json(*statuses: str, updated: str = "2026-01-01", details: str = "d") -> str:
    tasks = [
        {
            "id": number,
            "title": f"t{number}",
            "status": status,
            "subtasks": [
                {"id": 1, "details": details if number == 1 else "d", "status": "pending"}
            ],
        }
        for number, status in enumerate(statuses, 1)
    ]
    data = {"master": {"tasks": tasks, "metadata": {"created": "c", "updated": updated}}}
    return json.dumps(data, indent=2) + "\n"


def test_task_master_status_notes_and_metadata_updated() -> None:
    base = tasks_json("pending", "pending")
    entry = ["json", "tasks.json", ["1"]]
    done = tasks_json("done", "pending", updated="2026-01-02", details="d\n<info>x</info>")
    assert bookkeeping_violations(base, done, entry) == []
    other = tasks_json("pending", "done")
    (line, why), *_ = bookkeeping_violations(base, other, entry)
    assert other.splitlines()[line - 1].strip() == '"status": "done",'
    assert why == "the status of task 2, which is not this task's"
    rewritten = tasks_json("pending", "pending", details="e")
    assert "notes may only be appended" in bookkeeping_violations(base, rewritten, entry)[0][1]
    retitled = base.replace('"t1"', '"T1"')
    assert bookkeeping_violations(base, retitled, entry)[0][1].startswith("field 'title'")


def test_two_sides_marks_combine_byte_for_byte() -> None:
    ours = PLAN.replace("[ ] T001", "[x] T001")
    theirs = PLAN.replace("[ ] T002", "[x] T002")
    both = PLAN.replace("[ ] T001", "[x] T001").replace("[ ] T002", "[x] T002")
    assert combined(PLAN, ours, theirs, generic_entry("tasks.md")) == both
    assert combined(PLAN, ours, PLAN.replace("b in", "B in"), generic_entry("tasks.md")) is None


def test_metadata_updated_takes_the_later_value() -> None:
    base = tasks_json("pending", "pending")
    ours = tasks_json("done", "pending", updated="2026-01-03")
    theirs = tasks_json("pending", "done", updated="2026-01-02")
    merged = combined(base, ours, theirs, generic_entry("tasks.json"))
    assert merged == tasks_json("done", "done", updated="2026-01-03")


def test_shared_progress_files() -> None:
    assert shared_progress(".planning/STATE.md") == "GSD"
    assert shared_progress(".claude/epics/shop/execution-status.md") == "ccpm"
    assert shared_progress(".claude/epics/shop/1.md") is None
    assert shared_progress("docs/STATE.md") is None
    assert shared_progress(".planning/phases/01-x/STATE.md") is None
    assert shared_progress(".claude/epics/shop/updates/1/execution-status.md") is None
