"""The `clean` service: remove finished tasks' worktrees and merged branches, never losing work."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from gitwt.errors import Refused
from gitwt.infra import failpoints, state
from gitwt.infra.task_record import TaskRecord
from gitwt.services.context import Context
from gitwt.services.hooks import base_guard
from gitwt.services.merging import trash
from gitwt.services.tasks import agent_files
from gitwt.services.team import team_seam

if TYPE_CHECKING:
    from gitwt.services.merging.worktree_removal import RemovalReport

FINISHED = frozenset(
    {
        state.SUCCEEDED,
        state.FAILED,
        state.STOPPED,
        state.LOST,
        state.MERGED,
        state.CONFLICTED,
        state.REJECTED,
    }
)


@dataclass
class TaskCleanup:
    task_id: str
    cleaned: bool
    removal: RemovalReport | None = None
    refused: str | None = None
    hint: str | None = None


def clean(context: Context, ids: list[str], force: bool = False) -> list[TaskCleanup]:
    """Remove worktrees of finished or merged tasks and their merged branches (DESIGN §7).

    With no ids: every finished or merged task. A named open task may be cleaned too. Running
    or queued tasks, dirty worktrees and unmerged commits are refused per task; `force` salvages
    them under refs/parallel/salvage/<id>/<time> first (a running task is never forced).
    """
    from gitwt.services.tasks import scheduler, supervisor

    common = context.repo.common_dir
    team = team_seam(context)
    if team is not None:
        team.require_reachable(context)  # an unreachable registry changes nothing
    try:
        with state.locked(common):
            trash.finish_leftovers(context.repo.toplevel, common)
            chosen = supervisor.choose(
                state.all_tasks(common), ids, lambda record: record.get("state") in FINISHED
            )
            results = [_clean_one(context, record, force) for record in chosen]
            if team is not None and any(result.cleaned for result in results):
                team.sweep(context)  # the cleaned tasks leave the registry
    finally:
        trash.delete_in_background(common)  # the removed checkouts' files, after our work
    scheduler.schedule(context)  # a cleaned partner may free a queued task
    base_guard.lift_if_idle(context.repo)  # the last task gone: no guard left behind
    agent_files.lift_if_idle(common)  # nor the agents' settings at the repository root
    return results


def _clean_one(context: Context, record: TaskRecord, force: bool) -> TaskCleanup:
    """Remove one chosen task, or say why not; with the state lock held."""
    from gitwt.services.merging import worktree_removal
    from gitwt.services.tasks import supervisor

    observed = supervisor.observe(record).state
    if observed in (state.RUNNING, supervisor.UNSUPERVISED, state.QUEUED):
        return TaskCleanup(
            record["id"],
            False,
            refused=f"task {record['id']} is {observed}",
            hint=f"stop it first: 'git parallel stop {record['id']}'",
        )
    if record.get("state") == state.CLEANED:
        return TaskCleanup(record["id"], False)
    try:
        removal = worktree_removal.remove_task(context, record, force=force)
    except Refused as refusal:
        return TaskCleanup(record["id"], False, refused=refusal.message, hint=refusal.hint)
    if removal.branch_kept:  # not `cleaned` yet: the next clean finishes the job
        return TaskCleanup(
            record["id"], False, removal=removal.to_json(), refused=removal.branch_kept
        )
    state.update_task(
        context.repo.common_dir, record["id"], state=state.CLEANED, cleaned_at=time.time()
    )
    failpoints.hit("clean:recorded")
    return TaskCleanup(record["id"], True, removal=removal.to_json())
