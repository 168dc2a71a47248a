"""The plan service: load tasks and files, run the pure separation check."""

from __future__ import annotations

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


def _separate(context: Context, tasks: list[Task]) -> separation.Plan:
    return separation.plan(
        tasks,
        context.base_files(),
        ownership=context.ownership,
        unowned=context.config.unowned,
        max_instances=context.config.max_instances,
    )


def make_plan(ids: list[str], context: Context | None = None) -> tuple[Context, separation.Plan]:
    """The plan of the named tasks; an error when any of them cannot be read (for `start`)."""
    context = context or Context.discover()
    return context, _separate(context, context.load_tasks(ids))


def report_plan(ids: list[str], context: Context | None = None) -> tuple[Context, PlanReport]:
    """The complete report for `plan`: one bad spec never hides the other tasks."""
    from gitwt.services.specs import discovery as spec_catalog

    context = context or Context.discover()
    survey = spec_catalog.survey(context, ids, judge_claims=True)
    plan = _separate(context, survey.tasks)
    if context.config.remote is not None:
        from gitwt.services.team import team_mode as team

        team.add_live_elsewhere(context, plan)  # tasks live on other machines count (§11)
    return context, PlanReport(plan, survey)
