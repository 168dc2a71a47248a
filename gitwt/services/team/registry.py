"""The team registry (DESIGN §11): the live tasks of every machine, in one ref on the remote.

Each entry is one JSON file, `<id>.json`, in the tree of `refs/parallel/registry`. Every change
is a compare-and-swap (`change`): decide on this clone's copy of the registry (what its last
fetch stored or its last push wrote), commit on top, push with a lease on that exact commit.
The remote accepts the push only if it still holds that commit, so a decision on a copy that is
stale, or that an agent rewrote, is never published: the lease is lost, and the command fetches
and decides again, a bounded number of times with jitter, then "remote busy". Only a fetch
decides a refusal or "nothing to change": those publish nothing a lease could check. Every write
also drops this clone's own entries whose local task has ended, so a command killed between its
push and its local write is finished by the next one (DESIGN §7).

Call `change` with the state lock held: the lock orders this clone's writers, the lease orders
the clones.
"""

from __future__ import annotations

import json
import os
import random
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from gitwt.errors import GitParallelError, Refused
from gitwt.infra import git, remote, state
from gitwt.services.context import Context

if TYPE_CHECKING:
    from gitwt.core import boundaries
    from gitwt.infra.task_record import TaskRecord

ENTRY_SCHEMA = 1
# Trailers of every registry commit: the clone that wrote it, and each task it removes that
# another clone wrote (only `release --force` does that). The server's check reads them.
CLONE_TRAILER = "Parallel-Clone"
FORCED_TRAILER = "Parallel-Forced-Release"
ATTEMPTS = 8  # pushes tried before "remote busy"
JITTER = 0.05  # seconds: the first retry waits up to this, doubling each time
REMOTE_STATE = "remote"  # the state `status` shows for a task live on another machine


class MalformedEntry(GitParallelError):
    """An entry of the registry that cannot be read."""


@dataclass(frozen=True)
class Entry:
    """One live task as the registry holds it."""

    id: str
    title: str
    owner: str | None
    files: tuple[str, ...]  # the whole declaration: spec snapshot plus claims
    base: str
    branch: str
    machine: str
    user: str
    clone: str  # which clone wrote it: two clones on one host are two machines
    started_at: float
    claims: tuple[str, ...] = ()  # the patterns of `files` that claims added (the server
    # takes them as they are; the rest must be the spec's on base)

    def to_bytes(self) -> bytes:
        data = {
            "schema": ENTRY_SCHEMA,
            **self.__dict__,
            "files": list(self.files),
            "claims": list(self.claims),
        }
        return (state.dumps(data, indent=2, sort_keys=True) + "\n").encode()

    @classmethod
    def from_bytes(cls, name: str, raw: bytes) -> Entry:
        try:
            data = json.loads(raw)
            if data.get("schema") != ENTRY_SCHEMA:
                raise ValueError(f"schema {data.get('schema')!r}")
            files = data["files"]
            claims = data.get("claims", [])
            for key, value in (("files", files), ("claims", claims)):
                if not isinstance(value, list) or not all(isinstance(f, str) for f in value):
                    raise ValueError(f"'{key}' is not a list of patterns")
            return cls(
                id=str(data["id"]),
                title=str(data.get("title") or ""),
                owner=data.get("owner"),
                files=tuple(files),
                base=str(data.get("base") or ""),
                branch=str(data.get("branch") or ""),
                machine=str(data.get("machine") or "?"),
                user=str(data.get("user") or "?"),
                clone=str(data.get("clone") or ""),
                started_at=float(data.get("started_at") or 0),
                claims=tuple(claims),
            )
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise MalformedEntry(
                f"the team registry's entry {name} is malformed: {exc}",
                f"fix or remove it: 'git parallel release {name.removesuffix('.json')} --force'",
            ) from exc

    def age(self, now: float | None = None) -> float:
        return max(0.0, (now or time.time()) - self.started_at)

    def where(self) -> str:
        """Where the task lives, for messages: machine, user and age."""
        return f"machine {self.machine} (user {self.user}, started {age_text(self.age())} ago)"

    def rules(self, ownership: Any, unowned: str) -> boundaries.Rules:
        """The entry's Rules, from the one builder with the registry as the declaration's
        source (the server's check and `check --task` for a task that is not live here)."""
        from gitwt.core import declaration

        return declaration.task_rules(
            {"id": self.id, "owner": self.owner},
            ownership=ownership if self.owner else None,
            unowned=unowned,
            registry=self.files,
            extra={"base": self.base, "branch": self.branch, "title": self.title},
        )

    def as_record(self) -> TaskRecord:
        """The entry shaped like a local task record, for the checks that read records."""
        return {
            "id": self.id,
            "title": self.title,
            "owner": self.owner,
            "files": list(self.files),
            "claims": [],
            "base": self.base,
            "branch": self.branch,
            "state": REMOTE_STATE,
            "remote": True,
            "machine": self.machine,
            "user": self.user,
            "started_at": self.started_at,
        }


def age_text(seconds: float) -> str:
    whole = int(seconds)
    if whole < 120:
        return f"{whole}s"
    if whole < 7200:
        return f"{whole // 60}m"
    if whole < 172800:
        return f"{whole // 3600}h"
    return f"{whole // 86400}d"


def file_name(task_id: str) -> str:
    return f"{task_id}.json"


def remote_name(context: Context) -> str | None:
    """The configured team remote, or None: one machine."""
    return context.config.remote


def _config_value(context: Context, key: str) -> str | None:
    """The last value of `key` in the config the command's repository sees (read once per
    command, not per process: an API caller's next call sees a changed config)."""
    values = git.config_values(context.git_config, key)
    return values[-1] if values else None


def machine(context: Context) -> str:
    """This machine's name in the registry: git config parallel.machine (the repository's
    config, wherever the caller's current directory is), else the host name."""
    configured = _config_value(context, "parallel.machine")
    if configured:
        return configured
    if hasattr(os, "uname"):  # what gethostname() answers on POSIX, without importing socket
        return os.uname().nodename
    import socket

    return socket.gethostname()


def user(context: Context) -> str:
    """The user's email (every registry write names it)."""
    configured = _config_value(context, "user.email")
    if configured:
        return configured
    import getpass

    return getpass.getuser()


def new_entry(context: Context, record: TaskRecord) -> Entry:
    from gitwt.core.declaration import CLAIM, declaration_of

    declared = declaration_of(record["id"], record.get("owner"), record=record)
    return Entry(
        id=record["id"],
        title=record.get("title") or "",
        owner=record.get("owner"),
        files=tuple(declared.patterns),
        claims=tuple(pattern for pattern, kind in declared.origins if kind == CLAIM),
        base=record.get("base") or context.base,
        branch=record["branch"],
        machine=machine(context),
        user=user(context),
        clone=remote.clone_id(context.repo.common_dir),
        started_at=record.get("created_at") or time.time(),
    )


# --- reading ---------------------------------------------------------------------------------


@dataclass
class View:
    """One fetch of the registry: the commit it saw and its entries by task id."""

    snapshot: remote.Snapshot
    entries: dict[str, Entry]
    clone: str
    broken: dict[str, GitParallelError] = field(default_factory=dict)  # unreadable, by id

    @property
    def fetched(self) -> bool:
        """Read from the remote by this command, not from the local copy."""
        return self.snapshot.fetched

    def others(self) -> dict[str, Entry]:
        """Entries written by other clones: the tasks live elsewhere."""
        return {key: entry for key, entry in self.entries.items() if entry.clone != self.clone}


def parse(
    files: dict[str, bytes], broken: dict[str, GitParallelError] | None = None
) -> dict[str, Entry]:
    """The entries by task id. A malformed one raises, unless `broken` collects it: only
    `release` reads on past one, so that it can remove it (everything else fails closed)."""
    entries: dict[str, Entry] = {}
    for name, raw in files.items():
        if name.endswith(".json"):
            try:
                entry = Entry.from_bytes(name, raw)
            except GitParallelError as error:
                if broken is None:
                    raise
                broken[name.removesuffix(".json")] = error
                continue
            entries[entry.id] = entry
    return entries


def fetch(context: Context, base: str | None = None, *, strict: bool = True) -> View:
    """Fetch the registry (and base) from the team remote; RemoteUnreachable when it is down.

    `strict=False` keeps malformed entries aside in `View.broken` instead of failing."""
    name = remote_name(context)
    if name is None:
        raise GitParallelError("team mode is off", "set 'remote' in the config")
    return _view(context, remote.fetch(context.repo.toplevel, name, base), strict)


def cached(context: Context, base: str | None = None, *, strict: bool = True) -> View | None:
    """This clone's copy of the registry (and of base), read without contacting the remote;
    None when there is none, or when it holds a malformed entry (a fetch decides then). Decide
    on it only what a push leased on `view.snapshot.registry` publishes (DESIGN §11)."""
    snapshot = remote.cached(context.repo.toplevel, base)
    if snapshot is None:
        return None
    try:
        return _view(context, snapshot, strict)
    except MalformedEntry:
        return None


def _view(context: Context, snapshot: remote.Snapshot, strict: bool) -> View:
    broken: dict[str, GitParallelError] | None = None if strict else {}
    files = remote.read_files(context.repo.toplevel, snapshot.registry, snapshot.files)
    entries = parse(files, broken)
    return View(snapshot, entries, remote.clone_id(context.repo.common_dir), broken or {})


def remote_records(context: Context, view: View | None = None) -> dict[str, TaskRecord]:
    """The tasks live on other machines, shaped as records: one more source of live tasks."""
    view = view or fetch(context)
    return {key: entry.as_record() for key, entry in view.others().items()}


# --- writing ---------------------------------------------------------------------------------

Changes = dict[str, Entry | None]  # task id -> new entry, or None to remove it


def _ended_own(context: Context, view: View, keep: Iterable[str]) -> Changes:
    """This clone's entries whose local task is no longer live: left by a killed command."""
    kept = set(keep)
    records = state.all_tasks(context.repo.common_dir)
    return {
        key: None
        for key, entry in view.entries.items()
        if entry.clone == view.clone and key not in kept and not state.is_live(records.get(key))
    }


def commit_changes(context: Context, view: View, changes: Changes, message: str) -> str | None:
    """A registry commit applying `changes` to what `view` saw; None when nothing changes."""
    changes = {**_ended_own(context, view, changes), **changes}
    files: dict[str, bytes | None] = {}
    for key, entry in changes.items():
        if entry is None:
            if key in view.entries or key in view.broken:
                files[file_name(key)] = None
        elif view.entries.get(key) != entry:
            files[file_name(key)] = entry.to_bytes()
    if not files:
        return None
    trailers = [f"{CLONE_TRAILER}: {view.clone}"]
    for key, entry in changes.items():
        other = view.entries.get(key)
        if entry is None and (key in view.broken or (other and other.clone != view.clone)):
            trailers.append(f"{FORCED_TRAILER}: {key}")
    return remote.write_commit(
        context.repo.toplevel,
        view.snapshot.registry,
        files,
        f"{message}\n\n" + "".join(f"{line}\n" for line in trailers),
        user(context),
        view.snapshot.files,
    )


def backoff(attempt: int) -> None:
    """A jittered, growing pause before the next try, so racing clones fall out of step."""
    time.sleep(random.uniform(0, JITTER * 2**attempt))


def busy(name: str) -> Refused:
    return Refused(
        f"the team registry on remote '{name}' is busy: {ATTEMPTS} writes in a row lost the "
        "race to other machines",
        "try again in a moment; nothing was changed",
    )


def change(
    context: Context, decide: Callable[[View], Changes], message: str, *, strict: bool = True
) -> tuple[View, Changes]:
    """Compare-and-swap the registry: `decide` sees the local copy first, then a fresh fetch
    after each lost lease, and may refuse.

    Returns the view the winning push was decided on, and the changes it made.
    """
    name = remote_name(context)
    assert name is not None
    view = cached(context, strict=strict) or fetch(context, strict=strict)
    lost = 0
    while True:
        try:
            changes = decide(view)
        except GitParallelError:
            if view.fetched:
                raise
            view = fetch(context, strict=strict)  # a refusal stands only on the remote's word
            continue
        commit = commit_changes(context, view, changes, message)
        if commit is None and view.fetched:
            return view, changes
        if commit is not None:
            update = remote.Update(remote.REGISTRY_REF, commit, view.snapshot.registry)
            if remote.push(context.repo.toplevel, name, [update]) is None:
                return view, changes
        if view.fetched:  # lost a race to another machine, not just an old copy
            lost += 1
            if lost == ATTEMPTS:
                raise busy(name)
            backoff(lost - 1)
        view = fetch(context, strict=strict)
