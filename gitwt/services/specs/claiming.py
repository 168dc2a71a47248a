"""The `claim` service: extend a live task's declaration under the lock, then refresh its rules."""

from __future__ import annotations

import os
import time
from collections.abc import Mapping
from dataclasses import dataclass

from gitwt.core.declaration import declared_by
from gitwt.core.specs import Task
from gitwt.errors import GitParallelError, Refused
from gitwt.infra import failpoints, state
from gitwt.infra.task_record import TaskRecord
from gitwt.services.context import Context
from gitwt.services.specs.live_overlap import conflict_text, live_conflicts
from gitwt.services.team import team_seam


@dataclass
class ClaimReport:
    task_id: str
    added: list[str]
    declaration: list[str]


def claim(context: Context, task_id: str, paths: list[str]) -> ClaimReport:
    """Extend a live task's declaration, decided under the lock: refused (exit 1) when another
    live task declares or claims an overlapping path, or the task's owner does not own it."""
    from gitwt.core import patterns

    if not paths:
        raise GitParallelError("no paths to claim", f"e.g. 'git parallel claim {task_id} src/x.py'")
    wanted = [patterns.validate(path, "the command line") for path in paths]
    common = context.repo.common_dir
    with state.locked(common):
        records = state.all_tasks(common)
        record = _live_record(records, task_id)
        current = declared_by(record)
        added = [path for path in wanted if path not in current]
        if added:
            from gitwt.services.tasks.orphans import orphans

            # A task whose record is gone still holds its paths (DESIGN §13).
            _check_claim(context, record, {**records, **orphans(context, records)}, added)
            team = team_seam(context)
            if team is not None:
                team.claim(context, record, added)  # other machines' tasks decide too
            failpoints.hit("claim:validated")
            _record_claim(common, record, added)
            failpoints.hit("claim:recorded")
        # Always refresh, even when nothing was added: a claim killed after recording
        # is finished by running it again.
        _refresh_rules(context, record)
    return ClaimReport(record["id"], added, declared_by(record))


def _live_record(records: dict[str, TaskRecord], task_id: str) -> TaskRecord:
    """The record of the task to extend; refused unless it was started and is still live."""
    from gitwt.services.tasks import supervisor

    found = supervisor.select(records, [task_id])
    if not found:
        raise GitParallelError(f"task {task_id} has not been started", "see 'git parallel status'")
    record = found[0]
    if not state.is_live(record):
        raise Refused(
            f"task {record['id']} is {record.get('state')}; nothing to extend",
            "start a new task for more work",
        )
    return record


def _check_claim(
    context: Context,
    record: TaskRecord,
    records: dict[str, TaskRecord],
    added: list[str],
) -> None:
    """Refuse paths another live task declares or claims, or the task's owner does not own."""
    problems = claim_problems(context, record, records, added)
    if problems:
        message, hint = problems[0]
        raise Refused(f"cannot claim for task {record['id']}: {message}", hint)


def claim_problems(
    context: Context,
    record: TaskRecord,
    records: Mapping[str, TaskRecord],
    added: list[str],
) -> list[tuple[str, str]]:
    """Why `claim` refuses `added` for the task of `record`: another live task in `records`
    declares or claims an overlapping path, or the task's owner does not own it. The merge
    audit asks the same of every claim a record holds (services.merging.authority)."""
    from gitwt.core import patterns, separation

    try:
        wanted = [patterns.validate(path, "a claim") for path in added]
    except patterns.PatternError as error:
        return [(error.message, error.hint or "")]
    claimed = Task(id=record["id"], title="", owner=record.get("owner"), files=tuple(wanted))
    live = {key: other for key, other in records.items() if state.is_live(other)}
    found = []
    for conflict in live_conflicts(context, [claimed], live):
        other = next(t for t in conflict.tasks if t != record["id"])
        why = f"task {other} is {records[other].get('state')}"
        hint = f"claim other paths, or wait until task {other} is merged"
        if records[other].get("orphaned"):
            from gitwt.services.tasks.orphans import orphan_note

            why = orphan_note(records[other])
            hint = (
                f"restore parallel/tasks/{other}.json under the common git dir, or remove "
                f"task {other}'s worktree and branch yourself once its work is safe"
            )
        found.append((f"{conflict_text(conflict)} ({why})", hint))
    if not record.get("owner") or context.ownership is None:
        return found
    owned = separation.plan(  # the claimed paths alone, against the ownership map
        [claimed], context.base_files(), ownership=context.ownership, unowned=context.config.unowned
    )
    owner_hint = "claim only paths the task's owner owns, or ask their owner"
    found += [(p.message, owner_hint) for p in owned.problems]
    return found


def _record_claim(common: str, record: TaskRecord, added: list[str]) -> None:
    """The claim in the task's record and in events.jsonl."""
    record["claims"] = [
        *(record.get("claims") or []),
        {"paths": added, "time": time.time()},
    ]
    state.write_task(common, record)
    state.append_event(common, "claimed", task=record["id"], paths=added)


def _refresh_rules(context: Context, record: TaskRecord) -> None:
    """Save the worktree's rules (and sparse patterns) from the whole declaration: idempotent."""
    from gitwt.services.tasks import worktrees

    worktree = record.get("worktree")
    if worktree and record.get("base_oid") and os.path.isdir(worktree):
        git_dir = worktrees.private_git_dir(worktree)
        worktrees.save_task_rules(context, record, git_dir)
        failpoints.hit("claim:rules-saved")
        if record.get("agent"):  # the agent's task note lists the claim too
            from gitwt.services.tasks import agent_wiring

            agent_wiring.refresh_note(worktree, git_dir, record)
        if record.get("sparse"):
            # The whole declaration, not just this claim's paths: idempotent.
            worktrees.populate_sparse(
                worktree, git_dir, worktrees.task_sparse_checkout(context, record)
            )
