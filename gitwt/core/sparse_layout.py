"""What a sparse task worktree checks out (`start --sparse`): git's cone of the folders that
hold the declared paths, or no-cone patterns of the paths themselves.

In cone mode, with a sparse index, git keeps in the worktree's index only the cone's files and
one entry per folder outside it: a sparse worktree of one package of a 1,000,000-file repository
then reads and writes a small index, on `read-tree` and on every later `status`, `add` and
`commit` the task makes. A path's cone folder is the literal part of its folders (`src/app/` for
`src/app/`, `src/app/*.py` or `src/app/main.py`), so the cone holds the declared files and maybe
siblings of theirs: more to see, never less (the hooks enforce the declaration, not the
checkout). A path with no such folder (a top-level file or folder, a glob in its first part) or
a folder name cone mode would have to escape gets no cone: the caller keeps git's no-cone
patterns, which select exactly. Pure.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

_GLOB = frozenset("*?[]\\")


def _folder(path: str) -> str | None:
    """The folder a cone must hold for `path` (an anchored declaration pattern), or None."""
    parts = path.rstrip("/").split("/")
    literal: list[str] = []
    for part in parts:
        if _GLOB.intersection(part):
            break
        literal.append(part)
    else:
        if not path.endswith("/"):
            literal.pop()  # a file, or a folder named without its slash: its parent holds it
    if not literal or any(not part or part != part.strip() or "\n" in part for part in literal):
        return None
    return "/".join(literal)


def cone_folders(paths: Sequence[str]) -> list[str] | None:
    """The fewest folders whose cone holds every path (sorted), or None when one has none."""
    folders = set()
    for path in paths:
        folder = _folder(path)
        if folder is None:
            return None
        folders.add(folder)
    kept = sorted(folders)
    return [f for f in kept if not any(f.startswith(other + "/") for other in kept)]


def cone_lines(folders: Sequence[str]) -> list[str]:
    """The sparse-checkout file git's own `sparse-checkout set --cone` writes for `folders`:
    top-level files, then each parent folder without its subfolders, then each folder whole,
    each group sorted (git's order)."""
    parents = {f.rsplit("/", n)[0] for f in folders for n in range(1, f.count("/") + 1)}
    lines = ["/*", "!/*/"]
    for parent in sorted(parents):
        lines += [f"/{parent}/", f"!/{parent}/*/"]
    return lines + [f"/{folder}/" for folder in sorted(folders)]


class SparseCheckout(NamedTuple):
    """What a sparse task worktree checks out: the sparse-checkout file's lines, and the cone's
    folders when git's cone mode (with a sparse index) holds the declaration, else None."""

    lines: list[str]
    folders: list[str] | None


def sparse_checkout(declared: list[str], extra_files: list[str]) -> SparseCheckout:
    """The repository's top-level files plus the declared paths: the folders of git's cone
    that hold them (`cone_folders`), or else no-cone patterns of the paths themselves.

    Declared patterns are already anchored gitignore-like globs; for no-cone lines only `[`,
    `]`, a leading `#` or `!` and trailing spaces need escaping, because declarations treat
    them literally.
    """
    folders = cone_folders([*declared, *extra_files])
    if folders is not None:
        return SparseCheckout(cone_lines(folders), folders)
    lines = ["/*", "!/*/"]
    for pattern in [*declared, *extra_files]:
        escaped = pattern.replace("\\", "\\\\").replace("[", "\\[").replace("]", "\\]")
        if escaped.endswith(" "):
            escaped = escaped[:-1] + "\\ "
        lines.append("/" + escaped)
    return SparseCheckout(lines, None)
