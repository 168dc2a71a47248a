"""Arbitrary Markdown to every reader of this package: no crash, only valid declared patterns."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gitwt.core import patterns
from gitwt.core.formats import kiro, speckit
from gitwt.core.formats.plan_units import PlanReading

PIECES = [
    "## Phase 1: Setup",
    "## Phase 3: User Story 1 - X",
    "### Tests",
    "## Dependencies",
    "- [ ] T001 [P] [US1] Create src/a.py",
    "- [X] T002 [P] Edit `b/c.go` (depends on T001)",
    "- **User Story 1 (P1)**: Can start after Phase 2 - No dependencies on other stories",
    "- Developer A: User Story 1",
    "- Developer B: US2",
    "T001 and T002 can run together",
    "## Parallel Example: US1",
    "```",
    'Task: "Create src/a.py"',
    "<!--",
    "-->",
    "- [ ] 1. Core (P)",
    "- [x] 1.1 (P) Add `x/y.py`",
    "  - _Boundary: Core, API_",
    "  - _Depends: 1.1, 9_",
    "  - _Blocked: waiting_",
    "- [ ]* 2.1 Test and/or src/",
    "├── src/   # Core",
    "| Core | `src/core/` |",
    "#### Core",
    "@scope/pkg ../x /abs",
]
MARKDOWN = st.lists(st.one_of(st.sampled_from(PIECES), st.text(max_size=40)), max_size=30).map(
    "\n".join
)


def check(reading: PlanReading) -> None:
    for unit in reading.units:
        for item in (*unit.mentions, *(m for task in unit.tasks for m in task.mentions)):
            assert patterns.validate(item.mention.path) == item.mention.path
        assert all(task.unit == unit.id for task in unit.tasks)
    ids = {unit.id for unit in reading.units} | {
        task.id for unit in reading.units for task in unit.tasks
    }
    for unit in reading.units:
        assert set(unit.depends_on) <= ids and unit.id not in unit.depends_on
    for problem in reading.problems:
        assert problem.message and problem.hint


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(MARKDOWN, MARKDOWN)
def test_speckit_reads_any_markdown(tasks: str, other: str) -> None:
    check(speckit.read({"specs/001-x/tasks.md": tasks, "specs/001-x/plan.md": other}))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(MARKDOWN, MARKDOWN)
def test_kiro_reads_any_markdown(tasks: str, design: str) -> None:
    check(kiro.read({".kiro/specs/x/tasks.md": tasks, ".kiro/specs/x/design.md": design}))
