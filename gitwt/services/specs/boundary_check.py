"""`git parallel check`: the commit hooks' boundary and ownership check, for CI and scripts.

What is checked: the staged change (default), or a range `A..B` (the commits of B that A does
not have, i.e. from their fork point to B, as `merge` audits a branch). Against what: a task's
declaration and owner (`--task`, or the task of the worktree you are in), or a role's paths in
the ownership map (`--role`, `GIT_PARALLEL_ROLE`, git config `parallel.role`, else your
`user.email` when the map names it as an owner).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from gitwt.core import bookkeeping, boundaries
from gitwt.core.declaration import role_rules
from gitwt.core.ownership import choose_role
from gitwt.core.specs import Task
from gitwt.errors import GitParallelError
from gitwt.hook import checks, plan_contents
from gitwt.hook.entry import framework_range
from gitwt.hook.git_runner import GitDirs, merge_heads
from gitwt.hook.rules_file import load_rules
from gitwt.infra import git, state
from gitwt.services.context import Context
from gitwt.services.hooks.task_rules import current_rules

if TYPE_CHECKING:
    from collections.abc import Sequence

    from gitwt.core.boundaries import ChangeLike, RulesContext

ROLE_VARIABLE = "GIT_PARALLEL_ROLE"
ROLE_CONFIG = "parallel.role"


@dataclass
class CheckResult:
    rules: boundaries.Rules
    scope: str  # "staged", "paths" (--path: before any edit) or the range as given
    changes: int  # how many changes were looked at
    violations: list[boundaries.Violation] = field(default_factory=list)
    paths: list[str] = field(default_factory=list)  # --path, repo-relative

    @property
    def ok(self) -> bool:
        return not self.violations


def rules_for_task(
    context: Context, task: Task, where: RulesContext | None = None
) -> boundaries.Rules:
    """The compiled rules of a task, as `start` saves them into its worktree."""
    record = state.read_task(context.repo.common_dir, task.id)
    spec: RulesContext = {"title": task.title, "spec": task.source}
    return current_rules(context, record, task, {**spec, **(where or {})})


def resolve_role(
    explicit: str | None,
    cwd: str | None = None,
    *,
    task_owner: str | None = None,
    ownership: object | None = None,
) -> str | None:
    """--role, GIT_PARALLEL_ROLE, parallel.role, the task's owner, then user.email when the
    ownership map names it (core.ownership.choose_role decides; this only gathers)."""
    variable = os.environ.get(ROLE_VARIABLE)
    if explicit or variable:
        return choose_role(explicit, variable, None, None, None, None)
    configured = git.config_get(ROLE_CONFIG, cwd) or None
    email = None
    if not configured and not task_owner and ownership is not None:
        email = git.config_get("user.email", cwd) or None
    return choose_role(None, None, configured, task_owner, email, ownership)


def rules_of_role(context: Context, role: str) -> boundaries.Rules:
    if context.ownership is None:
        raise GitParallelError(
            f"no ownership map to check role {role} against",
            "add a CODEOWNERS file (.github/CODEOWNERS, CODEOWNERS or docs/CODEOWNERS) "
            "or set 'ownership' in .gitparallel.toml",
        )
    return role_rules(role, context.ownership, context.config.unowned)


def choose_rules(
    context: Context, task_id: str | None, role: str | None, *, ownership_only: bool = False
) -> boundaries.Rules:
    """--task, else --role, else this worktree's task, else the role from env or config."""
    if task_id is not None:
        if context.config.remote is not None:
            from gitwt.services.team import team_mode as team

            shared = team.registry_rules(context, task_id)  # not live here: the registry's
            if shared is not None:
                return shared
        (task,) = context.load_tasks([task_id])
        return rules_for_task(context, task)
    if role:
        return rules_of_role(context, role)
    own = _worktree_rules(context)
    if own is not None and not ownership_only:
        return own
    role = resolve_role(
        None,
        context.repo.toplevel,
        task_owner=own.owner if own is not None else None,
        ownership=context.ownership,
    )
    if role:
        return rules_of_role(context, role)
    raise GitParallelError(
        "nothing to check against: this is not a task worktree and no role is set",
        f"pass --task ID or --role ROLE, set {ROLE_VARIABLE} or 'git config {ROLE_CONFIG}', "
        "or list your user.email as an owner in the ownership map",
    )


def _worktree_rules(context: Context) -> boundaries.Rules | None:
    try:
        return load_rules(context.repo.git_dir)
    except (OSError, ValueError) as exc:
        raise GitParallelError(
            f"this worktree's task rules are unreadable: {exc}",
            "rewrite them with 'git parallel hooks install --task ID'",
        ) from exc


def split_range(spec: str) -> tuple[str, str]:
    """`A..B`, `A...B` or `A` (meaning `A..HEAD`) -> (A, B)."""
    for separator in ("...", ".."):
        if separator in spec:
            old, new = spec.split(separator, 1)
            return old or "HEAD", new or "HEAD"
    return spec, "HEAD"


def range_changes(context: Context, spec: str) -> list[git.Change]:
    cwd = context.repo.toplevel
    old, new = split_range(spec)
    resolved = []
    for name in (old, new):
        oid = git.rev_parse_verify(name, cwd)
        if oid is None:
            raise GitParallelError(
                f"'{name}' in --range {spec} names no commit",
                "give a range like origin/main..HEAD",
            )
        resolved.append(oid)
    fork = git.merge_base(resolved[0], resolved[1], cwd) or resolved[0]
    return git.range_changes(fork, resolved[1], cwd)


def staged_changes(context: Context, rules: boundaries.Rules) -> list[ChangeLike]:
    """The staged change, read as the commit hook reads it (one reader: hook.checks)."""
    where = GitDirs(context.repo.git_dir, context.repo.common_dir)
    return list(checks.staged_changes(rules, where, folder=context.repo.toplevel))


def repo_paths(context: Context, given: list[str], cwd: str | None = None) -> list[str]:
    """PATHs as typed (relative to the current directory, or absolute) -> repo-relative."""
    top = os.path.realpath(context.repo.toplevel)
    here = os.path.realpath(cwd or os.getcwd())
    found = []
    for path in given:
        full = os.path.normpath(os.path.join(here, path))
        resolved = os.path.join(os.path.realpath(os.path.dirname(full)), os.path.basename(full))
        relative = os.path.relpath(resolved, top)
        if relative == "." or relative.split(os.sep)[0] == ".." or relative.startswith(".git/"):
            raise GitParallelError(
                f"--path {path} is outside the repository at {context.repo.toplevel}",
                "give paths inside this worktree",
            )
        found.append(relative)
    return list(dict.fromkeys(found))


def check_paths(
    context: Context, paths: list[str], *, task_id: str | None = None, role: str | None = None
) -> CheckResult:
    """`check --path`: may the task (or role) change these paths? Asked before editing them."""
    rules = choose_rules(context, task_id, role)
    relative = repo_paths(context, paths)
    top = _task_worktree(context, rules.task_id) or context.repo.toplevel
    changes = [
        git.Change("M" if os.path.lexists(os.path.join(top, path)) else "A", path)
        for path in relative
    ]
    # Before the edit: a plan file holding the task's bookkeeping is allowed (judged at commit).
    found = bookkeeping.settle(boundaries.violations(changes, rules), rules, None)
    found = boundaries.before_the_edit(found, rules)
    return CheckResult(rules, "paths", len(changes), found, relative)


def _task_worktree(context: Context, task_id: str | None) -> str | None:
    """Where the task's files are (asked from another checkout with --task): a path that
    exists there would be modified, any other added."""
    from gitwt.infra import records

    record = records.read_task(context.repo.common_dir, task_id) if task_id else None
    worktree = record.get("worktree") if record else None
    return worktree if isinstance(worktree, str) and os.path.isdir(worktree) else None


def check(
    context: Context,
    *,
    range_spec: str | None = None,
    task_id: str | None = None,
    role: str | None = None,
    ownership_only: bool = False,
) -> CheckResult:
    rules = choose_rules(context, task_id, role, ownership_only=ownership_only)
    if range_spec is None:
        # Under the pre-commit framework's pre-push stage (or run --from-ref/--to-ref).
        pushed = framework_range()
        if pushed is not None:
            range_spec = f"{pushed[0]}..{pushed[1]}"
    commit = None
    changes: Sequence[ChangeLike]
    top = context.repo.toplevel
    if range_spec is not None:
        changes = range_changes(context, range_spec)
        scope = range_spec
        commit = git.rev_parse_verify(split_range(range_spec)[1], top)
        old = git.rev_parse_verify(split_range(range_spec)[0], top)
        fork = git.merge_base(old, commit, top) if old and commit else None
        contents = plan_contents.between([fork or old or ""], commit, top)
    else:
        changes = staged_changes(context, rules)
        scope = "staged"
        olds = ["HEAD", *merge_heads(context.repo.git_dir)]
        contents = plan_contents.between(olds, None, top)
    found = boundaries.violations(changes, rules, commit)
    return CheckResult(rules, scope, len(changes), plan_contents.judged(found, rules, contents))
