"""`git parallel next` through the real CLI: what can start now, and why every other unit waits.

Each test writes a plan in its tool's own layout (or the older system's roadmap with legacy
specs) and reads `next --json` and its text as a user would.
"""

from __future__ import annotations

import json

import pytest

from tests.conftest import Repo

SPECKIT = """\
# Tasks: Trail log

## Phase 1: User Story 1 - Import tracks (Priority: P1)

- [X] T001 [P] [US1] Create the GPX reader in out/gpx.txt

## Phase 2: User Story 2 - Elevation (Priority: P2)

- [ ] T002 [P] [US2] Create the elevation statistics in out/stats.txt

## Phase 3: User Story 3 - Slopes (Priority: P2)

- [ ] T003 [P] [US3] Add slopes to the elevation statistics in out/stats.txt

## Phase 4: User Story 4 - Maps (Priority: P3)

- [ ] T004 [P] [US4] Create the map tiles in out/maps.txt

## Phase 5: User Story 5 - Photos (Priority: P3)

- [ ] T005 [P] [US5] Create the photo index in vendor/photos.txt

## Phase 6: User Story 6 - Weather (Priority: P3)

- [ ] T006 [P] [US6] Create the weather feed in out/weather.txt

## Phase 7: Polish

- [ ] T007 Create the summary in out/summary.txt
"""

ROADMAP = """\
# Roadmap

```markdown
### PRIORITY 9: An example inside a fence 📝 Planned
```

### PRIORITY 1: US-065 - Recipes ✅ Complete

### PRIORITY 2: US-066 - Notifications 📝 Planned

**Dependencies**: PRIORITY 1

### PRIORITY 3: Something with no spec yet 📝 Planned

Prose, and no story.

### PRIORITY 4: Command line 🔄 In Progress

See [the spec](../SPEC-067-cli.md).

### PRIORITY 5: US-069 - Reports 📝 Planned

**Dependencies**: PRIORITY 2

### PRIORITY 6: Export 🔴 Planned

The spec: [SPEC-070](../SPEC-070-export.md).
"""


def spec(number: int, path: str, status: str | None = None) -> str:
    said = f"**Status**: {status}\n\n" if status else ""
    return f"# SPEC-{number:03d}: Task {number}\n\n{said}**Files to Create**:\n- `{path}`\n"


def ids(report: dict) -> list[str]:
    return [unit["id"] for unit in report["next"]]


def reasons(report: dict) -> dict[str, tuple[str, str]]:
    return {unit["label"]: (unit["reason"], unit["detail"]) for unit in report["left_out"]}


def test_speckit_next_picks_open_disjoint_units_and_says_why_the_others_wait(repo: Repo) -> None:
    repo.write("specs/010-trail/tasks.md", SPECKIT)
    repo.write(".github/CODEOWNERS", "* @dev\nvendor/ @vendor-team\n")
    repo.write(".gitparallel.toml", "default_owner = 'dev'\n")
    repo.commit_all("a spec-kit plan")

    result = repo.cli("next", "--json")
    assert result.code == 0, result
    report = result.json()
    assert report["schema"] == "git-parallel/next/1"
    assert report["max"] == 2  # config max_instances
    assert ids(report) == ["010.US2", "010.US4"]
    left = reasons(report)
    assert left["010.US1"] == ("done", "done in specs/010-trail/tasks.md:3")
    assert left["010.US3"] == ("overlaps", "overlaps 010.US2 on out/stats.txt")
    assert left["010.US5"][0] == "owner" and "does not own" in left["010.US5"][1]
    assert left["010.US6"] == ("past_max", "past --max 2")
    assert left["010.phase7"][0] == "depends"
    assert "010.US2" in left["010.phase7"][1] and "010.US1" not in left["010.phase7"][1]
    overlap = next(unit for unit in report["left_out"] if unit["label"] == "010.US3")
    assert overlap["others"] == ["010.US2"] and overlap["paths"] == ["out/stats.txt"]

    wider = repo.cli("next", "--max", "3", "--json").json()
    assert ids(wider) == ["010.US2", "010.US4", "010.US6"]

    text = repo.cli("next", env={"COLUMNS": "300"})
    assert text.code == 0
    lines = text.out.splitlines()
    assert all(len(line) <= 120 for line in lines), lines
    assert any(line.split()[:1] == ["010.US2"] for line in lines)
    assert any("overlaps 010.US2 on out/stats.txt" in line for line in lines)


def test_a_live_unit_is_not_picked_again_and_what_overlaps_it_waits(repo: Repo) -> None:
    repo.write("specs/010-trail/tasks.md", SPECKIT)
    repo.commit_all("a spec-kit plan")
    started = repo.cli("start", "--next", "--max", "1", "--json")
    assert started.code == 0, started
    assert [task["id"] for task in started.json()["tasks"]] == ["010.US2"]

    report = repo.cli("next", "--json").json()
    left = reasons(report)
    assert left["010.US2"] == ("live", "already started (open)")
    assert left["010.US3"] == ("overlaps", "overlaps live task 010.US2 on out/stats.txt")
    assert ids(report) == ["010.US4", "010.US5"]
    assert api_ids(repo) == ["010.US4", "010.US5"]


def api_ids(repo: Repo) -> list[str]:
    from gitwt import api

    return api.next(repo=repo.path).ids


def test_roadmap_priorities_run_their_specs_in_roadmap_order(repo: Repo) -> None:
    repo.write("docs/roadmap/ROADMAP.md", ROADMAP)
    repo.write("docs/SPEC-065-recipes.md", spec(65, "src/recipes.py"))
    repo.write("docs/SPEC-066-notify.md", spec(66, "src/notify.py"))
    repo.write("docs/SPEC-067-cli.md", spec(67, "src/cli.py"))
    repo.write("docs/SPEC-069-reports.md", spec(69, "src/reports.py"))
    repo.write("docs/SPEC-070-export.md", spec(70, "src/export.py"))
    repo.write("docs/SPEC-071-other.md", spec(71, "src/other.py"))
    repo.commit_all("the older system's roadmap")

    report = repo.cli("next", "--json").json()
    assert report["roadmap"] == "docs/roadmap/ROADMAP.md"
    assert ids(report) == ["66", "70"]
    chosen = {unit["label"]: unit for unit in report["next"]}
    assert chosen["PRIORITY 2"]["spec"] == "US-066 at ROADMAP.md:9"
    assert chosen["PRIORITY 2"]["source"] == "docs/roadmap/ROADMAP.md:9"
    assert chosen["PRIORITY 6"]["spec"] == "docs/SPEC-070-export.md (linked at ROADMAP.md:27)"
    assert chosen["PRIORITY 2"]["files"] == ["src/notify.py"]
    left = reasons(report)
    assert "PRIORITY 9" not in left  # inside a code fence: an example, not a priority
    assert left["PRIORITY 1"] == ("done", "done in docs/roadmap/ROADMAP.md:7")
    assert left["PRIORITY 3"][0] == "unusable" and "names no spec" in left["PRIORITY 3"][1]
    assert left["PRIORITY 4"] == ("in_progress", "in progress in docs/roadmap/ROADMAP.md:17")
    assert left["PRIORITY 5"] == ("depends", "depends on 66")
    assert left["71"] == ("unlisted", "not listed in docs/roadmap/ROADMAP.md")


def test_without_a_roadmap_a_legacy_spec_says_its_own_status(repo: Repo) -> None:
    repo.write("docs/SPEC-065-recipes.md", spec(65, "src/recipes.py", "✅ Implemented"))
    repo.write("docs/SPEC-066-notify.md", spec(66, "src/notify.py", "Draft"))
    repo.write("docs/SPEC-067-cli.md", spec(67, "src/cli.py"))
    repo.write("docs/SPEC-068-broken.md", "# SPEC-068: no files at all\n")
    repo.commit_all("specs")
    report = repo.cli("next", "--max", "5", "--json").json()
    assert report["roadmap"] is None
    assert ids(report) == ["66", "67"]
    left = reasons(report)
    assert left["65"] == ("done", "done in docs/SPEC-065-recipes.md:3")
    assert left["68"][0] == "unusable"


def test_a_roadmap_priority_whose_spec_is_missing_is_unusable_with_the_line(repo: Repo) -> None:
    repo.write("docs/roadmap/ROADMAP.md", "### PRIORITY 7: US-107 - Missing 📝 Planned\n")
    repo.commit_all("roadmap")
    report = repo.cli("next", "--json").json()
    assert report["next"] == []
    reason, detail = reasons(report)["PRIORITY 7"]
    assert reason == "unusable"
    assert detail == "US-107 (ROADMAP.md:1) has no spec: no SPEC-107-*.md"


def test_config_roadmap_and_mark_done_are_checked(repo: Repo) -> None:
    repo.write(".gitparallel.toml", "roadmap = '../elsewhere.md'\n")
    repo.commit_all("config")
    bad = repo.cli("next")
    assert bad.code == 2
    assert "config key 'roadmap'" in bad.err and "hint:" in bad.err
    repo.write(".gitparallel.toml", "mark_done = 'yes'\n")
    repo.commit_all("config")
    bad = repo.cli("next")
    assert bad.code == 2 and "config key 'mark_done'" in bad.err
    repo.write(".gitparallel.toml", "roadmap = 'plans/ROADMAP.md'\n")
    repo.write("plans/ROADMAP.md", "### PRIORITY 1: US-001 - One 📝 Planned\n")
    repo.write("docs/SPEC-001-one.md", spec(1, "src/one.py"))
    repo.commit_all("a roadmap elsewhere")
    assert ids(repo.cli("next", "--json").json()) == ["1"]


@pytest.mark.parametrize("args", [("start", "--next", "65"), ("batch", "--next", "65")])
def test_next_and_ids_together_is_a_usage_error(repo: Repo, args: tuple[str, ...]) -> None:
    result = repo.cli(*args)
    assert result.code == 2 and "not both" in result.err


def test_start_next_with_nothing_to_start_changes_nothing(repo: Repo) -> None:
    repo.write("docs/roadmap/ROADMAP.md", "### PRIORITY 1: US-001 - One ✅ Complete\n")
    repo.write("docs/SPEC-001-one.md", spec(1, "src/one.py"))
    repo.commit_all("done already")
    result = repo.cli("start", "--next")
    assert result.code == 1
    assert "nothing can start now" in result.err and "git parallel next" in result.err
    assert json.loads(repo.cli("status", "--json").out)["tasks"] == []
