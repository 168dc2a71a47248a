"""The plan service: load tasks and files, run the pure separation check."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from gitwt.core import separation
from gitwt.core.spec_survey import Survey
from gitwt.core.specs import Task
from gitwt.errors import EXIT_FOUND, EXIT_OK, EXIT_USAGE
from gitwt.services.context import Context


@dataclass
class PlanReport:
    """The plan of every named task that could be read, and the problems of the others."""

    plan: separation.Plan
    survey: Survey

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


def report_plan(ids: list[str], context: Context | None = None) -> tuple[Context, PlanReport]:
    """The complete report for `plan`: one bad spec never hides the other tasks."""
    from gitwt.services.specs import discovery as spec_catalog

    context = context or Context.discover()
    survey = spec_catalog.survey(context, ids, judge_claims=True)
    plan = _separate(context, survey.tasks, context.base_files())
    if context.config.remote is not None:
        from gitwt.services.team import team_mode as team

        team.add_live_elsewhere(context, plan)  # tasks live on other machines count (§11)
    return context, PlanReport(plan, survey)
