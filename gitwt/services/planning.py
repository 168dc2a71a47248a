"""The plan service: load tasks and files, run the pure separation check."""

from __future__ import annotations

from gitwt.core import separation
from gitwt.services.context import Context


def make_plan(ids: list[str], context: Context | None = None) -> tuple[Context, separation.Plan]:
    context = context or Context.discover()
    tasks = context.load_tasks(ids)
    result = separation.plan(
        tasks,
        context.base_files(),
        ownership=context.ownership,
        unowned=context.config.unowned,
        max_instances=context.config.max_instances,
    )
    return context, result
