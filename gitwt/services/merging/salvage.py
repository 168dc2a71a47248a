"""Salvage: keep everything a forced removal would lose, nested repositories included (§7).

A forced removal first writes `refs/parallel/salvage/<id>/<time>`: a commit whose tree is the
whole worktree (tracked, untracked and ignored files, through a temporary index so the
worktree's own index is untouched) and whose parents keep its HEAD and every tip that would
become unreachable.

A nested repository (an agent's `git init` or `git clone` inside its worktree, or a submodule)
would be only a gitlink in that tree: a commit id whose objects live in the nested repository,
which the removal deletes. So each nested repository is snapshotted the same way in its own
object store first (its own nested repositories too), the snapshot is fetched into this
repository, its tree takes the gitlink's place (the nested files, committed or not, are in the
salvage tree), and the snapshot commit, whose parents are the nested HEAD and every branch, tag
and stash of it, becomes one more parent of the salvage commit. A nested repository git cannot
read is a refusal: --force removes nothing it could not keep.
"""

from __future__ import annotations

import os
import tempfile
import time
from dataclasses import dataclass, field

from gitwt.errors import GitParallelError, Refused
from gitwt.infra import git
from gitwt.infra.git_output import split_z
from gitwt.services.context import Context

SALVAGE_PREFIX = "refs/parallel/salvage"
GITLINK_MODE = "160000"


@dataclass
class Salvaged:
    ref: str
    notes: list[str] = field(default_factory=list)  # where each nested repository went


@dataclass(frozen=True)
class Nested:
    path: str  # relative to the folder it is nested in
    commit: str  # its snapshot, fetched into the outer repository


def nested_repositories(top: str) -> list[str]:
    """Repositories inside the working folder `top`, as paths relative to it.

    git lists an untracked or ignored nested repository as one `dir/` entry (it never descends
    into one), and a tracked one as a gitlink in the index.
    """
    found = {
        path.rstrip("/")
        for code, path in git.status_entries(top)
        if code in ("??", "!!") and path.endswith("/")
    }
    found.update(gitlinks(top))
    return sorted(path for path in found if os.path.lexists(os.path.join(top, path, ".git")))


def gitlinks(top: str) -> list[str]:
    """The paths of the gitlinks (submodules, nested repositories added) in the index at `top`."""
    listing = git.run(["ls-files", "--stage", "-z"], top).stdout
    if not listing.startswith(b"160000 ") and b"\x00160000 " not in listing:
        return []  # the common case, without splitting a line per file
    links = []
    for entry in git.split_z(listing):
        mode, _, rest = entry.partition(" ")
        if mode == GITLINK_MODE:
            links.append(rest.partition("\t")[2])
    return links


def snapshot_tree(top: str) -> tuple[str, list[Nested]]:
    """The tree of everything in the working folder `top` (written in its repository's object
    store), with each nested repository's files in place of its gitlink."""
    nested = [Nested(path, _snapshot_nested(top, path)) for path in nested_repositories(top)]
    with tempfile.TemporaryDirectory(prefix="git-parallel-salvage-") as folder:
        env = {"GIT_INDEX_FILE": os.path.join(folder, "index")}
        # Sparse checkout off for the temporary index: a full one, and git's add would refuse
        # a file outside the sparse patterns (an agent may write one there).
        sparse_off = ["-c", "core.sparseCheckout=false", "-c", "index.sparse=false"]
        head = git.rev_parse_verify("HEAD", top)
        if head:
            git.run([*sparse_off, "read-tree", head], top, extra_env=env)
        excluded = [f":(exclude,literal){inner.path}" for inner in nested]
        excluded += [f":(exclude,literal){path}" for path in _not_checked_out(top)]
        pathspecs = "".join(f"{spec}\0" for spec in [".", *excluded]).encode(
            "utf-8", "surrogateescape"
        )
        add = ["add", "--all", "--force", "--pathspec-from-file=-", "--pathspec-file-nul"]
        git.run([*sparse_off, *add], top, input=pathspecs, extra_env=env)
        _store_unfiltered(top, env)
        for inner in nested:
            literal = f":(literal){inner.path}"
            unlink = ["rm", "--cached", "-r", "-q", "--ignore-unmatch", "--", literal]
            git.run(unlink, top, extra_env=env)  # the gitlink, if the nested repo is tracked
            files = f"{inner.commit}^{{tree}}"
            git.run(["read-tree", f"--prefix={inner.path}/", files], top, extra_env=env)
        return git.out(["write-tree"], top, extra_env=env), nested


def _not_checked_out(top: str) -> list[str]:
    """The files of a sparse worktree that were never checked out: skip-worktree in its index
    and absent from the folder. The snapshot keeps them as HEAD has them, not as deletions. A
    flag an agent set by hand can only keep HEAD's version of a file it removed (no work lost);
    any file on disk, flagged or not, is snapshotted as it is."""
    listing = git.run(["ls-files", "-t", "-z"], top).stdout
    if not listing.startswith(b"S ") and b"\x00S " not in listing:
        return []  # not sparse: the common case, without splitting a line per file
    skipped = [entry[2:] for entry in split_z(listing) if entry.startswith("S ")]
    return [path for path in skipped if not os.path.lexists(os.path.join(top, path))]


def _store_unfiltered(top: str, env: dict[str, str]) -> None:
    """Put each file into the snapshot as its bytes are on disk (DESIGN §7): `git add` runs
    the repository's clean filters and line-ending conversion, which a salvage must not."""
    listing = git.run(["ls-files", "-s", "-z"], top, extra_env=env).stdout
    entries = [entry.split("\t", 1) for entry in split_z(listing)]
    files = [
        (info.split()[0], path)
        for info, path in entries
        if info.startswith("100") and os.path.lexists(os.path.join(top, path))
    ]  # a file absent here was never checked out (`_not_checked_out`): HEAD's stays
    if not files:
        return
    by_line = [path for _, path in files if "\n" not in path]
    oids = git.out(
        ["hash-object", "-w", "--no-filters", "--stdin-paths"],
        top,
        input="".join(f"{path}\n" for path in by_line).encode(),
    ).split()
    found = dict(zip(by_line, oids, strict=True))
    for _, path in files:
        if path not in found:  # a name with a newline: one process of its own
            found[path] = git.out(["hash-object", "-w", "--no-filters", "--", path], top)
    info = "".join(f"{mode} {found[path]}\t{path}\0" for mode, path in files)
    git.run(["update-index", "-z", "--index-info"], top, input=info.encode(), extra_env=env)


def _ref_tips(top: str) -> tuple[list[str], list[str]]:
    """The commits HEAD and every ref of the repository at `top` point at (tags peeled), and
    one `<commit> <ref>` line per ref for the snapshot's message."""
    head = git.rev_parse_verify("HEAD", top)
    tips = [head] if head else []
    lines = []
    fields = "%(objecttype) %(objectname) %(*objecttype) %(*objectname) %(refname)"
    listing = git.out(["for-each-ref", f"--format={fields}"], top)
    for line in listing.splitlines():
        kind, oid, peeled_kind, peeled, name = (line.split(" ", 4) + [""] * 5)[:5]
        commit = oid if kind == "commit" else peeled if peeled_kind == "commit" else None
        if commit:
            tips.append(commit)
            lines.append(f"{commit} {name}")
    return list(dict.fromkeys(tips)), lines


def _snapshot_nested(top: str, path: str) -> str:
    """Snapshot the repository at `top`/`path` and fetch it into the repository of `top`."""
    inner = os.path.join(top, path)
    try:
        tips, refs = _ref_tips(inner)
        tree, nested = snapshot_tree(inner)
        message = _message(f"nested repository {path}", len(tips), nested, ["refs:", *refs])
        commit = git.commit_tree(tree, [*tips, *(each.commit for each in nested)], message, inner)
        git.run(["fetch", "--quiet", "--no-tags", "--no-write-fetch-head", inner, commit], top)
    except GitParallelError as error:
        raise Refused(
            f"cannot salvage the nested repository {path} in {top}: {error.message}",
            f"save or remove {inner} yourself (it is not in the task's branch), then clean again",
        ) from error
    return commit


def _message(what: str, parent_count: int, nested: list[Nested], extra: list[str]) -> str:
    """The snapshot commit's message: which parent holds each nested repository's history."""
    lines = [f"git parallel salvage of {what}", ""]
    lines += [
        f"nested repository {inner.path}: files under {inner.path}/, history at parent "
        f"{parent_count + number + 1}"
        for number, inner in enumerate(nested)
    ]
    return "\n".join([*lines, *extra, ""])


def salvage(context: Context, task_id: str, path: str | None, tips: list[str]) -> Salvaged:
    """Store everything a forced removal would lose under refs/parallel/salvage/<id>/<time>."""
    cwd = context.repo.toplevel
    parents = list(dict.fromkeys(tip for tip in tips if tip))
    tree: str | None = None
    nested: list[Nested] = []
    if path is not None and os.path.isdir(path):
        head = git.rev_parse_verify("HEAD", path)
        if head:
            parents = list(dict.fromkeys([head, *parents]))
        tree, nested = snapshot_tree(path)
    if tree is None:
        if not parents:
            raise GitParallelError(f"nothing to salvage for task {task_id}")
        tree = git.out(["rev-parse", f"{parents[0]}^{{tree}}"], cwd)
    message = _message(f"task {task_id}", len(parents), nested, [f"worktree: {path}"])
    commit = git.commit_tree(tree, [*parents, *(inner.commit for inner in nested)], message, cwd)
    ref = _free_ref(task_id, cwd)
    git.run(["update-ref", ref, commit, git.NULL_OID], cwd)
    notes = [
        f"nested repository {inner.path}: files at {ref}:{inner.path}/, history at "
        f"{ref}^{len(parents) + number + 1}"
        for number, inner in enumerate(nested)
    ]
    return Salvaged(ref, notes)


def _free_ref(task_id: str, cwd: str) -> str:
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    ref = f"{SALVAGE_PREFIX}/{task_id}/{stamp}"
    suffix = 1
    while git.rev_parse_verify(ref, cwd) is not None:
        ref = f"{SALVAGE_PREFIX}/{task_id}/{stamp}-{suffix}"
        suffix += 1
    return ref
