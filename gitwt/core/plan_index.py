"""The units of plans other tools wrote (DESIGN §2), by the names a user types, as Tasks. Pure.

Each format reads its plan folders into PlanUnits (core/formats/); here a name becomes units:
a unit id (`004.US1`), a task line (`004.T012`), a group id (`004`: all its units, where no
task has that id), or any of those with the format's short name in front (`kiro.tide.3`), which
keeps both usable when two formats give one id. A unit becomes a Task as a legacy spec does:
its path mentions resolved against the files tracked at base (provenance kept), `depends_on` as
the reader gives it. The files come in already read (services/specs/plan_folders.py).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from gitwt.core import specs
from gitwt.core.plan_bookkeeping import unit_bookkeeping
from gitwt.core.provenance import LEGACY_MARKER, PLAN, Ignored, Origin
from gitwt.core.specs import SpecError, id_key

if TYPE_CHECKING:
    from gitwt.core.formats.plan_units import PlanMention, PlanReading, PlanTask, PlanUnit
    from gitwt.core.legacy_tokens import TrackedIndex

Key = tuple[int, int | str]


@dataclass(frozen=True)
class PlanSource:
    """One plan folder as its format read it."""

    format: str  # the format's name, e.g. "spec-kit"
    short: str  # its short name, put in front of an id two formats give
    folder: str  # the plan folder, repo-relative
    reading: PlanReading
    unreadable: tuple[tuple[str, str], ...] = ()  # (file, why): files of it that could not be read


@dataclass(frozen=True)
class Named:
    """A unit, or a task line inside one, under the id it was named by."""

    id: str  # the gitwt id, with the format's short name in front when named so
    unit: PlanUnit
    plan: PlanSource
    line: PlanTask | None = None  # a task line of the unit

    @property
    def prefix(self) -> str:
        """What the name puts in front of the reader's ids ('' or 'kiro.')."""
        native = self.line.id if self.line else self.unit.id
        return self.id[: len(self.id) - len(native)]

    @property
    def source(self) -> str:
        return self.line.source if self.line else self.unit.source

    @property
    def where(self) -> str:
        line = self.line.line if self.line else self.unit.line
        return f"{self.source}:{line}" if line else self.source

    @property
    def parallel_with(self) -> list[str]:
        """The units the plan says this one may run beside (its unit-level claims)."""
        if self.line is not None:
            return []
        found: dict[str, None] = {}
        for claim in self.plan.reading.claims:
            if claim.level == "unit" and self.unit.id in claim.between:
                found.update(
                    (self.prefix + other, None) for other in claim.between if other != self.unit.id
                )
        return list(found)


def _ambiguous(name: str, found: Sequence[Named]) -> SpecError:
    listed = " and ".join(f"{item.plan.format} ({item.where})" for item in found)
    return SpecError(
        f"task {name} is given by {len(found)} plans: {listed}",
        "name it with its format in front: "
        + " or ".join(f"{item.plan.short}.{name}" for item in found),
        found[0].source,
    )


@dataclass
class PlanIndex:
    sources: Sequence[PlanSource]
    units: dict[Key, list[Named]] = field(default_factory=dict)
    lines: dict[Key, list[Named]] = field(default_factory=dict)
    groups: dict[Key, list[Named]] = field(default_factory=dict)

    @classmethod
    def build(cls, sources: Sequence[PlanSource]) -> PlanIndex:
        index = cls(sources)
        for plan in sources:
            for unit in plan.reading.units:
                named = Named(unit.id, unit, plan)
                index.units.setdefault(id_key(unit.id), []).append(named)
                for alias in unit.aliases:  # a ccpm task synced to its issue number: both name it
                    if alias != unit.id:
                        index.units.setdefault(id_key(alias), []).append(named)
                index.groups.setdefault(id_key(unit.group), []).append(named)
                for line in unit.tasks:
                    index.lines.setdefault(id_key(line.id), []).append(
                        Named(line.id, unit, plan, line)
                    )
        return index

    def listed(self) -> list[Named]:
        """Every unit in plan order, by the id a user types: with its format's short name in
        front when another format gives the same id."""
        found: list[Named] = []
        for plan in self.sources:
            for unit in plan.reading.units:
                shared = len(self.units.get(id_key(unit.id), [])) > 1
                name = f"{plan.short}.{unit.id}" if shared else unit.id
                found.append(Named(name, unit, plan))
        return found

    def ids(self) -> set[str]:
        """Every unit and task-line id (for legacy specs' `depends_on`)."""
        return {
            named.id for found in (*self.units.values(), *self.lines.values()) for named in found
        }

    def task(self, name: str) -> list[Named]:
        """The unit or task line `name` names (prefixed or not); two when two formats give it."""
        found = self.units.get(id_key(name)) or self.lines.get(id_key(name))
        if found:
            return list(found)
        for plan_short, rest in self._prefixed(name):
            found = self.units.get(id_key(rest)) or self.lines.get(id_key(rest)) or []
            chosen = [item for item in found if item.plan.short == plan_short]
            if chosen:
                return [
                    Named(plan_short + "." + item.id, item.unit, item.plan, item.line)
                    for item in chosen
                ]
        return []

    def group(self, name: str) -> list[Named]:
        """The units of group `name` (prefixed or not), in plan order."""
        found = self.groups.get(id_key(name))
        if found:
            return list(found)
        for plan_short, rest in self._prefixed(name):
            chosen = [
                item for item in self.groups.get(id_key(rest), []) if item.plan.short == plan_short
            ]
            if chosen:
                return [Named(plan_short + "." + item.id, item.unit, item.plan) for item in chosen]
        return []

    def _raise_broken(self, name: str) -> None:
        """A unit its reader could not read (bad YAML in a ccpm task), or a name inside a plan
        that could not be read at all (`tm.1` with a malformed tasks.json): that problem, not
        "no spec found"."""
        for plan in self.sources:
            for problem in plan.reading.problems:
                if problem.unit is not None and id_key(problem.unit) == id_key(name):
                    raise SpecError(problem.message, problem.hint, problem.source, problem.line)
        first = name.split(".", 1)[0]
        for plan in self.sources:
            inside = first in (plan.short, plan.folder.rstrip("/").rsplit("/", 1)[-1])
            if not inside or plan.reading.units:
                continue
            for path, why in plan.unreadable:
                raise SpecError(f"task {name} cannot be read: {why}", "make it UTF-8 text", path)
            for problem in plan.reading.problems:
                raise SpecError(
                    f"task {name} cannot be read: {problem.message}",
                    problem.hint,
                    problem.source,
                    problem.line,
                )

    def _prefixed(self, name: str) -> Iterable[tuple[str, str]]:
        shorts = {plan.short for plan in self.sources}
        for short in sorted(shorts):
            if name.startswith(short + ".") and len(name) > len(short) + 1:
                yield short, name[len(short) + 1 :]

    def resolve(self, name: str) -> list[Named]:
        """The units `name` stands for ([] when none); SpecError when two formats give it."""
        found = self.task(name)
        if len(found) > 1:
            raise _ambiguous(name, found)
        if found:
            return found
        members = self.group(name)
        if not members:
            self._raise_broken(name)
        formats = {item.plan.format for item in members}
        if len(formats) > 1:
            firsts = [
                next(item for item in members if item.plan.format == f) for f in sorted(formats)
            ]
            raise _ambiguous(name, firsts)
        return members


def resolve_mentions(
    mentions: Iterable[PlanMention], index: Callable[[], TrackedIndex]
) -> tuple[list[Origin], list[Ignored]]:
    """The one place plan mentions become declared paths: through `legacy_tokens.resolve`, as
    a legacy spec's (bare names resolved against base, several matches all declared and flagged
    ambiguous), each with its plan file, line and how the reader came to it."""
    from gitwt.core import legacy_tokens

    by_source: dict[tuple[str, str], list[legacy_tokens.Mention]] = {}
    for mention in mentions:
        by_source.setdefault((mention.source, mention.note), []).append(mention.mention)
    origins: list[Origin] = []
    ignored: list[Ignored] = []
    for (source, note), listed in by_source.items():
        found, unresolved = legacy_tokens.resolve(listed, source, index())
        origins += [
            replace(
                origin,
                kind=PLAN if origin.kind == LEGACY_MARKER else origin.kind,
                note="; ".join(filter(None, [note, origin.note])),
            )
            for origin in found
        ]
        ignored += unresolved
    return origins, ignored


def declared_patterns(
    mentions: Iterable[PlanMention], index: Callable[[], TrackedIndex]
) -> list[str]:
    """The distinct patterns the mentions declare, in the order first mentioned."""
    origins, _ = resolve_mentions(mentions, index)
    return list(dict.fromkeys(origin.pattern for origin in origins))


def _span_ignored(named: Named) -> list[Ignored]:
    """The reader's ignored tokens that belong to this unit: its file, from its line to the next
    unit's (a task line: its own line)."""
    reading = named.plan.reading
    if named.line is not None:
        return [
            token
            for token in reading.ignored
            if token.source == named.line.source and token.line == named.line.line
        ]
    unit = named.unit
    later = [
        other.line
        for other in reading.units
        if other.source == unit.source and other.line > unit.line
    ]
    end = min(later, default=None)
    return [
        token
        for token in reading.ignored
        if token.source == unit.source
        and token.line >= unit.line
        and (end is None or token.line < end)
    ]


def takes_unit_paths(line: PlanTask) -> bool:
    """A task line that names no path ("T017 Run the quickstart and fix what fails") is
    declared with its unit's paths, each still shown with the line that names it: the work of
    such a line is the unit's, and it can share a wave with none of the unit's other lines."""
    return not line.mentions


def parse_named(
    named: Named,
    index: Callable[[], TrackedIndex],
    default_owner: str | None = None,
    known_ids: Collection[str] | None = None,
) -> specs.ParsedSpec:
    """The Task of a unit or task line: its mentions resolved, `depends_on` as the reader gives
    it (with the same format prefix when it was named with one)."""
    unit, line = named.unit, named.line
    mentions = unit.mentions if line is None or takes_unit_paths(line) else line.mentions
    origins, ignored = resolve_mentions(mentions, index)
    depends = [named.prefix + dep for dep in (line.depends_on if line else unit.depends_on)]
    legacy = specs.Legacy(
        origins=origins,
        ignored=[*_span_ignored(named), *ignored],
        owner=unit.owner,
        title=line.title if line else unit.title,
    )
    try:
        # The reader's ids come from folder and file names: they name branches and worktrees.
        specs.check_id(named.id, f" (from {named.where})")
        parsed = specs.build_task(
            named.id,
            {"depends_on": depends},
            named.source,
            legacy=legacy,
            default_owner=default_owner,
            known_ids=known_ids,
        )
    except SpecError as error:
        if not error.line:  # "declares no files": the unit's own line says where
            error.line = line.line if line else unit.line
        raise
    if line is None and unit.conflicts_with:
        conflicts = tuple(named.prefix + other for other in unit.conflicts_with)
        parsed.task = replace(parsed.task, conflicts_with=conflicts)
    parsed.task = replace(
        parsed.task, group=named.prefix + unit.group, bookkeeping=unit_bookkeeping(unit, line)
    )
    return parsed
