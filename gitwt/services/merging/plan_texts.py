"""A plan file's texts in commits, for judging and combining a unit's bookkeeping (DESIGN §2, §6).

The merge audit reads them only for a change set that touches a file holding the task's
bookkeeping (`core.bookkeeping.settle`), so a branch without plan-file changes costs nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from gitwt.infra import git
from gitwt.infra.git_trees import blob_text

Contents = Callable[[str], tuple[Sequence[str | None], str | None]]


def of_commit(commit: str, cwd: str) -> Contents:
    """The texts before (in each parent: a merge's change is judged against either) and after."""

    def contents(path: str) -> tuple[list[str | None], str | None]:
        parents = git.out(["rev-list", "--parents", "-n", "1", commit], cwd).split()[1:]
        return [blob_text(parent, path, cwd) for parent in parents], blob_text(commit, path, cwd)

    return contents


def of_range(old: Callable[[], str | None], new: str, cwd: str) -> Contents:
    """The texts at `old()` (the fork point, found only when asked) and at `new`."""

    def contents(path: str) -> tuple[list[str | None], str | None]:
        fork = old()
        return [blob_text(fork, path, cwd) if fork else None], blob_text(new, path, cwd)

    return contents
