"""What base holds, read once for resolving the paths specs and plans mention.

One `git ls-tree -r` of base gives the tracked files and which of them are symbolic links; one
`git cat-file --batch` (only when base has links or `.gitignore` files) gives the links'
targets and the ignore rules. The repository's folder names (the main worktree's and this
worktree's) let an absolute path through the repository read as the path after it.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import TYPE_CHECKING

from gitwt.infra import git, git_output, git_trees

if TYPE_CHECKING:
    from gitwt.core.legacy_tokens import TrackedIndex
    from gitwt.services.context import Context

LINK_MODE = "120000"


def repo_names(context: Context) -> list[str]:
    return [
        os.path.basename(folder.rstrip(os.sep))
        for folder in (context.repo.main_toplevel, context.repo.toplevel)
    ]


def base_index(context: Context) -> TrackedIndex:
    """The TrackedIndex of base: files, links with their targets, .gitignore, folder names."""
    return index_at(context.base_oid, context.repo.toplevel, repo_names(context))


def index_at(rev: str | None, cwd: str, names: list[str]) -> TrackedIndex:
    """The TrackedIndex of the tree of `rev` (empty without one) in the repository at `cwd`."""
    from gitwt.core.legacy_tokens import TrackedIndex

    if not rev:
        return TrackedIndex.build((), repo_names=names)
    listing = git.run(["ls-tree", "-r", "-z", "--full-tree", rev], cwd)
    entries = git_output.parse_tree_entries(listing.stdout)
    wanted = [
        (oid, path)
        for mode, kind, oid, path in entries
        if kind == "blob" and (mode == LINK_MODE or path.rsplit("/", 1)[-1] == ".gitignore")
    ]
    contents: dict[str, str] = {}
    for (_, path), data in zip(
        wanted, git_trees.blobs([oid for oid, _ in wanted], cwd), strict=True
    ):
        contents[path] = data.decode("utf-8", "surrogateescape")
    links = {path: contents[path] for mode, _, _, path in entries if mode == LINK_MODE}
    ignores = {path: text for path, text in contents.items() if path not in links}
    return TrackedIndex.build(
        (path for _, _, _, path in entries), symlinks=links, gitignore=ignores, repo_names=names
    )


def tracked_index(context: Context) -> Callable[[], TrackedIndex]:
    """What base holds, read on first use: most plans name no path that needs it. Here, not in
    discovery, so the audit's readers of committed specs need not import every plan format."""
    return lazy_index(lambda: base_index(context))


def lazy_index(build: Callable[[], TrackedIndex]) -> Callable[[], TrackedIndex]:
    """`build()`, called on first use and remembered."""
    built: list[TrackedIndex] = []

    def index() -> TrackedIndex:
        if not built:
            built.append(build())
        return built[0]

    return index
