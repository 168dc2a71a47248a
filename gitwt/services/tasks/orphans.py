"""Tasks whose locked worktree or branch outlived their record: `orphaned` (DESIGN §13).

An agent can delete another task's record (it runs as the same user); the task's worktree,
locked `git parallel <id>` by `start`, and its branch are still there. Such a task stays live
for every overlap check (`start`, `claim`, the audit's re-check of claims), `status` shows it,
and nothing frees it: its declaration is what its spec (and its worktree's rules file) says,
or everything when neither can be read (fail closed). Its state, `orphaned`, is not an ended
one, so `infra.records.is_live` counts it.
"""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Iterable, Mapping
from typing import Any

from gitwt.core.specs import id_key
from gitwt.core.task_ids import TASK_ID
from gitwt.errors import GitParallelError
from gitwt.infra import records
from gitwt.infra.task_record import TaskRecord
from gitwt.services.context import Context
from gitwt.services.tasks.worktrees import LOCK_REASON

ORPHANED = "orphaned"  # the state of a task whose worktree or branch outlived its record
CLEANED = records.CLEANED
_LOCKED_BY_START = re.compile(re.escape(LOCK_REASON).replace(re.escape("{id}"), "(?P<id>.+)"))
_UNKNOWN = "**"  # an orphan whose declaration cannot be told declares everything (fail closed)


def live_and_orphaned(
    context: Context, branches: Iterable[str] | None = None
) -> dict[str, TaskRecord]:
    """Every live task's record and every orphaned task: what overlap checks count (`start`,
    the audit's re-check of claims). `branches`: every local branch, when the caller has them."""
    every = records.all_tasks(context.repo.common_dir)
    live = {key: record for key, record in every.items() if records.is_live(record)}
    return {**live, **orphans(context, every, branches)}


def orphans(
    context: Context, known: Mapping[str, TaskRecord], branches: Iterable[str] | None = None
) -> dict[str, TaskRecord]:
    """Tasks whose locked worktree or branch outlived their record (ids not in `known`, or
    whose record says `cleaned`), as records in state `orphaned` (live: `records.is_live`),
    each declaring what its spec (and its rules file) says, or everything when neither can be
    read (fail closed).

    `clean` records `cleaned` only after the worktree and the branch are gone, so a cleaned
    record beside either is another task's record rewritten to free its paths."""
    # A set lookup, not a scan per worktree.
    seen = {id_key(str(key)) for key, record in known.items() if record.get("state") != CLEANED}
    found: dict[str, dict[str, str]] = {}  # id -> where it was seen: worktree, branch
    for task_id, worktree in _locked_worktrees(context.repo.common_dir):
        if id_key(task_id) not in seen:
            found.setdefault(task_id, {"worktree": worktree} if worktree else {})
    pattern = _branch_pattern(context)
    for branch in branches if branches is not None else context.branches:
        matched = pattern.fullmatch(branch) if pattern and branch != context.base else None
        if matched and id_key(matched["id"]) not in seen:
            found.setdefault(matched["id"], {})["branch"] = branch
    made = {task_id: _orphan(context, task_id, seen_at) for task_id, seen_at in found.items()}
    return {key: record for key, record in made.items() if record is not None}


def _locked_worktrees(common_dir: str) -> list[tuple[str, str | None]]:
    """(task id, worktree) of every worktree gitwt locked, from git's admin files (no git)."""
    folder = os.path.join(common_dir, "worktrees")
    try:
        names = sorted(os.listdir(folder))
    except OSError:
        return []
    found = []
    for name in names:
        try:
            with open(os.path.join(folder, name, "locked"), encoding="utf-8") as handle:
                reason = handle.read().strip()
        except (OSError, ValueError):
            continue
        matched = _LOCKED_BY_START.fullmatch(reason)
        if matched and TASK_ID.fullmatch(matched["id"]):
            found.append((matched["id"], _worktree_of(folder, name)))
    return found


def _worktree_of(folder: str, name: str) -> str | None:
    try:
        with open(os.path.join(folder, name, "gitdir"), encoding="utf-8") as handle:
            return os.path.dirname(handle.read().strip()) or None
    except (OSError, ValueError):
        return None


def _branch_pattern(context: Context) -> re.Pattern[str] | None:
    """The `branch` template as a pattern whose group `id` is the task id."""
    from gitwt.services.tasks.worktrees import repo_name

    template = context.config.branch
    if "{id}" not in template or template.replace("{id}", "").replace("{repo}", "") == "":
        return None  # a template of the id alone would make every branch a task's
    name = repo_name(context)
    parts = [re.escape(part.replace("{repo}", name)) for part in template.split("{id}")]
    return re.compile("(?P<id>.+?)".join(parts[:2]) + "".join(parts[2:]))


def _orphan(context: Context, task_id: str, seen_at: dict[str, str]) -> TaskRecord | None:
    from gitwt.hook.rules_file import worktree_rules

    files: list[str] = []
    with contextlib.suppress(GitParallelError):  # no spec: the rules file, else everything
        files += [pattern for task in context.load_tasks([task_id]) for pattern in task.files]
    saved = worktree_rules(seen_at.get("worktree"))
    if saved is not None and saved.task_id == task_id:
        files += [pattern for pattern in saved.declared or [] if pattern not in files]
    if not files and "worktree" not in seen_at:
        return None  # a branch alone that no spec names is someone's branch, not a task's
    record: TaskRecord = {
        "id": task_id,
        "title": "",
        "state": ORPHANED,
        "owner": None,
        "files": files or [_UNKNOWN],
        "claims": [],
        "violations": [],
        "orphaned": True,
    }
    if "branch" in seen_at:
        record["branch"] = seen_at["branch"]
    if "worktree" in seen_at:
        record["worktree"] = seen_at["worktree"]
    return record


def orphan_note(record: Mapping[str, Any]) -> str:
    """Why a task is live without a record, for refusals that name it."""
    where = " and ".join(
        f"{kind} {record[key]}"
        for kind, key in (("worktree", "worktree"), ("branch", "branch"))
        if record.get(key)
    )
    return f"task {record['id']} is orphaned: its {where or 'worktree'} has no live record"
