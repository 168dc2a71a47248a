"""`batch`: the older system's `execute_parallel_batch` as one call: plan, start, wait, merge what
succeeded, clean up, and one report with the fields its users know.

It composes the services and adds no rule of its own: the plan's dependency order makes waves
(a plan's phases, `depends_on`), each started, waited for and merged before the next starts;
`start` validates each wave (the batch refuses conflicting tasks of one wave up front, creating
nothing), `wait` blocks until every task has ended, `merge` audits, gates on `test` and
publishes the succeeded ones (removing their worktrees and branches), and `clean` removes what a
failed task left only if it holds no work.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from gitwt.errors import GitParallelError
from gitwt.infra import state
from gitwt.services.tasks.waiting import Progress, WaitReport, iso_time

if TYPE_CHECKING:
    from typing import TypedDict

    from gitwt.core.line_waves import Expansion, HeldApart
    from gitwt.core.specs import Task
    from gitwt.infra.task_record import TaskRecord
    from gitwt.services.context import Context
    from gitwt.services.json_reports import MergeJson
    from gitwt.services.merging.merge_results import MergeReport
    from gitwt.services.specs.spec_reports import TaskLinesJson
    from gitwt.services.tasks.waiting import Monitoring, TaskOutcomeJson

    class BatchJson(TypedDict):
        """`batch --json` (schema git-parallel/batch/1), for mypy only."""

        schema: str
        success: bool
        base: str
        tasks_executed: list[str]
        worktrees_created: int
        monitoring_result: Monitoring
        merge_results: dict[str, str]
        duration_seconds: float
        start_time: str | None
        end_time: str | None
        speedup: float | None
        tasks: list[TaskOutcomeJson]
        merge: MergeJson | None
        cleaned: list[str]
        kept: dict[str, str]
        not_run: list[str]
        waves: list[list[str]]
        task_lines: TaskLinesJson | None


@dataclass
class BatchReport:
    base: str
    ids: list[str]
    waited: WaitReport
    merged: MergeReport | None
    started: float
    ended: float
    records: dict[str, TaskRecord]  # as they are at the end
    cleaned: list[str] = field(default_factory=list)  # failed tasks whose empty worktree went
    kept: dict[str, str] = field(default_factory=dict)  # failed tasks kept: why
    not_run: list[str] = field(default_factory=list)  # later waves, after a wave failed
    waves: list[list[str]] = field(default_factory=list)  # as planned
    held_apart: list[HeldApart] = field(default_factory=list)  # --task-lines: lines kept apart
    expansion: Expansion | None = None  # --task-lines: what the named units stood for

    @property
    def merge_results(self) -> dict[str, str]:
        """Per task: the merge result (`merged`, `conflicted`, `rejected`, `failed`: its test,
        `skipped`), or why it was not merged (`not merged: task failed`)."""
        results = {item.id: item.result for item in (self.merged.results if self.merged else [])}
        return {
            task.id: results.get(task.id) or f"not merged: task {task.state}"
            for task in self.waited.tasks
        }

    @property
    def success(self) -> bool:
        """Every task ran to success and merged: `batch` exit 0."""
        return (
            bool(self.ids)
            and not self.not_run
            and all(result == state.MERGED for result in self.merge_results.values())
        )

    @property
    def tasks_executed(self) -> list[str]:
        """The tasks whose command ran."""
        return [task_id for task_id in self.ids if self.records.get(task_id, {}).get("started_at")]

    @property
    def worktrees_created(self) -> int:
        return sum(1 for task_id in self.ids if self.records.get(task_id, {}).get("base_oid"))

    @property
    def duration(self) -> float:
        return round(self.ended - self.started, 3)

    @property
    def speedup(self) -> float | None:
        from gitwt.services.tasks.status import speedup

        return speedup(self.records[task_id] for task_id in self.ids if task_id in self.records)

    def to_json(self) -> BatchJson:
        from gitwt.services import json_reports

        return {
            "schema": json_reports.schema("batch"),
            "success": self.success,
            "base": self.base,
            "tasks_executed": self.tasks_executed,
            "worktrees_created": self.worktrees_created,
            "monitoring_result": self.waited.monitoring(),
            "merge_results": self.merge_results,
            "duration_seconds": self.duration,
            "start_time": iso_time(self.started),
            "end_time": iso_time(self.ended),
            "speedup": self.speedup,
            "tasks": [task.to_json() for task in self.waited.tasks],
            "merge": json_reports.merge_json(self.merged) if self.merged else None,
            "cleaned": self.cleaned,
            "kept": self.kept,
            "not_run": self.not_run,
            "waves": self.waves,
            "task_lines": (
                {
                    **self.expansion.to_json(),
                    "held_apart": [held.to_json() for held in self.held_apart],
                }
                if self.expansion is not None
                else None
            ),
        }


def _require_commands(context: Context, tasks: Sequence[Task], run: str | None) -> None:
    """A batch runs a command in every task: refuse up front, before anything is created."""
    if run or context.config.run:
        return
    missing = [task.id for task in tasks if not task.run]
    if missing:
        raise GitParallelError(
            f"batch needs a command for every task; {', '.join(missing)} has none",
            "pass --run CMD, set 'run' in the config, or give each spec a 'run'",
        )


@dataclass
class _Waves:
    """What a batch runs, planned before anything is created."""

    tasks: list[Task]
    levels: list[list[str]]
    held_apart: list[HeldApart] = field(default_factory=list)
    expansion: Expansion | None = None


def _waves(context: Context, ids: Sequence[str], task_lines: bool) -> _Waves:
    """The tasks in dependency waves: each wave after every task it depends on. Refuses (and
    creates nothing) when two tasks of one wave conflict, or the plan has problems, as `start`
    does: a conflict is for the plan's author to see, not to be run around. Task lines are
    the exception: lines of one unit that change one path run one after the other, as the
    tool's own implement step would run them (`line_waves`: the plan and the batch agree)."""
    from gitwt.core import separation
    from gitwt.services.specs.planning import make_plan, task_line_plan
    from gitwt.services.tasks.lifecycle import StartOptions, plan_waits

    if task_lines:
        report = task_line_plan(context, list(ids))
        plan_waits(context, report.plan, StartOptions())  # refuses ownership problems
        expansion = report.survey.expansion
        return _Waves(report.plan.tasks, report.plan.waves, report.held_apart, expansion)
    _, plan = make_plan(list(ids), context)
    levels = separation.waves(plan.order, plan.tasks, set(), max(1, len(plan.tasks)))
    level = {task_id: number for number, wave in enumerate(levels) for task_id in wave}
    together = [c for c in plan.conflicts if level[c.tasks[0]] == level[c.tasks[1]]]
    plan_waits(context, replace(plan, conflicts=together), StartOptions())  # refuses
    return _Waves(plan.tasks, levels)


def _joined(waits: list[WaitReport]) -> WaitReport:
    return WaitReport(
        tasks=[task for wait in waits for task in wait.tasks],
        started=waits[0].started,
        ended=waits[-1].ended,
        timed_out=any(wait.timed_out for wait in waits),
        records=[record for wait in waits for record in wait.records],
    )


def _merged(reports: list[MergeReport]) -> MergeReport | None:
    if not reports:
        return None
    reports[0].results = [result for report in reports for result in report.results]
    reports[0].new = next((r.new for r in reversed(reports) if r.new), reports[0].new)
    return reports[0]


@dataclass
class _Progress:
    """What the waves of one batch did so far."""

    chosen: list[str] = field(default_factory=list)
    waits: list[WaitReport] = field(default_factory=list)
    merges: list[MergeReport] = field(default_factory=list)
    cleaned: list[str] = field(default_factory=list)
    kept: dict[str, str] = field(default_factory=dict)


def _run_wave(
    context: Context,
    wave: list[str],
    options: Any,
    done: _Progress,
    say: Progress,
    test: str | None,
) -> bool:
    """Start one wave, wait for it, merge what succeeded, clean what failed; True when every
    task of it merged."""
    from gitwt.services.merging import cleaning
    from gitwt.services.merging.merge import merge
    from gitwt.services.tasks import lifecycle, waiting

    report = lifecycle.start(wave, options, context)
    started = [record["id"] for record in report.tasks]
    done.chosen += started
    say(f"batch: started {' '.join(started)} on {report.base}")
    waited = waiting.wait(context, started, progress=say)
    done.waits.append(waited)
    succeeded = [task.id for task in waited.tasks if task.state == state.SUCCEEDED]
    merged: set[str] = set()
    if succeeded:
        say(f"batch: merging {' '.join(succeeded)}")
        done.merges.append(merge(context, succeeded, test_command=test))
        merged = {r.id for r in done.merges[-1].results if r.result == state.MERGED}
    failed = [task.id for task in waited.tasks if task.state != state.SUCCEEDED]
    for item in cleaning.clean(context, failed) if failed else []:
        if item.cleaned:
            done.cleaned.append(item.task_id)
        else:
            done.kept[item.task_id] = item.refused or "already cleaned"
    return not failed and set(succeeded) <= merged


def run_batch(
    context: Context,
    ids: Sequence[str],
    *,
    run: str | None = None,
    max_instances: int | None = None,
    test: str | None = None,
    progress: Progress | None = None,
    agent: str | None = None,
    task_lines: bool = False,
) -> BatchReport:
    """Run the tasks wave after wave (a plan's dependency order): start a wave, wait, merge what
    succeeded, clean what failed; a wave with a failure ends the batch (the rest: `not_run`).
    `task_lines`: each named plan unit stands for its open task lines."""
    from gitwt.services.context import Context
    from gitwt.services.tasks import lifecycle

    began = time.time()
    say = progress or (lambda _line: None)
    planned = _waves(context, ids, task_lines)
    _require_commands(context, planned.tasks, run)
    levels = planned.levels
    for held in planned.held_apart:
        say(f"batch: {held.reason()}")
    options = lifecycle.StartOptions(run=run, max_instances=max_instances, agent=agent)
    done = _Progress()
    not_run: list[str] = []
    base = context.base
    for number, wave in enumerate(levels):
        if len(levels) > 1:
            say(f"batch: wave {number + 1} of {len(levels)}")
        # A fresh view of the repository per wave: the previous wave moved base.
        context = Context(repo=context.repo, config=context.config)
        if not _run_wave(context, wave, options, done, say, test):
            not_run = [task_id for later in levels[number + 1 :] for task_id in later]
            break
    common = context.repo.common_dir
    report = BatchReport(
        base=base,
        ids=done.chosen,
        waited=_joined(done.waits),
        merged=_merged(done.merges),
        started=began,
        ended=time.time(),
        records={task_id: state.read_task(common, task_id) or {} for task_id in done.chosen},
        cleaned=done.cleaned,
        kept=done.kept,
        not_run=not_run,
        waves=levels,
        held_apart=planned.held_apart,
        expansion=planned.expansion,
    )
    verdict = "success" if report.success else "not every task merged"
    say(f"batch: {verdict} in {report.duration:.1f}s")
    return report
