"""OpenSpec changes read as OpenSpec scaffolds them: one unit per change, its files, its status."""

from __future__ import annotations

from gitwt.core.formats import openspec
from gitwt.core.formats.plan_units import DONE, IN_PROGRESS, OPEN
from tests.core.formats.expected_readings import (
    FIXTURES,
    compare,
    paths_of,
    plan_reading,
)

CHANGE = "openspec/changes/add-login"


def test_the_fixture_gives_exactly_its_expected_reading() -> None:
    root = FIXTURES / "openspec"
    reading = plan_reading(openspec.read, root, openspec.plan_of)
    compare(root, reading, lambda unit: unit["id"])
    assert reading.claims == ()
    (unit,) = reading.units
    assert (unit.native_id, unit.group, unit.status) == (unit.id, unit.id, OPEN)
    assert unit.files == ("openspec/changes/add-greenhouse-sensors/tasks.md",)
    # "Affected specs: `climate-control`" names a capability, not a file: shown, not declared
    assert [(i.token, i.line) for i in reading.ignored] == [("climate-control", 15)]


def test_archived_changes_and_spec_deltas_are_not_read() -> None:
    paths = [
        f"{CHANGE}/tasks.md",
        f"{CHANGE}/proposal.md",
        f"{CHANGE}/design.md",
        f"{CHANGE}/.openspec.yaml",
        f"{CHANGE}/specs/auth/spec.md",
        "openspec/changes/archive/2025-01-01-old/tasks.md",
        "openspec/specs/auth/spec.md",
        "openspec/project.md",
    ]
    assert [openspec.plan_of(path) for path in paths] == [CHANGE] * 4 + [None] * 4


def test_status_comes_from_the_check_boxes() -> None:
    def status(tasks: str) -> str:
        (unit,) = openspec.read({f"{CHANGE}/tasks.md": tasks}).units
        return unit.status

    assert status("## 1. Api\n- [ ] 1.1 a\n- [ ] 1.2 b\n") == OPEN
    assert status("## 1. Api\n- [x] 1.1 a\n- [ ] 1.2 b\n") == IN_PROGRESS
    assert status("## 1. Api\n- [x] 1.1 a\n- [X] 1.2 b\n") == DONE


def test_design_sections_that_only_give_context_declare_nothing() -> None:
    design = (
        "## Context\nToday `api/legacy_login.py` handles it.\n\n"
        "## Goals / Non-Goals\n- Non-goal: touch `api/admin.py`\n\n"
        "## Decisions\n- Sessions move to `api/sessions.py`\n\n"
        "## Risks / Trade-offs\n- `api/cache.py` may slow down\n\n"
        "## Migration Plan\n1. Add the column in `db/migrations/0042_login.sql`\n\n"
        "```\napi/illustration.py\n```\n"
    )
    (unit,) = openspec.read({f"{CHANGE}/design.md": design}).units
    assert paths_of(unit.mentions) == ["api/sessions.py", "db/migrations/0042_login.sql"]


def test_only_the_impact_section_of_the_proposal_declares() -> None:
    proposal = (
        "## Why\nLogins fail in `api/login.py`.\n\n## What Changes\n- Rewrite `api/old.py`\n\n"
        "## Impact\n- Affected specs: auth\n- Affected code: `api/login.py`, `web/Login.vue`\n"
    )
    (unit,) = openspec.read({f"{CHANGE}/proposal.md": proposal}).units
    assert paths_of(unit.mentions) == ["api/login.py", "web/Login.vue"]
    assert {m.source for m in unit.mentions} == {f"{CHANGE}/proposal.md"}


def test_affected_areas_that_are_paths_declare_and_area_names_are_shown() -> None:
    meta = (
        "schema: spec-driven\ncreated: 2026-08-14\n"
        "affected_areas:\n  - auth\n  - src/auth/\n  - web/Login.vue\n"
    )
    reading = openspec.read({f"{CHANGE}/.openspec.yaml": meta})
    (unit,) = reading.units
    assert paths_of(unit.mentions) == ["src/auth/**", "web/Login.vue"]
    assert [(m.mention.line, m.note) for m in unit.mentions] == [
        (5, "affected_areas"),
        (6, "affected_areas"),
    ]
    assert [(i.token, i.line) for i in reading.ignored] == [("auth", 4)]


def test_a_store_elsewhere_is_reported_so_specs_does_not_find_nothing_silently() -> None:
    assert openspec.plan_of("openspec/config.yaml") == "openspec/config.yaml"
    reading = openspec.read(
        {"openspec/config.yaml": "schema: spec-driven\nstore: platform-specs\n"}
    )
    (problem,) = reading.problems
    assert problem.message.startswith(openspec.STORE_ELSEWHERE)
    assert "platform-specs" in problem.message
    assert (problem.source, problem.line, problem.unit) == ("openspec/config.yaml", 2, None)
    assert reading.units == ()
    assert openspec.read({"openspec/config.yaml": "schema: spec-driven\n"}).problems == ()


def test_bad_yaml_in_the_metadata_is_a_problem_and_the_change_still_reads() -> None:
    files = {
        f"{CHANGE}/.openspec.yaml": "schema: [spec-driven\n",
        f"{CHANGE}/tasks.md": "## 1. Api\n- [ ] 1.1 Change `api/login.py`\n",
    }
    reading = openspec.read(files)
    (problem,) = reading.problems
    assert problem.source == f"{CHANGE}/.openspec.yaml" and problem.line >= 1 and problem.hint
    assert paths_of(reading.units[0].mentions) == ["api/login.py"]
