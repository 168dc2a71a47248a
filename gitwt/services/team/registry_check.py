"""The server's check of a registry update (DESIGN §11, §13): the remote is the last word.

An agent pushes with its machine's credentials, so the server cannot tell gitwt from the agent:
it accepts only what gitwt itself would write, and reads the rest from what it holds.

- The registry moves forward one commit at a time: the new commit's only parent is the one the
  server holds (none for the first). A rewind, a replaced history or a deletion would free
  other machines' tasks silently, and gitwt never writes one (a lost lease fetches and retries).
- An entry that is added or changed must be well formed (`<id>.json`, a regular file, readable,
  naming its own id, every pattern valid), declare exactly its spec as committed on its base
  branch here plus its claims, overlap no other live entry, and keep to its owner's paths.
  Entries the update leaves alone are not judged again: one bad entry that got in (before the
  check was installed) never blocks the pushes that follow, nor the release that removes it.
- An entry is removed by the clone that wrote it (the commit names its clone in a trailer), or
  by a forced release: a commit that names the task in a `Parallel-Forced-Release` trailer and
  only removes entries. That label adds no power (any push can remove an entry through it); it
  makes freeing another machine's task a recorded decision in the registry's history, and it
  cannot widen anything: a commit carrying it that adds or changes an entry is refused.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from gitwt.core.specs import Task
from gitwt.core.task_ids import TASK_ID
from gitwt.errors import GitParallelError
from gitwt.infra import failpoints, git
from gitwt.infra.config import Config
from gitwt.infra.git_trees import blobs
from gitwt.services.team import registry

ENTRY_NAME = re.compile(rf"(?P<id>{TASK_ID.pattern})\.json")
ENTRY_MODE = "100644"


@dataclass
class RegistryChange:
    """What one pushed registry commit does, read from the server's objects."""

    parents: list[str]
    message: str
    added: dict[str, bytes] = field(default_factory=dict)  # name -> content, new or changed
    removed: dict[str, bytes] = field(default_factory=dict)  # name -> content before
    odd: list[str] = field(default_factory=list)  # names that are no regular file
    live: dict[str, bytes] = field(default_factory=dict)  # every entry after the update
    previous: dict[str, bytes] = field(default_factory=dict)  # a changed entry, before


def _listing(commit: str | None) -> dict[str, tuple[str, str]]:
    """name -> (mode, OID) of the top of a commit's tree (subtrees and links included)."""
    if commit is None:
        return {}
    found: dict[str, tuple[str, str]] = {}
    for item in git.split_z(git.run(["ls-tree", "-z", commit], ".").stdout):
        meta, _, name = item.partition("\t")
        mode, _kind, oid = meta.split()
        found[name] = (mode, oid)
    return found


def read_change(old: str | None, new: str) -> RegistryChange:
    """The pushed commit's parents, message and entry changes: two ls-trees, one cat-file."""
    before, after = _listing(old), _listing(new)
    wanted = [new, *(oid for mode, oid in after.values() if mode == ENTRY_MODE)]
    wanted += [oid for name, (mode, oid) in before.items() if after.get(name) != (mode, oid)]
    wanted = list(dict.fromkeys(wanted))
    objects = dict(zip(wanted, blobs(wanted, "."), strict=True))
    header, _, message = objects[new].decode("utf-8", "replace").partition("\n\n")
    parents = [line.split()[1] for line in header.splitlines() if line.startswith("parent ")]
    change = RegistryChange(parents, message)
    for name, (mode, oid) in after.items():
        if mode != ENTRY_MODE:
            if before.get(name) != (mode, oid):  # one that got in earlier blocks nothing
                change.odd.append(name)
            continue
        change.live[name] = objects[oid]
        if before.get(name) != (mode, oid):
            change.added[name] = objects[oid]
            if name in before:
                change.previous[name] = objects[before[name][1]]
    for name, (_mode, oid) in before.items():
        if name not in after:
            change.removed[name] = objects.get(oid, b"")
    return change


def trailer_values(message: str, key: str) -> list[str]:
    return [
        value.strip()
        for line in message.splitlines()
        for found, sep, value in [line.partition(":")]
        if sep and found == key
    ]


def _entry(name: str, raw: bytes) -> registry.Entry:
    """The entry in a file, or GitParallelError saying what is wrong with it."""
    match = ENTRY_NAME.fullmatch(name)
    if match is None:
        raise GitParallelError(f"{name} is not a task entry (the registry holds <id>.json files)")
    entry = registry.Entry.from_bytes(name, raw)
    if entry.id != match.group("id"):
        raise GitParallelError(f"entry {name} is for task {entry.id}")
    from gitwt.core import patterns

    for pattern in (*entry.files, *entry.claims):
        patterns.validate(pattern, f"the team registry's entry {name}")
    return entry


Checked = tuple[list[str], dict[str, registry.Entry], list[str]]


def check(old: str | None, new: str | None) -> Checked:
    """The reasons to refuse moving the registry from `old` to `new` (None: no registry); the
    readable live entries after the move, by id, and the ids of unreadable ones (the task
    branches of the same push are checked against those)."""
    if new is None:
        return ["the team registry cannot be deleted: it lists every machine's live tasks"], {}, []
    change = read_change(old, new)
    if change.parents != ([old] if old else []):
        moved = (
            "the team registry only moves forward: a new registry commit must sit directly on "
            "the server's (a rewind or a replaced history would free other machines' tasks)"
        )
        return [moved], {}, []
    reasons = [
        f"{name} is not a task entry (the registry holds <id>.json files)" for name in change.odd
    ]
    live: dict[str, registry.Entry] = {}
    unreadable: list[str] = []
    changed: list[registry.Entry] = []
    for name, raw in change.live.items():
        try:
            entry = _entry(name, raw)
        except GitParallelError as error:
            if name in change.added:
                reasons.append(error.message)
            unreadable.append(name.removesuffix(".json"))
            continue  # an old bad entry: judged when it came, removed by a release
        live[entry.id] = entry
        if name in change.added:
            changed.append(entry)
            reasons += _grows(name, change.previous.get(name), entry)
    reasons += _removals(change, bool(changed) or bool(change.odd))
    if changed and not reasons:
        failpoints.hit("server:registry")  # tests: an error while the specs at base are read
        reasons += _declarations(changed, live)
    return reasons, live, unreadable


def _removals(change: RegistryChange, adds: bool) -> list[str]:
    """Each removed entry is the committing clone's own, or released by force (removal only)."""
    clones = trailer_values(change.message, registry.CLONE_TRAILER)
    forced = trailer_values(change.message, registry.FORCED_TRAILER)
    reasons = []
    if forced and adds:
        reasons.append(
            "a forced release only removes entries; this commit also adds or changes one"
        )
    for name, raw in change.removed.items():
        if ENTRY_NAME.fullmatch(name) is None:
            continue  # no task's entry: removing it frees nothing
        task_id = name.removesuffix(".json")
        try:
            entry: registry.Entry | None = registry.Entry.from_bytes(name, raw)
        except GitParallelError:
            entry = None
        if entry is not None and entry.clone in clones:
            continue
        if task_id in forced:
            continue
        owner = f"belongs to {entry.where()}" if entry else "has an unreadable entry"
        reasons.append(
            f"task {task_id} {owner}: only its own machine removes it, or a person who decides "
            f"that machine is gone: 'git parallel release {task_id} --force'"
        )
    return reasons


def _declarations(changed: list[registry.Entry], live: dict[str, registry.Entry]) -> list[str]:
    """Each changed entry is based on the team's base, declares nothing beyond its spec there
    plus its claims, names its spec's owner, keeps to that owner's paths and overlaps no other
    live entry. Config and tracked files are read once for all of them."""
    from gitwt.services.team import base_declarations as on_base

    config = on_base.config_at("HEAD")
    team_base = on_base.team_base(config)
    # A branch the agent pushed could hold a spec of its own making: only the team's base.
    reasons = [
        f"task {entry.id}'s base {entry.base!r} is not the team's base {team_base}"
        for entry in changed
        if entry.base != team_base
    ]
    commit = git.rev_parse_verify(f"refs/heads/{team_base}^{{commit}}", ".") if team_base else None
    if reasons or commit is None:
        return reasons or [f"the team's base {team_base} is not a branch here"]
    tracked = git.tracked_files(commit, ".")
    try:
        specs = on_base.declarations(commit, [entry.id for entry in changed], tracked=tracked)
    except GitParallelError as error:
        return [f"{error.message} (read on {team_base} here)"]
    for entry in changed:
        reasons += _spec_mismatch(entry, specs[entry.id])
    return reasons or _overlaps(changed, live, tracked, config)


def _spec_mismatch(entry: registry.Entry, spec: Task) -> list[str]:
    """An entry names its spec's owner and declares no pattern its spec on base or its claims
    do not. One that declares less only narrows what its branch takes (an entry that was live
    may not shrink: `_grows`); equality would refuse every claim of a task whose spec a person
    widened on base after it started."""
    from gitwt.core.display import path_list

    allowed = {*spec.files, *entry.claims}
    extra = [pattern for pattern in entry.files if pattern not in allowed]
    reasons = []
    if extra:
        reasons.append(
            f"task {entry.id}'s entry declares {path_list(extra)}, which neither its "
            f"spec on {entry.base} here nor its claims declare"
        )
    if entry.owner != spec.owner:
        reasons.append(
            f"task {entry.id}'s entry names owner {entry.owner!r}, its spec on {entry.base} "
            f"here {spec.owner!r}"
        )
    return reasons


def _grows(name: str, before: bytes | None, entry: registry.Entry) -> list[str]:
    """A live entry only grows (claims add patterns) and keeps its clone, base and branch: an
    edit that narrowed another machine's entry would free its paths, and one that relabelled
    its clone would let any machine remove it as its own."""
    from gitwt.core.display import path_list

    try:
        old = _entry(name, before) if before is not None else None
    except GitParallelError:
        return []  # an unreadable entry replaced: judged as a new one
    if old is None:
        return []
    reasons = []
    kept = (old.clone, old.base, old.branch, old.owner)
    if kept != (entry.clone, entry.base, entry.branch, entry.owner):
        reasons.append(
            f"task {entry.id}'s entry must keep its clone, base, branch and owner: a release "
            "and a new start change them, not an edit"
        )
    dropped = [pattern for pattern in old.files if pattern not in entry.files]
    if dropped:
        reasons.append(
            f"task {entry.id}'s entry may only grow, but drops {path_list(dropped)}: a release "
            "frees a task's paths, not an edit"
        )
    return reasons


def _overlaps(
    changed: list[registry.Entry],
    live: dict[str, registry.Entry],
    tracked: list[str],
    config: Config,
) -> list[str]:
    from gitwt.core import separation
    from gitwt.services.specs.live_overlap import conflict_text
    from gitwt.services.team.base_declarations import ownership_at

    owned = any(entry.owner for entry in changed)
    ownership = ownership_at("HEAD", config) if owned else None
    tasks = [Task(id=key, title="", owner=e.owner, files=e.files) for key, e in live.items()]
    plan = separation.plan(tasks, tracked, ownership=ownership, unowned=config.unowned)
    ids = {entry.id for entry in changed}
    reasons = [conflict_text(c) for c in plan.conflicts if ids & set(c.tasks)]
    reasons += [problem.message for problem in plan.problems if problem.task in ids]
    return reasons
