"""Removing a task's worktree and branch, and the safety checks that make it lose nothing (§7).

Nothing here writes task state except `remove_task`, which notes what it removed on the record.
"""

from __future__ import annotations

import contextlib
import os
import time
from dataclasses import dataclass, field
from typing import TypedDict

from gitwt.errors import GitParallelError, Refused
from gitwt.infra import failpoints, git, git_output
from gitwt.infra.task_record import TaskRecord
from gitwt.services.context import Context
from gitwt.services.merging import trash
from gitwt.services.merging.salvage import GITLINK_MODE, SALVAGE_PREFIX, gitlinks, salvage
from gitwt.services.tasks import agent_files
from gitwt.services.tasks.worktrees import Layout, private_git_dir

# --- inspection ------------------------------------------------------------------------------


@dataclass
class Dirt:
    """Why a worktree cannot be removed without losing something."""

    changed: list[str] = field(default_factory=list)  # staged or unstaged changes to tracked files
    untracked: list[str] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)
    operation: str | None = None  # a merge, rebase, cherry-pick... in progress
    copies: list[str] = field(default_factory=list)  # .worktreeinclude copies, unchanged: no work
    links: list[str] | None = None  # the index's gitlinks, read with the hidden edits

    def __bool__(self) -> bool:
        return bool(self.changed or self.untracked or self.ignored or self.operation)

    def describe(self) -> str:
        from gitwt.core.display import path_list

        parts = []
        if self.operation:
            parts.append(f"a {self.operation} is in progress")
        if self.changed:
            parts.append(f"uncommitted changes ({path_list(self.changed, 3)})")
        if self.untracked:
            parts.append(f"untracked files ({path_list(self.untracked, 3)})")
        if self.ignored:
            parts.append(f"ignored files ({path_list(self.ignored, 3)})")
        return "; ".join(parts)


_OPERATIONS = (
    ("MERGE_HEAD", "merge"),
    ("rebase-merge", "rebase"),
    ("rebase-apply", "rebase"),
    ("CHERRY_PICK_HEAD", "cherry-pick"),
    ("REVERT_HEAD", "revert"),
    ("BISECT_LOG", "bisect"),
)


def inspect_dirt(path: str, git_dir: str | None = None, main: str | None = None) -> Dirt:
    """What the worktree at `path` holds besides its commits; with `main` (the main worktree),
    the untracked and ignored files `start` copied there and nobody changed are set apart."""
    dirt = Dirt()
    git_dir = git_dir or private_git_dir(path)
    for name, operation in _OPERATIONS:
        if os.path.exists(os.path.join(git_dir, name)):
            dirt.operation = operation
            break
    for code, entry_path in git.status_entries(path):
        if code == "??":
            dirt.untracked.append(entry_path)
        elif code == "!!":
            dirt.ignored.append(entry_path)
        else:
            dirt.changed.append(entry_path)
    hidden, dirt.links = hidden_edits(path)
    dirt.changed += [entry for entry in hidden if entry not in dirt.changed]
    if main is not None and (dirt.untracked or dirt.ignored):
        from gitwt.services.tasks.worktree_setup import unchanged_copies

        copies = unchanged_copies(main, path, dirt.untracked + dirt.ignored)
        dirt.copies = sorted(copies)
        dirt.untracked = [entry for entry in dirt.untracked if entry not in copies]
        dirt.ignored = [entry for entry in dirt.ignored if entry not in copies]
    return dirt


def hidden_edits(path: str) -> tuple[list[str], list[str]]:
    """Tracked files whose edits `git status` does not show (`--assume-unchanged`,
    `--skip-worktree`) and whose content on disk differs from the index: uncommitted work all
    the same (DESIGN §7); and the index's gitlinks, from the same `ls-files`. Files a sparse
    checkout leaves out are not on disk: not edits."""
    entries = git.split_z(git.run(["ls-files", "-v", "--stage", "-z"], path).stdout)
    links: list[str] = []
    flagged: dict[str, str] = {}  # path -> its blob in the index
    for entry in entries:
        tag, mode, oid = entry.split(" ", 3)[:3]
        name = entry.partition("\t")[2]
        if mode == GITLINK_MODE:
            links.append(name)
        elif (tag.islower() or tag == "S") and os.path.lexists(os.path.join(path, name)):
            flagged[name] = oid
    present = list(flagged)
    if not present or any("\n" in name for name in present):
        return present, links  # a name hash-object cannot take on a line counts as changed
    names = "".join(f"{name}\n" for name in present).encode("utf-8", "surrogateescape")
    on_disk = git.out(["hash-object", "--stdin-paths"], path, input=names).split()
    changed = [name for name, oid in zip(present, on_disk, strict=True) if flagged[name] != oid]
    return changed, links


def unmerged_commits(tips: list[str], base: str, cwd: str) -> list[str]:
    """Commits reachable from any of `tips` but not from base."""
    return git.rev_list([*tips, f"^{base}"], cwd)


# --- salvage and removal ---------------------------------------------------------------------


class RemovalReport(TypedDict):
    """What a removal did, as `clean --json`, the record's `removed` and the event show it."""

    id: str
    worktree_removed: bool
    branch_deleted: bool
    salvage_ref: str | None
    notes: list[str]


@dataclass
class Removal:
    task_id: str
    worktree_removed: bool = False
    branch_deleted: bool = False
    salvage_ref: str | None = None
    notes: list[str] = field(default_factory=list)
    branch_kept: str | None = None  # why the branch could not be deleted: the removal is unfinished

    def to_json(self) -> RemovalReport:
        return {
            "id": self.task_id,
            "worktree_removed": self.worktree_removed,
            "branch_deleted": self.branch_deleted,
            "salvage_ref": self.salvage_ref,
            "notes": self.notes,
        }


def remove_task(context: Context, record: TaskRecord, force: bool = False) -> Removal:
    """Remove a task's worktree and its branch once that loses nothing (DESIGN §7).

    Refuses (raises `Refused`, exit 1, nothing changed) when the worktree has uncommitted
    changes, untracked or ignored files, a merge/rebase/cherry-pick in progress, or commits
    (on its branch or its HEAD) not reachable from base. With `force`, it first writes a salvage
    ref holding all of that, then removes everything anyway.

    The branch is deleted only when it is merged into base (or, with force, after salvage).
    It does not check whether the task's process is still running (callers do: `clean` refuses
    running tasks; `merge` only merges finished ones) and does not change the record's `state`;
    it notes what it removed under `removed`. Safe to call with the state lock held. The
    folder goes to the trash: its files are deleted after the command (`services.trash`).
    """
    from gitwt.infra import state

    task_id = record["id"]
    path = record.get("worktree")
    branch = record.get("branch")
    tree = _registered(context, path) if path else None
    present = tree is not None and os.path.isdir(path or "")
    tips = _read_tips(context, branch, path if present else None)
    if tips.base is None:
        raise GitParallelError(
            f"base branch {context.base} does not exist, so nothing can count as merged",
            "recreate the base branch or set 'base' in the config",
        )
    base_oid, branch_oid = tips.base, tips.branch
    removal = Removal(task_id)
    at_risk = [tip for tip in (branch_oid, tips.head) if tip]
    problems, dirt = _losses(context, path if present else None, tips.git_dir, at_risk, base_oid)
    if problems and not force:
        keep = f"--force to keep it under {SALVAGE_PREFIX}/{task_id}/<time> and remove it anyway"
        if record.get("state") == "merged":  # what is left came after the merge
            hint = f"the task is merged: move those files out of {path}, or rerun with {keep}"
        else:
            hint = f"commit and merge the work ('git parallel merge {task_id}'), or rerun with "
            hint += keep
        raise Refused(f"task {task_id}: {'; '.join(problems)}", hint)
    if present and path:
        agent_files.unwire(path, tips.git_dir)  # the agent's wiring goes first: never salvaged
    if problems:
        salvaged = salvage(context, task_id, path if present else None, at_risk)
        removal.salvage_ref = salvaged.ref
        removal.notes += [f"salvaged to {salvaged.ref}", *salvaged.notes]
        failpoints.hit("clean:salvaged")

    _remove_worktree(
        context, removal, tree, path, tips.git_dir, present=present, force=force, dirt=dirt
    )
    if branch_oid is not None:
        _delete_branch(context, removal, branch or "", branch_oid)
    state.update_task(
        context.repo.common_dir,
        task_id,
        removed={**removal.to_json(), "time": time.time()},
    )
    state.append_event(context.repo.common_dir, "removed", task=task_id, **removal.to_json())
    return removal


def _registered(context: Context, path: str) -> git_output.Worktree | None:
    """The worktree git has at `path`, read afresh for each removal (a lock taken meanwhile
    counts); the branches are not needed here (`_read_tips` reads the two that are)."""
    return Layout(git.worktrees(context.repo.toplevel), branches={}).registered(path)


@dataclass(frozen=True)
class Tips:
    """What a removal reads first: the commits of base, the branch and the worktree's HEAD, and
    the worktree's private git dir (None: missing, or no worktree)."""

    base: str | None
    branch: str | None
    head: str | None = None
    git_dir: str | None = None


def _read_tips(context: Context, branch: str | None, path: str | None) -> Tips:
    """One rev-parse in the worktree when everything exists; else one look-up each."""
    names = [f"refs/heads/{context.base}", *([f"refs/heads/{branch}"] if branch else []), "HEAD"]
    if path is not None:
        # Branch names never start with '-' (check-ref-format), so no option can be smuggled in.
        revs = [f"{name}^{{commit}}" for name in names]
        args = ["rev-parse", "--path-format=absolute", "--git-dir", *revs, "--"]
        result = git.run(args, path, check=False)
        lines = result.stdout.decode().splitlines()
        if result.returncode == 0 and len(lines) == len(names) + 2:
            git_dir, base, *rest = lines[:-1]
            return Tips(base, rest[0] if branch else None, rest[-1], git_dir)
    cwd = context.repo.toplevel
    base_oid = git.rev_parse_verify(names[0], cwd)
    branch_oid = git.rev_parse_verify(names[1], cwd) if branch else None
    head = git.rev_parse_verify("HEAD", path) if path is not None else None
    return Tips(base_oid, branch_oid, head, private_git_dir(path) if path is not None else None)


def _losses(
    context: Context, path: str | None, git_dir: str | None, at_risk: list[str], base_oid: str
) -> tuple[list[str], Dirt | None]:
    """What removing would lose: the worktree's dirt (if `path`) and commits not in base; and
    the dirt itself (its unchanged `.worktreeinclude` copies are deleted: no loss)."""
    cwd = context.repo.toplevel
    # One rev-list for every tip. Commits first, the folder last: the folder's check is then the
    # last look before it is moved aside, as git's own check is the last before it deletes.
    unmerged = unmerged_commits(at_risk, base_oid, cwd) if at_risk else []
    main = context.repo.main_toplevel
    dirt = inspect_dirt(path, git_dir, main) if path is not None else None
    if dirt is not None and path is not None:
        # What gitwt wrote there for an agent, unchanged since, is no one's work (DESIGN §5).
        ours = agent_files.pristine(path, git_dir)
        dirt.ignored = [entry for entry in dirt.ignored if entry not in ours]
        dirt.untracked = [entry for entry in dirt.untracked if entry not in ours]
    problems = [dirt.describe()] if dirt else []
    if unmerged:
        problems.append(f"{len(unmerged)} commit(s) not merged into {context.base}")
    return problems, dirt


def _remove_worktree(
    context: Context,
    removal: Removal,
    tree: git_output.Worktree | None,
    path: str | None,
    git_dir: str | None,
    *,
    present: bool,
    force: bool,
    dirt: Dirt | None,
) -> None:
    """Unlock and remove the registered worktree (prune it if its folder is gone).

    The folder is moved into the trash and git forgets it; its files are deleted later, in the
    background (services.trash). Only here, after every check of §7 passed, and never for a
    folder with a submodule unless forced: git refuses to remove those, and so do we.
    """
    cwd = context.repo.toplevel
    if tree is not None:
        if tree.locked is not None:
            git.run(["worktree", "unlock", tree.path], cwd, check=False)
        moved = None
        links = dirt.links if dirt is not None else None
        copies = dirt.copies if dirt is not None else []
        if present and (force or not has_submodules(tree.path, git_dir, links)):
            moved = trash.move_aside(tree.path, context.repo.common_dir)
        if present and moved is None:
            for copy in copies:  # unchanged .worktreeinclude copies: no work, git would refuse
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(os.path.join(tree.path, copy))
            # Without force git refuses untracked files itself: a second guard against races.
            git.run(["worktree", "remove", *(["--force"] if force else []), tree.path], cwd)
        else:
            git.run(["worktree", "prune"], cwd)
        removal.worktree_removed = True
        failpoints.hit("clean:worktree-removed")
    elif path and os.path.isdir(path):
        removal.notes.append(f"{path} is not a registered worktree; left it alone")


def has_submodules(path: str, git_dir: str | None = None, links: list[str] | None = None) -> bool:
    """Whether the worktree holds a checked-out submodule (git's own test before a removal:
    a `modules` folder in its git dir, or a gitlink whose folder has a `.git`)."""
    if os.path.isdir(os.path.join(git_dir or private_git_dir(path), "modules")):
        return True
    links = gitlinks(path) if links is None else links
    return any(os.path.lexists(os.path.join(path, link, ".git")) for link in links)


def _delete_branch(context: Context, removal: Removal, branch: str, branch_oid: str) -> None:
    """Delete the branch: reached only when it is merged into base (no commit of it is lost,
    `_losses`) or forced after salvage; never if it moved since we looked."""
    cwd = context.repo.toplevel
    # Compare-and-delete: if the branch moved since we looked, keep it.
    failpoints.hit("clean:before-branch-delete")
    result = git.run(["update-ref", "-d", f"refs/heads/{branch}", branch_oid], cwd, check=False)
    removal.branch_deleted = result.returncode == 0
    if not removal.branch_deleted:  # never silent: the branch stays, and the user is told why
        said = result.stderr.decode(errors="replace").strip().splitlines()
        why = said[-1] if said else "git update-ref -d failed"
        removal.branch_kept = (
            f"clean-up failed: branch {branch} kept ({why}); fix it, then "
            f"'git parallel clean {removal.task_id}'"
        )
        removal.notes.append(removal.branch_kept)
    failpoints.hit("clean:branch-deleted")
