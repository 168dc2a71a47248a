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
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from gitwt.core.formats import ordering, speckit_prose
from gitwt.core.formats.markdown_lines import MarkdownLine, scan
from gitwt.core.formats.plan_units import (
    DONE,
    IN_PROGRESS,
    OPEN,
    TASK,
    ParallelClaim,
    PlanFormat,
    PlanMention,
    PlanProblem,
    PlanReading,
    PlanTask,
    PlanUnit,
)
from gitwt.core.formats.speckit_prose import PhaseRef
from gitwt.core.path_mentions import mentions_in
from gitwt.core.provenance import Ignored

NAME = "spec-kit"
_PLAN_FILE = re.compile(r"^(?P<folder>specs/[^/]+/)tasks\.md$")
_GROUP = re.compile(r"^(?P<group>\d{8}-\d{6}|\d{3,})(?:-|$)")
_PHASE = re.compile(r"^Phase\s+(?P<number>\d+(?:\.\d+)*)\b\s*(?:[:.–—-]\s*)?(?P<name>.*)$", re.I)
_TASK = re.compile(
    r"^(?P<indent>\s*)[-*+]\s+(?:\[(?P<box>[ xX])\]\s+)?(?:\*\*)?(?P<id>T\d{2,})(?:\*\*)?:?"
    r"(?:\s+(?P<rest>.*))?$"
)
_LABEL = re.compile(r"^\[(?P<label>[^\]]+)\]\s*")
_STORY = re.compile(r"\b(?:User\s+Story|US)[\s-]?(?P<n>\d+)\b", re.I)
_DEPENDS = re.compile(r"\bdepends?\s+on\s+(?P<ids>T\d+(?:\s*(?:,|and|&|/)\s*T\d+)*)", re.I)
_CREATES = re.compile(r"\b(?:create[sd]?|add(?:s|ed)?|new|write|generate|scaffold)\b", re.I)
_READ_ONLY = re.compile(r"^(?:run|execute|verify|validate|review|read|confirm)\b", re.I)
PLAN_DOCUMENTS = frozenset(
    ("spec.md", "plan.md", "research.md", "data-model.md", "quickstart.md", "tasks.md")
)


@dataclass
class _Task:
    native: str
    line: int
    indent: int
    done: bool
    title: str
    scope: str  # the `###` subsection it is in, "" when none
    parallel: bool = False
    story: str | None = None
    depends: list[str] = field(default_factory=list)  # native ids it names
    mentions: list[PlanMention] = field(default_factory=list)


@dataclass
class _Phase:
    number: str
    title: str
    line: int
    level: int
    tasks: list[_Task] = field(default_factory=list)


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
    reader = _Reader(source)
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


class _Reader:
    """One pass over `tasks.md`: phases, their task lines (with the lines indented below them)."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.phases: dict[str, _Phase] = {}
        self.tasks: dict[str, _Task] = {}
        self.outside: list[MarkdownLine] = []
        self.prose: list[MarkdownLine] = []  # a phase's other lines (`**Checkpoint**: ...`)
        self.ignored: list[Ignored] = []
        self.problems: list[PlanProblem] = []
        self.phase: _Phase | None = None
        self.scope = ""
        self.task: _Task | None = None
        self.stray: list[int] = []  # lines of task lines outside every phase

    def feed(self, lines: list[MarkdownLine]) -> None:
        for line in lines:
            if line.heading:
                self.task = None
                if self._heading(line):
                    continue
            found = None if line.fenced else _TASK.match(line.text)
            if self.phase is None:
                self.outside.append(line)
                if found:
                    self.stray.append(line.number)
                    reason = "a task line outside any '## Phase' section: in no unit"
                    self.ignored.append(
                        Ignored(found.group("id"), self.source, line.number, reason)
                    )
                continue
            if found:
                self.task = self._task_line(found, line.number)
                _mentions(
                    self.task, found.group("rest") or "", line.number, self.source, self.ignored
                )
            elif self.task is not None and line.text.strip() and line.indent > self.task.indent:
                if not line.fenced:
                    _mentions(self.task, line.text, line.number, self.source, self.ignored)
            elif line.text.strip():
                self.task = None
                self.prose.append(line)

    def _heading(self, line: MarkdownLine) -> bool:
        """Whether the heading opens a phase or a subsection (else it closes the phase)."""
        heading = _PHASE.match(line.title)
        phase = self.phase
        if heading and line.heading <= 3 and (phase is None or line.heading <= phase.level):
            number = heading.group("number")
            if number in self.phases:
                self.problems.append(
                    self._twice(f"Phase {number}", self.phases[number].line, line.number)
                )
            self.phase = self.phases.setdefault(
                number, _Phase(number, line.title, line.number, line.heading)
            )
            self.scope = ""
            return True
        if phase is not None and line.heading > phase.level:
            self.scope = line.title
            return True
        self.phase = None
        return False

    def _task_line(self, found: re.Match[str], number: int) -> _Task:
        task = _task(found, number, self.scope)
        first = self.tasks.get(task.native)
        if first is not None:  # its paths stay declared: they join the first line of that id
            self.problems.append(self._twice(task.native, first.line, number))
            first.parallel = first.parallel and task.parallel
            return first
        self.tasks[task.native] = task
        assert self.phase is not None
        self.phase.tasks.append(task)
        return task

    def _twice(self, what: str, first: int, again: int) -> PlanProblem:
        return PlanProblem(
            f"{what} appears twice in {self.source} (lines {first} and {again}); read as one",
            f"give each {'phase' if what.startswith('Phase') else 'task'} its own number",
            self.source,
            again,
        )


def _task(found: re.Match[str], number: int, scope: str) -> _Task:
    rest = found.group("rest") or ""
    task = _Task(
        found.group("id"),
        number,
        len(found.group("indent")),
        found.group("box") in ("x", "X"),
        "",
        scope,
    )
    while label := _LABEL.match(rest):
        text = label.group("label").strip()
        if text.upper() == "P":
            task.parallel = True
        elif story := _STORY.fullmatch(text):
            task.story = f"US{int(story.group('n'))}"
        rest = rest[label.end() :]
    task.title = rest.strip()
    for depends in _DEPENDS.finditer(rest):
        task.depends += re.findall(r"T\d+", depends.group("ids"))
    return task


def _mentions(task: _Task, text: str, number: int, source: str, ignored: list[Ignored]) -> None:
    found, dropped = mentions_in(text, number, creates=bool(_CREATES.search(text)), source=source)
    ignored += dropped
    read_only = _READ_ONLY.match(task.title)
    for mention in found:
        if read_only:
            reason = f"task {task.native} {read_only.group(0).lower()}s it: read, not changed"
            ignored.append(Ignored(mention.token, source, number, reason))
        elif mention.path in PLAN_DOCUMENTS:
            reason = "a design document of this feature: read, not changed"
            ignored.append(Ignored(mention.token, source, number, reason))
        else:
            task.mentions.append(PlanMention(source, mention))


def _unit_ids(group: str, phases: list[_Phase]) -> list[PhaseRef]:
    refs: list[PhaseRef] = []
    used: set[str] = set()
    for phase in phases:
        story = _STORY.search(phase.title)
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
        title = _PHASE.match(phase.title)
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
    phases: list[_Phase],
    reader: _Reader,
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


def _unit(group: str, source: str, phase: _Phase, ref: PhaseRef, depends: list[str]) -> PlanUnit:
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
    phases: list[_Phase], refs: list[PhaseRef], source: str, problems: list[PlanProblem]
) -> list[ParallelClaim]:
    claims: list[ParallelClaim] = []
    for phase, ref in zip(phases, refs, strict=True):
        scopes: dict[str, list[_Task]] = {}
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
    layouts=("specs/*/tasks.md", ".specify/feature.json"),
    plan_of=plan_of,
    read=read,
    points_to=points_to,
)
