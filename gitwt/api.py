"""The Python API of git parallel (DESIGN §12): what the command line does, called in-process.

    from gitwt import api

    result = api.batch(["65", "66"], run="code-developer --priority={id}", repo="/src/app")
    if not result.success:
        print(result.to_json()["merge_results"])

Every function takes `repo`, a path inside the repository (default: the current directory), and
returns a typed result whose `to_json()` is the same versioned JSON as the command's `--json`
(`"schema": "git-parallel/<command>/1"`). Bad input, config or usage raises `GitParallelError`
(`message`, `hint`; the CLI's exit 2); a refusal that keeps work safe raises its subclass
`Refused` (the CLI's exit 1). Problems a report states (a conflict, a failed task) are not raised:
read `ok` / `valid` / `success`. Nothing here prints; `wait` and `batch` take a `progress`
callable that receives one line per step.

The names in `__all__` are the stable API; the `report` attribute of a result is the service's
own object, for callers that need more than the JSON shows.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from gitwt.errors import GitParallelError, Refused
from gitwt.services import json_reports
from gitwt.services.specs import spec_reports

if TYPE_CHECKING:
    from gitwt.services.context import Context
    from gitwt.services.json_reports import (
        CleanJson,
        MergeJson,
        StartJson,
        StartRow,
        StatusJson,
        StatusRow,
    )
    from gitwt.services.merging.cleaning import TaskCleanup
    from gitwt.services.merging.merge_results import MergeReport
    from gitwt.services.specs.next_units import NextReport
    from gitwt.services.specs.planning import PlanReport
    from gitwt.services.specs.spec_reports import NextJson, PlanJson
    from gitwt.services.tasks.batch import BatchReport as BatchResult
    from gitwt.services.tasks.lifecycle import StartReport
    from gitwt.services.tasks.status import StatusReport
    from gitwt.services.tasks.waiting import Progress
    from gitwt.services.tasks.waiting import WaitReport as WaitResult

__all__ = [
    "BatchResult",
    "CleanResult",
    "GitParallelError",
    "MergeResult",
    "NextResult",
    "PlanResult",
    "Progress",
    "Refused",
    "StartResult",
    "StatusResult",
    "WaitResult",
    "batch",
    "clean",
    "merge",
    "next",
    "plan",
    "start",
    "status",
    "wait",
]

Repository = str | os.PathLike[str] | None


def __getattr__(name: str) -> object:
    """`BatchResult`, `WaitResult` and `Progress`, imported when first asked for: every command
    imports this module, and the batch and wait services cost start-up time to load."""
    if name == "BatchResult":
        from gitwt.services.tasks.batch import BatchReport

        return BatchReport
    if name in ("WaitResult", "Progress"):
        from gitwt.services.tasks import waiting

        return waiting.WaitReport if name == "WaitResult" else waiting.Progress
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _context(repo: Repository) -> Context:
    """The repository of one API call, which is a command of its own (its warnings show)."""
    from gitwt.errors import new_command
    from gitwt.services.context import Context

    new_command()
    return Context.discover(None if repo is None else os.fspath(repo))


# --- results ---------------------------------------------------------------------------------


@dataclass
class PlanResult:
    base: str
    max_instances: int  # the size of a wave
    report: PlanReport  # .plan: the separation check; .survey: the specs read, their problems

    @property
    def valid(self) -> bool:
        """Every named spec was read, no conflicts, no problems: the tasks may run in parallel
        (`plan` exit 0; `exit_code` tells 1, conflicts or problems, from 2, unusable specs)."""
        return self.report.exit_code == 0

    @property
    def exit_code(self) -> int:
        return self.report.exit_code

    def to_json(self) -> PlanJson:
        return spec_reports.plan_json(self.report, self.base)


@dataclass
class NextResult:
    report: NextReport  # .selection: the chosen candidates and every one left out, with why

    @property
    def ids(self) -> list[str]:
        """The task ids that can start now, in plan order (what `start --next` starts)."""
        return self.report.ids

    def to_json(self) -> NextJson:
        return spec_reports.next_json(self.report)


@dataclass
class StartResult:
    report: StartReport

    @property
    def ok(self) -> bool:
        """Every task started, opened or queued (`start` exit 0)."""
        return not self.report.failed

    @property
    def tasks(self) -> list[StartRow]:
        return self.to_json()["tasks"]

    def to_json(self) -> StartJson:
        return json_reports.start_json(self.report)


@dataclass
class StatusResult:
    report: StatusReport

    @property
    def tasks(self) -> list[StatusRow]:
        return self.to_json()["tasks"]

    def to_json(self) -> StatusJson:
        return json_reports.status_json(self.report)


@dataclass
class MergeResult:
    report: MergeReport

    @property
    def ok(self) -> bool:
        """Every requested task merged (with `dry_run`: would merge cleanly); `merge` exit 0."""
        return self.report.ok

    def to_json(self) -> MergeJson:
        return json_reports.merge_json(self.report)


@dataclass
class CleanResult:
    report: list[TaskCleanup]

    @property
    def ok(self) -> bool:
        """Nothing was refused (`clean` exit 0)."""
        return not any(item.refused for item in self.report)

    def to_json(self) -> CleanJson:
        return json_reports.clean_json(self.report)


# --- the calls -------------------------------------------------------------------------------


def plan(ids: Sequence[str], *, task_lines: bool = False, repo: Repository = None) -> PlanResult:
    """The separation report of tasks IDS: conflicts, ownership problems, order and waves. A spec
    that cannot be read is a problem in the report (with its file and line), not an exception.
    `task_lines`: each named plan unit stands for its open task lines, in the waves `batch`
    runs them in (`report.held_apart`: the lines kept in successive waves, and why)."""
    from gitwt.services.specs.planning import report_plan

    context, report = report_plan(list(ids), _context(repo), task_lines)
    return PlanResult(context.base, context.config.max_instances, report)


def next(max_instances: int | None = None, *, repo: Repository = None) -> NextResult:
    """What can start now: from every discovered unit, one set that can run together (open in
    its plan, not merged, its dependencies done, not live, disjoint, owners allowing it), at
    most `max_instances` (default: config `max_instances`), and why each other unit is left out."""
    from gitwt.services.specs.next_units import what_next

    return NextResult(what_next(_context(repo), max_instances))


def start(
    ids: Sequence[str],
    *,
    run: str | None = None,
    max_instances: int | None = None,
    queue: bool = False,
    sparse: bool = False,
    auto_merge: bool = False,
    agent: str | None = None,
    repo: Repository = None,
) -> StartResult:
    """Validate like `plan`, then start each task (worktree, hooks, `setup`, the command) or queue
    it; returns at once. Raises `Refused` and creates nothing when the tasks conflict. `agent`
    ("claude", "gemini"; default: config `agent`): wire that agent into each task worktree."""
    from gitwt.services.tasks import lifecycle

    options = lifecycle.StartOptions(
        run=run,
        max_instances=max_instances,
        queue=queue,
        sparse=sparse,
        auto_merge=auto_merge,
        agent=agent,
    )
    return StartResult(lifecycle.start(list(ids), options, _context(repo)))


def status(
    ids: Sequence[str] = (), *, forecast: bool = True, repo: Repository = None
) -> StatusResult:
    """Each task (named, else every task not cleaned) as it really is, with the conflict
    forecast unless `forecast=False`."""
    from gitwt.services.tasks import status as status_service

    return StatusResult(status_service.gather(_context(repo), list(ids), with_forecast=forecast))


def wait(
    ids: Sequence[str] = (),
    *,
    timeout: float | None = None,
    progress: Progress | None = None,
    repo: Repository = None,
) -> WaitResult:
    """Block until the tasks (named, else every live task with a command) have ended, or
    `timeout` seconds have passed. `ok`: every one succeeded (or merged) in time."""
    from gitwt.services.tasks import waiting

    return waiting.wait(_context(repo), list(ids), timeout=timeout, progress=progress)


def merge(
    ids: Sequence[str] = (),
    *,
    everything: bool = False,
    test: str | None = None,
    dry_run: bool = False,
    keep: bool = False,
    mark_done: bool | None = None,
    repo: Repository = None,
) -> MergeResult:
    """Audit, forecast and merge tasks (named, else every succeeded one; `everything`: open ones
    too) into base atomically, gated on `test`; then clean them up unless `keep`. `mark_done`
    (default: config `mark_done`): record each merged unit as done in its own plan, in the
    merge commit."""
    from gitwt.services.merging.merge import merge as merge_tasks

    report = merge_tasks(
        _context(repo),
        list(ids),
        everything=everything,
        test_command=test,
        dry_run=dry_run,
        keep=keep,
        mark_done=mark_done,
    )
    return MergeResult(report)


def clean(ids: Sequence[str] = (), *, force: bool = False, repo: Repository = None) -> CleanResult:
    """Remove finished tasks' worktrees and merged branches, never losing work (`force` keeps
    it under refs/parallel/salvage/ first)."""
    from gitwt.services.merging import cleaning

    return CleanResult(cleaning.clean(_context(repo), list(ids), force=force))


def batch(
    ids: Sequence[str],
    *,
    run: str | None = None,
    max_instances: int | None = None,
    test: str | None = None,
    progress: Progress | None = None,
    agent: str | None = None,
    task_lines: bool = False,
    repo: Repository = None,
) -> BatchResult:
    """The older system's `execute_parallel_batch`: plan, start, wait, merge what succeeded,
    clean up; one report (`success`, `tasks_executed`, `monitoring_result`, `merge_results`,
    `duration_seconds`, `speedup`...). `task_lines`: each named plan unit stands for its open
    task lines, run in waves (`api.plan(..., task_lines=True)` shows them first)."""
    from gitwt.services.tasks import batch as batch_service

    return batch_service.run_batch(
        _context(repo),
        list(ids),
        run=run,
        max_instances=max_instances,
        test=test,
        progress=progress,
        agent=agent,
        task_lines=task_lines,
    )
