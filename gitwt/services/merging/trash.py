"""Removed worktrees' folders: moved aside at once, their files deleted in the background (§7, §10).

Deleting a checkout's files is most of a clean-up's time and nobody needs to wait for it. Once
the checks of DESIGN §7 passed (nothing in the folder can be lost), `move_aside` renames the
folder into <common-dir>/parallel/trash/<name>-<random> (one rename within one filesystem; never
across filesystems: the caller then removes it in place), the caller has git forget the
worktree (`git worktree prune`), and `delete_in_background` starts one detached process that
deletes everything in the trash after the command is done with its work.

A crash leaves the folder either where it was (still registered and whole) or in the trash
(only ever a folder that lost nothing); `finish_leftovers`, run by the next `merge` or `clean`,
prunes what git may still have registered and deletes what is left. Deleters take the trash's
lock one after the other, so two never delete the same files at once.
"""

from __future__ import annotations

import fcntl
import os
import secrets
import shutil
import sys

from gitwt.infra import git, processes

TRASH = os.path.join("parallel", "trash")
LOCK = ".lock"  # held by the deleter at work; never a removed folder (those get random names)


def trash_dir(common_dir: str) -> str:
    return os.path.join(common_dir, TRASH)


def leftovers(common_dir: str) -> list[str]:
    """The folders in the trash, still to be deleted."""
    folder = trash_dir(common_dir)
    try:
        names = os.listdir(folder)
    except FileNotFoundError:
        return []
    return sorted(os.path.join(folder, name) for name in names if name != LOCK)


def move_aside(path: str, common_dir: str) -> str | None:
    """Rename the folder `path` into the trash; None (nothing moved) if that would cross
    filesystems, `path` is a symbolic link or the rename fails: the caller removes it in place
    (which reports what is wrong, as before)."""
    folder = trash_dir(common_dir)
    os.makedirs(folder, exist_ok=True)
    if os.path.islink(path) or os.lstat(path).st_dev != os.stat(folder).st_dev:
        return None  # a rename across filesystems would copy every file: remove in place
    name = os.path.basename(os.path.normpath(path))
    target = os.path.join(folder, f"{name}-{secrets.token_hex(6)}")
    try:
        os.rename(path, target)  # atomic: the folder is wholly here or wholly there
    except OSError:  # a bind mount (EXDEV), a mount point (EBUSY), no permission: in place
        return None
    return target


def finish_leftovers(cwd: str, common_dir: str) -> None:
    """After a crash between a move and the prune: forget worktrees whose folders went to the
    trash. The caller ends with `delete_in_background`, which deletes what is left."""
    if leftovers(common_dir):
        git.run(["worktree", "prune"], cwd)


def delete_in_background(common_dir: str) -> None:
    """Start a detached deleter for the trash (it outlives this command), if anything is in it."""
    if not leftovers(common_dir):
        return
    # From /: holds no folder of the repository (or a mount) busy.
    processes.spawn_detached(processes.TRASH_MODULE, [trash_dir(common_dir)], os.sep)


def _ignore_missing(function: object, path: str, error: tuple[type, BaseException, object]) -> None:
    if not isinstance(error[1], FileNotFoundError):  # another deleter got there first
        raise error[1]


def delete_all(folder: str) -> None:
    """Delete every folder in the trash, holding its lock (the next deleter waits)."""
    with open(os.path.join(folder, LOCK), "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        for name in sorted(os.listdir(folder)):
            if name != LOCK:
                shutil.rmtree(os.path.join(folder, name), onerror=_ignore_missing)


def main(argv: list[str]) -> int:
    os.nice(10)  # the user's next command comes first
    delete_all(argv[0])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
