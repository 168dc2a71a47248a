"""`git parallel hooks install [--task ID]`: the hooks, and with a task its rules first.

Apart from the installer because a task's rules come from the `check` service's reading of
the task (one builder for both), and the installer sits below it.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from gitwt.hook import rules_file
from gitwt.hook.hook_modes import TASK
from gitwt.infra import git
from gitwt.services.context import Context
from gitwt.services.hooks import installer
from gitwt.services.hooks.task_rules import save_rules
from gitwt.services.specs.boundary_check import rules_for_task

if TYPE_CHECKING:
    from gitwt.core.boundaries import RulesContext


def install_for(worktree: str, task_id: str | None = None) -> installer.Installed:
    """`hooks install [--task ID]`: with a task, first save its rules into the worktree."""
    if task_id is None:
        return installer.install(worktree)
    context = Context.discover(worktree)
    (task,) = context.load_tasks([task_id])
    branch = git.current_branch(context.repo.toplevel)
    where: RulesContext = {"base": context.base, "worktree": context.repo.toplevel}
    if branch:
        where["branch"] = branch
    rules = rules_for_task(context, task, where)
    had_rules = os.path.exists(rules_file.rules_path(context.repo.git_dir))
    save_rules(context.repo.git_dir, rules)
    return installer.install(context.repo.toplevel, TASK, saved_rules=not had_rules)
