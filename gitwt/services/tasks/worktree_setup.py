"""What a new task worktree gets besides its checkout, as the worktree tools do (gtr, worktrunk,
copse): the files `.worktreeinclude` lists, and the config `setup` command.

`.worktreeinclude` sits at the root of the main worktree, in gitignore syntax; the untracked or
ignored files of the main worktree it matches (`.env`, local config, ...) are copied into each
task worktree when it is created, copy-on-write where the filesystem can (`copy_file_range`
lets btrfs, XFS and others share the blocks), else a plain copy. Tracked files are never copied:
the checkout has them. `setup` (trusted like `run`) runs in the worktree before the task's
command, in the task runner, its output in the task log; a failing setup fails the task.
"""

from __future__ import annotations

import contextlib
import os
from typing import TYPE_CHECKING

from gitwt.errors import GitParallelError
from gitwt.infra import git

if TYPE_CHECKING:
    from gitwt.services.context import Context

INCLUDE_FILE = ".worktreeinclude"
CHUNK = 1 << 30  # bytes per copy_file_range call


def included_files(main: str) -> list[str]:
    """The untracked or ignored files of the main worktree that `.worktreeinclude` lists."""
    try:
        with open(os.path.join(main, INCLUDE_FILE), encoding="utf-8") as handle:
            lines = handle.read().splitlines()
    except FileNotFoundError:
        return []
    except (OSError, UnicodeDecodeError) as error:
        raise GitParallelError(
            f"cannot read {INCLUDE_FILE}: {error}", f"make {INCLUDE_FILE} a readable UTF-8 file"
        ) from error
    import pathspec  # only with a .worktreeinclude: 0.02 s to import

    spec = pathspec.GitIgnoreSpec.from_lines(lines)
    # Every file git does not track, ignored ones included (no --exclude-standard).
    others = git.split_z(git.run(["ls-files", "-z", "--others"], main).stdout)
    return [path for path in others if path != INCLUDE_FILE and spec.match_file(path)]


def unchanged_copies(main: str, worktree: str, paths: list[str]) -> set[str]:
    """Those of `paths` (untracked or ignored in a task worktree) that `.worktreeinclude` lists
    and that are still what the main worktree has: copies `start` made, not the user's work.
    A copy the user changed, or a file the main worktree no longer has, is kept as work (§7)."""
    if not paths:
        return set()
    try:
        with open(os.path.join(main, INCLUDE_FILE), encoding="utf-8") as handle:
            lines = handle.read().splitlines()
    except (OSError, UnicodeDecodeError):
        return set()
    import pathspec

    spec = pathspec.GitIgnoreSpec.from_lines(lines)
    return {
        path
        for path in paths
        if path != INCLUDE_FILE
        and spec.match_file(path)
        and _same_file(os.path.join(main, path), os.path.join(worktree, path))
    }


def _same_file(original: str, copy: str) -> bool:
    """Byte for byte the same file (a symbolic link: the same target)."""
    if os.path.islink(original) or os.path.islink(copy):
        return (
            os.path.islink(original)
            and os.path.islink(copy)
            and os.readlink(original) == os.readlink(copy)
        )
    import filecmp

    try:
        return os.path.isfile(original) and filecmp.cmp(original, copy, shallow=False)
    except OSError:
        return False


def _copy_file(source: str, target: str) -> None:
    """Copy one file's bytes, sharing blocks where the filesystem allows, then its mode/times."""
    import shutil  # not at import: shutil is on no command's common path

    with open(source, "rb") as reader, open(target, "xb") as writer:
        try:
            while os.copy_file_range(reader.fileno(), writer.fileno(), CHUNK):
                pass
        except OSError:  # another filesystem, or none that supports it: copy the bytes
            reader.seek(0)
            writer.seek(0)
            writer.truncate()
            shutil.copyfileobj(reader, writer)
    shutil.copystat(source, target)


def copy_included(main: str, worktree: str) -> list[str]:
    """Copy the included files into a new worktree; never over a file already there."""
    copied = []
    for relative in included_files(main):
        source = os.path.join(main, relative)
        target = os.path.join(worktree, relative)
        if os.path.lexists(target) or not os.path.lexists(source):
            continue
        if relative.endswith("/") or (os.path.isdir(source) and not os.path.islink(source)):
            continue  # a nested repository or worktree (git lists it as a folder): not a file
        os.makedirs(os.path.dirname(target), exist_ok=True)
        try:
            if os.path.islink(source):
                os.symlink(os.readlink(source), target)
            else:
                _copy_file(source, target)
        except OSError as error:
            with contextlib.suppress(OSError):
                os.unlink(target)
            raise GitParallelError(
                f"cannot copy {relative} ({INCLUDE_FILE}) into {worktree}: {error.strerror}",
                f"check the file, or remove it from {INCLUDE_FILE}",
            ) from error
        copied.append(relative)
    return copied


def setup_command(context: Context) -> list[str] | None:
    """The config `setup` as argv, once trusted (it comes from the repository), else None."""
    from gitwt.services import trust

    command = context.config.setup
    if not command:
        return None
    trust.require(
        context.repo.common_dir,
        command,
        f"'setup' in {context.config.source}",
        "git parallel trust",
    )
    return trust.command_argv(command)
