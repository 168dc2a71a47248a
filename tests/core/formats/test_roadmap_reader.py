"""The older system's roadmap read as its own skill read it, and the one edit merge makes."""

from __future__ import annotations

from gitwt.core.formats.plan_units import DONE, IN_PROGRESS, OPEN, PlanTask, PlanUnit
from gitwt.core.formats.roadmap import complete, read_roadmap, spec_status
from gitwt.core.plan_done import done_texts

ROADMAP = (
    "# Roadmap\r\n"
    "~~~~\r\n"
    "### PRIORITY 8: inside a tilde fence 📝 Planned\r\n"
    "```\r\n"
    "### PRIORITY 8.5: still inside: a shorter backtick line does not close it 📝 Planned\r\n"
    "~~~~\r\n"
    "### PRIORITY 1.5: US-015 - Sync 🔄 In Progress\r\n"
    "### PRIORITY 2: No marker at all\r\n"
    "**Dependencies**: PRIORITY 1.5, US-003\r\n"
    "Runs [the spec](../architecture/specs/SPEC-021-no-marker.md).\r\n"
    "### PRIORITY 3: Done already ✅ Complete (2025-10-12)\r\n"
)


def test_headings_outside_fences_their_status_links_and_dependencies() -> None:
    found = read_roadmap("docs/roadmap/ROADMAP.md", ROADMAP)
    assert [(p.number, p.status, p.line) for p in found] == [
        ("1.5", IN_PROGRESS, 7),
        ("2", OPEN, 8),
        ("3", DONE, 11),
    ]
    sync, plain, _ = found
    assert sync.title == "US-015 - Sync" and sync.marker == "🔄 In Progress"
    assert [(link.kind, link.value, link.in_heading) for link in sync.links] == [
        ("US", "015", True)
    ]
    # The dependency line names what it waits for, never its spec.
    assert [(link.kind, link.value, link.line) for link in plain.links] == [
        ("link", "docs/architecture/specs/SPEC-021-no-marker.md", 10),
        ("SPEC", "021", 10),
    ]
    assert plain.depends_on == (("PRIORITY", "1.5"), ("US", "003"))


def test_complete_replaces_the_status_text_and_keeps_every_other_byte() -> None:
    done = complete(ROADMAP, 7)
    assert done == ROADMAP.replace(
        "US-015 - Sync 🔄 In Progress\r\n", "US-015 - Sync ✅ Complete\r\n"
    )
    added = complete(ROADMAP, 8)
    assert added == ROADMAP.replace("No marker at all\r\n", "No marker at all ✅ Complete\r\n")
    assert complete(ROADMAP, 11) == ROADMAP  # done already: nothing to write
    assert complete(ROADMAP, 9) is None  # not a heading


def test_a_legacy_spec_states_its_own_status_in_words() -> None:
    assert spec_status("# SPEC-1\n\n**Status**: ✅ Implemented\n") == (DONE, 3)
    assert spec_status("---\nstatus: in progress\n---\n") == (IN_PROGRESS, 2)
    assert spec_status("# SPEC-1\n\n**Status**: Draft\n") == (OPEN, 3)
    assert spec_status("# SPEC-1\n\nNo status.\n") == (OPEN, 0)


def test_done_edits_are_one_field_or_one_box() -> None:
    ccpm = (
        "---\r\nname: Import\r\nstatus: open  \r\nupdated: 2026-03-02T09:00:00Z\r\n"
        "---\r\n\r\n- [ ] a\r\n"
    )
    unit = PlanUnit("trail.1", "1", "ccpm", "trail", "Import", "e/1.md", 1)
    assert done_texts(unit, None, {"e/1.md": ccpm}) == {
        "e/1.md": ccpm.replace("status: open  \r\n", "status: closed  \r\n")
    }
    tasks = "## Phase 1\n\n- [ ] T001 a in x.py\n- [ ] T002 b in y.py\n"
    line = PlanTask("004.T002", "T002", "004.phase1", "b", "specs/004/tasks.md", 4)
    unit = PlanUnit("004.phase1", "phase1", "spec-kit", "004", "P", "specs/004/tasks.md", 1)
    assert done_texts(unit, line, {"specs/004/tasks.md": tasks}) == {
        "specs/004/tasks.md": tasks.replace("- [ ] T002", "- [X] T002")
    }
    json_text = (
        '{\n  "master": {\n    "tasks": [\n      {\n        "id": 7,\n'
        '        "status": "pending"\n      }\n    ]\n  }\n}\n'
    )
    unit = PlanUnit("tm.7", "7", "taskmaster", "tm", "T", ".taskmaster/tasks/tasks.json", 1)
    assert done_texts(unit, None, {".taskmaster/tasks/tasks.json": json_text}) == {
        ".taskmaster/tasks/tasks.json": json_text.replace('"pending"', '"done"')
    }
