"""spec-kit plans read as spec-kit's own templates and implement command read them."""

from __future__ import annotations

import pytest

from gitwt.core.formats import speckit
from gitwt.core.formats.plan_units import TASK, UNIT
from tests.core.formats.expected_readings import FIXTURES, compare, plan_files, unit_by_title

ROOT = FIXTURES / "spec-kit"


def read(text: str, folder: str = "specs/007-tides/") -> speckit.PlanReading:
    return speckit.read({folder + "tasks.md": text})


def test_the_fixture_gives_exactly_its_expected_reading() -> None:
    reading = speckit.read(plan_files(ROOT))
    compare(ROOT, reading, unit_by_title(reading))
    assert [unit.id for unit in reading.units] == [
        "004.phase1",
        "004.phase2",
        "004.US1",
        "004.US2",
        "004.phase5",
    ]
    claim = next(c for c in reading.claims if c.between == ("T009", "T010"))
    assert (claim.unit, claim.marker, claim.source) == (
        "004.US1",
        "[P]",
        "specs/004-loan-renewals/tasks.md:45",
    )
    [prose] = [c for c in reading.claims if c.level == UNIT]
    assert prose.marker == "prose" and prose.source.endswith(":69")
    ignored = {item.token: item.reason for item in reading.ignored}
    assert "read, not changed" in ignored["quickstart.md"]


def test_folders_group_ids_and_feature_json() -> None:
    assert speckit.plan_of("specs/004-loan-renewals/tasks.md") == "specs/004-loan-renewals/"
    assert speckit.plan_of("specs/004-loan-renewals/plan.md") is None
    assert speckit.group_of("specs/20250101-120000-tides/") == "20250101-120000"
    assert speckit.group_of("specs/0012-tides/") == "0012"
    assert speckit.feature_folder('{"feature_directory": "features/tides"}') == "features/tides/"
    assert speckit.feature_folder('{"feature_directory": "/home/me/x"}') is None
    assert speckit.feature_folder("not json") is None
    text = "## Phase 1: Setup\n\n- [ ] T001 Create src/a.py\n"
    [unit] = read(text, "specs/20250101-120000-tides/").units
    assert unit.id == "20250101-120000.phase1"


def test_an_unrelated_tasks_file_is_not_a_plan() -> None:
    assert read("# Tasks\n\n- [ ] buy milk\n- [x] write src/a.py\n").units == ()


def test_p_is_scoped_to_its_subsection_and_ticks_are_done() -> None:
    text = """## Phase 3: User Story 1 - Alerts (Priority: P1)

### Tests for User Story 1

- [X] T010 [P] [US1] Contract test in tests/contract/test_alerts.py
- [x] T011 [P] [US1] Integration test in tests/integration/test_alerts.py

### Implementation for User Story 1

- [ ] T012 [P] [US1] Create Alert model in src/models/alert.py
- [ ] T013 [P] [US1] Create Berth model in src/models/berth.py
- [ ] T014 [US1] Implement AlertService in src/services/alerts.py (depends on T012, T013)
"""
    [unit] = read(text).units
    assert unit.id == "007.US1" and unit.status == "in_progress"
    assert {c.between for c in read(text).claims} == {("T010", "T011"), ("T012", "T013")}
    tasks = {task.native_id: task for task in unit.tasks}
    assert tasks["T010"].done and not tasks["T012"].done
    assert tasks["T012"].depends_on == ("007.T010", "007.T011")  # tests first, then the models
    assert tasks["T014"].depends_on == ("007.T012", "007.T013")


def test_default_phase_order_without_a_dependency_section() -> None:
    text = "".join(
        f"## Phase {n}: {name}\n\n- [ ] T00{n} Change src/{n}.py\n\n"
        for n, name in enumerate(
            ["Setup", "Foundational", "User Story 1", "User Story 2", "Polish"], 1
        )
    )
    units = {unit.native_id: unit.depends_on for unit in read(text).units}
    assert units == {
        "Phase 1": (),
        "Phase 2": ("007.phase1",),
        "US1": ("007.phase1", "007.phase2"),
        "US2": ("007.phase1", "007.phase2"),
        "Phase 5": ("007.phase1", "007.phase2", "007.US1", "007.US2"),
    }


TEMPLATE_TAIL = """
## Dependencies & Execution Order

### Phase Dependencies

- **Setup (Phase 1)**: No dependencies - can start immediately
- **Foundational (Phase 2)**: Depends on Setup completion - BLOCKS all user stories
- **User Stories (Phase 3+)**: All depend on Foundational phase completion
  - User stories can then proceed in parallel (if staffed)
- **Polish (Final Phase)**: Depends on all desired user stories being complete

### User Story Dependencies

- **User Story 1 (P1)**: Can start after Foundational (Phase 2) - No dependencies on other stories
- **User Story 2 (P2)**: Can start after Foundational (Phase 2) - May integrate with US1

## Parallel Example: User Story 1

```bash
# Launch all models for User Story 1 together:
Task: "Create Alert model in src/models/alert.py"
Task: "Create Berth model in src/models/berth.py"
```

## Implementation Strategy

### Parallel Team Strategy

1. Team completes Setup + Foundational together
2. Once Foundational is done:
   - Developer A: User Story 1
   - Developer B: User Story 2
   - Developer C: User Story 3
"""


def test_the_template_s_dependency_section_examples_and_team_strategy() -> None:
    text = (
        "## Phase 1: Setup\n\n- [ ] T001 Create src/app.py\n\n"
        "## Phase 2: Foundational\n\n- [ ] T002 Create src/db.py\n\n"
        "## Phase 3: User Story 1 - Alerts\n\n"
        "- [ ] T003 [US1] Create Alert model in src/models/alert.py\n"
        "- [ ] T004 [US1] Create Berth model in src/models/berth.py\n\n"
        "## Phase 4: User Story 2 - Berths\n\n- [ ] T005 [US2] Create src/berths.py\n\n"
        "## Phase 5: User Story 3 - Maps\n\n- [ ] T006 [US3] Create src/maps.py\n\n"
        "## Phase 6: Polish & Cross-Cutting Concerns\n\n- [ ] T007 Document docs/alerts.md\n"
        + TEMPLATE_TAIL
    )
    reading = read(text)
    depends = {unit.id: unit.depends_on for unit in reading.units}
    assert depends == {
        "007.phase1": (),
        "007.phase2": ("007.phase1",),
        "007.US1": ("007.phase2",),
        "007.US2": ("007.phase2",),
        "007.US3": ("007.phase2",),
        "007.phase6": ("007.US1", "007.US2", "007.US3"),
    }
    unit_pairs = {frozenset(c.between) for c in reading.claims if c.level == UNIT}
    assert unit_pairs == {
        frozenset(p)
        for p in [("007.US1", "007.US2"), ("007.US1", "007.US3"), ("007.US2", "007.US3")]
    }
    [example] = [c for c in reading.claims if c.level == TASK]
    assert example.between == ("T003", "T004") and example.unit == "007.US1"


@pytest.mark.parametrize(
    "sentence",
    [
        "User Story 1 and User Story 2 must not run in parallel.",
        "US1 cannot run concurrently with US2.",
    ],
)
def test_a_negated_sentence_claims_nothing(sentence: str) -> None:
    text = (
        "## Phase 1: User Story 1\n\n- [ ] T001 [US1] Create src/a.py\n\n"
        "## Phase 2: User Story 2\n\n- [ ] T002 [US2] Create src/b.py\n\n## Notes\n\n"
        + sentence
        + "\n"
    )
    assert read(text).claims == ()


OLD_TEMPLATE = """# Tasks: Tide alerts

## Phase 3.1: Setup
- [ ] T001 Create project structure in src/tides/
- [ ] T002 [P] Configure linting in pyproject.toml

## Phase 3.2: Tests First (TDD) ⚠️ MUST COMPLETE BEFORE 3.3
- [ ] T003 [P] Contract test POST /api/alerts in tests/contract/test_alerts_post.py
- [ ] T004 [P] Contract test GET /api/alerts in tests/contract/test_alerts_get.py

## Phase 3.3: Core Implementation (ONLY after tests are failing)
- [ ] T005 [P] Alert model in src/tides/models.py
- [ ] T006 AlertService in src/tides/services.py
- [ ] T007 POST /api/alerts endpoint in src/tides/api.py

## Dependencies
- Tests (T003-T004) before implementation (T005-T007)
- T005 blocks T006, T007

## Parallel Example
```
# Launch T003-T004 together:
Task: "Contract test POST /api/alerts in tests/contract/test_alerts_post.py"
Task: "Contract test GET /api/alerts in tests/contract/test_alerts_get.py"
```
"""


def test_the_older_template_numbered_phases_task_dependencies_and_ranges() -> None:
    reading = read(OLD_TEMPLATE)
    units = {unit.id: unit for unit in reading.units}
    assert list(units) == ["007.phase3.1", "007.phase3.2", "007.phase3.3"]
    assert units["007.phase3.3"].depends_on == ("007.phase3.1", "007.phase3.2")
    tasks = {task.native_id: task for unit in reading.units for task in unit.tasks}
    assert set(tasks["T005"].depends_on) == {"007.phase3.1", "007.phase3.2", "007.T003", "007.T004"}
    assert "007.T005" in tasks["T007"].depends_on
    assert [(c.between, c.unit) for c in reading.claims] == [(("T003", "T004"), "007.phase3.2")]
    assert [m.mention.path for m in units["007.phase3.1"].mentions] == [
        "src/tides/",
        "pyproject.toml",
    ]


REAL_WORLD = """## Phase 1: Setup

- [X] T001 Create `app/{core,api}` folders

## Phase 2: Foundational

- [X] T002 Create the schema in app/core/schema.py

**Checkpoint**: Foundation ready — all three user stories can now be built in parallel

## Phase 3: User Story 1 — Harbours (Priority: P1)

- [ ] T003 [P] [US1] Add list handler in app/api/harbours.py
- [ ] T004 [P] [US1] Add detail handler in app/api/harbours.py
- [ ] T005 [P] [US1] Create web/harbours.tsx

## Phase 4: User Story 2 — Berths (Priority: P1)

- [ ] T006 [US2] Create web/berths.tsx

## Phase 5: User Story 3 — Tides (Priority: P2)

- [ ] T007 [US3] Create web/tides.tsx showing height/time/station columns

## Dependencies & Execution Order

- **US1 (Phase 3)**: Startable after Phase 2 — no dependency on other stories
- **US2 (Phase 4)**: Startable after Phase 2 — Tides (US3) depends on the berth list (US2 T006)
- Within US1: T003–T004 [P] after T002; T005 simultaneously with T003
- US1 + US2 can be built simultaneously by two developers once US3 T007 is done

## Parallel Example: User Story 1

```bash
# After T002 (schema) completes, these handlers are independent:
T003: list handler
T004: detail handler

# T005 waits for nothing:
T005: web page
```

### Parallel Team Strategy

- **Dev A**: US1 (T003–T005)
- **Dev B**: US2 (T006)
"""


def test_constructs_of_real_plans() -> None:
    reading = read(REAL_WORLD)
    units = {unit.id: unit for unit in reading.units}
    assert [m.mention.path for m in units["007.phase1"].mentions] == ["app/core", "app/api"]
    assert units["007.US3"].depends_on == ("007.US2",)  # stated: the file wins over the default
    assert units["007.US1"].depends_on == ("007.phase2",)
    assert [m.mention.path for m in units["007.US3"].mentions] == ["web/tides.tsx"]
    pairs = {(c.level, frozenset(c.between)) for c in reading.claims}
    # the checkpoint claims all three stories, but US3 is said to wait for US2: no claim there
    stories = [("007.US1", "007.US2"), ("007.US1", "007.US3")]
    assert pairs == {("unit", frozenset(p)) for p in stories} | {
        ("task", frozenset(p)) for p in [("T003", "T004"), ("T003", "T005"), ("T004", "T005")]
    }
    # "once US3 T007 is done" is an order, not a third side; "After T002" is not in the group
    assert not any("T002" in c.between for c in reading.claims)


def test_tasks_a_line_orders_claim_nothing() -> None:
    text = """## Phase 1: Setup

- [ ] T001 [P] Create src/a.py
- [ ] T002 [P] Extend src/a.py (depends on T001)
- [ ] T003 [P] Create src/c.py
"""
    assert {c.between for c in read(text).claims} == {("T001", "T003"), ("T002", "T003")}


def test_a_huge_p_group_is_paired_up_to_a_bound_and_reported() -> None:
    tasks = "".join(f"- [ ] T{n:03d} [P] Create src/m{n}.py\n" for n in range(1, 201))
    reading = read("## Phase 1: Setup\n\n" + tasks)
    assert len(reading.claims) == 64 * 63 // 2
    [problem] = reading.problems
    assert "200 tasks claim to run side by side" in problem.message and problem.line == 3


def test_task_lines_outside_phases_are_reported_never_dropped_silently() -> None:
    reading = read(
        "## Phase 1: Setup\n\n- [ ] T001 Create src/a.py\n\n## Notes\n\n- [ ] T009 Fix src/b.py\n"
    )
    [stray] = [item for item in reading.ignored if item.token == "T009"]
    assert stray.line == 7 and "outside any '## Phase'" in stray.reason
    no_phases = read("# Tasks\n\n- [ ] T001 Create src/a.py\n")
    assert no_phases.units == () and no_phases.problems[0].line == 3
    assert "no '## Phase N" in no_phases.problems[0].message and no_phases.problems[0].hint


def test_story_lists_labels_as_subjects_and_leading_conditions() -> None:
    phases = "".join(
        f"## Phase {n + 2}: User Story {n} - s{n}\n\n- [ ] T00{n} [US{n}] Create src/s{n}.py\n\n"
        for n in range(1, 5)
    )
    tail = """## Dependencies & Execution Order

- **User Story 2 (P1)**: Can start after Foundational - Independent, can run parallel with US1
- **User Story 4 (P2)**: Depends on User Story 1 completion

### Parallel Opportunities

- Once Foundational phase completes, User Stories 1, 2 and 3 can start in parallel
"""
    reading = read(phases + tail)
    pairs = {frozenset(c.between) for c in reading.claims}
    assert pairs == {
        frozenset(("007.US1", "007.US2")),
        frozenset(("007.US1", "007.US3")),
        frozenset(("007.US2", "007.US3")),
    }  # US4 is named by no claim; it waits for US1
    assert {u.id: u.depends_on for u in reading.units}["007.US4"] == ("007.US1",)
