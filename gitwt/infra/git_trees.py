"""Files of a commit's tree and their contents, read without a checkout (two git processes).

`check --claims --staged` reads the plans as HEAD has them; resolving paths reads base's links
and `.gitignore` files.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

from gitwt.infra import git_output
from gitwt.infra.git import GitError, run


def blobs(oids: Sequence[str], cwd: str | os.PathLike[str] | None = None) -> list[bytes]:
    """The contents of these objects, in order (one `cat-file --batch`)."""
    if not oids:
        return []
    batch = "".join(f"{oid}\n" for oid in oids).encode()
    found = git_output.parse_batch(run(["cat-file", "--batch"], cwd, input=batch).stdout)
    missing = [oid for oid, content in zip(oids, found, strict=True) if content is None]
    if missing:  # the names come from a tree git listed: its objects must be there
        raise GitError(
            f"git has no object {missing[0]} that a tree lists",
            "the repository is missing objects: run 'git fsck'",
        )
    return [content for content in found if content is not None]


def named_blobs(names: Sequence[str], cwd: str | os.PathLike[str] | None) -> list[bytes | None]:
    """The bytes of each `<rev>:<path>` (None: no such blob), from one `cat-file --batch`."""
    wanted = [name if "\n" not in name else "-" for name in names]  # one name a line
    lines = "".join(f"{name}\n" for name in wanted).encode("utf-8", "surrogateescape")
    return git_output.parse_named_batch(
        run(["cat-file", "--batch"], cwd, input=lines).stdout, len(names)
    )


def blob_text(
    rev: str, path: str, cwd: str | os.PathLike[str] | None, errors: str = "surrogateescape"
) -> str | None:
    """The text of `path` in `rev`, None when it has none; `errors`: how bytes that are not
    UTF-8 decode (surrogate escapes keep any byte, for texts written back)."""
    [found] = named_blobs([f"{rev}:{path}"], cwd)
    return found.decode("utf-8", errors) if found is not None else None


def files_under(
    rev: str, folders: Sequence[str], cwd: str | os.PathLike[str] | None = None
) -> dict[str, bytes]:
    """The files below `folders` in the tree of `rev`, with their contents."""
    listing = run(["ls-tree", "-r", "-z", "--full-tree", rev, "--", *folders], cwd).stdout
    found = [
        (oid, path)
        for _, kind, oid, path in git_output.parse_tree_entries(listing)
        if kind == "blob"
    ]
    contents = blobs([oid for oid, _ in found], cwd)
    return dict(zip((path for _, path in found), contents, strict=True))
