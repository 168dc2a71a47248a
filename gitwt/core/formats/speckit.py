"""GitHub spec-kit plans: `specs/NNN-name/tasks.md` (DESIGN §2, "Plans written by other tools").

Grammar (spec-kit's `templates/tasks-template.md` and its implement command):
- units are the `## Phase N: ...` sections; a phase about a user story ("User Story 1", or whose
  tasks all carry `[US1]`) is `NNN.US1`, any other `NNN.phaseN`; a timestamp feature folder
  (`20250101-120000-name`) gives the timestamp as group id;
- task lines `- [ ] T012 [P] [US1] Description in src/x.py` (a checked `[X]`/`[x]` box is done),
  with the indented lines below them; each is addressable as `NNN.T012`; their paths are the
  unit's. A task that runs, verifies or reviews something (`Run quickstart.md validation`) and
  the feature's own design documents (`plan.md`, `spec.md`, ...) declare nothing;
- order: the phases by the file's dependency section, else the default rule (`speckit_prose`);
  inside a phase a task waits for the tasks before it, except its `[P]` peers; "depends on T012";
- claims: `[P]` among the tasks of one `###` subsection (else of the phase), "Parallel Example"
  blocks and prose (`speckit_prose`).
Pure: text in, units out.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import replace

from gitwt.core import lazy_regex
from gitwt.core.formats import ordering, speckit_prose
from gitwt.core.formats.layouts import LAYOUTS
from gitwt.core.formats.markdown_lines import scan
from gitwt.core.formats.plan_units import (
    DONE,
    IN_PROGRESS,
    OPEN,
    TASK,
    ParallelClaim,
    PlanFormat,
    PlanProblem,
    PlanReading,
    PlanTask,
    PlanUnit,
)
from gitwt.core.formats.speckit_lines import PHASE, STORY, SpecKitPhase, SpecKitReader, SpecKitTask
from gitwt.core.formats.speckit_prose import PhaseRef
from gitwt.core.provenance import Ignored

NAME = "spec-kit"
_PLAN_FILE = lazy_regex.compile(r"^(?P<folder>specs/[^/]+/)tasks\.md$")
_GROUP = lazy_regex.compile(r"^(?P<group>\d{8}-\d{6}|\d{3,})(?:-|$)")


def group_of(folder: str) -> str:
    """`004` for `specs/004-name/`, the timestamp for `specs/20250101-120000-name/`."""
    name = folder.rstrip("/").rsplit("/", 1)[-1]
    found = _GROUP.match(name)
    return found.group("group") if found else name


def plan_of(path: str) -> str | None:
    found = _PLAN_FILE.match(path)
    return found.group("folder") if found else None


def feature_folder(text: str) -> str | None:
    """The feature folder `.specify/feature.json` names (repo-relative, with '/'), else None."""
    try:
        value = json.loads(text).get("feature_directory")
    except (ValueError, AttributeError):
        return None
    if not isinstance(value, str) or not value.strip() or value.startswith(("/", "~")):
        return None
    folder = value.strip().removeprefix("./").rstrip("/")
    return None if ".." in folder.split("/") else folder + "/"


def read(files: Mapping[str, str]) -> PlanReading:
    """The units of one feature folder's `tasks.md` (the other files are not read)."""
    source = next((path for path in sorted(files) if path.endswith("tasks.md")), None)
    if source is None:
        return PlanReading()
    folder = source[: -len("tasks.md")]
    reader = SpecKitReader(source)
    reader.feed(scan(files[source]))
    phases = list(reader.phases.values())
    if not reader.tasks and reader.stray:
        problem = PlanProblem(
            f"{source} has spec-kit task lines but no '## Phase N: ...' heading: no unit is read",
            "group the tasks under '## Phase 1: Setup'-style headings, as spec-kit's template does",
            source,
            reader.stray[0],
        )
        return PlanReading(problems=(problem,), ignored=tuple(reader.ignored))
    if not reader.tasks:
        return PlanReading()  # not spec-kit's grammar: an unrelated specs/*/tasks.md
    reading = _reading(group_of(folder), source, phases, reader, reader.ignored)
    return replace(reading, problems=tuple(reader.problems))


def _unit_ids(group: str, phases: list[SpecKitPhase]) -> list[PhaseRef]:
    refs: list[PhaseRef] = []
    used: set[str] = set()
    for phase in phases:
        story = STORY.search(phase.title)
        labels = {task.story for task in phase.tasks if task.story}
        name = (
            f"US{int(story.group('n'))}" if story else (labels.pop() if len(labels) == 1 else None)
        )
        if name is None or name in used:
            native, story_name = f"Phase {phase.number}", None
        else:
            native, story_name = name, name
        used.add(native)
        unit = f"{group}.{native if story_name else 'phase' + phase.number}"
        title = PHASE.match(phase.title)
        first_word = (title.group("name") if title else "").split()
        refs.append(
            PhaseRef(
                unit, native, phase.number, story_name, first_word[0].lower() if first_word else ""
            )
        )
    return refs


def _reading(
    group: str,
    source: str,
    phases: list[SpecKitPhase],
    reader: SpecKitReader,
    ignored: list[Ignored],
) -> PlanReading:
    outside = reader.outside
    refs = _unit_ids(group, phases)
    unit_of = {
        task.native: ref.unit
        for phase, ref in zip(phases, refs, strict=True)
        for task in phase.tasks
    }
    depends = speckit_prose.phase_dependencies(outside, refs)
    stated = speckit_prose.task_dependencies(outside)
    for phase in phases:
        for task in phase.tasks:
            task.depends += [
                n for n in stated.get(task.native, ()) if n in unit_of and n not in task.depends
            ]
    for phase, ref in zip(phases, refs, strict=True):
        for task in phase.tasks:
            for native in task.depends:
                other = unit_of.get(native)
                if other and other != ref.unit and other not in depends[ref.unit]:
                    depends[ref.unit].append(other)
    claims = _task_claims(phases, refs, source, reader.problems)
    titles = {
        task.native: (task.title, unit_of[task.native]) for phase in phases for task in phase.tasks
    }
    for lines in (outside, reader.prose):
        claims += speckit_prose.claims(lines, refs, titles, source, reader.problems)
    units = tuple(
        _unit(group, source, phase, ref, depends[ref.unit])
        for phase, ref in zip(phases, refs, strict=True)
    )
    ordered: dict[str, list[str]] = {unit.id: list(unit.depends_on) for unit in units}
    ordered |= {task.native: task.depends for phase in phases for task in phase.tasks}
    return PlanReading(units, tuple(ordering.unordered(claims, ordered)), (), tuple(ignored))


def _unit(
    group: str, source: str, phase: SpecKitPhase, ref: PhaseRef, depends: list[str]
) -> PlanUnit:
    tasks = phase.tasks
    direct = ordering.direct_waits(
        len(tasks),
        lambda j, i: tasks[i].parallel and tasks[j].parallel and tasks[i].scope == tasks[j].scope,
    )
    plan_tasks = []
    for index, task in enumerate(tasks):
        before = [f"{group}.{tasks[j].native}" for j in direct[index]] or list(depends)
        stated = [f"{group}.{native}" for native in task.depends]
        plan_tasks.append(
            PlanTask(
                id=f"{group}.{task.native}",
                native_id=task.native,
                unit=ref.unit,
                title=task.title,
                source=source,
                line=task.line,
                mentions=tuple(task.mentions),
                depends_on=tuple(dict.fromkeys(before + stated)),
                parallel="[P]" if task.parallel else None,
                done=task.done,
            )
        )
    done = sum(task.done for task in tasks)
    status = DONE if tasks and done == len(tasks) else IN_PROGRESS if done else OPEN
    return PlanUnit(
        id=ref.unit,
        native_id=ref.native,
        format=NAME,
        group=group,
        title=phase.title,
        source=source,
        line=phase.line,
        mentions=tuple(mention for task in tasks for mention in task.mentions),
        depends_on=tuple(depends),
        tasks=tuple(plan_tasks),
        status=status,
        files=(source,),
    )


def _task_claims(
    phases: list[SpecKitPhase], refs: list[PhaseRef], source: str, problems: list[PlanProblem]
) -> list[ParallelClaim]:
    claims: list[ParallelClaim] = []
    for phase, ref in zip(phases, refs, strict=True):
        scopes: dict[str, list[SpecKitTask]] = {}
        for task in phase.tasks:
            if task.parallel:
                scopes.setdefault(task.scope, []).append(task)
        for peers in scopes.values():
            line = {task.native: task.line for task in peers}
            natives = [task.native for task in peers]
            for first, second in ordering.pairs(natives, problems, source, peers[0].line):
                where = f"{source}:{line[second]}"
                claims.append(ParallelClaim(TASK, (first, second), ref.unit, "[P]", where))
    return claims


def points_to(path: str, text: str) -> str | None:
    """The feature folder `.specify/feature.json` names, when it lies outside `specs/`."""
    if path != ".specify/feature.json":
        return None
    folder = feature_folder(text)
    return None if folder is None or plan_of(folder + "tasks.md") else folder


FORMAT = PlanFormat(
    name=NAME,
    short="speckit",
    layouts=LAYOUTS[NAME],
    plan_of=plan_of,
    read=read,
    points_to=points_to,
)
