"""Order rules the plan formats share: "each item waits for the ones before it, except ...".

spec-kit runs a phase's tasks in order except `[P]` peers; cc-sdd says a task depends on every
task before it unless `(P)` lifts it. Both become `direct_predecessors`: the earlier items an item
waits for, minus those it only waits for through another (a transitive reduction, so a list of a
hundred sequential tasks gives each task one predecessor, not a hundred). Pure.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from itertools import combinations

from gitwt.core.formats.plan_units import ParallelClaim, PlanProblem

MAX_GROUP = 64  # sides of one claim group that are paired (64 sides: 2,016 claims)


def earlier(count: int, lifted: Callable[[int, int], bool]) -> list[list[int]]:
    """For each item, every earlier item it waits for (j < i and not lifted(j, i))."""
    return [[j for j in range(i) if not lifted(j, i)] for i in range(count)]


def direct_predecessors(waits: Sequence[Sequence[int]]) -> list[list[int]]:
    """The transitive reduction of `waits` (each list holds indexes smaller than its own)."""
    closure: list[int] = []  # bit j of closure[i]: item i waits for item j, directly or not
    direct: list[list[int]] = []
    for before in waits:
        reach = 0
        for j in before:
            reach |= closure[j]
        direct.append([j for j in before if not reach >> j & 1])
        for j in before:
            reach |= 1 << j
        closure.append(reach)
    return direct


def direct_waits(count: int, lifted: Callable[[int, int], bool]) -> list[list[int]]:
    """`direct_predecessors(earlier(count, lifted))` in linear time, for the plans' rule: items
    form clusters of consecutive items lifted from one another (`[P]` peers, a `(P)` run), and
    each item waits for every item of the cluster before its own."""
    direct: list[list[int]] = []
    previous: list[int] = []
    current: list[int] = []
    for index in range(count):
        if current and lifted(current[0], index):
            current.append(index)
        else:
            previous, current = current, [index]
        direct.append(list(previous))
    return direct


def pairs(
    ids: Sequence[str], problems: list[PlanProblem] | None = None, source: str = "", line: int = 0
) -> list[tuple[str, str]]:
    """Every unordered pair, in the order written (one claim per pair), among the first
    MAX_GROUP sides; a larger group is reported in `problems` (the claims beyond are not
    made: a thousand `[P]` lines would give half a million pairs)."""
    sides = list(dict.fromkeys(ids))
    if len(sides) > MAX_GROUP and problems is not None:
        problems.append(
            PlanProblem(
                f"{len(sides)} tasks claim to run side by side at {source}:{line}; only the claims "
                f"among the first {MAX_GROUP} are checked",
                "split them into smaller groups (subsections, or runs of (P) tasks)",
                source,
                line,
            )
        )
    return list(combinations(sides[:MAX_GROUP], 2))


def unordered(
    claims: Iterable[ParallelClaim], stated: Mapping[str, Collection[str]]
) -> list[ParallelClaim]:
    """One claim per pair (the first line that makes it), leaving out the pairs the plan
    orders itself (`stated`: unit ids and the plan's task ids -> what they are said to wait
    for): two sides that never run side by side claim nothing."""
    seen: dict[tuple[str, str | None, frozenset[str]], ParallelClaim] = {}
    for claim in claims:
        first, second = claim.between
        if second in stated.get(first, ()) or first in stated.get(second, ()):
            continue
        seen.setdefault((claim.level, claim.unit, frozenset(claim.between)), claim)
    return list(seen.values())
