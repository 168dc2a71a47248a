"""The plan service: load tasks and files, run the pure separation check."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from gitwt.core import separation
from gitwt.core.spec_survey import Survey
from gitwt.core.specs import Task
from gitwt.errors import EXIT_FOUND, EXIT_OK, EXIT_USAGE
from gitwt.services.context import Context

if TYPE_CHECKING:
    from gitwt.core.line_waves import HeldApart


@dataclass
class PlanReport:
    """The plan of every named task that could be read, and the problems of the others."""

    plan: separation.Plan
    survey: Survey
    # With task lines: the lines that run in successive waves because both change a path (no
    # conflict then: the waves keep them apart), and why.
    held_apart: list[HeldApart] = field(default_factory=list)

    @property
    def exit_code(self) -> int:
        if self.survey.unusable:
            return EXIT_USAGE
        return EXIT_OK if self.plan.valid else EXIT_FOUND


def _separate(context: Context, tasks: list[Task], files: Sequence[str]) -> separation.Plan:
    return separation.plan(
        tasks,
        files,
        ownership=context.ownership,
        unowned=context.config.unowned,
        max_instances=context.config.max_instances,
    )


def _files_matter(context: Context, tasks: list[Task]) -> bool:
    """Whether base's files can change a plan's verdict (its conflicts and problems): two tasks
    conflict over a file both match, and an ownership map judges the files a task matches. A
    single task with no map needs no listing (`start 1` at 1,000,000 files would spend seconds
    on it); `plan` lists the matched files, so it always reads them."""
    return len(tasks) > 1 or context.ownership is not None


def make_plan(ids: list[str], context: Context | None = None) -> tuple[Context, separation.Plan]:
    """The plan of the named tasks, for `start` and `batch` (conflicts, problems, order; its
    matched files only where they decide those); an error when any of them cannot be read."""
    context = context or Context.discover()
    tasks = context.load_tasks(ids)
    files = context.base_files() if _files_matter(context, tasks) else []
    return context, _separate(context, tasks, files)


def report_plan(
    ids: list[str], context: Context | None = None, task_lines: bool = False
) -> tuple[Context, PlanReport]:
    """The complete report for `plan`: one bad spec never hides the other tasks. With
    `task_lines`, each named unit stands for its open task lines, in the waves `batch
    --task-lines` runs them in."""
    context = context or Context.discover()
    report = _report(context, ids, task_lines)
    plan = report.plan
    if context.config.remote is not None:
        from gitwt.services.team import team_mode as team

        team.add_live_elsewhere(context, plan)  # tasks live on other machines count (§11)
    return context, report


def _report(context: Context, ids: list[str], task_lines: bool) -> PlanReport:
    from gitwt.services.specs import discovery as spec_catalog

    survey = spec_catalog.survey(context, ids, judge_claims=True, task_lines=task_lines)
    plan = _separate(context, survey.tasks, context.base_files())
    if not task_lines:
        return PlanReport(plan, survey)
    from gitwt.core.line_waves import line_waves  # task lines only: `start` never loads it

    levels, held = line_waves(plan, survey.claims, survey.units)
    return PlanReport(replace(plan, conflicts=[], waves=levels), survey, held)


def task_line_plan(context: Context, ids: list[str]) -> PlanReport:
    """The task lines of the named units in their waves, for `batch --task-lines`; an error
    when any of them cannot be read, or none is left to run."""
    from gitwt.errors import GitParallelError
    from gitwt.services.specs.discovery import refuse_unusable

    report = _report(context, ids, task_lines=True)
    refuse_unusable(report.survey)
    if not report.plan.tasks:
        expansion = report.survey.expansion
        done = f" (done: {' '.join(expansion.done)})" if expansion and expansion.done else ""
        raise GitParallelError(
            f"nothing to run: every task line of {' '.join(ids)} is ticked done in its plan{done}",
            "untick a line to run it again, or name it ('git parallel batch 004.T012')",
        )
    return report
