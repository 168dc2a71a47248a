"""Every discovered unit as a candidate for `next`, in plan order, and the set that can start now.

The units of other tools' plans (their status as each plan says it), then the older system's
roadmap priorities (config `roadmap`), each run as the spec it links to, then the legacy specs no
priority links (their own `status`; with a roadmap, a spec it does not list is left out, as the
older system's skill only ran priorities) and the config's tasks. What is merged and what is
live comes from gitwt's own records; the choice is the core's (core/next_selection.py).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from gitwt.core import next_selection
from gitwt.core.formats import roadmap
from gitwt.core.formats.plan_units import OPEN
from gitwt.core.next_selection import UNLISTED, NextUnit, Selection
from gitwt.core.specs import Task
from gitwt.errors import GitParallelError
from gitwt.infra import records
from gitwt.services.specs import discovery, repo_files

if TYPE_CHECKING:
    from collections.abc import Mapping

    from gitwt.core.spec_catalog import Catalog
    from gitwt.services.context import Context


@dataclass
class NextReport:
    base: str
    selection: Selection
    roadmap: str | None  # the roadmap read, None when there is none
    problems: list[str] = field(default_factory=list)  # why the roadmap could not be read

    @property
    def ids(self) -> list[str]:
        return [candidate.id for candidate in self.selection.chosen]


def _usable(context: Context, task: Task) -> Task:
    for pattern in task.files:  # a pattern out of the repository: an input error, as for plan
        context.check_inside(pattern, task)
    return task


def _unit_candidates(context: Context, found: Catalog) -> list[NextUnit]:
    listed: list[NextUnit] = []
    for named in found.plans.listed():
        task, why = None, None
        try:
            task = _usable(context, found.parse_unit(named).task)
        except GitParallelError as error:
            why = error.message
        unit = named.unit
        listed.append(
            NextUnit(named.id, named.id, unit.format, unit.status, named.where, task, why)
        )
    seen = {candidate.id for candidate in listed}
    for plan in found.plans.sources:  # units their reader could not read at all
        for problem in plan.reading.problems:
            if problem.unit is not None and problem.unit not in seen:
                seen.add(problem.unit)
                where = f"{problem.source}:{problem.line}" if problem.line else problem.source
                listed.append(
                    NextUnit(
                        problem.unit, problem.unit, plan.format, OPEN, where, None, problem.message
                    )
                )
    return listed


def _load(context: Context, found: Catalog, task_id: str) -> tuple[Task | None, str | None]:
    try:
        return _usable(context, found.load(task_id).task), None
    except GitParallelError as error:
        return None, error.message


def _linked(
    context: Context, found: Catalog, priority: roadmap.Priority
) -> tuple[str, Task | None, str, str | None]:
    """The spec a priority runs: (task id, task, what links it, why unusable)."""
    first_problem: str | None = None
    where = os.path.basename(priority.source)
    for link in priority.links:
        said = f"{where}:{link.line}"
        if link.kind == "link":
            spec = found.by_path.get(link.value)
            task_id = found.id_of(spec) if spec is not None else None
            if task_id is None:
                first_problem = first_problem or (
                    f"{said} links to {link.value}, which is no spec gitwt found"
                )
                continue
            how = f"{link.value} (linked at {said})"
        else:
            task_id = str(int(link.value))
            if not found.sources(task_id):
                first_problem = first_problem or (
                    f"{link.kind}-{link.value} ({said}) has no spec: no SPEC-{link.value}-*.md"
                )
                continue
            how = f"{link.kind}-{link.value} at {said}"
        task, why = _load(context, found, task_id)
        if task is not None:
            return task.id, task, how, None
        first_problem = first_problem or f"{how}: {why}"
    return (
        f"PRIORITY-{priority.number}",
        None,
        "",
        first_problem or "names no spec (no US-N, SPEC-N or link to a SPEC-*.md file)",
    )


def _roadmap(context: Context) -> tuple[str | None, tuple[roadmap.Priority, ...], list[str]]:
    path = context.config.roadmap
    toplevel = context.repo.toplevel
    if not os.path.isfile(os.path.join(toplevel, path)):
        return None, (), []
    text, problem = repo_files.read_text(toplevel, path, "roadmap")
    if problem:
        return path, (), [problem]
    return path, roadmap.read_roadmap(path, text), []


def _priority_candidates(
    context: Context, found: Catalog, priorities: tuple[roadmap.Priority, ...]
) -> list[NextUnit]:
    listed: list[NextUnit] = []
    owner_of: dict[str, str] = {}
    for priority in priorities:
        where = f"{priority.source}:{priority.line}"
        task_id, task, how, why = _linked(context, found, priority)
        if task is not None and task_id in owner_of:
            task, why = None, f"its spec ({how}) is {owner_of[task_id]}'s too"
            task_id = f"PRIORITY-{priority.number}"
        elif task is not None:
            owner_of[task_id] = priority.label
        listed.append(
            NextUnit(
                task_id, priority.label, "roadmap", priority.status, where, task, why, spec=how
            )
        )
    by_number = {p.number: c.id for p, c in zip(priorities, listed, strict=True)}
    return [
        replace(candidate, after=_waits_for(priority, by_number))
        for priority, candidate in zip(priorities, listed, strict=True)
    ]


def _waits_for(priority: roadmap.Priority, by_number: dict[str, str]) -> tuple[str, ...]:
    """The task ids a priority's `**Dependencies**:` lines name: a priority by its number, a
    story or a spec by the spec number it runs."""
    found: list[str] = []
    for kind, number in priority.depends_on:
        if kind == "PRIORITY":
            if number in by_number:
                found.append(by_number[number])
        else:
            found.append(str(int(number)))
    return tuple(dict.fromkeys(found))


def _spec_candidates(
    context: Context, found: Catalog, linked: set[str], roadmap_path: str | None
) -> list[NextUnit]:
    listed: list[NextUnit] = []
    for spec in found.files:
        task_id = found.id_of(spec)
        if task_id is None or task_id in linked:
            continue
        status, line = roadmap.spec_status(spec.text)
        task, why = _load(context, found, task_id)
        where = f"{spec.path}:{line}" if line else spec.path
        if roadmap_path is not None and status == OPEN:
            status, where = UNLISTED, roadmap_path
        listed.append(
            NextUnit(task_id, task_id, "spec", status, spec.path, task, why, status_from=where)
        )
    for name in found.config.tasks:
        task, why = _load(context, found, name)
        listed.append(NextUnit(name, name, "config", OPEN, found.sources(name)[0], task, why))
    return listed


def _merged(context: Context) -> tuple[set[str], dict[str, str], list[Task]]:
    """Merged into this base by gitwt, and the live tasks (with their declarations)."""
    from gitwt.services.specs.live_overlap import overlap_tasks

    merged: set[str] = set()
    live: dict[str, str] = {}
    live_records: dict[str, Mapping[str, object]] = {}
    for task_id, record in records.all_tasks(context.repo.common_dir).items():
        if records.is_live(record):
            live[task_id] = str(record.get("state"))
            live_records[task_id] = record
        elif records.merged_by_gitwt(record) and record.get("base", context.base) == context.base:
            merged.add(task_id)
    if context.config.remote is not None:  # team mode: what other machines run counts (§11)
        from gitwt.services.team import registry

        for task_id, entry in registry.fetch(context).others().items():
            live.setdefault(task_id, f"live on {entry.where()}")
            live_records.setdefault(task_id, entry.as_record())
    return merged, live, overlap_tasks(live_records)


def candidates(context: Context) -> tuple[list[NextUnit], str | None, list[str]]:
    found = discovery.catalog(context)
    path, priorities, problems = _roadmap(context)
    listed = _unit_candidates(context, found)
    from_roadmap = _priority_candidates(context, found, priorities)
    linked = {c.id for c in from_roadmap if c.task is not None}
    listed += from_roadmap + _spec_candidates(context, found, linked, path)
    return _once(listed), path, problems


def _once(listed: list[NextUnit]) -> list[NextUnit]:
    """One candidate per task id: a later one giving the same id again is unusable."""
    first: dict[str, NextUnit] = {}
    kept: list[NextUnit] = []
    for candidate in listed:
        earlier = first.get(candidate.id)
        if earlier is None:
            first[candidate.id] = candidate
            kept.append(candidate)
            continue
        why = f"task id {candidate.id} is also {earlier.label} ({earlier.source})"
        kept.append(
            replace(candidate, id=f"{candidate.id}@{candidate.source}", task=None, unusable=why)
        )
    return kept


def what_next(context: Context, limit: int | None = None) -> NextReport:
    """The units that can start now, at most `limit` (default `max_instances`), and why each
    other unit is left out."""
    if limit is not None and limit < 1:
        raise GitParallelError(f"--max must be at least 1, got {limit}", "try --max 2")
    listed, path, problems = candidates(context)
    merged, live, live_tasks = _merged(context)
    selection = next_selection.select(
        listed,
        merged=merged,
        live=live,
        live_tasks=live_tasks,
        tracked_files=context.base_files(),
        ownership=context.ownership,
        unowned=context.config.unowned,
        limit=limit or context.config.max_instances,
    )
    return NextReport(context.base, selection, path, problems)
