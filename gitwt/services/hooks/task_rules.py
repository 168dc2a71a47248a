"""A task's Rules for the services: built by `core.declaration.task_rules` (the one builder),
saved into the task worktree for its hooks, and read back for the merge audit.

Two questions, one builder:

- `current_rules`: what the task may change by today's spec, state and ownership map; `start`,
  `claim` and `hooks install --task` save it as the worktree's snapshot, `check --task` uses it.
- `agreed_rules`: what the task agreed to (its worktree's snapshot) plus everything its state
  record declares; `merge` audits with it, as the hooks do for a task branch coming in.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from gitwt.core.boundaries import Rules
from gitwt.core.declaration import task_rules
from gitwt.core.plan_bookkeeping import as_json
from gitwt.core.specs import Task
from gitwt.hook.rules_file import rules_path, worktree_rules
from gitwt.infra import state
from gitwt.services.context import Context

if TYPE_CHECKING:
    from gitwt.core.boundaries import RulesContext


def save_rules(git_dir: str, rules: Rules) -> None:
    """Store the compiled rules in a worktree's private git dir, where its hooks read them."""
    state.write_json_atomic(rules_path(git_dir), rules.to_json())


def current_rules(
    context: Context,
    record: Mapping[str, Any] | None,
    task: Task | None = None,
    extra: RulesContext | None = None,
) -> Rules:
    """The task's rules compiled now: its spec's files (when `task` is given), its record's
    files and claims, this repository's ownership map."""
    if record is None:
        if task is None:
            raise ValueError("current_rules needs a record or a task")
        record = {"id": task.id, "owner": task.owner}
    elif task is not None:
        record = {**record, "owner": task.owner}
    if task is not None and task.bookkeeping and "bookkeeping" not in record:
        record = {**record, "bookkeeping": as_json(task.bookkeeping)}
    return task_rules(
        record,
        ownership=context.ownership,
        unowned=context.config.unowned,
        spec_patterns=list(task.files) if task is not None else None,
        extra=extra,
    )


def agreed_rules(context: Context, record: Mapping[str, Any]) -> Rules:
    """The rules the task agreed to at start (its worktree's snapshot) with every claim since;
    rebuilt from its record with today's ownership map when the snapshot is gone."""
    return task_rules(
        record,
        saved=worktree_rules(record.get("worktree")),
        ownership=context.ownership,
        unowned=context.config.unowned,
    )
