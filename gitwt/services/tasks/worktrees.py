"""Task worktrees: their names and paths, and creating them locked (DESIGN §7).

Everything here runs git through `gitwt.infra.git` and writes no task state; removal and its
safety checks are in `worktree_removal`.
"""

from __future__ import annotations

import os
import subprocess
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from gitwt.core.declaration import declared_by
from gitwt.core.ref_names import is_valid_branch_name
from gitwt.core.sparse_layout import SparseCheckout, sparse_checkout
from gitwt.errors import GitParallelError
from gitwt.infra import failpoints, git, git_output, worktree_config
from gitwt.infra.task_record import TaskRecord
from gitwt.services.context import Context
from gitwt.services.tasks import checkouts

if TYPE_CHECKING:
    from gitwt.core.boundaries import RulesContext

LOCK_REASON = "git parallel {id}"


# --- names -----------------------------------------------------------------------------------


def branch_name(context: Context, task_id: str) -> str:
    name = context.config.branch.format(id=task_id, repo=repo_name(context))
    if not is_valid_branch_name(name):
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


@dataclass
class Layout:
    """The worktrees and branches git has, read once for a whole `start` or scheduling step
    (two processes, not two per task); call `created` after adding a worktree."""

    worktrees: list[git_output.Worktree]
    branches: dict[str, str]  # short name -> commit

    def registered(self, path: str) -> git_output.Worktree | None:
        """The worktree git has registered at `path`, if any."""
        wanted = os.path.realpath(path)
        return next((t for t in self.worktrees if os.path.realpath(t.path) == wanted), None)

    def created(self, branch: str, path: str, oid: str) -> None:
        self.branches[branch] = oid
        self.worktrees.append(git_output.Worktree(path, oid, f"refs/heads/{branch}"))


def read_layout(context: Context, trees: list[git_output.Worktree] | None = None) -> Layout:
    """The layout now; `trees`: a `git worktree list` this caller read a moment ago."""
    cwd = context.repo.toplevel
    return Layout(list(git.worktrees(cwd) if trees is None else trees), git.branch_heads(cwd))


def check_free(
    context: Context, task_id: str, branch: str, path: str, layout: Layout | None = None
) -> None:
    """Refuse an existing branch or worktree path: never reuse or delete someone's work."""
    layout = layout or read_layout(context)
    if branch in layout.branches:
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
    if layout.registered(path) is not None:
        raise GitParallelError(
            f"git still has a worktree registered at {path} for task {task_id}",
            "run 'git worktree prune' (unlock it first if it is locked)",
        )


# --- creation --------------------------------------------------------------------------------


def add_arguments(
    task_id: str, branch: str, path: str, start_oid: str, no_checkout: bool
) -> list[str]:
    """The one `git worktree add` of a task: its branch at `start_oid`, locked for it."""
    args = ["worktree", "add", "--lock", "--reason", LOCK_REASON.format(id=task_id)]
    return [*args, *(["--no-checkout"] if no_checkout else []), "-b", branch, path, start_oid]


def _added(
    context: Context, path: str, sparse: SparseCheckout | None
) -> tuple[str, list[git.ConfigEntry]]:
    """After `git worktree add`: the sparse checkout if any; the new private git dir and the
    entries of the config file gitwt gave it (its sparse values)."""
    failpoints.hit("start:worktree-added")
    git_dir = linked_git_dir(path)
    if sparse is None:
        return git_dir, []
    from gitwt.services.hooks import installer

    # What `git sparse-checkout set` would do, without its process (and its config read): the
    # worktree is new, its own config file empty. A crash from here on is finished by
    # `_resume`, which runs git's own `sparse-checkout set`.
    installer.enable_worktree_config(context.repo, context.git_config)
    written = worktree_config.write_sparse_patterns(
        git_dir, sparse.lines, cone=sparse.folders is not None
    )
    failpoints.hit("start:sparse-set")
    git.run(["read-tree", "-mu", "HEAD"], path)
    return git_dir, written


def populate_sparse(path: str, git_dir: str, sparse: SparseCheckout) -> None:
    """Set the sparse checkout (which updates the files) and, if the worktree was never checked
    out, check it out. Safe to repeat: a worktree added with --no-checkout has no index file
    until read-tree. A claim may move a worktree from cone to no-cone mode or back.
    """
    if sparse.folders is not None:
        args, lines = ["--cone", "--sparse-index"], sparse.folders
    else:
        args, lines = ["--no-cone", "--no-sparse-index"], sparse.lines
    git.run(
        ["sparse-checkout", "set", *args, "--stdin"],
        path,
        input="\n".join(lines).encode("utf-8", "surrogateescape") + b"\n",
    )
    failpoints.hit("start:sparse-set")
    if not os.path.exists(os.path.join(git_dir, "index")):
        git.run(["read-tree", "-mu", "HEAD"], path)


def private_git_dir(path: str) -> str:
    return git.out(["rev-parse", "--path-format=absolute", "--git-dir"], path)


def linked_git_dir(path: str) -> str:
    """The private git dir of a linked worktree, from the `gitdir:` line git wrote into its
    `.git` file (gitrepository-layout(5)); no process. A path relative to the worktree
    (worktree.useRelativePaths) is resolved against it."""
    try:
        with open(os.path.join(path, ".git"), encoding="utf-8", errors="surrogateescape") as file:
            line = file.readline().rstrip("\n")
    except OSError:
        return private_git_dir(path)
    if not line.startswith("gitdir: "):
        return private_git_dir(path)
    # Real, as `rev-parse --path-format=absolute` shows it: the hooks compare paths textually.
    return os.path.realpath(os.path.join(path, line.removeprefix("gitdir: ")))


def undo_create(context: Context, branch: str, path: str) -> None:
    """Take back a worktree and branch this run just created (no work can be in them yet)."""
    git.run(["worktree", "unlock", path], context.repo.toplevel, check=False)
    git.run(["worktree", "remove", "--force", path], context.repo.toplevel, check=False)
    git.run(["branch", "-D", branch], context.repo.toplevel, check=False)


def save_task_rules(context: Context, record: TaskRecord, git_dir: str) -> None:
    """Compile the task's declaration and owner rules into its worktree, for the hooks."""
    from gitwt.services.hooks.task_rules import current_rules, save_rules

    extra: RulesContext = {
        "base": record["base"],
        "branch": record["branch"],
        "worktree": record["worktree"],
        "title": record.get("title") or record["id"],
    }
    save_rules(git_dir, current_rules(context, record, extra=extra))


def prepare_task(context: Context, record: TaskRecord, layout: Layout | None = None) -> TaskRecord:
    """Create the task's branch and locked worktree from base as it is now, snapshot its rules,
    install its hooks, copy the `.worktreeinclude` files; return the record with `base_oid` set.
    Undoes the creation on failure. `layout`: what git had at the start of this scheduling
    step (read now when not given); the new branch and worktree are added to it.

    Call with the state lock held; the caller writes the returned record.
    """
    (outcome,) = prepare_tasks(context, [record], layout or read_layout(context))
    if isinstance(outcome, GitParallelError):
        raise outcome
    return outcome


def _resume(
    context: Context, record: TaskRecord, layout: Layout, leftover: git_output.Worktree
) -> TaskRecord:
    """Finish the worktree a start killed after `git worktree add` left, rather than refuse it."""
    base_oid, sparse = _creation(context, record, layout)
    git_dir = linked_git_dir(record["worktree"])
    # The branch was made at base as it was then; base may have moved on since.
    cwd = context.repo.toplevel
    fork = git.merge_base(f"refs/heads/{record['branch']}", f"refs/heads/{record['base']}", cwd)
    if sparse is not None:
        populate_sparse(record["worktree"], git_dir, sparse)
    elif checkouts.needs_checkout(git_dir):  # killed before its side-by-side checkout
        git.run(checkouts.CHECKOUT, record["worktree"])
    equipped = _equip(context, record, git_dir)
    fork_point = fork or leftover.head or base_oid
    return {**record, **equipped, "base_oid": fork_point, "prepared_at": time.time()}


def prepare_tasks(
    context: Context, records: list[TaskRecord], layout: Layout
) -> list[TaskRecord | GitParallelError]:
    """`prepare_task` of each record. Each outcome in order: the prepared record, or the error
    that failed that task alone (nothing of it is left).

    The `git worktree add`s run one after another: git 2.39 is not safe to run them at once in
    one repository. An add reads every other worktree's admin folder (is the branch checked out
    elsewhere?) and dies on one another add has made but not filled yet ("failed to read
    .git/worktrees/<name>/commondir"): 4 of 30 starts of 4 tasks failed that way here. Their
    checkouts can run at once, and do when there are several (`checkouts`)."""
    outcomes: dict[str, TaskRecord | GitParallelError] = {}
    fresh: list[tuple[TaskRecord, str, SparseCheckout | None]] = []
    for record in records:
        try:
            leftover = _half_created(context, record, layout)
            if leftover is not None:
                outcomes[record["id"]] = _resume(context, record, layout, leftover)
                continue
            base_oid, sparse = _creation(context, record, layout)
            check_free(context, record["id"], record["branch"], record["worktree"], layout)
            layout.created(record["branch"], record["worktree"], base_oid)  # taken from now on
            fresh.append((record, base_oid, sparse))
        except GitParallelError as error:
            outcomes[record["id"]] = error
    repo = context.repo
    full = sum(sparse is None for _, _, sparse in fresh)
    later = checkouts.side_by_side(repo.toplevel, repo.common_dir, context.git_config, full)
    commands = []
    for record, base_oid, sparse in fresh:
        os.makedirs(os.path.dirname(record["worktree"]) or ".", exist_ok=True)
        no_checkout = sparse is not None or later  # checked out below, or side by side
        args = add_arguments(
            record["id"], record["branch"], record["worktree"], base_oid, no_checkout
        )
        commands.append(args)
    added = [git.run(args, repo.toplevel, check=False) for args in commands]
    if added:
        failpoints.hit("start:adds-done")  # side by side: none checked out yet (`_resume` does)
    checked = checkouts.check_out(
        [
            record["worktree"]
            for (record, _, sparse), result in zip(fresh, added, strict=True)
            if later and sparse is None and result.returncode == 0
        ]
    )
    for (record, base_oid, sparse), args, result in zip(fresh, commands, added, strict=True):
        try:
            git.raise_for_failure(args, result)
            if record["worktree"] in checked:
                _checked_out(context, record, checked[record["worktree"]])
        except GitParallelError as error:
            outcomes[record["id"]] = error
            continue
        outcomes[record["id"]] = _finish(context, record, base_oid, sparse)
    return [outcomes[record["id"]] for record in records]


def _checked_out(
    context: Context, record: TaskRecord, result: subprocess.CompletedProcess[bytes]
) -> None:
    """After a side-by-side checkout: a failed one takes its worktree and branch back."""
    if result.returncode != 0:
        undo_create(context, record["branch"], record["worktree"])
        git.raise_for_failure(checkouts.CHECKOUT, result)


def _creation(
    context: Context, record: TaskRecord, layout: Layout
) -> tuple[str, SparseCheckout | None]:
    """What a new worktree of this record starts from: base's commit now, its sparse patterns."""
    base_oid = layout.branches.get(record["base"])
    if base_oid is None:
        raise GitParallelError(
            f"base branch {record['base']} has no commit to start task {record['id']} from",
            "commit something on the base branch first",
        )
    return base_oid, task_sparse_checkout(context, record) if record.get("sparse") else None


def _finish(
    context: Context, record: TaskRecord, base_oid: str, sparse: SparseCheckout | None
) -> TaskRecord | GitParallelError:
    """After its `git worktree add`: sparse checkout, rules, hooks, included files; undone on
    failure (a GitParallelError is returned, anything else raised)."""
    try:
        git_dir, own_config = _added(context, record["worktree"], sparse)
        equipped = _equip(context, record, git_dir, own_config)
    except BaseException as error:
        undo_create(context, record["branch"], record["worktree"])
        if isinstance(error, GitParallelError):
            return error
        raise
    return {**record, **equipped, "base_oid": base_oid, "prepared_at": time.time()}


def _equip(
    context: Context,
    record: TaskRecord,
    git_dir: str,
    own_config: list[git.ConfigEntry] | None = None,
) -> TaskRecord:
    """What a new task worktree gets after its checkout: rules, hooks, included files, and
    with an agent its wiring (DESIGN §5); returns what the record gains. `own_config`: the
    entries of the worktree's own config file when this run made the worktree (else read)."""
    from gitwt.services.hooks import installer
    from gitwt.services.tasks import worktree_setup

    save_task_rules(context, record, git_dir)
    failpoints.hit("start:rules-saved")
    worktree = record["worktree"]
    repo = git.Repo(toplevel=worktree, git_dir=git_dir, common_dir=context.repo.common_dir)
    installer.install(worktree, repo=repo, config=context.git_config, own_config=own_config)
    failpoints.hit("start:hooks-installed")
    worktree_setup.copy_included(context.repo.main_toplevel, worktree)
    if not record.get("agent"):
        return {}
    from gitwt.services.tasks import agent_wiring

    main, common = context.repo.main_toplevel, context.repo.common_dir
    wiring = agent_wiring.wire(common, main, worktree, git_dir, record, context.git_config)
    return {"agent_wiring": wiring.to_json()}


def task_sparse_checkout(context: Context, record: TaskRecord) -> SparseCheckout:
    """The sparse checkout of a task: its declaration, its spec and the top-level files."""
    spec = record.get("source") or ""
    root = context.repo.toplevel
    spec_files = [spec] if spec and os.path.isfile(os.path.join(root, spec)) else []
    return sparse_checkout(declared_by(record), spec_files)


def _half_created(
    context: Context, record: TaskRecord, layout: Layout
) -> git_output.Worktree | None:
    """The worktree an interrupted `prepare_task` of this very record left behind, or None.

    Only a queued record that was never prepared can have one: it is registered at the
    record's path, on the record's branch, locked with our reason for this id. `start` checks
    that path and branch are free before it writes a new record, so nobody else's work matches.
    """
    if record.get("state") != "queued" or record.get("base_oid"):
        return None
    tree = layout.registered(record["worktree"])
    if (
        tree is None
        or tree.branch != f"refs/heads/{record['branch']}"
        or tree.locked != LOCK_REASON.format(id=record["id"])
        or not os.path.isdir(record["worktree"])
    ):
        return None
    return tree


def registered_worktree(
    context: Context, path: str, layout: Layout | None = None
) -> git_output.Worktree | None:
    """The worktree git has registered at `path`, if any."""
    return (layout or read_layout(context)).registered(path)
