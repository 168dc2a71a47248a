"""Task lines as one run's units (issue 25, item 5): named plan units expanded into their task
lines, and the waves those lines run in. Pure.

`expand` turns each named unit into its open task lines (a line already ticked done is left
out and listed; a unit its plan gives no task lines stays whole), and rewrites each item's
dependencies in terms of the expanded set: a dependency on an expanded unit becomes one on each
of its lines. The reader's own order rules (spec-kit phases and `[P]`, cc-sdd order lifted by
`(P)` plus `_Depends:_`, Task Master subtask dependencies) are already in `PlanTask.depends_on`.

`line_waves` is the one wave builder (`separation.waves`) run on those lines with their
conflicts: two lines that can change a common path never share a wave, whatever the plan
claims. Each such pair the dependencies alone would not have ordered is `HeldApart`, with the
plan's claim that said they may run side by side (its marker and line), when there is one.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, TypedDict

from gitwt.core import separation
from gitwt.core.formats.plan_units import TASK, UNIT
from gitwt.core.plan_index import Named, takes_unit_paths

if TYPE_CHECKING:
    from gitwt.core.plan_claims import ClaimCheck


class ExpansionJson(TypedDict):
    """`task_lines` in `plan --json` and `batch --json` (with `held_apart` added there)."""

    whole: dict[str, str]
    done: list[str]
    unit_wide: dict[str, str]


class ClaimSource(TypedDict):
    marker: str
    source: str


class HeldApartJson(TypedDict):
    tasks: list[str]
    paths: list[str]
    claim: ClaimSource | None
    declared: bool
    reason: str


def _lines(unit: Named) -> tuple[list[Named], str]:
    """A unit's task lines under the name it was given, or none and why it stays whole.

    cc-sdd's top-level line has the unit's own id: it is the unit's heading, not a line of
    work, when sub-tasks follow it. A unit whose own text names paths that none of its lines
    names (a heading's detail bullets, a Task Master task's `details`) stays whole: split, no
    line could change those paths."""
    lines = [line for line in unit.unit.tasks if line.id != unit.unit.id]
    if not lines:
        return [], "its plan gives it no task lines"
    named = {mention.mention.path for line in lines for mention in line.mentions}
    outside = sorted(
        {mention.mention.path for mention in unit.unit.mentions} - named, key=str.casefold
    )
    if outside:
        listed = ", ".join(outside[:3]) + (
            f" (+{len(outside) - 3} more)" if len(outside) > 3 else ""
        )
        return [], f"it names paths none of its task lines names: {listed}"
    return [Named(unit.prefix + line.id, unit.unit, unit.plan, line) for line in lines], ""


@dataclass
class Expansion:
    """What the named units stand for once expanded into task lines (one per command: a
    dependency on a unit named by another name becomes one on that unit's lines too)."""

    items: list[Named] = field(default_factory=list)  # in the order named, then plan order
    whole: dict[str, str] = field(default_factory=dict)  # units run whole: why
    done: list[str] = field(default_factory=list)  # lines ticked done in the plan: not run
    lines_of: dict[str, list[str]] = field(default_factory=dict)  # expanded unit -> open lines
    unit_wide: dict[str, str] = field(default_factory=dict)  # lines declared as their unit: why

    def add(self, named: Sequence[Named]) -> list[Named]:
        """Each unit as its open task lines; a task line, or a unit without any, as named.
        Returns the items not added before."""
        added: list[Named] = []
        known = {item.id for item in self.items}
        for item in named:
            lines, why = _lines(item) if item.line is None else ([], "")
            if why:
                self.whole[item.id] = why
            open_lines = [line for line in lines if line.line is not None and not line.line.done]
            self.done += [line.id for line in lines if line.line is not None and line.line.done]
            if lines:
                self.lines_of[item.id] = [line.id for line in open_lines]
            for line in open_lines:
                if line.line is not None and takes_unit_paths(line.line):
                    self.unit_wide[line.id] = (
                        f"names no path: declared as its unit {item.id}, so no other line of "
                        f"it runs beside it ({line.where})"
                    )
            for one in open_lines if lines else [item]:
                if one.id not in known:
                    known.add(one.id)
                    added.append(one)
        self.items += added
        return added

    def depends(self) -> dict[str, tuple[str, ...]]:
        """Each item's dependencies (as the reader gives them, under the prefix it was named
        with), a dependency on an expanded unit replaced by one on each of its open lines."""
        found: dict[str, tuple[str, ...]] = {}
        for item in self.items:
            own = item.line.depends_on if item.line is not None else item.unit.depends_on
            depends: dict[str, None] = {}
            for dependency in own:
                name = item.prefix + dependency
                depends.update(
                    (other, None) for other in self.lines_of.get(name, [name]) if other != item.id
                )
            found[item.id] = tuple(depends)
        return found

    def to_json(self) -> ExpansionJson:
        return {"whole": self.whole, "done": self.done, "unit_wide": self.unit_wide}


def expand(named: Sequence[Named]) -> Expansion:
    expansion = Expansion()
    expansion.add(named)
    return expansion


@dataclass(frozen=True)
class HeldApart:
    """Two task lines that run in successive waves because both can change a path."""

    tasks: tuple[str, str]  # the earlier, then the later
    paths: tuple[str, ...]  # the paths both change (else a path both patterns could match)
    claim: tuple[str, str] | None  # (marker, file:line) of the plan's claim that they may not wait
    declared: bool = False  # the plan says they conflict (`conflicts_with`)

    def reason(self) -> str:
        first, second = self.tasks
        if self.paths:
            why = "both change " + ", ".join(self.paths[:3])
            why += f" (+{len(self.paths) - 3} more)" if len(self.paths) > 3 else ""
        else:
            why = "their plan says they conflict"
        said = (
            f"; the plan's {self.claim[0]} claim at {self.claim[1]} is false" if self.claim else ""
        )
        return f"{second} runs after {first}: {why}{said}"

    def to_json(self) -> HeldApartJson:
        return {
            "tasks": list(self.tasks),
            "paths": list(self.paths),
            "claim": {"marker": self.claim[0], "source": self.claim[1]} if self.claim else None,
            "declared": self.declared,
            "reason": self.reason(),
        }


def _claim_of(
    pair: tuple[str, str], claims: Sequence[ClaimCheck], named: Mapping[str, Named]
) -> tuple[str, str] | None:
    """The plan's claim that two items may run side by side: between the two lines, else
    between their units (a prose claim that two stories are independent)."""
    first, second = (named.get(task_id) for task_id in pair)
    if first is None or second is None:
        return None
    lines = {item.line.id if item.line is not None else item.unit.id for item in (first, second)}
    units = {first.unit.id, second.unit.id}
    wanted = [(TASK, lines), (UNIT, units)] if len(units) == 2 else [(TASK, lines)]
    for level, sides in wanted:
        for check in claims:
            claim = check.verdict.claim
            if claim.level == level and set(check.verdict.sides) == sides:
                return claim.marker, claim.source
    return None


def line_waves(
    plan: separation.Plan,
    claims: Sequence[ClaimCheck] = (),
    named: Mapping[str, Named] | None = None,
) -> tuple[list[list[str]], list[HeldApart]]:
    """The waves the lines run in (each after every line it depends on, no two lines of one
    wave sharing a path, no cap: `start` runs at most `max_instances` of a wave at a time),
    and each pair held apart that its dependencies did not order already."""
    conflicting = {conflict.tasks for conflict in plan.conflicts}
    levels = separation.waves(plan.order, plan.tasks, conflicting, max(1, len(plan.tasks)))
    wave_of = {task_id: number for number, wave in enumerate(levels) for task_id in wave}
    ancestors = separation.ancestors(plan.tasks)
    held: list[HeldApart] = []
    for conflict in plan.conflicts:
        first, second = sorted(conflict.tasks, key=lambda task_id: wave_of[task_id])
        if first in ancestors.get(second, set()):
            continue  # the plan orders them anyway
        held.append(
            HeldApart(
                (first, second),
                tuple(conflict.paths or conflict.examples),
                _claim_of((first, second), claims, named or {}),
                conflict.declared,
            )
        )
    return levels, held
