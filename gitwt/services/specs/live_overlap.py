"""Overlaps with tasks already live, and the one sentence that names a conflict.

`start`, `claim` and team mode (tasks live on other machines) ask the same question of the
same records: one function, so the three never disagree.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from gitwt.core.declaration import declared_by
from gitwt.core.separation import Conflict
from gitwt.core.specs import Task

if TYPE_CHECKING:
    from gitwt.infra.task_record import TaskRecord
    from gitwt.services.context import Context


def conflict_text(conflict: Conflict) -> str:
    from gitwt.core.display import path_list

    first, second = conflict.tasks
    if conflict.paths:
        return f"{first} and {second} both declare {path_list(conflict.paths, 3)}"
    if conflict.declared and not conflict.examples:
        return f"{first} and {second} conflict: their plan says so (conflicts_with)"
    return (
        f"{first} and {second} have overlapping patterns (e.g. {path_list(conflict.examples, 1)})"
    )


def overlap_tasks(records: Mapping[str, Mapping[str, Any]]) -> list[Task]:
    """Task records as the tasks an overlap check compares: each id with its declaration
    (files and claims); a record that declares nothing overlaps nothing and is left out.
    `start`, `claim`, team mode and `next` ask this of the live records: one answer."""
    found = []
    for task_id, record in records.items():
        patterns = declared_by({**record, "id": task_id})
        if patterns:
            found.append(Task(id=task_id, title="", owner=None, files=tuple(patterns)))
    return found


def live_conflicts(
    context: Context, tasks: Sequence[Task], live: dict[str, TaskRecord]
) -> list[Conflict]:
    """Overlaps between new tasks and tasks already live (their declarations with claims)."""
    from gitwt.core import separation

    if not live:
        return []
    new_ids = {task.id for task in tasks}
    others = overlap_tasks({key: record for key, record in live.items() if key not in new_ids})
    if not others:
        return []
    check = separation.plan(
        [Task(id=t.id, title="", owner=None, files=t.files) for t in tasks] + others,
        context.base_files(),
    )
    return [
        conflict
        for conflict in check.conflicts
        if (conflict.tasks[0] in new_ids) != (conflict.tasks[1] in new_ids)
    ]
