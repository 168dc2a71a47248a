"""Checking out several new task worktrees side by side, so that `start` can beat raw git.

`git worktree add` is not safe to run in parallel in one repository (see
`worktrees.prepare_tasks`), but its checkout is: after serial `worktree add --no-checkout`s, each
worktree has its branch and HEAD and no index yet, and the `git reset --hard` that `worktree add`
itself would have run next touches only that worktree's index and files. So `start` of several
tasks adds them one by one and runs their checkouts at once, as many as the machine has cores.
A checkout that fails takes back its worktree and branch (a failing `worktree add` alone left
its branch behind).

`worktree add` also runs a `post-checkout` hook after its checkout. Where one would run (the
hooks folder git uses in the worktree `start` runs in has one), the adds keep their own
checkout, one after another, so the hook runs as it always did.
"""

from __future__ import annotations

import os
import subprocess

from gitwt.infra import git

# What `git worktree add` runs in the new worktree when it checks it out (git 2.39, builtin/
# worktree.c): the same command, so the files, the index and any filters are the same.
CHECKOUT = ["reset", "--hard", "--no-recurse-submodules", "--quiet"]


def cores() -> int:
    """How many checkouts run at once: the cores this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)


def hooks_folder(toplevel: str, common_dir: str, entries: list[git.ConfigEntry]) -> str | None:
    """The folder git takes hooks from in `toplevel` (its last core.hooksPath, else the common
    `hooks/`); None when git would have to expand it (`%(prefix)`): not known here."""
    values = [value for value in git.config_values(entries, "core.hooksPath") if value]
    if not values:
        return os.path.join(common_dir, "hooks")
    if values[-1].startswith("%("):
        return None
    return os.path.join(toplevel, os.path.expanduser(values[-1]))


def side_by_side(
    toplevel: str, common_dir: str, entries: list[git.ConfigEntry], count: int
) -> bool:
    """Check out `count` new worktrees after their adds, side by side? For more than one, when
    no `post-checkout` hook would run (on one core they run one after another, still apart
    from the adds: a failed checkout is undone like any failed step of `start`)."""
    if count < 2:
        return False
    folder = hooks_folder(toplevel, common_dir, entries)
    if folder is None:
        return False
    hook = os.path.join(folder, "post-checkout")
    return not (os.path.isfile(hook) and os.access(hook, os.X_OK))


def check_out(paths: list[str]) -> dict[str, subprocess.CompletedProcess[bytes]]:
    """Check out each worktree added with --no-checkout, at most `cores()` at once; each
    path's result (a failed one is for the caller to undo)."""
    if len(paths) < 2:
        return {path: git.run(CHECKOUT, path, check=False) for path in paths}
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(min(cores(), len(paths))) as pool:
        results = pool.map(lambda path: git.run(CHECKOUT, path, check=False), paths)
        return dict(zip(paths, results, strict=True))


def needs_checkout(git_dir: str) -> bool:
    """A worktree added with --no-checkout and not yet checked out has no index."""
    return not os.path.exists(os.path.join(git_dir, "index"))
