"""A plan's parallel claims judged against what each side declares, for `plan` and `check --claims`.

The judge is `formats.claims.judge_claims` (one rule: a claim is false when both sides can
change a common path); here each claim gets its sides' declared patterns, read from the plan's
own mentions resolved against base (never a live task's claims nor bookkeeping, so `plan` and
`check --claims` give one verdict), and the lines a person looks at. Pure.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypedDict

from gitwt.core.formats import claims as judge
from gitwt.core.formats.plan_units import TASK, ParallelClaim
from gitwt.core.plan_index import declared_patterns

if TYPE_CHECKING:
    from gitwt.core.formats.claims import ClaimVerdict
    from gitwt.core.legacy_tokens import TrackedIndex
    from gitwt.core.plan_index import Named, PlanSource


class ClaimCheckJson(TypedDict):
    """One claim in `plan --json` (`claims`) and `check --claims --json`."""

    level: str
    between: list[str]
    unit: str | None
    marker: str
    source: str
    holds: bool | None
    shared: list[str]


@dataclass(frozen=True)
class ClaimCheck:
    """One claim between two sides, as the reports show it."""

    verdict: ClaimVerdict
    between: tuple[str, str]  # unit level: the unit ids as named; task level: the plan's own ids
    unit: str | None  # task level: the unit (as named) the lines are in
    lines: tuple[str, str]  # file:line of each side

    @property
    def holds(self) -> bool:
        return bool(self.verdict.holds)

    def key(self) -> tuple[str, str | None, tuple[str, ...], str]:
        """What identifies a claim across versions of its plan (ticking a task keeps it)."""
        claim = self.verdict.claim
        return (claim.level, self.unit, tuple(sorted(self.between)), claim.marker)

    def to_json(self) -> ClaimCheckJson:
        claim = self.verdict.claim
        return {
            "level": claim.level,
            "between": list(self.between),
            "unit": self.unit,
            "marker": claim.marker,
            "source": claim.source,
            "holds": self.verdict.holds,
            "shared": list(self.verdict.shared),
        }


def _where(source: str, line: int) -> str:
    return f"{source}:{line}" if line else source


def _chosen(plan: PlanSource, wanted: set[str], lines: Collection[str]) -> list[ParallelClaim]:
    """The claims among the wanted units, among the task lines of each, and between two task
    lines named to run as units of their own."""
    found: list[ParallelClaim] = []
    for claim in plan.reading.claims:
        if claim.level == TASK:
            sides = judge.claim_sides(claim, plan.reading.units) if lines else None
            named = sides is not None and set(sides) <= set(lines)
            if claim.unit in wanted or named:
                found.append(claim)
        elif set(claim.between) <= wanted:
            found.append(claim)
    return found


def plan_claims(
    plan: PlanSource,
    index: Callable[[], TrackedIndex],
    units: Collection[str] | None = None,
    names: Mapping[str, str] | None = None,
    lines: Collection[str] = (),
) -> list[ClaimCheck]:
    """The claims of one plan: among `units` (reader ids; None: every unit), among the task
    lines of each of them, and between the task `lines` named on their own (gitwt ids).
    `names` gives a unit's id as it was named (a format prefix)."""
    reading = plan.reading
    wanted = {unit.id for unit in reading.units} if units is None else set(units)
    chosen = _chosen(plan, wanted, lines)
    if not chosen:
        return []
    where: dict[str, str] = {}
    declared: dict[str, list[str]] = {}
    for unit in reading.units:
        if unit.id in wanted or any(line.id in lines for line in unit.tasks):
            where[unit.id] = _where(unit.source, unit.line)
            declared[unit.id] = declared_patterns(unit.mentions, index)
            for line in unit.tasks:
                where[line.id] = _where(line.source, line.line)
                declared[line.id] = declared_patterns(line.mentions, index)
    named = names or {}
    found: list[ClaimCheck] = []
    for verdict in judge.judge_claims(chosen, declared, reading.units):
        claim = verdict.claim
        if claim.level == TASK:
            between, inside = claim.between, named.get(claim.unit or "", claim.unit)
        else:
            first, second = claim.between
            between, inside = (named.get(first, first), named.get(second, second)), None
        sides = (where.get(verdict.sides[0], ""), where.get(verdict.sides[1], ""))
        found.append(ClaimCheck(verdict, between, inside, sides))
    return found


def named_claims(
    units: Mapping[str, Named], index: Callable[[], TrackedIndex], with_units: bool = False
) -> list[ClaimCheck]:
    """The claims among the named units of each plan, among their task lines, and between task
    lines named to run on their own (`plan`); `with_units`: a task line's unit counts as named
    too (units expanded into their lines: the claims between those units still matter)."""
    chosen: dict[tuple[str, str], tuple[PlanSource, dict[str, str], set[str]]] = {}
    for name, named in units.items():
        plan = named.plan
        _, names, lines = chosen.setdefault((plan.format, plan.folder), (plan, {}, set()))
        if named.line is None:
            names[named.unit.id] = name
        else:
            lines.add(named.line.id)
            if with_units:
                names.setdefault(named.unit.id, named.prefix + named.unit.id)
    return [
        check
        for plan, names, lines in chosen.values()
        for check in plan_claims(plan, index, set(names), names, lines)
    ]
