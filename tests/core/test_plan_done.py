"""`core.plan_done`: what a merge writes into the plan to record a task line done."""

from __future__ import annotations

from gitwt.core.formats.plan_units import PlanTask, PlanUnit
from gitwt.core.plan_done import done_texts

PLAN = ".kiro/specs/trail/tasks.md"
KIRO = (
    "# Implementation Plan\n\n"
    "- [ ] 1. Alerts\n"
    "- [x] 1.1 Evaluate the thresholds in `out/rules.txt`\n"
    "- [ ] 1.2 Send the alerts by SMS in `out/sms.txt`\n\n"
    "- [ ] 2. Report\n"
    "- [ ] 2.1 Write the weekly report in `out/report.txt`\n"
)


def sub_task(native: str, line: int, done: bool = False) -> PlanTask:
    return PlanTask(f"trail.{native}", native, "trail.1", "t", PLAN, line, done=done)


def unit(*tasks: PlanTask) -> PlanUnit:
    """Unit 1 as the reader gives it: its own numbered line is its first task."""
    own = PlanTask("trail.1", "1", "trail.1", "Alerts", PLAN, 3)
    return PlanUnit("trail.1", "1", "kiro", "trail", "Alerts", PLAN, 3, tasks=(own, *tasks))


def test_the_last_sub_task_to_merge_ticks_its_numbered_task_too() -> None:
    last = sub_task("1.2", 5)
    alerts = unit(sub_task("1.1", 4, done=True), last)
    assert done_texts(alerts, last, {PLAN: KIRO}) == {
        PLAN: KIRO.replace("- [ ] 1. ", "- [x] 1. ").replace("- [ ] 1.2", "- [x] 1.2")
    }


def test_a_sub_task_with_open_siblings_ticks_only_its_own_line() -> None:
    first = sub_task("1.1", 4)
    alerts = unit(first, sub_task("1.2", 5))
    opened = KIRO.replace("- [x] 1.1", "- [ ] 1.1")
    assert done_texts(alerts, first, {PLAN: opened}) == {
        PLAN: opened.replace("- [ ] 1.1", "- [x] 1.1")
    }


def test_a_spec_kit_line_never_ticks_its_phase_heading() -> None:
    tasks = "## Phase 1\n\n- [X] T001 a in x.py\n- [ ] T002 b in y.py\n"
    line = PlanTask("004.T002", "T002", "004.phase1", "b", "specs/004/tasks.md", 4)
    phase = PlanUnit(
        "004.phase1", "phase1", "spec-kit", "004", "P", "specs/004/tasks.md", 1, tasks=(line,)
    )
    assert done_texts(phase, line, {"specs/004/tasks.md": tasks}) == {
        "specs/004/tasks.md": tasks.replace("- [ ] T002", "- [X] T002")
    }
