"""The conflict forecast of `status`: the merges among task branches, and of each branch into
base, that could conflict, simulated in one `merge-tree --stdin` started as soon as each
branch's changed paths are known (while the audit still runs, when they were cached)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from gitwt.core.bookkeeping import entry_for
from gitwt.infra import background, state
from gitwt.services.merging.forecast import ChangeSet, forecast, overlapping_pairs

if TYPE_CHECKING:
    from gitwt.services.tasks.status import StatusReport, TaskStatus

BASE = "base"  # the name the forecast uses for the integration branch


@dataclass
class Forecasting:
    """The merges being simulated: for each, the task whose row shows it and the other side
    (a task id, or BASE), and git's answer once it comes."""

    owners: list[tuple[TaskStatus, str]]
    by_id: dict[str, TaskStatus]
    running: background.Pending[tuple[list[list[str]], str]]


def start(
    tasks: list[TaskStatus],
    tips: dict[str, str],
    base_tip: str,
    base_changes: dict[str, ChangeSet],
    cwd: str,
) -> Forecasting:
    """Start simulating the merges that could conflict: the live tasks ahead of base whose
    changed paths meet base's since their fork point, or another such task's."""
    live = [task for task in tasks if task.ahead and state.is_live(task.record)]
    changes = {task.id: ChangeSet.of(task.files) for task in live}
    nothing = ChangeSet.of(())
    pairs: list[tuple[str, str]] = []
    owners: list[tuple[TaskStatus, str]] = []
    for task in live:
        if changes[task.id].may_conflict(base_changes.get(task.id, nothing)):
            pairs.append((base_tip, tips[task.record["branch"]]))
            owners.append((task, BASE))
    for i, j in overlapping_pairs([changes[task.id] for task in live]):
        first, second = live[i], live[j]
        pairs.append((tips[first.record["branch"]], tips[second.record["branch"]]))
        owners.append((first, second.id))
    by_id = {task.id: task for task in live}
    return Forecasting(owners, by_id, background.start(lambda: forecast(pairs, cwd)))


def finish(report: StatusReport, started: Forecasting) -> None:
    """Each row's forecast conflicts, on both sides of a merge between tasks."""
    results, method = started.running.result()
    by_id = started.by_id
    for (task, other), found in zip(started.owners, results, strict=True):
        paths = _beyond_bookkeeping(task, None if other == BASE else by_id[other], found)
        if paths:
            task.conflicts_with[other] = paths
            if other != BASE:
                by_id[other].conflicts_with[task.id] = paths
    report.forecast_pairs = len(started.owners)
    report.forecast_method = method


def _beyond_bookkeeping(task: TaskStatus, other: TaskStatus | None, paths: list[str]) -> list[str]:
    """The conflicted paths merge would not settle itself: a plan file that holds both sides'
    bookkeeping (base: what merged units wrote) is combined at merge (DESIGN §6); the audit
    refuses any change to it beyond status marks."""
    sides = [task.record] if other is None else [task.record, other.record]
    return [
        path
        for path in paths
        if not all(entry_for(path, record.get("bookkeeping")) for record in sides)
    ]
