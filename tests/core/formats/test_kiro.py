"""Kiro / cc-sdd plans read as cc-sdd's own task rules read them: order is a dependency."""

from __future__ import annotations

from gitwt.core.formats import kiro
from gitwt.core.formats.plan_units import TASK, UNIT
from tests.core.formats.expected_readings import FIXTURES, compare, plan_files

ROOT = FIXTURES / "kiro"
FOLDER = ".kiro/specs/berths/"


def read(tasks: str, design: str | None = None) -> kiro.PlanReading:
    files = {FOLDER + "tasks.md": tasks}
    if design is not None:
        files[FOLDER + "design.md"] = design
    return kiro.read(files)


def test_the_fixture_gives_exactly_its_expected_reading() -> None:
    reading = kiro.read(plan_files(ROOT))
    compare(ROOT, reading, lambda unit: f"tide-alerts.{unit['id']}")
    [run] = {c.source for c in reading.claims if c.between == ("2.1", "2.3")}
    assert run == ".kiro/specs/tide-alerts/tasks.md:22"
    boundaries = [item for item in reading.ignored if item.token in ("TideRules", "Notify")]
    assert len(boundaries) == 3 and all("no design.md" in item.reason for item in boundaries)


def test_plan_of_and_an_unrelated_file() -> None:
    assert kiro.plan_of(".kiro/specs/tide-alerts/tasks.md") == ".kiro/specs/tide-alerts/"
    assert kiro.plan_of(".kiro/steering/tech.md") is None
    assert read("# Notes\n\n- [ ] buy rope\n").units == ()


DESIGN = """# Design

## File Structure Plan

### Directory Structure
```
harbour/
├── berths/                # BerthRegistry: berth records and draughts
│   ├── registry.py
│   └── models.py
└── web/
    └── panel.py           # Dashboard panel (NEW)
```

### Modified Files
- `harbour/settings.py` — BerthRegistry reads the berth list from settings

## Components and Interfaces

#### Dashboard

Renders berth status in `harbour/web/templates/berths.html`.

**Dependencies**
- Outbound: BerthRegistry — reads `harbour/berths/registry.py` (P0)

Deeper notes live in `research.md`.

```python
class Panel: ...  # harbour/web/not_a_declaration.py
```
"""


def test_boundaries_resolve_through_design_md_with_provenance() -> None:
    tasks = """# Implementation Plan

- [ ] 1. Berths
- [ ] 1.1 (P) Keep berth records
  - _Boundary: BerthRegistry_
- [ ] 1.2 (P) Show berths
  - _Boundary: Dashboard, Nowhere_
"""
    reading = read(tasks, DESIGN)
    [unit] = reading.units
    tasks_by_id = {task.native_id: task for task in unit.tasks}
    registry = [(m.mention.path, m.source, m.mention.line) for m in tasks_by_id["1.1"].mentions]
    assert registry == [
        ("harbour/berths/", FOLDER + "design.md", 8),
        ("harbour/settings.py", FOLDER + "design.md", 16),
    ]
    assert "_Boundary: BerthRegistry_" in tasks_by_id["1.1"].mentions[0].note
    dashboard = [m.mention.path for m in tasks_by_id["1.2"].mentions]
    assert dashboard == ["harbour/web/panel.py", "harbour/web/templates/berths.html"]
    assert tasks_by_id["1.2"].mentions[0].mention.creates  # the tree marks it NEW
    [missing] = [item for item in reading.ignored if item.token == "Nowhere"]
    assert "names no file" in missing.reason and missing.line == 7


def test_order_is_a_dependency_lifted_by_runs_of_p() -> None:
    tasks = """# Implementation Plan

- [x] 1. Foundation
  - Create `app/base.py`
- [ ] 2. Alerts (P)
  - Create `app/alerts.py`
- [ ] 3. (P) Reports
  - Create `app/reports.py`
- [ ] 4. Wiring
- [ ] 4.1 Wire alerts into `app/main.py`
- [-] 4.2 (P) Wire reports into `app/cli.py`
  - _Blocked: the CLI needs a review_
- [ ] 4.3 (P) Wire exports into `app/export.py`
  - _Depends: 1_
- [ ] 4.4 Document in `docs/alerts.md`
"""
    reading = read(tasks)
    units = {unit.native_id: unit for unit in reading.units}
    assert units["1"].status == "done" and units["4"].status == "blocked"
    assert units["2"].depends_on == ("berths.1",)
    assert units["3"].depends_on == ("berths.1",)  # (P) lifts its preceding (P) peer only
    assert units["4"].depends_on == ("berths.1", "berths.2", "berths.3")
    claims = {(c.level, c.between, c.unit) for c in reading.claims}
    assert claims == {
        (UNIT, ("berths.2", "berths.3"), None),
        (TASK, ("4.2", "4.3"), "berths.4"),
    }
    lines = {task.native_id: task.depends_on for task in units["4"].tasks}
    assert lines["4.1"] == ("berths.1", "berths.2", "berths.3")
    assert lines["4.2"] == ("berths.4.1",) and lines["4.3"] == ("berths.4.1", "berths.1")
    assert lines["4.4"] == ("berths.4.2", "berths.4.3")


def test_a_depends_on_a_later_or_unknown_task_is_a_problem_naming_the_line() -> None:
    tasks = "- [ ] 1. First\n  - _Depends: 2_\n- [ ] 2. Second\n  - _Depends: 9.9_\n"
    problems = read(tasks).problems
    assert [(p.line, "_Depends: 2_" in p.message) for p in problems][:1] == [(1, True)]
    assert "no task of this file" in problems[1].message and problems[1].hint


def test_p_peers_a_depends_orders_claim_nothing() -> None:
    tasks = """- [ ] 1. Alerts
- [ ] 1.1 (P) Add `app/a.py`
- [ ] 1.2 (P) Add `app/b.py`
  - _Depends: 1.1_
- [ ] 1.3 (P) Add `app/c.py`
"""
    claims = {c.between for c in read(tasks).claims}
    assert claims == {("1.1", "1.3"), ("1.2", "1.3")}


def test_an_unnumbered_check_box_is_reported_not_read() -> None:
    reading = read("- [ ] 1. Alerts\n  - Create `app/a.py`\n- [ ] Tidy `app/b.py`\n")
    [unit] = reading.units
    assert [m.mention.path for m in unit.mentions] == ["app/a.py"]
    [item] = [i for i in reading.ignored if i.line == 3]
    assert "without a task number" in item.reason
    nested = read("- [ ] 1. Alerts\n  - [ ] Create `app/a.py`\n")
    assert [m.mention.path for m in nested.units[0].mentions] == ["app/a.py"]


def test_headings_as_major_tasks_and_boundaries_that_name_files() -> None:
    tasks = """# Implementation Plan

## 1. Foundation

- [ ] 1.1 Set up the schema
  _Boundary: src/db/schema.sql_

## 2. Core (P)

- [x] 2.1 (P) Roman numerals
  _Boundary: roman.ts (conversion only), Badges_
"""
    reading = read(tasks, DESIGN)
    units = {unit.native_id: unit for unit in reading.units}
    assert (units["1"].title, units["1"].line) == ("Foundation", 3)
    assert units["2"].depends_on == ("berths.1",) and units["2"].status == "done"
    paths = {
        task.native_id: [m.mention.path for m in task.mentions]
        for u in units.values()
        for task in u.tasks
    }
    assert paths["1.1"] == ["src/db/schema.sql"] and paths["2.1"] == ["roman.ts"]
    [badges] = [item for item in reading.ignored if item.token == "Badges"]
    assert "names no file" in badges.reason
    titled = read("# 1. Implementation Plan\n\n- [ ] 1. Alerts\n  - Create `app/a.py`\n")
    assert titled.problems == () and titled.units[0].title == "Alerts"
