"""What can start now (DESIGN §3 `next`): one compatible set of units, and why each other is out.

Pure. The service gathers every discovered unit as a NextUnit, in plan order, with its plan's
own status and its task (or why it has none); this picks, in that order, the ones that are open,
not merged, not live, whose dependencies are done or merged, that overlap neither each other nor
a live task and that the owner rules allow, up to `limit`. Overlaps and owner rules are
`separation.plan`'s: the one check `plan` and `start` use.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace

from gitwt.core import separation
from gitwt.core.formats.plan_units import DONE, OPEN
from gitwt.core.ownership import OwnershipMap
from gitwt.core.specs import Task

# Why a unit is left out (`Left.reason`), besides the plan statuses done, in_progress, blocked
# and deferred.
MERGED, LIVE, DEPENDS, OVERLAPS, OWNER, UNUSABLE, PAST_MAX, UNLISTED = (
    "merged",
    "live",
    "depends",
    "overlaps",
    "owner",
    "unusable",
    "past_max",
    "unlisted",  # a legacy spec the roadmap does not list (the older system ran priorities)
)


@dataclass(frozen=True)
class NextUnit:
    """One unit as its plan gives it: the task `start` would run, or why there is none."""

    id: str  # the task id `start` takes
    label: str  # how its plan names it: `004.US1`, `PRIORITY 23`, `SPEC-072-x.md`
    format: str  # `spec-kit`, ..., `roadmap`, `spec` (a legacy spec), `config`
    status: str  # its plan's own: plan_units.STATUSES
    source: str  # file:line of what gives it its status
    task: Task | None = None
    unusable: str | None = None  # why it has no task (a spec problem, no spec linked)
    status_from: str = ""  # file:line that says its status, when it is not `source`
    spec: str = ""  # the spec a roadmap priority runs, with the line that links it
    after: tuple[str, ...] = ()  # what its plan says it waits for besides its task's depends_on

    @property
    def depends_on(self) -> tuple[str, ...]:
        own = self.task.depends_on if self.task else ()
        return (*own, *(dep for dep in self.after if dep not in own))


@dataclass(frozen=True)
class Left:
    candidate: NextUnit
    reason: str  # a plan status, or one of MERGED ... PAST_MAX
    detail: str  # one line a person reads
    others: tuple[str, ...] = ()  # the units it depends on or overlaps
    paths: tuple[str, ...] = ()  # the paths (or example paths) of an overlap


@dataclass
class Selection:
    chosen: list[NextUnit] = field(default_factory=list)
    left: list[Left] = field(default_factory=list)
    limit: int = 2


def _paths(conflict: separation.Conflict) -> tuple[str, ...]:
    return tuple(conflict.paths or conflict.examples)


def _overlap(task_id: str, conflict: separation.Conflict, live: bool) -> tuple[str, str]:
    other = conflict.tasks[1] if conflict.tasks[0] == task_id else conflict.tasks[0]
    who = f"live task {other}" if live else other
    paths = _paths(conflict)
    if paths:
        shown = ", ".join(paths[:3]) + (f" (+{len(paths) - 3} more)" if len(paths) > 3 else "")
        return other, f"overlaps {who} on {shown}"
    return other, f"overlaps {who}: their plan says they conflict (conflicts_with)"


def _blocked_by(
    candidate: NextUnit, finished: set[str], known: set[str], merged: set[str]
) -> list[str]:
    """The dependencies not done in their plan nor merged; one gitwt knows nothing of is
    treated as done, as `plan` orders only what it is given."""
    return [
        dep
        for dep in candidate.depends_on
        if dep not in finished and dep not in merged and dep in known
    ]


def _first_pass(
    candidates: Sequence[NextUnit], merged: set[str], live: Mapping[str, str]
) -> tuple[list[NextUnit], list[Left]]:
    finished = {c.id for c in candidates if c.status == DONE and c.task is not None}
    known = {c.id for c in candidates}
    eligible: list[NextUnit] = []
    left: list[Left] = []
    for candidate in candidates:
        if candidate.id in merged and candidate.status != DONE:
            left.append(Left(candidate, MERGED, "merged into base (gitwt's record)"))
        elif candidate.id in live:
            left.append(Left(candidate, LIVE, f"already started ({live[candidate.id]})"))
        elif candidate.status == UNLISTED:
            left.append(Left(candidate, UNLISTED, f"not listed in {candidate.status_from}"))
        elif candidate.status != OPEN:
            said = candidate.status_from or candidate.source
            shown = candidate.status.replace("_", " ")
            left.append(Left(candidate, candidate.status, f"{shown} in {said}"))
        elif candidate.task is None:
            left.append(Left(candidate, UNUSABLE, candidate.unusable or "no task"))
        elif waiting := _blocked_by(candidate, finished, known, merged):
            left.append(
                Left(candidate, DEPENDS, "depends on " + ", ".join(waiting), tuple(waiting))
            )
        else:
            eligible.append(candidate)
    return eligible, left


def select(
    candidates: Sequence[NextUnit],
    *,
    merged: Iterable[str],
    live: Mapping[str, str],
    live_tasks: Sequence[Task],
    tracked_files: Iterable[str],
    ownership: OwnershipMap | None,
    unowned: str,
    limit: int,
) -> Selection:
    """Pick, in the candidates' order, at most `limit` units that can run together now.
    `merged`: task ids gitwt merged into base; `live`: live task ids and their state;
    `live_tasks`: their declarations."""
    eligible, left = _first_pass(candidates, set(merged), live)
    # Dependencies are met or outside the set: the check needs only the files and owners.
    checked = [replace(c.task, depends_on=()) for c in eligible if c.task is not None]
    live_ids = {task.id for task in live_tasks}
    checked += [replace(task, depends_on=(), owner=None) for task in live_tasks]
    found = separation.plan(
        checked,
        tracked_files,
        ownership=ownership,
        unowned=unowned,
        max_instances=max(limit, 1),
    )
    conflicts = {conflict.tasks: conflict for conflict in found.conflicts}
    owner_problems = {p.task: p for p in found.problems if p.task not in live_ids}
    selection = Selection(limit=limit)
    for candidate in eligible:
        problem = owner_problems.get(candidate.id)
        if problem is not None:
            left.append(Left(candidate, OWNER, problem.message, (), tuple(problem.paths)))
            continue
        clash = _first_clash(candidate.id, [*live_ids], conflicts, live=True) or _first_clash(
            candidate.id, [c.id for c in selection.chosen], conflicts, live=False
        )
        if clash is not None:
            left.append(clash_left(candidate, *clash))
            continue
        if len(selection.chosen) >= limit:
            left.append(Left(candidate, PAST_MAX, f"past --max {limit}"))
            continue
        selection.chosen.append(candidate)
    order = {id(c): n for n, c in enumerate(candidates)}
    selection.left = sorted(left, key=lambda item: order[id(item.candidate)])
    return selection


def _first_clash(
    task_id: str,
    others: Sequence[str],
    conflicts: Mapping[tuple[str, str], separation.Conflict],
    *,
    live: bool,
) -> tuple[separation.Conflict, bool] | None:
    for other in others:
        conflict = conflicts.get(separation.pair(task_id, other))
        if conflict is not None:
            return conflict, live
    return None


def clash_left(candidate: NextUnit, conflict: separation.Conflict, live: bool) -> Left:
    other, detail = _overlap(candidate.id, conflict, live)
    return Left(candidate, OVERLAPS, detail, (other,), _paths(conflict))
