"""`batch`: the older system's `execute_parallel_batch` as one call: plan, start, wait, merge what
succeeded, clean up, and one report with the fields its users know.

It composes the services and adds no rule of its own: `start` validates (and refuses conflicting
or dependent tasks, creating nothing: run those in a later batch), `wait` blocks until every task
has ended, `merge` audits, gates on `test` and publishes the succeeded ones (removing their
worktrees and branches), and `clean` removes what a failed task left only if it holds no work.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from gitwt.errors import GitParallelError
from gitwt.infra import state
from gitwt.services.waiting import Progress, WaitReport, iso_time

if TYPE_CHECKING:
    from gitwt.services.context import Context
    from gitwt.services.merge_results import MergeReport


@dataclass
class BatchReport:
    base: str
    ids: list[str]
    waited: WaitReport
    merged: MergeReport | None
    started: float
    ended: float
    records: dict[str, dict[str, Any]]  # as they are at the end
    cleaned: list[str] = field(default_factory=list)  # failed tasks whose empty worktree went
    kept: dict[str, str] = field(default_factory=dict)  # failed tasks kept: why

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
        return bool(self.ids) and all(
            result == state.MERGED for result in self.merge_results.values()
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
        from gitwt.services.status import speedup

        return speedup(self.records[task_id] for task_id in self.ids if task_id in self.records)

    def to_json(self) -> dict[str, Any]:
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
        }


def _require_commands(context: Context, ids: Sequence[str], run: str | None) -> None:
    """A batch runs a command in every task: refuse up front, before anything is created."""
    if run or context.config.run:
        return
    missing = [task.id for task in context.load_tasks(list(ids)) if not task.run]
    if missing:
        raise GitParallelError(
            f"batch needs a command for every task; {', '.join(missing)} has none",
            "pass --run CMD, set 'run' in the config, or give each spec a 'run'",
        )


def run_batch(
    context: Context,
    ids: Sequence[str],
    *,
    run: str | None = None,
    max_instances: int | None = None,
    test: str | None = None,
    progress: Progress | None = None,
) -> BatchReport:
    from gitwt.services import cleaning, lifecycle, waiting
    from gitwt.services.merge import merge

    began = time.time()
    say = progress or (lambda _line: None)
    _require_commands(context, ids, run)
    report = lifecycle.start(
        list(ids), lifecycle.StartOptions(run=run, max_instances=max_instances), context
    )
    chosen = [record["id"] for record in report.tasks]
    say(f"batch: started {' '.join(chosen)} on {report.base}")
    waited = waiting.wait(context, chosen, progress=progress)
    succeeded = [task.id for task in waited.tasks if task.state == state.SUCCEEDED]
    merged = None
    if succeeded:
        say(f"batch: merging {' '.join(succeeded)}")
        merged = merge(context, succeeded, test_command=test)
    failed = [task.id for task in waited.tasks if task.state != state.SUCCEEDED]
    cleaned: list[str] = []
    kept: dict[str, str] = {}
    if failed:
        for item in cleaning.clean(context, failed):
            if item.cleaned:
                cleaned.append(item.task_id)
            else:
                kept[item.task_id] = item.refused or "already cleaned"
    records = {
        task_id: state.read_task(context.repo.common_dir, task_id) or {} for task_id in chosen
    }
    done = BatchReport(
        base=report.base,
        ids=chosen,
        waited=waited,
        merged=merged,
        started=began,
        ended=time.time(),
        records=records,
        cleaned=cleaned,
        kept=kept,
    )
    say(f"batch: {'success' if done.success else 'not every task merged'} in {done.duration:.1f}s")
    return done
