"""Task worktrees: their names and paths, and creating them locked (DESIGN §7).

Everything here runs git through `gitwt.infra.git` and writes no task state; removal and its
safety checks are in `worktree_removal`.
"""

from __future__ import annotations

import os
import time
from typing import Any

from gitwt.core.declaration import declared_by
from gitwt.errors import GitParallelError
from gitwt.infra import failpoints, git, git_output
from gitwt.services.context import Context

LOCK_REASON = "git parallel {id}"


# --- names -----------------------------------------------------------------------------------


def branch_name(context: Context, task_id: str) -> str:
    name = context.config.branch.format(id=task_id, repo=repo_name(context))
    result = git.run(["check-ref-format", "--branch", name], context.repo.toplevel, check=False)
    if result.returncode != 0:
        raise GitParallelError(
            f"branch name {name!r} for task {task_id} is not a valid git branch name",
            f"fix 'branch' in {context.config.source or '.gitparallel.toml'}",
        )
    return name


def repo_name(context: Context) -> str:
    return os.path.basename(context.repo.main_toplevel.rstrip(os.sep))


def worktree_path(context: Context, task_id: str) -> str:
    """The template resolved against the main worktree (so every worktree agrees on it)."""
    relative = context.config.worktree.format(id=task_id, repo=repo_name(context))
    path = os.path.normpath(os.path.join(context.repo.main_toplevel, os.path.expanduser(relative)))
    common = os.path.realpath(context.repo.common_dir)
    if os.path.commonpath([common, os.path.realpath(path)]) == common:
        raise GitParallelError(
            f"worktree path {path} for task {task_id} is inside the git directory",
            f"fix 'worktree' in {context.config.source or '.gitparallel.toml'}, "
            "e.g. '../{repo}-wt{id}'",
        )
    return path


def check_free(context: Context, task_id: str, branch: str, path: str) -> None:
    """Refuse an existing branch or worktree path: never reuse or delete someone's work."""
    if git.rev_parse_verify(f"refs/heads/{branch}", context.repo.toplevel) is not None:
        raise GitParallelError(
            f"branch {branch} for task {task_id} already exists",
            f"if it holds finished work, merge or delete it ('git branch -d {branch}'); "
            "or set another 'branch' template in the config",
        )
    if os.path.lexists(path):
        raise GitParallelError(
            f"worktree path {path} for task {task_id} already exists",
            "move it away, or set another 'worktree' template in the config",
        )
    registered = {os.path.realpath(tree.path) for tree in git.worktrees(context.repo.toplevel)}
    if os.path.realpath(path) in registered:
        raise GitParallelError(
            f"git still has a worktree registered at {path} for task {task_id}",
            "run 'git worktree prune' (unlock it first if it is locked)",
        )


# --- creation --------------------------------------------------------------------------------


def sparse_patterns(declared: list[str], extra_files: list[str]) -> list[str]:
    """No-cone sparse patterns: the repository's top-level files plus the declared paths.

    Declared patterns are already anchored gitignore-like globs; only `[`, `]`, a leading `#`
    or `!` and trailing spaces need escaping, because declarations treat them literally.
    """
    lines = ["/*", "!/*/"]
    for pattern in [*declared, *extra_files]:
        escaped = pattern.replace("\\", "\\\\").replace("[", "\\[").replace("]", "\\]")
        if escaped.endswith(" "):
            escaped = escaped[:-1] + "\\ "
        lines.append("/" + escaped)
    return lines


def create(
    context: Context,
    task_id: str,
    branch: str,
    path: str,
    start_oid: str,
    *,
    sparse_paths: list[str] | None = None,
) -> str:
    """Create the branch at `start_oid` and its locked worktree; return its private git dir.

    With `sparse_paths` only those (plus top-level files) are checked out: the worktree is
    added without a checkout, given no-cone sparse patterns, then populated by read-tree.
    """
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    args = ["worktree", "add", "--lock", "--reason", LOCK_REASON.format(id=task_id)]
    if sparse_paths is not None:
        args.append("--no-checkout")
    git.run([*args, "-b", branch, path, start_oid], context.repo.toplevel)
    failpoints.hit("start:worktree-added")
    git_dir = private_git_dir(path)
    if sparse_paths is not None:
        populate_sparse(path, git_dir, sparse_paths)
    return git_dir


def populate_sparse(path: str, git_dir: str, sparse_paths: list[str]) -> None:
    """Set the sparse patterns (which updates the files) and, if the worktree was never checked
    out, check it out. Safe to repeat: a worktree added with --no-checkout has no index file
    until read-tree.
    """
    git.run(
        ["sparse-checkout", "set", "--no-cone", "--stdin"],
        path,
        input="\n".join(sparse_paths).encode() + b"\n",
    )
    failpoints.hit("start:sparse-set")
    if not os.path.exists(os.path.join(git_dir, "index")):
        git.run(["read-tree", "-mu", "HEAD"], path)


def private_git_dir(path: str) -> str:
    return git.out(["rev-parse", "--path-format=absolute", "--git-dir"], path)


def undo_create(context: Context, branch: str, path: str) -> None:
    """Take back a worktree and branch this run just created (no work can be in them yet)."""
    git.run(["worktree", "unlock", path], context.repo.toplevel, check=False)
    git.run(["worktree", "remove", "--force", path], context.repo.toplevel, check=False)
    git.run(["branch", "-D", branch], context.repo.toplevel, check=False)


def save_task_rules(context: Context, record: dict[str, Any], git_dir: str) -> None:
    """Compile the task's declaration and owner rules into its worktree, for the hooks."""
    from gitwt.services.task_rules import current_rules, save_rules

    extra = {
        "base": record["base"],
        "branch": record["branch"],
        "worktree": record["worktree"],
        "title": record.get("title") or record["id"],
    }
    save_rules(git_dir, current_rules(context, record, extra=extra))


def prepare_task(context: Context, record: dict[str, Any]) -> dict[str, Any]:
    """Create the task's branch and locked worktree from base as it is now, snapshot its rules,
    install its hooks, copy the `.worktreeinclude` files; return the record with `base_oid` set.
    Undoes the creation on failure.

    Call with the state lock held; the caller writes the returned record.
    """
    from gitwt.services import installer, worktree_setup

    cwd = context.repo.toplevel
    base_oid = git.rev_parse_verify(f"refs/heads/{record['base']}", cwd)
    if base_oid is None:
        raise GitParallelError(
            f"base branch {record['base']} has no commit to start task {record['id']} from",
            "commit something on the base branch first",
        )
    sparse = task_sparse_patterns(context, record) if record.get("sparse") else None
    leftover = _half_created(context, record)
    if leftover is not None:
        # A start killed after `git worktree add` left this: finish it rather than refuse it.
        git_dir = private_git_dir(record["worktree"])
        # The branch was made at base as it was then; base may have moved on since.
        fork = git.merge_base(f"refs/heads/{record['branch']}", f"refs/heads/{record['base']}", cwd)
        base_oid = fork or leftover.head or base_oid
        if sparse is not None:
            populate_sparse(record["worktree"], git_dir, sparse)
        save_task_rules(context, record, git_dir)
        failpoints.hit("start:rules-saved")
        installer.install(record["worktree"])
        failpoints.hit("start:hooks-installed")
        worktree_setup.copy_included(context.repo.main_toplevel, record["worktree"])
        return {**record, "base_oid": base_oid, "prepared_at": time.time()}
    check_free(context, record["id"], record["branch"], record["worktree"])
    git_dir = create(
        context, record["id"], record["branch"], record["worktree"], base_oid, sparse_paths=sparse
    )
    try:
        save_task_rules(context, record, git_dir)
        failpoints.hit("start:rules-saved")
        installer.install(record["worktree"])
        failpoints.hit("start:hooks-installed")
        worktree_setup.copy_included(context.repo.main_toplevel, record["worktree"])
    except BaseException:
        undo_create(context, record["branch"], record["worktree"])
        raise
    return {**record, "base_oid": base_oid, "prepared_at": time.time()}


def task_sparse_patterns(context: Context, record: dict[str, Any]) -> list[str]:
    """The sparse patterns of a task: its declaration, its spec and the top-level files."""
    spec = record.get("source") or ""
    root = context.repo.toplevel
    spec_files = [spec] if spec and os.path.isfile(os.path.join(root, spec)) else []
    return sparse_patterns(declared_by(record), spec_files)


def _half_created(context: Context, record: dict[str, Any]) -> git_output.Worktree | None:
    """The worktree an interrupted `prepare_task` of this very record left behind, or None.

    Only a queued record that was never prepared can have one: it is registered at the
    record's path, on the record's branch, locked with our reason for this id. `start` checks
    that path and branch are free before it writes a new record, so nobody else's work matches.
    """
    if record.get("state") != "queued" or record.get("base_oid"):
        return None
    tree = registered_worktree(context, record["worktree"])
    if (
        tree is None
        or tree.branch != f"refs/heads/{record['branch']}"
        or tree.locked != LOCK_REASON.format(id=record["id"])
        or not os.path.isdir(record["worktree"])
    ):
        return None
    return tree


def registered_worktree(context: Context, path: str) -> git_output.Worktree | None:
    """The worktree git has registered at `path`, if any."""
    wanted = os.path.realpath(path)
    for tree in git.worktrees(context.repo.toplevel):
        if os.path.realpath(tree.path) == wanted:
            return tree
    return None
