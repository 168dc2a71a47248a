"""spec-kit's `tasks.md`, line by line: phases, task lines and what is written around them.

One pass (`SpecKitReader`) finds the `## Phase N: ...` sections (a deeper heading inside one is a
subsection, the scope of `[P]`), the task lines `- [ ] T012 [P] [US1] ... in path` with the
lines indented below them, and keeps every other line for the prose readers (`speckit_prose`).
A task that runs, verifies or reviews something and the feature's own design documents declare
nothing; a task line outside every phase is reported. Pure.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from gitwt.core import lazy_regex
from gitwt.core.formats.markdown_lines import MarkdownLine
from gitwt.core.formats.plan_units import PlanMention, PlanProblem
from gitwt.core.path_mentions import mentions_in
from gitwt.core.provenance import Ignored

PHASE = lazy_regex.compile(
    r"^Phase\s+(?P<number>\d+(?:\.\d+)*)\b\s*(?:[:.–—-]\s*)?(?P<name>.*)$", re.I
)
_TASK = lazy_regex.compile(
    r"^(?P<indent>\s*)[-*+]\s+(?:\[(?P<box>[ xX])\]\s+)?(?:\*\*)?(?P<id>T\d{2,})(?:\*\*)?:?"
    r"(?:\s+(?P<rest>.*))?$"
)
_LABEL = lazy_regex.compile(r"^\[(?P<label>[^\]]+)\]\s*")
STORY = lazy_regex.compile(r"\b(?:User\s+Story|US)[\s-]?(?P<n>\d+)\b", re.I)
_DEPENDS = lazy_regex.compile(r"\bdepends?\s+on\s+(?P<ids>T\d+(?:\s*(?:,|and|&|/)\s*T\d+)*)", re.I)
_CREATES = lazy_regex.compile(r"\b(?:create[sd]?|add(?:s|ed)?|new|write|generate|scaffold)\b", re.I)
_READ_ONLY = lazy_regex.compile(r"^(?:run|execute|verify|validate|review|read|confirm)\b", re.I)
PLAN_DOCUMENTS = frozenset(
    ("spec.md", "plan.md", "research.md", "data-model.md", "quickstart.md", "tasks.md")
)


@dataclass
class SpecKitTask:
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
class SpecKitPhase:
    number: str
    title: str
    line: int
    level: int
    tasks: list[SpecKitTask] = field(default_factory=list)


class SpecKitReader:
    """One pass over `tasks.md`: phases, their task lines (with the lines indented below them)."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.phases: dict[str, SpecKitPhase] = {}
        self.tasks: dict[str, SpecKitTask] = {}
        self.outside: list[MarkdownLine] = []
        self.prose: list[MarkdownLine] = []  # a phase's other lines (`**Checkpoint**: ...`)
        self.ignored: list[Ignored] = []
        self.problems: list[PlanProblem] = []
        self.phase: SpecKitPhase | None = None
        self.scope = ""
        self.task: SpecKitTask | None = None
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
        heading = PHASE.match(line.title)
        phase = self.phase
        if heading and line.heading <= 3 and (phase is None or line.heading <= phase.level):
            number = heading.group("number")
            if number in self.phases:
                self.problems.append(
                    self._twice(f"Phase {number}", self.phases[number].line, line.number)
                )
            self.phase = self.phases.setdefault(
                number, SpecKitPhase(number, line.title, line.number, line.heading)
            )
            self.scope = ""
            return True
        if phase is not None and line.heading > phase.level:
            self.scope = line.title
            return True
        self.phase = None
        return False

    def _task_line(self, found: re.Match[str], number: int) -> SpecKitTask:
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


def _task(found: re.Match[str], number: int, scope: str) -> SpecKitTask:
    rest = found.group("rest") or ""
    task = SpecKitTask(
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
        elif story := STORY.fullmatch(text):
            task.story = f"US{int(story.group('n'))}"
        rest = rest[label.end() :]
    task.title = rest.strip()
    for depends in _DEPENDS.finditer(rest):
        task.depends += re.findall(r"T\d+", depends.group("ids"))
    return task


def _mentions(
    task: SpecKitTask, text: str, number: int, source: str, ignored: list[Ignored]
) -> None:
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
