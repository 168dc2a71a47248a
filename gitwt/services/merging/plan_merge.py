"""A merge whose only conflicts are two sides' status marks in plan files (DESIGN §6).

Two units of one plan tick adjacent lines of one `tasks.md`, or set two `status` fields of one
`tasks.json` (and both rewrite the tag's `metadata.updated`): git's own merge conflicts there.
When every conflicted path is a plan file and each side's change to it is bookkeeping
(`core.bookkeeping_merge`), merge writes the file itself, base's version with both sides' marks
applied, into the tree `merge-tree` wrote; any other conflict stays a conflict.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Sequence

from gitwt.core.bookkeeping_merge import combined, generic_entry
from gitwt.infra import git, git_output
from gitwt.infra.git_trees import blobs


def is_plan_file(path: str) -> bool:
    """A file of a plan another tool wrote (one of the formats' layouts)."""
    from gitwt.core.formats import FORMATS  # the readers load only for a conflicted merge

    return any(plan_format.plan_of(path) is not None for plan_format in FORMATS)


def resolved_tree(
    cwd: str, fork: str | None, ours: str, theirs: str, tree: str, conflicts: Sequence[str]
) -> str | None:
    """`tree` (merge-tree's, with conflict markers) with each conflicted plan file written from
    both sides' bookkeeping; None when a conflict is anything else."""
    if fork is None or not conflicts or not all(is_plan_file(path) for path in conflicts):
        return None
    entries = _entries(cwd, [fork, ours, theirs], conflicts, ours)
    if entries is None:
        return None
    written: list[tuple[str, str, bytes]] = []
    for path in conflicts:
        mode, (base, mine, their) = entries[path]
        result = combined(base, mine, their, generic_entry(path))
        if result is None:
            return None
        written.append((mode, path, result.encode("utf-8", "surrogateescape")))
    return tree_with(cwd, tree, written)


def _entries(
    cwd: str, revisions: list[str], paths: Sequence[str], ours: str
) -> dict[str, tuple[str, list[str]]] | None:
    """Each path's mode (ours) and its text in each revision (one ls-tree per revision, one
    cat-file); None when a side has no such file, or not a regular one."""
    modes: dict[str, str] = {}
    oids: list[str] = []
    for revision in revisions:
        raw = git.run(["ls-tree", "-z", "--full-tree", revision, "--", *paths], cwd).stdout
        listed = {path: (mode, oid) for mode, _, oid, path in git_output.parse_tree_entries(raw)}
        for path in paths:
            mode, oid = listed.get(path, ("", ""))
            if mode not in ("100644", "100755"):
                return None
            if revision == ours or path not in modes:  # the file keeps base's mode
                modes[path] = mode
            oids.append(oid)
    texts = [data.decode("utf-8", "surrogateescape") for data in blobs(oids, cwd)]
    columns = len(paths)
    return {
        path: (modes[path], [texts[row * columns + column] for row in range(len(revisions))])
        for column, path in enumerate(paths)
    }


def tree_with(cwd: str, tree: str, files: list[tuple[str, str, bytes]]) -> str:
    """`tree` with `files` (mode, path, content) put in: a scratch index, never a checkout's."""
    folder = tempfile.mkdtemp(prefix="parallel-merge-")
    try:
        index = {"GIT_INDEX_FILE": os.path.join(folder, "index")}
        git.run(["read-tree", tree], cwd, extra_env=index)
        lines = []
        for mode, path, content in files:
            oid = git.run(["hash-object", "-w", "--stdin"], cwd, input=content).stdout
            lines.append(f"{mode} {oid.decode().strip()}\t{path}\0")
        git.run(
            ["update-index", "-z", "--index-info"],
            cwd,
            input="".join(lines).encode(),
            extra_env=index,
        )
        return git.run(["write-tree"], cwd, extra_env=index).stdout.decode().strip()
    finally:
        shutil.rmtree(folder, ignore_errors=True)
