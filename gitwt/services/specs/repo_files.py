"""Finding and reading spec and plan files without leaving the repository.

Anyone who can push a branch decides what the spec folders hold. So a glob walks real folders
only (a symbolic link to a folder is entered only when its target is inside the repository, and
`**` never enters one: git does not follow links, and one to `/` would walk the whole disk). A
file is read only when it is a regular file whose real path is inside the repository, and up to
a size limit: a link that leaves the repository, a FIFO (opening one waits for a writer), a
device or a socket is reported with its path and never opened.
"""

from __future__ import annotations

import fnmatch
import glob
import os
import stat

MAX_FILE_BYTES = 32 * 1024 * 1024  # far past any spec or plan a person or a tool writes
_KINDS = {
    stat.S_IFIFO: "a FIFO",
    stat.S_IFCHR: "a character device",
    stat.S_IFBLK: "a block device",
    stat.S_IFSOCK: "a socket",
    stat.S_IFDIR: "a folder",
}


def _limit() -> str:
    size = MAX_FILE_BYTES
    return f"{size // 1024 // 1024} MiB" if size >= 1024 * 1024 else f"{size // 1024} KiB"


def _inside(root: str, real: str) -> bool:
    return real == root or real.startswith(root.rstrip(os.sep) + os.sep)


def _enterable(toplevel: str, relative: str, follow_links: bool) -> bool:
    """A folder a glob may look into: a real one, or (not for `**`) a link to one inside."""
    full = os.path.join(toplevel, relative)
    try:
        info = os.lstat(full)
    except OSError:
        return False
    if stat.S_ISDIR(info.st_mode):
        return True
    if not (follow_links and stat.S_ISLNK(info.st_mode)):
        return False
    real = os.path.realpath(full)
    return _inside(os.path.realpath(toplevel), real) and os.path.isdir(real)


def _join(folder: str, name: str) -> str:
    return f"{folder}/{name}" if folder else name


def _below(toplevel: str, folder: str, everything: bool) -> list[str]:
    """`folder` and the real folders below it (`everything`: every entry below it too)."""
    found = [folder]
    base = os.path.join(toplevel, folder) if folder else toplevel
    for path, folders, files in os.walk(base):  # never follows a link to a folder
        relative = os.path.relpath(path, toplevel).replace(os.sep, "/")
        relative = "" if relative == "." else relative
        for name in folders:
            child = _join(relative, name)
            if everything or not os.path.islink(os.path.join(toplevel, child)):
                found.append(child)
        if everything:
            found += [_join(relative, name) for name in files]
    return found


def glob_inside(toplevel: str, pattern: str) -> list[str]:
    """What `glob(pattern, recursive=True, include_hidden=True)` finds below `toplevel`, as
    repo-relative paths, without following a link out of the repository or into a loop.
    Entries of any type are returned; `read_inside` says which can be read."""
    parts = [part for part in pattern.split("/") if part not in ("", ".")]
    current = [""]
    for index, part in enumerate(parts):
        last = index == len(parts) - 1
        found: list[str] = []
        for folder in current:
            if part == "**":
                found += _below(toplevel, folder, everything=last)
            elif not glob.has_magic(part):
                if os.path.lexists(os.path.join(toplevel, _join(folder, part))):
                    found.append(_join(folder, part))
            else:
                try:
                    names = os.listdir(os.path.join(toplevel, folder) if folder else toplevel)
                except OSError:
                    continue
                found += [_join(folder, n) for n in names if fnmatch.fnmatchcase(n, part)]
        unique = list(dict.fromkeys(found))
        follow = part != "**"
        current = unique if last else [f for f in unique if _enterable(toplevel, f, follow)]
    return sorted(path for path in current if path)


def unreadable(toplevel: str, path: str, kind: str = "spec") -> str | None:
    """Why the file at `path` must not be read (a link leaving the repository, not a regular
    file, too large), or None."""
    full = os.path.join(toplevel, path)
    real = os.path.realpath(full)
    if not _inside(os.path.realpath(toplevel), real):
        return f"{kind} {path} is a symbolic link leading outside the repository ({real}): not read"
    try:
        info = os.stat(full)
    except OSError as exc:
        return f"cannot read {kind} {path}: {exc.strerror or exc}"
    if not stat.S_ISREG(info.st_mode):
        what = _KINDS.get(stat.S_IFMT(info.st_mode), "not a regular file")
        return f"{kind} {path} is {what}, not a file: not read"
    if info.st_size > MAX_FILE_BYTES:
        return f"{kind} {path} is larger than {_limit()}: not read"
    return None


def is_file_entry(toplevel: str, path: str) -> bool:
    """An entry a glob found that stands for a file (to read, or to report): anything but a
    folder (a link to a folder included)."""
    return not os.path.isdir(os.path.join(toplevel, path))


def read_inside(toplevel: str, path: str, kind: str = "spec") -> tuple[bytes, str | None]:
    """The file's bytes, or why it was not read (nothing was opened that could block)."""
    problem = unreadable(toplevel, path, kind)
    if problem is not None:
        return b"", problem
    try:
        # O_NONBLOCK: had a FIFO replaced the file since it was looked at, open does not wait.
        descriptor = os.open(os.path.join(toplevel, path), os.O_RDONLY | os.O_NONBLOCK)
    except OSError as exc:
        return b"", f"cannot read {kind} {path}: {exc.strerror or exc}"
    with os.fdopen(descriptor, "rb") as handle:
        if not stat.S_ISREG(os.fstat(descriptor).st_mode):
            return b"", f"{kind} {path} is not a regular file: not read"
        data = handle.read(MAX_FILE_BYTES + 1)
    if len(data) > MAX_FILE_BYTES:
        return b"", f"{kind} {path} is larger than {_limit()}: not read"
    return data, None


def read_text(toplevel: str, path: str, kind: str = "spec") -> tuple[str, str | None]:
    """The file's text, and why it could not be read (its id may still show): not UTF-8, or
    not read at all (a link out, a FIFO, too large: `read_inside`)."""
    data, problem = read_inside(toplevel, path, kind)
    if problem is not None:
        return "", problem
    return decoded(data, path, kind)


def decoded(data: bytes, path: str, kind: str = "spec") -> tuple[str, str | None]:
    try:
        return data.decode("utf-8"), None
    except UnicodeDecodeError as exc:
        return data.decode("utf-8", "replace"), f"{kind} {path} is not UTF-8 text ({exc.reason})"
