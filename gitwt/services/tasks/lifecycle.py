"""The `start` service: validate a batch, write its queued records, run one scheduling step."""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from gitwt.core.plan_bookkeeping import as_json
from gitwt.core.separation import Plan, natural_key
from gitwt.core.specs import Task, same_id
from gitwt.errors import GitParallelError, Refused
from gitwt.infra import failpoints, state
from gitwt.services.context import Context
from gitwt.services.hooks import base_guard
from gitwt.services.specs.live_overlap import conflict_text, live_conflicts
from gitwt.services.tasks.orphans import live_and_orphaned
from gitwt.services.team import team_seam

if TYPE_CHECKING:
    from gitwt.infra.task_record import TaskRecord
    from gitwt.services.tasks import worktrees

# --- start -----------------------------------------------------------------------------------


@dataclass
class StartOptions:
    run: str | None = None  # typed on the command line: needs no trust
    max_instances: int | None = None
    queue: bool = False
    sparse: bool = False
    auto_merge: bool = False  # merge each task when its command succeeds
    agent: str | None = None  # the agent to wire into each task worktree (else config `agent`)


@dataclass
class StartReport:
    base: str
    tasks: list[TaskRecord]  # the records as they are after the first scheduling step
    waiting: dict[str, str] = field(default_factory=dict)
    failed: dict[str, str] = field(default_factory=dict)
    guard_note: str | None = None  # why the base guard is not in the common hooks folder


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


def live_tasks(common_dir: str) -> dict[str, TaskRecord]:
    return {
        task_id: record
        for task_id, record in state.all_tasks(common_dir).items()
        if state.is_live(record)
    }


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
) -> TaskRecord:
    """A new task's state record (DESIGN §4), queued: every key a record has, in one place."""
    now = time.time()
    return {
        "id": task.id,
        "title": task.title,
        "owner": task.owner,
        "source": task.source,
        "files": list(task.files),  # the declaration snapshot; claims are added to "claims"
        "depends_on": list(task.depends_on),
        "group": task.group,  # a plan unit's group: its name selects the unit too
        "bookkeeping": as_json(task.bookkeeping),  # its status marks in its plan (never declared)
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
        "agent": _agent_name(agent) if (agent := options.agent or context.config.agent) else None,
    }


def start(ids: list[str], options: StartOptions, context: Context | None = None) -> StartReport:
    """Validate like `plan`, create a queued record per task, then run one scheduling step, which
    creates the worktree of each task that starts now (a task that waits gets its worktree when
    it starts). Refuses (exit 1) and creates nothing on conflicts or problems."""
    from gitwt.services.specs.planning import make_plan
    from gitwt.services.tasks import scheduler, worktrees

    if options.agent is not None:  # before anything is read or made: a typo creates nothing
        _agent_name(options.agent)
    context, plan = make_plan(ids, context)
    if options.agent is None and context.config.agent is not None:
        _agent_name(context.config.agent)
    waits = plan_waits(context, plan, options)
    common = context.repo.common_dir
    with state.locked(common):
        live = live_and_orphaned(context)  # a task without its record still counts
        # An orphan of the batch is no started task: its branch or path refuses it below.
        recorded = {key: record for key, record in live.items() if not record.get("orphaned")}
        resumed, started = _resumed_and_started(plan.tasks, recorded)
        _add_live_waits(context, plan.tasks, live, options, waits)
        # As read for the plan: another start waits for this lock, and then finds these tasks
        # live; a branch someone makes by hand meanwhile makes `git worktree add` fail.
        layout = worktrees.Layout(list(context.worktrees), dict(context.branches))
        records = _new_records(context, plan, options, waits, {*resumed, *started}, layout)
        team = team_seam(context)
        if team is not None:
            team.register(context, records)  # before anything local: the remote decides
        failpoints.hit("start:validated")
        _write_queued(context, team, records)
        for record in records:
            state.append_event(common, "queued", task=record["id"], command=record["command"])
        for record in resumed.values():
            state.append_event(common, "resumed", task=record["id"])
        guard = base_guard.install(context.repo, context.worktrees, context.git_config)
        failpoints.hit("start:guard-installed")
        step = scheduler.schedule(context, layout)
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


def _agent_name(name: str) -> str:
    from gitwt.services.tasks.agent_wiring import agent_format

    return agent_format(name).name


def plan_waits(context: Context, plan: Plan, options: StartOptions) -> dict[str, set[str]]:
    """Refuse a plan with problems (or conflicts, without --queue); else which task waits for
    which within the batch: the later of two overlapping tasks waits for the earlier."""
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
            "not starting: " + "; ".join(conflict_text(c) for c in plan.conflicts[:3]),
            "narrow the 'files:' declarations, add 'depends_on', or pass --queue to run them "
            "one after the other ('git parallel plan' shows the details)",
        )
    return waits


def _resumed_and_started(
    tasks: Sequence[Task], live: dict[str, TaskRecord]
) -> tuple[dict[str, TaskRecord], dict[str, tuple[str, TaskRecord]]]:
    """The batch's tasks that are live already: those still `queued` (to resume) and those past
    it (by their stored id). Refuses when some are started and none is left to resume."""
    # A task still `queued` is resumed, not refused: a start that crashed (or a task still
    # waiting for its turn) leaves one, and running the same start again finishes the job.
    # Tasks already past `queued` are refused, unless this run has queued ones to resume.
    resumed: dict[str, TaskRecord] = {}
    started: dict[str, tuple[str, TaskRecord]] = {}
    for task in tasks:
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
    return resumed, started


def _add_live_waits(
    context: Context,
    tasks: Sequence[Task],
    live: dict[str, TaskRecord],
    options: StartOptions,
    waits: dict[str, set[str]],
) -> None:
    """Add to `waits` the live tasks a new one overlaps and the unmerged tasks it depends on;
    without --queue, refuse instead."""
    batch = {task.id for task in tasks}
    for conflict in live_conflicts(context, tasks, live):
        new, old = conflict.tasks if conflict.tasks[0] in batch else conflict.tasks[::-1]
        if live[old].get("orphaned"):  # it never merges: waiting for it would be forever
            from gitwt.services.tasks.orphans import orphan_note

            raise Refused(
                f"not starting: {conflict_text(conflict)}, and {orphan_note(live[old])}",
                f"restore parallel/tasks/{old}.json under the common git dir, or remove task "
                f"{old}'s worktree and branch yourself once its work is safe",
            )
        if not options.queue:
            raise Refused(
                f"not starting: {conflict_text(conflict)}, and task {old} is live",
                f"wait until {old} is merged, or pass --queue to start {new} after it",
            )
        waits[new].add(old)
    for task in tasks:
        for dependency in task.depends_on:
            partner = next((key for key in [*batch, *live] if same_id(key, dependency)), None)
            if partner is None:
                continue  # not started here and not live: treated as done, like plan
            if not options.queue:
                raise Refused(
                    f"not starting: task {task.id} depends on {partner}, which is not merged yet",
                    f"pass --queue to start {task.id} once {partner} is merged, "
                    f"or start {partner} alone first",
                )
            waits[task.id].add(partner)


def _new_records(
    context: Context,
    plan: Plan,
    options: StartOptions,
    waits: dict[str, set[str]],
    skip: set[str],
    layout: worktrees.Layout,
) -> list[TaskRecord]:
    """The queued records of the batch's tasks not in `skip`; refuses a taken branch or path."""
    from gitwt.services.tasks import worktree_setup, worktrees

    order = {task_id: index for index, task_id in enumerate(plan.order)}
    records: list[TaskRecord] = []
    for task in plan.tasks:
        if task.id in skip:
            continue
        branch = worktrees.branch_name(context, task.id)
        path = worktrees.worktree_path(context, task.id)
        worktrees.check_free(context, task.id, branch, path, layout)
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
    return records


def _write_queued(context: Context, team: Any, records: list[TaskRecord]) -> None:
    """Write each queued record; on any failure remove those written (and unregister them)."""
    common = context.repo.common_dir
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
