"""The task services behind `start`, `claim` and `clean`."""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from gitwt.core.declaration import declared_by
from gitwt.core.separation import Conflict, natural_key
from gitwt.core.specs import Task, same_id
from gitwt.errors import GitParallelError, Refused
from gitwt.infra import failpoints, state
from gitwt.services import base_guard
from gitwt.services.context import Context

# --- start -----------------------------------------------------------------------------------


@dataclass
class StartOptions:
    run: str | None = None  # typed on the command line: needs no trust
    max_instances: int | None = None
    queue: bool = False
    sparse: bool = False
    auto_merge: bool = False  # merge each task when its command succeeds


@dataclass
class StartReport:
    base: str
    tasks: list[dict[str, Any]]  # the records as they are after the first scheduling step
    waiting: dict[str, str] = field(default_factory=dict)
    failed: dict[str, str] = field(default_factory=dict)
    guard_note: str | None = None  # why the base guard is not in the common hooks folder


def _conflict_text(conflict: Conflict) -> str:
    from gitwt.core.display import path_list

    first, second = conflict.tasks
    if conflict.paths:
        return f"{first} and {second} both declare {path_list(conflict.paths, 3)}"
    return (
        f"{first} and {second} have overlapping patterns (e.g. {path_list(conflict.examples, 1)})"
    )


def _substitute(argv: list[str], values: dict[str, str]) -> list[str]:
    # Replace after splitting, so a worktree path with spaces stays one argument.
    substituted = []
    for part in argv:
        for key, value in values.items():
            part = part.replace("{" + key + "}", value)
        substituted.append(part)
    return substituted


def task_command(
    context: Context, task: Task, options: StartOptions, worktree: str
) -> list[str] | None:
    """The argv to run for a task, or None (an open task). Repository commands need trust."""
    from gitwt.services import trust

    if options.run:
        command: str | Sequence[str] = options.run
    elif task.run:
        command = task.run
        trust.require(
            context.repo.common_dir,
            command,
            f"run of task {task.id} ({task.source})",
            f"git parallel trust {task.id}",
        )
    elif context.config.run:
        command = context.config.run
        trust.require(
            context.repo.common_dir,
            command,
            f"'run' in {context.config.source}",
            "git parallel trust",
        )
    else:
        return None
    argv = trust.command_argv(command)
    if not argv:
        raise GitParallelError(f"the command for task {task.id} is empty", "give a command")
    spec = os.path.join(worktree, task.source) if task.source.endswith(".md") else ""
    return _substitute(argv, {"id": task.id, "worktree": worktree, "spec": spec})


def live_tasks(common_dir: str) -> dict[str, dict[str, Any]]:
    return {
        task_id: record
        for task_id, record in state.all_tasks(common_dir).items()
        if state.is_live(record)
    }


def live_conflicts(
    context: Context, tasks: Sequence[Task], live: dict[str, dict[str, Any]]
) -> list[Conflict]:
    """Overlaps between new tasks and tasks already live (their declarations with claims)."""
    from gitwt.core import separation

    if not live:
        return []
    new_ids = {task.id for task in tasks}
    others = [
        Task(id=task_id, title="", owner=None, files=tuple(declared_by(record)))
        for task_id, record in live.items()
        if task_id not in new_ids and declared_by(record)
    ]
    if not others:
        return []
    check = separation.plan(
        [Task(id=t.id, title="", owner=None, files=t.files) for t in tasks] + others,
        context.base_files(),
    )
    return [
        conflict
        for conflict in check.conflicts
        if (conflict.tasks[0] in new_ids) != (conflict.tasks[1] in new_ids)
    ]


def queued_record(
    context: Context,
    task: Task,
    options: StartOptions,
    *,
    branch: str,
    worktree: str,
    command: list[str] | None,
    setup: list[str] | None,
    position: int,
    waits_for: list[str],
) -> dict[str, Any]:
    """A new task's state record (DESIGN §4), queued: every key a record has, in one place."""
    now = time.time()
    return {
        "id": task.id,
        "title": task.title,
        "owner": task.owner,
        "source": task.source,
        "files": list(task.files),  # the declaration snapshot; claims are added to "claims"
        "depends_on": list(task.depends_on),
        "claims": [],
        "base": context.base,
        "base_oid": None,
        "branch": branch,
        "worktree": worktree,
        "repo": context.repo.main_toplevel,
        "state": state.QUEUED,
        "command": command,
        "setup": setup,
        "shim": None,
        "child": None,
        "exit": None,
        "created_at": now,
        "queued_at": now + position * 1e-6,  # start order among tasks queued at once
        "started_at": None,
        "ended_at": None,
        "violations": [],
        "waits_for": waits_for,
        "max_instances": options.max_instances,
        "sparse": options.sparse or context.config.sparse,
        "auto_merge": options.auto_merge or context.config.auto_merge,
    }


def start(ids: list[str], options: StartOptions, context: Context | None = None) -> StartReport:
    """Validate like `plan`, create a queued record per task, then run one scheduling step, which
    creates the worktree of each task that starts now (a task that waits gets its worktree when
    it starts). Refuses (exit 1) and creates nothing on conflicts or problems."""
    from gitwt.services import scheduler, worktree_setup, worktrees
    from gitwt.services.planning import make_plan

    context, plan = make_plan(ids, context)
    if context.base_oid is None:
        raise GitParallelError(
            f"base branch {context.base} has no commit yet", "commit something first"
        )
    if plan.problems:
        raise Refused(
            "not starting: " + "; ".join(problem.message for problem in plan.problems),
            "run 'git parallel plan' for details; fix the owners or the 'files:' declarations",
        )
    order = {task_id: index for index, task_id in enumerate(plan.order)}
    waits: dict[str, set[str]] = {task.id: set() for task in plan.tasks}
    for conflict in plan.conflicts:
        first, second = sorted(conflict.tasks, key=lambda task_id: order[task_id])
        waits[second].add(first)
    if plan.conflicts and not options.queue:
        raise Refused(
            "not starting: " + "; ".join(_conflict_text(c) for c in plan.conflicts[:3]),
            "narrow the 'files:' declarations, add 'depends_on', or pass --queue to run them "
            "one after the other ('git parallel plan' shows the details)",
        )
    common = context.repo.common_dir
    batch = {task.id for task in plan.tasks}
    records: list[dict[str, Any]] = []
    with state.locked(common):
        existing = state.all_tasks(common)
        live = {key: record for key, record in existing.items() if state.is_live(record)}
        # A task still `queued` is resumed, not refused: a start that crashed (or a task still
        # waiting for its turn) leaves one, and running the same start again finishes the job.
        # Tasks already past `queued` are refused, unless this run has queued ones to resume.
        resumed: dict[str, dict[str, Any]] = {}
        started: dict[str, tuple[str, dict[str, Any]]] = {}
        for task in plan.tasks:
            for key, record in live.items():
                if same_id(key, task.id):
                    if record.get("state") == state.QUEUED:
                        resumed[task.id] = record
                    else:
                        started[task.id] = (key, record)
        if started and not resumed:
            task_id, (key, record) = next(iter(started.items()))
            raise GitParallelError(
                f"task {task_id} is already started ({record.get('state')})",
                f"see 'git parallel status {key}'; clean it first to start it again",
            )
        for conflict in live_conflicts(context, plan.tasks, live):
            new, old = conflict.tasks if conflict.tasks[0] in batch else conflict.tasks[::-1]
            if not options.queue:
                raise Refused(
                    f"not starting: {_conflict_text(conflict)}, and task {old} is live",
                    f"wait until {old} is merged, or pass --queue to start {new} after it",
                )
            waits[new].add(old)
        for task in plan.tasks:
            for dependency in task.depends_on:
                partner = next((key for key in [*batch, *live] if same_id(key, dependency)), None)
                if partner is None:
                    continue  # not started here and not live: treated as done, like plan
                if not options.queue:
                    raise Refused(
                        f"not starting: task {task.id} depends on {partner}, "
                        "which is not merged yet",
                        f"pass --queue to start {task.id} once {partner} is merged, "
                        f"or start {partner} alone first",
                    )
                waits[task.id].add(partner)
        for task in plan.tasks:
            if task.id in resumed or task.id in started:
                continue
            branch = worktrees.branch_name(context, task.id)
            path = worktrees.worktree_path(context, task.id)
            worktrees.check_free(context, task.id, branch, path)
            records.append(
                queued_record(
                    context,
                    task,
                    options,
                    branch=branch,
                    worktree=path,
                    command=task_command(context, task, options, path),
                    setup=worktree_setup.setup_command(context),
                    position=order[task.id],
                    waits_for=sorted(waits[task.id], key=natural_key),
                )
            )
        paths = [record["worktree"] for record in records]
        if len(set(paths)) != len(paths):
            raise GitParallelError(
                "two tasks would share one worktree path",
                "put '{id}' in the 'worktree' template",
            )
        team = _team(context)
        if team is not None:
            team.register(context, records)  # before anything local: the remote decides
        failpoints.hit("start:validated")
        try:
            for record in records:
                # The record first: the scheduling step below creates the worktree of each
                # task that starts now; if we crash in between, the queued record lets the
                # next start (or scheduling step) finish the job.
                state.write_task(common, record)
                failpoints.hit("start:queued")
        except BaseException:
            for record in records:
                path = state.task_path(common, record["id"])
                if os.path.exists(path):
                    os.unlink(path)
            if team is not None:
                team.unregister(context, [record["id"] for record in records])
            raise
        for record in records:
            state.append_event(common, "queued", task=record["id"], command=record["command"])
        for record in resumed.values():
            state.append_event(common, "resumed", task=record["id"])
        guard = _install_guard(context)
        failpoints.hit("start:guard-installed")
        step = scheduler.schedule(context)
        created = {record["id"]: record for record in records}
        fresh = []
        for task in plan.tasks:
            record = resumed.get(task.id) or created.get(task.id) or started[task.id][1]
            fresh.append(state.read_task(common, record["id"]) or record)
    return StartReport(
        base=context.base,
        tasks=fresh,
        waiting=step.waiting,
        failed=step.failed,
        guard_note=guard.note,
    )


def _team(context: Context) -> Any:
    """The team-mode seam (DESIGN §11): the team service when config `remote` is set."""
    if context.config.remote is None:
        return None
    from gitwt.services import team

    return team


def _install_guard(context: Context) -> base_guard.GuardState:
    """The base guard (DESIGN §5): commits on base may not touch a live task's paths."""
    return base_guard.install(context.repo)


# --- claim -----------------------------------------------------------------------------------


@dataclass
class ClaimReport:
    task_id: str
    added: list[str]
    declaration: list[str]


def claim(context: Context, task_id: str, paths: list[str]) -> ClaimReport:
    """Extend a live task's declaration, decided under the lock: refused (exit 1) when another
    live task declares or claims an overlapping path, or the task's owner does not own it."""
    from gitwt.core import patterns, separation
    from gitwt.services import supervisor, worktrees

    if not paths:
        raise GitParallelError("no paths to claim", f"e.g. 'git parallel claim {task_id} src/x.py'")
    wanted = [patterns.validate(path, "the command line") for path in paths]
    common = context.repo.common_dir
    with state.locked(common):
        records = state.all_tasks(common)
        found = supervisor.select(records, [task_id])
        if not found:
            raise GitParallelError(
                f"task {task_id} has not been started", "see 'git parallel status'"
            )
        record = found[0]
        if not state.is_live(record):
            raise Refused(
                f"task {record['id']} is {record.get('state')}; nothing to extend",
                "start a new task for more work",
            )
        current = declared_by(record)
        added = [path for path in wanted if path not in current]
        claimed = Task(id=record["id"], title="", owner=record.get("owner"), files=tuple(added))
        others = [
            Task(id=key, title="", owner=None, files=tuple(declared_by(other)))
            for key, other in records.items()
            if key != record["id"] and state.is_live(other) and declared_by(other)
        ]
        if added:
            check = separation.plan(
                [claimed, *others],
                context.base_files(),
                ownership=context.ownership if record.get("owner") else None,
                unowned=context.config.unowned,
            )
            mine = [c for c in check.conflicts if record["id"] in c.tasks]
            if mine:
                conflict = mine[0]
                other = next(t for t in conflict.tasks if t != record["id"])
                raise Refused(
                    f"cannot claim for task {record['id']}: {_conflict_text(conflict)} "
                    f"(task {other} is {records[other].get('state')})",
                    f"claim other paths, or wait until task {other} is merged",
                )
            problems = [p for p in check.problems if p.task == record["id"]]
            if problems:
                raise Refused(
                    f"cannot claim for task {record['id']}: {problems[0].message}",
                    "claim only paths the task's owner owns, or ask their owner",
                )
            team = _team(context)
            if team is not None:
                team.claim(context, record, added)  # other machines' tasks decide too
            failpoints.hit("claim:validated")
            record["claims"] = [
                *(record.get("claims") or []),
                {"paths": added, "time": time.time()},
            ]
            state.write_task(common, record)
            state.append_event(common, "claimed", task=record["id"], paths=added)
            failpoints.hit("claim:recorded")
        # Always refresh, even when nothing was added: a claim killed after recording
        # is finished by running it again.
        worktree = record.get("worktree")
        if worktree and record.get("base_oid") and os.path.isdir(worktree):
            git_dir = worktrees.private_git_dir(worktree)
            worktrees.save_task_rules(context, record, git_dir)
            failpoints.hit("claim:rules-saved")
            if record.get("sparse"):
                # The whole declaration, not just this claim's paths: idempotent.
                worktrees.populate_sparse(
                    worktree, git_dir, worktrees.task_sparse_patterns(context, record)
                )
    return ClaimReport(record["id"], added, declared_by(record))


# --- clean -----------------------------------------------------------------------------------

FINISHED = frozenset(
    {
        state.SUCCEEDED,
        state.FAILED,
        state.STOPPED,
        state.LOST,
        state.MERGED,
        state.CONFLICTED,
        state.REJECTED,
    }
)


@dataclass
class CleanResult:
    task_id: str
    cleaned: bool
    removal: dict[str, Any] | None = None
    refused: str | None = None
    hint: str | None = None


def clean(context: Context, ids: list[str], force: bool = False) -> list[CleanResult]:
    """Remove worktrees of finished or merged tasks and their merged branches (DESIGN §7).

    With no ids: every finished or merged task. A named open task may be cleaned too. Running
    or queued tasks, dirty worktrees and unmerged commits are refused per task; `force` salvages
    them under refs/parallel/salvage/<id>/<time> first (a running task is never forced).
    """
    from gitwt.services import scheduler, supervisor, worktrees

    common = context.repo.common_dir
    results: list[CleanResult] = []
    team = _team(context)
    if team is not None:
        team.require_reachable(context)  # an unreachable registry changes nothing
    with state.locked(common):
        chosen = supervisor.choose(
            state.all_tasks(common), ids, lambda record: record.get("state") in FINISHED
        )
        for record in chosen:
            observed = supervisor.observe(record).state
            if observed in (state.RUNNING, supervisor.UNSUPERVISED, state.QUEUED):
                results.append(
                    CleanResult(
                        record["id"],
                        False,
                        refused=f"task {record['id']} is {observed}",
                        hint=f"stop it first: 'git parallel stop {record['id']}'",
                    )
                )
                continue
            if record.get("state") == state.CLEANED:
                results.append(CleanResult(record["id"], False))
                continue
            try:
                removal = worktrees.remove_task(context, record, force=force)
            except Refused as refusal:
                results.append(
                    CleanResult(record["id"], False, refused=refusal.message, hint=refusal.hint)
                )
                continue
            state.update_task(common, record["id"], state=state.CLEANED, cleaned_at=time.time())
            failpoints.hit("clean:recorded")
            results.append(CleanResult(record["id"], True, removal=removal.to_json()))
        if team is not None and any(result.cleaned for result in results):
            team.sweep(context)  # the cleaned tasks leave the registry
    scheduler.schedule(context)  # a cleaned partner may free a queued task
    base_guard.lift_if_idle(context.repo)  # the last task gone: no guard left behind
    return results


# --- logs ------------------------------------------------------------------------------------


def print_log(context: Context, task_id: str, follow: bool = False) -> None:
    """Copy the task's log to stdout; with `follow`, keep going until the task has ended."""
    import sys

    from gitwt.services import supervisor

    common = context.repo.common_dir
    found = supervisor.select(state.all_tasks(common), [task_id])
    if not found:
        raise GitParallelError(f"task {task_id} has not been started", "see 'git parallel status'")
    record = found[0]
    path = state.log_path(common, record["id"])
    if not os.path.exists(path):
        if not record.get("command"):
            raise GitParallelError(
                f"task {record['id']} has no command, so no log",
                f"work in {record.get('worktree')}",
            )
        if not follow:
            return
    output = sys.stdout.buffer
    position = 0
    while True:
        if os.path.exists(path):
            with open(path, "rb") as handle:
                handle.seek(position)
                chunk = handle.read()
            if chunk:
                output.write(chunk)
                output.flush()
                position += len(chunk)
                continue
        if not follow:
            return
        current = state.read_task(common, record["id"]) or record
        if supervisor.observe(current).state not in (
            state.RUNNING,
            state.QUEUED,
            supervisor.UNSUPERVISED,
        ):
            # One last read: the shim writes its final line just before recording the exit.
            follow = False
            continue
        time.sleep(0.2)
