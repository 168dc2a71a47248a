"""The team registry's transport (DESIGN §11): fetch it, write commits of it, push them with leases.

The registry is one ref on the remote, `refs/parallel/registry`: a commit whose tree holds one
JSON file per live task. Nothing here knows what the files mean (services/registry.py does);
this module only moves bytes through the one git runner. Every write is a compare-and-swap: a
push with `--force-with-lease=<ref>:<oid read>` (an empty <oid> means "must not exist yet", as
git-push(1) documents), `--atomic` so several refs move together or not at all.

The local copy (`refs/parallel/team/*`: what the last fetch stored, or the last push wrote) is
read without contacting the remote (`cached`). Anything under .git may have been rewritten by an
agent, so that copy decides nothing on its own: what is decided on it is only published by a
push leased on its exact commit, which the remote refuses unless it holds that commit, and the
objects read for it are hashed again here, so that their bytes are the ones that commit names.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from gitwt.errors import GitParallelError, Refused
from gitwt.infra import git, git_output
from gitwt.infra.git_trees import blobs

REGISTRY_REF = "refs/parallel/registry"
# Where the last fetch put the remote's refs: private, so no user branch or tracking ref moves.
FETCHED_PREFIX = "refs/parallel/team/"
FETCHED_REGISTRY = FETCHED_PREFIX + "registry"
AUTHOR = {"GIT_AUTHOR_NAME": "git parallel", "GIT_COMMITTER_NAME": "git parallel"}


class _Relayed:
    """An error that shows, above its own line, what the remote said (its hook's reasons)."""

    said: tuple[str, ...] = ()

    def render(self) -> str:
        own = super().render()  # type: ignore[misc]
        return "".join(f"{line}\n" for line in self.said) + str(own)


class RemoteUnreachable(_Relayed, GitParallelError):
    """The remote could not be read or written: an input error (exit 2), nothing changed."""


class RemoteRefused(_Relayed, Refused):
    """The remote answered but refused the push (a server hook, permissions): exit 1."""


def remote_lines(stderr: bytes) -> tuple[str, ...]:
    """The lines the remote sent ("remote: ..."), printable: a server hook's reasons. Control
    characters are escaped so that a remote cannot drive the terminal."""
    lines = []
    for line in stderr.decode(errors="replace").splitlines():
        if line.startswith("remote:") and line[len("remote:") :].strip():
            shown = "".join(c if c.isprintable() or c == "\t" else f"\\x{ord(c):02x}" for c in line)
            lines.append(shown.rstrip())
    return tuple(lines)


@dataclass(frozen=True)
class Snapshot:
    """What one fetch saw: the registry commit (None: no registry yet) and base's commit, and
    the files at the top of the registry's tree (name -> blob id), read with them."""

    registry: str | None
    base: str | None = None
    files: dict[str, str] | None = None
    local_base: str | None = None  # this clone's own base branch, read in the same process
    fetched: bool = True  # False: read from the local copy, unconfirmed until a leased push


def _unreachable(remote: str, detail: str) -> RemoteUnreachable:
    return RemoteUnreachable(
        f"cannot reach the team registry on remote '{remote}': {detail}",
        f"check the network and 'git fetch {remote}'; or pass --local to work on this machine "
        "alone (other machines are not consulted)",
    )


def _last_line(stderr: bytes) -> str:
    lines = [line for line in stderr.decode(errors="replace").splitlines() if line.strip()]
    return lines[-1].strip() if lines else "no answer"


def check_remote(cwd: str, remote: str) -> None:
    """Refuse a config `remote` that names no remote of this repository."""
    if git.run(["remote", "get-url", remote], cwd, check=False).returncode != 0:
        raise GitParallelError(
            f"config 'remote' names '{remote}', which is not a remote of this repository",
            f"add it ('git remote add {remote} URL') or fix 'remote' in the config",
        )


def fetched_base_ref(base: str) -> str:
    return f"{FETCHED_PREFIX}heads/{base}"


def fetch(cwd: str, remote: str, base: str | None = None) -> Snapshot:
    """Fetch the registry (and `base`, when given) into private refs, in one connection.

    The registry's refspec is a pattern so that a remote without a registry is not an error;
    `--prune` then removes a local copy of a registry the remote no longer has.
    """
    refspecs = [f"+{REGISTRY_REF}*:{FETCHED_REGISTRY}*"]
    if base is not None:
        refspecs.append(f"+refs/heads/{base}:{fetched_base_ref(base)}")
    result = git.run(
        [
            # No `maintenance run --auto` after each registry fetch (a process every command
            # in team mode pays): the user's own fetches and commits still run it.
            "-c",
            "maintenance.auto=false",
            "fetch",
            "--quiet",
            "--no-tags",
            "--no-write-fetch-head",
            "--no-recurse-submodules",
            "--prune",
            remote,
            *refspecs,
        ],
        cwd,
        check=False,
    )
    if result.returncode != 0:
        check_remote(cwd, remote)  # asked only now: a misnamed remote gets its own message
        detail = _last_line(result.stderr)
        if base is not None and "couldn't find remote ref" in detail:
            raise GitParallelError(
                f"remote '{remote}' has no branch {base}",
                f"push it first: 'git push {remote} {base}'",
            )
        raise _unreachable(remote, detail)
    return _stored(cwd, base)


def cached(cwd: str, base: str | None = None) -> Snapshot | None:
    """The local copy of the registry (and of `base`, when given), read without contacting the
    remote; None when there is none (no fetch yet, or no copy of `base`): then fetch."""
    snapshot = _stored(cwd, base, fetched=False)
    if snapshot.registry is None or (base is not None and snapshot.base is None):
        return None
    return snapshot


def _stored(cwd: str, base: str | None, *, fetched: bool = True) -> Snapshot:
    """The local copy, in one `cat-file --batch`: the registry's commit and tree (its files'
    ids), and base's commit there and here (a name git has no commit for is missing)."""
    names = [f"{FETCHED_REGISTRY}^{{commit}}", f"{FETCHED_REGISTRY}^{{tree}}"]
    if base is not None:
        names += [f"{fetched_base_ref(base)}^{{commit}}", f"refs/heads/{base}^{{commit}}"]
    asked = "".join(f"{name}\n" for name in names).encode("utf-8", "surrogateescape")
    found = git_output.batch_objects(git.run(["cat-file", "--batch"], cwd, input=asked).stdout)
    found += [None] * (len(names) - len(found))
    commit, tree = found[0], found[1]
    registry = files = None
    if commit is not None and commit[1] == b"commit":
        registry = _verified(commit[0], b"commit", commit[2])
        named = commit[2][5 : commit[2].find(b"\n")].decode(errors="replace")  # "tree <oid>"
        if tree is None or tree[0] != named:  # git found it corrupt, or read another one
            raise _corrupt(named)
        _verified(tree[0], b"tree", tree[2])
        files = {
            name: oid
            for mode, name, oid in git_output.tree_object_entries(tree[2], len(registry))
            if mode.startswith("100")
        }
    bases = [entry[0] if entry and entry[1] == b"commit" else None for entry in found[2:]]
    base_oid, local_base = (bases[0], bases[1]) if base is not None else (None, None)
    return Snapshot(registry, base_oid, files, local_base, fetched)


def _verified(oid: str, kind: bytes, content: bytes) -> str:
    """`oid`, once `content` hashes to it. git reads a stored object without hashing it again,
    so an object file rewritten in place would otherwise pass for the registry's."""
    import hashlib

    digest = hashlib.sha1 if len(oid) == 40 else hashlib.sha256
    if digest(b"%s %d\0%s" % (kind, len(content), content)).hexdigest() != oid:
        raise _corrupt(oid)
    return oid


def _corrupt(oid: str) -> GitParallelError:
    return GitParallelError(
        f"the local copy of the team registry is corrupt: object {oid} does not hold the "
        "bytes its id names",
        "'git fsck' shows the damage; delete that object's file under .git/objects "
        "and run the command again (the next fetch brings it back)",
    )


# --- reading and writing registry commits (local objects only) -------------------------------


def read_files(
    cwd: str, commit: str | None, entries: dict[str, str] | None = None
) -> dict[str, bytes]:
    """Every file of a registry commit's tree, by name, in two git processes (one when its
    `entries`, name -> blob id, were read with the commit: `Snapshot.files`)."""
    if commit is None:
        return {}
    entries = _tree_entries(cwd, commit) if entries is None else entries
    oids = list(entries.values())
    contents = blobs(oids, cwd)
    for oid, content in zip(oids, contents, strict=True):
        _verified(oid, b"blob", content)
    return dict(zip(entries, contents, strict=True))


def _tree_entries(cwd: str, commit: str) -> dict[str, str]:
    """name -> blob OID of the files at the top of a commit's tree."""
    entries: dict[str, str] = {}
    for item in git.split_z(git.run(["ls-tree", "-z", commit], cwd).stdout):
        meta, _, name = item.partition("\t")
        mode, kind, oid = meta.split()
        if kind == "blob" and mode.startswith("100"):
            entries[name] = oid
    return entries


def write_commit(
    cwd: str,
    parent: str | None,
    changes: Mapping[str, bytes | None],
    message: str,
    user: str,
    parent_files: dict[str, str] | None = None,
) -> str:
    """A new registry commit on top of `parent`: each name set to its bytes, or removed (None).
    `parent_files`: the parent's files (name -> blob id) when the caller read them already.

    Built with hash-object, mktree and commit-tree: no index, no checkout, nothing to clean up.
    """
    entries = dict(parent_files) if parent_files is not None else {}
    if parent and parent_files is None:
        entries = _tree_entries(cwd, parent)
    for name, content in changes.items():
        if content is None:
            entries.pop(name, None)
        else:
            entries[name] = git.out(["hash-object", "-w", "--stdin"], cwd, input=content)
    listing = "".join(f"100644 blob {oid}\t{name}\0" for name, oid in sorted(entries.items()))
    tree = git.out(["mktree", "-z"], cwd, input=listing.encode())
    args = ["commit-tree", tree, "-m", message]
    if parent:
        args += ["-p", parent]
    identity = {**AUTHOR, "GIT_AUTHOR_EMAIL": user, "GIT_COMMITTER_EMAIL": user}
    return git.run(args, cwd, extra_env=identity).stdout.decode().strip()


# --- pushing with leases ---------------------------------------------------------------------


@dataclass(frozen=True)
class Update:
    """Move `ref` on the remote to `new` (None: delete it), if it still is `expected` (None:
    if it does not exist)."""

    ref: str
    new: str | None
    expected: str | None


STALE = "stale"  # a lease was lost: someone else wrote first
# How a lost race reads in `push --porcelain`: our lease checked on our side ("stale info"), or
# the server's ref transaction lost to a concurrent push ("failed to lock", "incorrect old
# value", and with --atomic every other ref then says "atomic transaction failed").
LOST_RACE = (
    "stale info",
    "fetch first",
    "lock",
    "incorrect old value",
    "atomic transaction failed",
    "atomic push failed",
)


def push(cwd: str, remote: str, updates: Sequence[Update]) -> str | None:
    """Push the updates in one atomic push. None on success, STALE when a lease was lost.

    Unreachable remotes raise RemoteUnreachable; a refusal by the server (its hook, its
    permissions) raises RemoteRefused with the server's reason. Our own pre-push hook is not
    run (`--no-verify`): the registry is not task content, and merge audited base already.
    """
    args = ["push", "--atomic", "--porcelain", "--no-verify", "--quiet", remote]
    for update in updates:
        args.insert(1, f"--force-with-lease={update.ref}:{update.expected or ''}")
    args += [f"{update.new or ''}:{update.ref}" for update in updates]
    result = git.run(args, cwd, check=False, extra_env={"GIT_TERMINAL_PROMPT": "0"})
    if result.returncode == 0:
        _record(cwd, updates)
        return None
    rejected = [
        line
        for line in result.stdout.decode(errors="replace").splitlines()
        if line.startswith("!\t")
    ]
    said = remote_lines(result.stderr)
    if not rejected:
        check_remote(cwd, remote)  # a command decided on the local copy has not fetched yet
        unreachable = _unreachable(remote, _last_line(result.stderr))
        unreachable.said = said
        raise unreachable
    refused = [line for line in rejected if not any(sign in line for sign in LOST_RACE)]
    if not refused:
        return STALE
    detail = refused[0].split("\t")[-1]
    error = RemoteRefused(
        f"remote '{remote}' refused the push: {detail}",
        "see the remote's message above; nothing was changed there"
        if said
        else "the remote gave no reason; nothing was changed there",
    )
    error.said = said
    raise error


def _record(cwd: str, updates: Sequence[Update]) -> None:
    """Keep the local copy where the push left the remote, so that the next command leases on
    it without fetching first. Best effort: a copy left behind costs a lost lease and a fetch."""
    copies = {REGISTRY_REF: FETCHED_REGISTRY}
    lines = []
    for update in updates:
        copy = copies.get(update.ref)
        if copy is None and update.ref.startswith("refs/heads/"):
            copy = fetched_base_ref(update.ref.removeprefix("refs/heads/"))
        if copy is not None:
            lines.append(f"update {copy} {update.new}" if update.new else f"delete {copy}")
    if lines:
        transaction = "".join(f"{line}\n" for line in lines).encode()
        git.run(["update-ref", "--stdin"], cwd, input=transaction, check=False)


def clone_id(common_dir: str) -> str:
    """This clone's stable identity in the registry (two clones on one host must differ)."""
    import json
    import uuid

    from gitwt.infra import state

    path = os.path.join(state.state_dir(common_dir), "clone.json")
    try:
        with open(path, encoding="utf-8") as handle:
            found = json.load(handle).get("clone")
        if isinstance(found, str) and found:
            return found
    except (OSError, ValueError, AttributeError):
        pass
    os.makedirs(os.path.dirname(path), exist_ok=True)
    made = uuid.uuid4().hex
    state.write_json_atomic(path, {"clone": made})
    return made
