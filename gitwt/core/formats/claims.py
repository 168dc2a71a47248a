"""Whether a plan's parallel claim holds: both sides may run side by side only if no path is
declared by both. The one judge for `plan`, `check --claims` and the tests. Pure.

A claim holds when no declared pattern of one side can match a path that a pattern of the other
side matches (`pattern_overlap.overlap_example`, the planner's own overlap test). Callers pass
declared patterns without bookkeeping (DESIGN §2: a unit's own status marks never overlap).
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from gitwt.core.formats.plan_units import TASK, ParallelClaim, PlanUnit
from gitwt.core.pattern_overlap import overlap_example
from gitwt.core.patterns import is_literal


@dataclass(frozen=True)
class ClaimVerdict:
    claim: ParallelClaim
    sides: tuple[str, str]  # the gitwt ids of both sides (task ids at task level)
    holds: bool
    shared: tuple[str, ...]  # a path both sides change, for each overlapping pair of patterns


def _related(literal: str, others: Sequence[str]) -> Iterable[str]:
    """The literal patterns of `others` that can share a path with `literal`: itself, those
    below it (`others` is sorted), those above it. Two literals elsewhere in the tree share
    nothing, so a plan naming a bare name that matches 2,000 files stays linear."""
    stem = literal.rstrip("/")
    yield from (stem, stem + "/")
    start = bisect.bisect_left(others, stem + "/")
    for other in others[start:]:
        if not other.startswith(stem + "/"):
            break
        yield other
    parts = stem.split("/")
    for depth in range(1, len(parts)):
        above = "/".join(parts[:depth])
        yield from (above, above + "/")


def shared_paths(first: Sequence[str], second: Sequence[str]) -> tuple[str, ...]:
    """The paths both pattern lists can change (one witness per overlapping pair), sorted."""
    literals = frozenset(pattern for pattern in second if is_literal(pattern))
    ordered = sorted(literals)
    wild = [pattern for pattern in second if pattern not in literals]
    found: set[str] = set()
    for one in first:
        if is_literal(one):
            candidates = [other for other in _related(one, ordered) if other in literals]
            candidates += wild
        else:
            candidates = list(second)
        found.update(
            example
            for other in dict.fromkeys(candidates)
            if (example := overlap_example(one, other)) is not None
        )
    return tuple(sorted(found))


def claim_sides(claim: ParallelClaim, units: Iterable[PlanUnit]) -> tuple[str, str] | None:
    """The gitwt ids a claim is between: task-level native ids mapped through their unit."""
    if claim.level != TASK:
        return claim.between
    unit = next((unit for unit in units if unit.id == claim.unit), None)
    if unit is None:
        return None
    by_native = {task.native_id: task.id for task in unit.tasks}
    first, second = (by_native.get(native) for native in claim.between)
    return (first, second) if first and second else None


def judge_claims(
    claims: Iterable[ParallelClaim],
    declared: Mapping[str, Sequence[str]],
    units: Iterable[PlanUnit] = (),
) -> list[ClaimVerdict]:
    """Each claim whose sides are both known, with whether it holds and the shared paths.

    `declared` maps gitwt ids (units, and task lines for task-level claims) to their declared
    patterns; a side missing from it is treated as declaring nothing.
    """
    units = tuple(units)
    verdicts: list[ClaimVerdict] = []
    for claim in claims:
        sides = claim_sides(claim, units)
        if sides is None:
            continue
        shared = shared_paths(declared.get(sides[0], ()), declared.get(sides[1], ()))
        verdicts.append(ClaimVerdict(claim, sides, not shared, shared))
    return verdicts
