"""The agent-format fixtures against their `*.expected.json`, as the fixtures' README says.

Exact: each unit's id (mapped to its gitwt id), `paths` and `depends_on`; each task line's id,
`unit` and `paths`; each false claim as a pair (`level`, both ids, `shared_paths`). Paths are
resolved the way the catalog resolves them (`legacy_tokens.resolve`) against an index of the
files the expected reading names, which stands for the files tracked at base.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from pathlib import Path

from gitwt.core import legacy_tokens
from gitwt.core.formats.claims import judge_claims
from gitwt.core.formats.plan_units import PlanMention, PlanReading, PlanUnit
from gitwt.core.legacy_tokens import TrackedIndex

FIXTURES = Path(__file__).parent.parent.parent / "fixtures" / "agent-formats"


def plan_files(root: Path) -> dict[str, str]:
    """The repo-relative paths and texts of a fixture plan (expected readings left out)."""
    return {
        str(path.relative_to(root)): path.read_text()
        for path in sorted(root.rglob("*"))
        if path.is_file() and not path.name.endswith(".expected.json")
    }


def expected(root: Path) -> dict:
    [path] = root.rglob("*.expected.json")
    return json.loads(path.read_text())


def index_of(reading: dict) -> TrackedIndex:
    return TrackedIndex.build(path for unit in reading["units"] for path in unit["paths"])


def declared(mentions: Iterable[PlanMention], index: TrackedIndex) -> list[str]:
    """The declared patterns, a folder written `dir/**` as the expected readings write it."""
    patterns: list[str] = []
    for item in mentions:
        origins, _ = legacy_tokens.resolve([item.mention], item.source, index)
        for origin in origins:
            pattern = origin.pattern + "**" if origin.pattern.endswith("/") else origin.pattern
            if pattern not in patterns:
                patterns.append(pattern)
    return patterns


def compare(root: Path, reading: PlanReading, unit_id: Callable[[dict], str]) -> None:
    """Assert the reading is exactly the expected one (`unit_id`: expected unit -> gitwt id)."""
    want = expected(root)
    index = index_of(want)
    gitwt = {unit["id"]: unit_id(unit) for unit in want["units"]}
    units = {unit.id: unit for unit in reading.units}
    assert list(units) == list(gitwt.values())
    for unit in want["units"]:
        got = units[gitwt[unit["id"]]]
        assert declared(got.mentions, index) == unit["paths"], unit["id"]
        assert list(got.depends_on) == [gitwt[other] for other in unit["depends_on"]], unit["id"]
    lines = {(task.native_id, task.unit): task for unit in reading.units for task in unit.tasks}
    assert sorted(lines) == sorted((task["id"], gitwt[task["unit"]]) for task in want["tasks"])
    for task in want["tasks"]:
        got_task = lines[(task["id"], gitwt[task["unit"]])]
        assert declared(got_task.mentions, index) == task["paths"], task["id"]
    assert false_claims(reading, index) == {
        (
            claim["level"],
            frozenset(gitwt.get(i, i) for i in claim["ids"]),
            tuple(claim["shared_paths"]),
        )
        for claim in want["false_parallel_claims"]
    }


def false_claims(
    reading: PlanReading, index: TrackedIndex
) -> set[tuple[str, frozenset[str], tuple[str, ...]]]:
    patterns: dict[str, list[str]] = {}
    for unit in reading.units:
        patterns[unit.id] = declared(unit.mentions, index)
        for task in unit.tasks:
            if task.id != unit.id:
                patterns[task.id] = declared(task.mentions, index)
    verdicts = judge_claims(reading.claims, patterns, reading.units)
    return {
        (v.claim.level, frozenset(v.claim.between), tuple(sorted(v.shared)))
        for v in verdicts
        if not v.holds
    }


def unit_by_title(reading: PlanReading) -> Callable[[dict], str]:
    """spec-kit: the expected `Phase 3` is the unit whose heading starts `Phase 3:`."""

    def unit_id(unit: dict) -> str:
        found: list[PlanUnit] = [u for u in reading.units if u.title.startswith(unit["id"] + ":")]
        assert len(found) == 1, unit["id"]
        return found[0].id

    return unit_id


def paths_of(mentions: Iterable[PlanMention], tracked: Iterable[str] = ()) -> list[str]:
    """The patterns mentions declare against a base that tracks `tracked` (none by default)."""
    return declared(mentions, TrackedIndex.build(tracked))


def plan_reading(
    read: Callable[[dict[str, str]], PlanReading], root: Path, plan_of: Callable[[str], str | None]
) -> PlanReading:
    """A fixture plan as the catalog hands it to its reader: the files its layouts match."""
    return read({path: text for path, text in plan_files(root).items() if plan_of(path)})
