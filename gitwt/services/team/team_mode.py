"""Team mode (DESIGN §11): what start, merge, clean, status, check and release do with the
registry. Each function is one seam called by the service it names, only when config `remote`
is set; with it unset nothing here runs and one machine works as before.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING

from gitwt.core import separation
from gitwt.core.specs import Task, same_id
from gitwt.errors import GitParallelError, Refused
from gitwt.infra import git, remote, state
from gitwt.services.context import Context
from gitwt.services.specs.live_overlap import conflict_text, live_conflicts, overlap_tasks
from gitwt.services.team import registry

if TYPE_CHECKING:
    from gitwt.core import boundaries
    from gitwt.infra.task_record import Claim, TaskRecord


def enabled(context: Context) -> bool:
    return registry.remote_name(context) is not None


def warn(text: str) -> None:
    sys.stderr.write(f"git parallel: warning: {text}\n")


def _find(entries: dict[str, registry.Entry], task_id: str) -> registry.Entry | None:
    return next((entry for key, entry in entries.items() if same_id(key, task_id)), None)


# --- plan ------------------------------------------------------------------------------------


def add_live_elsewhere(context: Context, plan: separation.Plan) -> None:
    """Count the tasks live on other machines, as start does: each overlap is a conflict, and
    a problem that names the other task's machine and user."""
    from gitwt.core.separation import Problem

    others = registry.fetch(context).others()
    for task in plan.tasks:
        same = _find(others, task.id)
        if same is not None:
            plan.problems.append(
                Problem(task.id, "live", f"task {task.id} is already live on {same.where()}")
            )
    records_elsewhere = {key: entry.as_record() for key, entry in others.items()}
    for conflict in live_conflicts(context, plan.tasks, records_elsewhere):
        new, old = conflict.tasks if conflict.tasks[1] in others else conflict.tasks[::-1]
        plan.conflicts.append(conflict)
        where = others[old].where()
        plan.problems.append(
            Problem(new, "live", f"task {new} overlaps task {old}, which is live on {where}")
        )


# --- start -----------------------------------------------------------------------------------


def register(context: Context, records: Sequence[TaskRecord]) -> None:
    """Put the new tasks in the registry before anything is created locally (call under the
    state lock). Refused, naming the task, machine and user, when a task of another machine
    has the same id or an overlapping declaration; a lost race is decided again on a fresh
    fetch, so of two overlapping starts exactly one wins."""

    if not records:
        return
    entries = {record["id"]: registry.new_entry(context, record) for record in records}
    tasks = overlap_tasks({record["id"]: record for record in records})

    def decide(view: registry.View) -> registry.Changes:
        others = view.others()
        for key in entries:
            same = _find(others, key)
            if same is not None:
                raise Refused(
                    f"not starting: task {key} is already started on {same.where()}",
                    f"wait until it is merged there, or pick another id; if that machine is "
                    f"gone for good: 'git parallel release {same.id} --force'",
                )
        records_elsewhere = {key: entry.as_record() for key, entry in others.items()}
        for conflict in live_conflicts(context, tasks, records_elsewhere):
            old = next(task_id for task_id in conflict.tasks if task_id in others)
            raise Refused(
                f"not starting: {conflict_text(conflict)}, and task {old} is live on "
                f"{others[old].where()}",
                f"wait until {old} is merged there, or narrow the 'files:' declaration; if that "
                f"machine is gone for good: 'git parallel release {old} --force'",
            )
        return dict(entries)

    registry.change(context, decide, f"start {' '.join(entries)}")


def unregister(context: Context, task_ids: Sequence[str]) -> None:
    """Take back entries this clone just wrote (a start that failed locally); best effort:
    an entry left behind is dropped by this clone's next registry write."""
    try:
        registry.change(
            context,
            lambda view: {key: None for key in task_ids if key in view.entries},
            f"undo start {' '.join(task_ids)}",
        )
    except GitParallelError as error:
        warn(f"the team registry still lists {', '.join(task_ids)}: {error.message}")


# --- claim -----------------------------------------------------------------------------------


def claim(context: Context, record: TaskRecord, added: Sequence[str]) -> None:
    """Extend the task's registry entry with `added`, unless a task of another machine
    declares an overlapping path (call under the state lock, before the local record)."""

    claims: list[Claim] = [*(record.get("claims") or []), {"paths": list(added)}]
    entry = registry.new_entry(context, {**record, "claims": claims})
    wanted = Task(id=record["id"], title="", owner=None, files=tuple(added))

    def decide(view: registry.View) -> registry.Changes:
        others = view.others()
        records_elsewhere = {key: other.as_record() for key, other in others.items()}
        for conflict in live_conflicts(context, [wanted], records_elsewhere):
            old = next(task_id for task_id in conflict.tasks if task_id in others)
            raise Refused(
                f"cannot claim for task {record['id']}: {conflict_text(conflict)} "
                f"(task {old} is live on {others[old].where()})",
                f"claim other paths, or wait until task {old} is merged there",
            )
        return {record["id"]: entry}

    registry.change(context, decide, f"claim {record['id']} {' '.join(added)}")


# --- clean -----------------------------------------------------------------------------------


def require_reachable(context: Context) -> None:
    """Fail before changing anything when the registry cannot be read (exit 2)."""
    registry.fetch(context)


def sweep(context: Context) -> None:
    """Drop this clone's entries whose tasks ended here (cleaned, merged); call under the lock.

    When the remote went away meanwhile, or refused the push, the local change stands (with
    the remote's message) and the next registry write of this clone finishes the job; the
    registry never lists a task as someone else's.
    """
    try:
        registry.change(context, lambda view: {}, "release ended tasks")
    except (remote.RemoteUnreachable, remote.RemoteRefused) as error:
        sys.stderr.write("".join(f"{line}\n" for line in error.said))
        warn(f"{error.message}; this machine's next team command removes the ended tasks")


# --- release ---------------------------------------------------------------------------------


def release(context: Context, task_id: str, force: bool) -> registry.Entry:
    """Remove a task from the registry: another machine's only with `force` (a person decides
    that machine is gone); never deletes its branch anywhere."""
    found: list[registry.Entry] = []

    def decide(view: registry.View) -> registry.Changes:
        entry = _find(view.entries, task_id)
        unreadable = next((key for key in view.broken if same_id(key, task_id)), None)
        if entry is None and unreadable is not None:
            if not force:
                error = view.broken[unreadable]
                raise Refused(error.message, error.hint)
            found[:] = [_unreadable_entry(unreadable)]
            return {unreadable: None}
        if entry is None:
            raise GitParallelError(
                f"task {task_id} is not in the team registry",
                "see 'git parallel status' for the tasks live on every machine",
            )
        if entry.clone == view.clone:
            record = state.read_task(context.repo.common_dir, entry.id) or {}
            if state.is_live(record):
                raise Refused(
                    f"task {entry.id} is live on this machine ({record.get('state')})",
                    f"merge it, or stop and clean it: 'git parallel clean {entry.id}'",
                )
        elif not force:
            raise Refused(
                f"task {entry.id} belongs to {entry.where()}",
                f"release it only if that machine is gone for good: "
                f"'git parallel release {entry.id} --force' (its branch on the remote stays)",
            )
        found[:] = [entry]
        return {entry.id: None}

    with state.locked(context.repo.common_dir):
        registry.change(context, decide, f"release {task_id}", strict=False)
    return found[0]


def _unreadable_entry(task_id: str) -> registry.Entry:
    """What `release` reports for an entry it could not read: only its id is known."""
    unknown = "(unreadable entry)"
    return registry.Entry(task_id, "", None, (), "", "", unknown, unknown, "", time.time())


# --- status ----------------------------------------------------------------------------------


# --- check -----------------------------------------------------------------------------------


def registry_rules(context: Context, task_id: str) -> boundaries.Rules | None:
    """The rules of a task that is not live here, from its registry entry (the CI check)."""
    record = state.read_task(context.repo.common_dir, task_id)
    if record is not None and state.is_live(record):
        return None
    entry = _find(registry.fetch(context).entries, task_id)
    if entry is None:
        return None
    return entry.rules(context.ownership, context.config.unowned)


# --- merge -----------------------------------------------------------------------------------


def sync_base(context: Context, checkout: str | None) -> registry.View:
    """The registry and the remote's base to merge onto: this clone's copy of them when the
    local base is that copy's base or ahead of it (`publish` leases on both, so a stale or
    forged copy publishes nothing), else a fetch, catching the local base up to the remote's.
    The local base only ever moves to a commit a fetch brought: never to the copy's word."""
    view = registry.cached(context, base=context.base)
    if view is not None and _holds(context, view):
        return view
    view = registry.fetch(context, base=context.base)
    _catch_up(context, checkout, view)
    return view


def _holds(context: Context, view: registry.View) -> bool:
    """Whether the local base is the remote's (as `view` saw it) or ahead of it."""
    theirs, ours = view.snapshot.base, view.snapshot.local_base  # read with the registry
    if theirs is None or ours == theirs:
        return True
    return ours is not None and git.is_ancestor(theirs, ours, context.repo.toplevel)


def _catch_up(context: Context, checkout: str | None, view: registry.View) -> None:
    """Bring the local base up to the remote's, fetched in `view`, when it is behind (with its
    checkout, like a `pull --ff-only`). Refused when they diverged."""
    from gitwt.services.merging import merge_publish

    if _holds(context, view):
        return  # same, or ahead: our commits go out with the merge
    theirs, ours = view.snapshot.base, view.snapshot.local_base
    assert theirs is not None
    name = registry.remote_name(context)
    if ours is not None and not git.is_ancestor(ours, theirs, context.repo.toplevel):
        raise Refused(
            f"{context.base} here and on remote '{name}' have diverged",
            f"bring them together first ('git pull {name} {context.base}'), then merge again",
        )
    problem = merge_publish.publish(context, checkout, ours or git.NULL_OID, theirs, "(catch up)")
    if problem is not None:
        raise Refused(
            f"cannot bring {context.base} up to date with remote '{name}': {problem}",
            f"update it yourself ('git pull --ff-only {name} {context.base}'), then merge again",
        )


def _publishing(
    context: Context, view: registry.View, tip: str, landed: Sequence[str]
) -> list[remote.Update]:
    """Base to `tip` and the landed tasks out of the registry, leased on what `view` saw."""
    updates = []
    if tip != view.snapshot.base:
        updates.append(remote.Update(f"refs/heads/{context.base}", tip, view.snapshot.base))
    released = {key: None for key in landed if key in view.entries}
    commit = registry.commit_changes(
        context, view, dict(released), f"merge {' '.join(landed)} into {context.base}"
    )
    if commit is not None:
        updates.append(remote.Update(remote.REGISTRY_REF, commit, view.snapshot.registry))
    return updates


def publish(
    context: Context,
    view: registry.View,
    checkout: str | None,
    old: str,
    tip: str,
    landed: Sequence[str],
) -> str | None:
    """Publish base at `tip` and release the landed tasks in one atomic push with leases on
    both refs; then advance the local base.

    A lost lease fetches: when the remote's base is still the one merged onto, only the
    registry moved (another machine started or ended a task), and the release is written
    again on the fetched registry, without merging again. When base moved, the local base
    catches up with the fetched one (what the remote holds, never the copy's word) and
    "moved" tells the caller to redo the merge on it, tests included. Nothing of the merge
    moves locally before its push succeeded."""
    from gitwt.services.merging import merge_publish

    name = registry.remote_name(context)
    assert name is not None
    lost = 0
    while True:
        updates = _publishing(context, view, tip, landed)
        if not updates or remote.push(context.repo.toplevel, name, updates) is None:
            break
        if view.fetched:  # lost a race to another machine, not just an old copy
            lost += 1
            if lost == registry.ATTEMPTS:
                raise registry.busy(name)
            registry.backoff(lost - 1)
        merged_onto = view.snapshot.base
        view = registry.fetch(context, base=context.base)
        if view.snapshot.base != merged_onto:
            _catch_up(context, checkout, view)
            return "moved"
    if tip == old:
        return None
    problem = merge_publish.publish(context, checkout, old, tip, landed[-1])
    if problem is not None:
        # The remote has the merge already; the local branch catches up on the next fetch.
        warn(
            f"{context.base} is published to '{name}', but the local {context.base} could not "
            f"follow: {problem}; run 'git pull --ff-only {name} {context.base}'"
        )
    return None
