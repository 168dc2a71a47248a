"""The named tasks of one command, loaded from the catalog each on its own. Pure.

One bad spec never hides the rest: a task that cannot be read is a SpecProblem with its file and
line, and the others load. A group id of a plan stands for its units; a name two formats give
is an error naming both (core/plan_index.py).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from gitwt.core import specs
from gitwt.core.provenance import Ignored
from gitwt.core.spec_catalog import Catalog, SpecProblem, plan_problems, plan_units, problem_of
from gitwt.core.specs import SpecError, Task, check_id, id_key
from gitwt.errors import GitParallelError

if TYPE_CHECKING:
    from gitwt.core.line_waves import Expansion
    from gitwt.core.plan_claims import ClaimCheck
    from gitwt.core.plan_index import Named


@dataclass
class Survey:
    """The named tasks that could be read, and every problem of those that could not."""

    tasks: list[Task]
    problems: list[SpecProblem]
    ignored: dict[str, list[Ignored]]
    unusable: list[str]
    units: dict[str, Named] = field(default_factory=dict)  # the named plan units, by task id
    claims: list[ClaimCheck] = field(default_factory=list)  # their parallel claims, judged
    expansion: Expansion | None = None  # with task lines: what the named units stood for


def _plan_problems(catalog: Catalog, result: Survey, groups: set[str], everything: bool) -> None:
    """The reading problems of the plans the named units are in (of every plan when a name
    was not found: a plan that could not be read may be why). A unit its reader could not read
    in a group named whole is unusable: the group was meant with it."""
    folders = {unit.plan.folder for unit in result.units.values()}
    for plan in catalog.plans.sources:
        if not (everything or plan.folder in folders):
            continue
        for problem in plan_problems(plan):
            result.problems.append(problem)
            if plan.folder in groups and problem.task and problem.task not in result.unusable:
                result.unusable.append(problem.task)


def survey(catalog: Catalog, ids: Iterable[str], task_lines: bool = False) -> Survey:
    """Load each named task on its own; a task that cannot be read is reported, not fatal.
    A group id stands for its units (a unit named twice, by its group and itself, loads once);
    with `task_lines`, each unit stands for its open task lines (`line_waves.expand`)."""
    wanted = [check_id(task_id, "") for task_id in ids]
    result = Survey([], [], {}, [])
    if task_lines:
        from gitwt.core.line_waves import Expansion  # not loaded without task lines

        result.expansion = Expansion()
    seen: dict[tuple[int, int | str], str] = {}
    loaded: set[tuple[int, int | str]] = set()
    groups: set[str] = set()  # the plan folders of the groups named whole
    missing = False
    for task_id in wanted:
        _once(seen, task_id, task_id)
        parsed: specs.ParsedSpec | None = None
        try:
            units = plan_units(catalog, task_id)
            if not units:
                missing = missing or not catalog.sources(task_id)
                parsed = catalog.load(task_id)
        except GitParallelError as error:
            result.problems.append(problem_of(error, "", task_id))
            result.unusable.append(task_id)
            continue
        if parsed is not None:
            if parsed.task.id != task_id:  # a stem id named without 'SPEC-', say
                _once(seen, parsed.task.id, task_id)
            _add(result, [parsed])
            continue
        if len(units) > 1 or units[0].id != task_id:
            groups |= {unit.plan.folder for unit in units}
        if result.expansion is not None:
            units = result.expansion.add(units)
        for unit in units:
            if id_key(unit.id) in loaded:
                continue
            loaded.add(id_key(unit.id))
            result.units[unit.id] = unit
            try:
                _add(result, [catalog.parse_unit(unit)])
            except GitParallelError as error:
                result.problems.append(problem_of(error, unit.source, unit.id))
                result.unusable.append(unit.id)
    _plan_problems(catalog, result, groups, missing)
    if result.expansion is not None:  # a dependency on an expanded unit: on each of its lines
        depends = result.expansion.depends()
        result.tasks = [
            replace(task, depends_on=depends[task.id]) if task.id in depends else task
            for task in result.tasks
        ]
    return result


def _once(seen: dict[tuple[int, int | str], str], task_id: str, named: str) -> None:
    if id_key(task_id) in seen:
        raise SpecError(
            f"task {task_id} is named twice ({seen[id_key(task_id)]} and {named})",
            "name each task once",
        )
    seen[id_key(task_id)] = named


def _add(result: Survey, parsed: list[specs.ParsedSpec]) -> None:
    for item in parsed:
        result.tasks.append(item.task)
        result.ignored[item.task.id] = item.ignored
