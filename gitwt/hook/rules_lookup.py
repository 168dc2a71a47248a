"""Which rules a commit is checked against: this worktree's saved rules, and another task's.

Another task's rules come from its state record and its worktree's snapshot, through the one
builder (`gitwt.core.declaration.task_rules`). Unreadable rules or records fail closed.
"""

from __future__ import annotations

import os

from gitwt.core import boundaries
from gitwt.hook import rules_file
from gitwt.hook.git_runner import GitDirs, HookError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from gitwt.infra.task_record import TaskRecord


def saved_rules(where: GitDirs) -> boundaries.Rules | None:
    """This worktree's task rules, or None outside task worktrees; unreadable ones fail closed."""
    try:
        return rules_file.load_rules(where.git_dir)
    except (OSError, ValueError) as exc:
        path = rules_file.rules_path(where.git_dir)
        raise HookError(
            f"the task rules in {path} are unreadable ({exc})",
            "rewrite them with 'git parallel hooks install --task ID' in this worktree",
        ) from exc


def own_rules(where: GitDirs) -> boundaries.Rules:
    """This task worktree's rules; a missing or broken file refuses the commit (fail closed)."""
    path = rules_file.rules_path(where.git_dir)
    rules = saved_rules(where)
    if rules is None:
        raise HookError(
            f"this worktree's hooks check a task, but {path} is missing",
            "run 'git parallel hooks install --task ID' here, or 'git parallel hooks uninstall'",
        )
    return rules


def _failing_closed(error: Exception) -> HookError:
    hint = getattr(error, "hint", None) or ""
    return HookError(getattr(error, "message", str(error)), hint)


def live_task_records(common_dir: str) -> list[TaskRecord]:
    """Every live task's state record: `gitwt.infra.records`, the one reader and the one
    definition of live (it raises for an unreadable record, which fails the hook closed)."""
    from gitwt.errors import GitParallelError
    from gitwt.infra import records

    try:
        return [
            record for record in records.all_tasks(common_dir).values() if records.is_live(record)
        ]
    except GitParallelError as error:
        raise _failing_closed(error) from error


def record_rules(record: TaskRecord) -> boundaries.Rules:
    """The rules another task commits under: the one builder, from its worktree's snapshot and
    its state record (the hook has no ownership map of its own: a task whose snapshot is gone
    is checked against its declaration)."""
    from gitwt.core.declaration import record_context, task_rules
    from gitwt.errors import GitParallelError

    extra = record_context(record)
    try:
        saved = rules_file.worktree_rules(record.get("worktree"))
        return task_rules(record, saved=saved, extra=extra)
    except GitParallelError as error:  # a malformed claim: name the task, refuse (fail closed)
        raise _failing_closed(error) from error


def task_of_branch(
    ref: str, where: GitDirs, own: boundaries.Rules | None
) -> boundaries.Rules | None:
    """The rules of the task whose branch `ref` (refs/heads/... or a short name) is, if any."""
    branch = ref.removeprefix("refs/heads/")
    if own is not None and (ref == "HEAD" or branch == own.extra.get("branch")):
        return own
    if not branch or branch == "HEAD":
        return None
    # A live task's rules: its snapshot and its record, the same declaration `merge` audits...
    for record in live_task_records(where.common_dir):
        if record.get("branch") == branch:
            return record_rules(record)
    # ...and a worktree whose hooks were installed by hand (`hooks install --task`, no record).
    worktrees = os.path.join(where.common_dir, "worktrees")
    try:
        names = sorted(os.listdir(worktrees))
    except OSError:
        names = []
    for name in names:
        try:
            rules = rules_file.load_rules(os.path.join(worktrees, name))
        except (OSError, ValueError):
            continue
        if rules is not None and rules.extra.get("branch") == branch:
            return rules
    return None
