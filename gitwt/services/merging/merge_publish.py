"""Publishing a merge: move base by compare-and-swap, with its checkout if it has one."""

from __future__ import annotations

import os

from gitwt.infra import git
from gitwt.services.context import Context


def base_checkout(context: Context) -> str | None:
    """The worktree where base is checked out, if any."""
    ref = f"refs/heads/{context.base}"
    for worktree in git.worktrees(context.repo.toplevel):
        if worktree.branch == ref and not worktree.prunable:
            return worktree.path
    return None


def _untracked_in_the_way(checkout: str, old: str, new: str) -> list[str]:
    added = git.split_z(
        git.run(["diff", "--name-only", "-z", "--diff-filter=A", old, new, "--"], checkout).stdout
    )
    return [path for path in added if os.path.lexists(os.path.join(checkout, path))]


def publish(context: Context, checkout: str | None, old: str, new: str, task_id: str) -> str | None:
    """Move base from old to new. None on success, "moved" when base moved, else a reason."""
    ref = f"refs/heads/{context.base}"
    cwd = context.repo.toplevel
    if checkout is None:
        return (
            None
            if git.update_ref(ref, new, old, f"git parallel: merge task {task_id}", cwd)
            else "moved"
        )
    if git.rev_parse_verify(ref, cwd) != old:
        return "moved"
    in_the_way = _untracked_in_the_way(checkout, old, new)
    if in_the_way:
        return (
            f"untracked files in the checkout of {context.base} at {checkout} would be "
            f"overwritten: {', '.join(in_the_way[:5])}"
        )
    # The checkout's own fast-forward moves the ref and the files together; it fails if base
    # moved since we read it (the new commit would not be a fast-forward), which is our CAS.
    result = git.run(["merge", "--ff-only", "--quiet", new], checkout, check=False)
    if result.returncode == 0:
        return None
    if git.rev_parse_verify(ref, cwd) != old:
        return "moved"
    return (
        f"could not fast-forward the checkout of {context.base} at {checkout}: "
        f"{result.stderr.decode(errors='replace').strip().splitlines()[-1:]}"
    )


# --- one task --------------------------------------------------------------------------------
