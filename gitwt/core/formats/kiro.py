"""Kiro and cc-sdd plans: `.kiro/specs/<feature>/tasks.md` (DESIGN §2).

Grammar (cc-sdd's `templates/specs/tasks.md`, `rules/tasks-generation.md` and
`rules/tasks-parallel-analysis.md`; Kiro's own files have the same task lines):
- `- [ ] 2. Core: alert rules` (or a heading `## 2. Core: alert rules`) is a major task, the
  unit `<feature>.2`; `- [ ] 2.1 (P) ...` a sub-task, the task line `<feature>.2.1` (indented
  or not: the number says whose it is);
  `[x]` is done, `[-]` in progress, `- [ ]*` an optional (deferrable) test task;
- the paths are those of the task lines and their detail bullets; `_Boundary: X_` is the path
  X names, or read through the feature's `design.md` (`kiro_design`); `_Requirements:_` and
  `_Contracts:_` name requirements and interfaces, not files; `_Blocked: reason_` blocks the unit;
- order is a dependency: a task depends on every task before it, except that `(P)` (right after
  the number or at the end of the line) lifts the dependency on its immediately preceding `(P)`
  peers, so a run of consecutive `(P)` siblings is one claim; `_Depends: 1.2, 2.3_` adds to it.
Pure: text in, units out.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from gitwt.core import lazy_regex
from gitwt.core.formats import ordering
from gitwt.core.formats.kiro_design import DOCUMENTS, DesignIndex, boundary_mentions
from gitwt.core.formats.layouts import LAYOUTS
from gitwt.core.formats.markdown_lines import scan
from gitwt.core.formats.plan_units import (
    BLOCKED,
    DEFERRED,
    DONE,
    IN_PROGRESS,
    OPEN,
    TASK,
    UNIT,
    ParallelClaim,
    PlanFormat,
    PlanMention,
    PlanProblem,
    PlanReading,
    PlanTask,
    PlanUnit,
)
from gitwt.core.path_mentions import mentions_in
from gitwt.core.provenance import Ignored

NAME = "kiro"
PARALLEL = "(P)"
_PLAN_FILE = lazy_regex.compile(r"^(?P<folder>\.kiro/specs/[^/]+/)(?:tasks|design)\.md$")
_TASK = lazy_regex.compile(
    r"^(?P<indent>\s*)[-*+]\s+\[(?P<box>[ xX~-]?)\](?P<optional>\*)?\s+"
    r"(?P<number>\d+(?:\.\d+)*)\.?(?:\s+(?P<rest>.*))?$"
)
_UNNUMBERED = lazy_regex.compile(r"^\s*[-*+]\s+\[[ xX~-]?\]\*?\s+\D")
_HEADING_TASK = lazy_regex.compile(r"^(?P<box>)(?P<optional>)(?P<number>\d+)\.\s+(?P<rest>.*)$")
_MARK_FIRST = lazy_regex.compile(r"^\(P\)\s*")
_MARK_LAST = lazy_regex.compile(r"\s*\(P\)\s*$")
_ANNOTATION = lazy_regex.compile(
    r"^\s*(?:[-*+]\s+)?_(?P<key>[A-Za-z ]+?)\s*:\s*(?P<value>.*?)_?\s*$"
)
_CREATES = lazy_regex.compile(r"\b(?:create[sd]?|add(?:s|ed)?|new|write|generate|scaffold)\b", re.I)
_READ_ONLY = lazy_regex.compile(
    r"^\W*(?:read|review|see|refer(?:ence)?|reuse|follow|consult|run|verify|validate)\b", re.I
)


@dataclass
class _Line:
    native: str
    line: int
    box: str
    optional: bool
    parallel: bool
    title: str
    depends: list[str] = field(default_factory=list)
    blocked: bool = False
    mentions: list[PlanMention] = field(default_factory=list)


@dataclass
class _Major:
    task: _Line
    subs: list[_Line] = field(default_factory=list)


def plan_of(path: str) -> str | None:
    found = _PLAN_FILE.match(path)
    return found.group("folder") if found else None


def read(files: Mapping[str, str]) -> PlanReading:
    """The units of one feature folder: its `tasks.md`, with `design.md` for boundaries."""
    source = next((path for path in sorted(files) if path.endswith("tasks.md")), None)
    if source is None:
        return PlanReading()
    folder = source[: -len("tasks.md")]
    feature = folder.rstrip("/").rsplit("/", 1)[-1]
    design_path = folder + "design.md"
    design = DesignIndex(design_path, files[design_path]) if design_path in files else None
    majors, problems, ignored = _tasks(files[source], source, design)
    if not majors:
        return PlanReading(problems=tuple(problems), ignored=tuple(ignored))
    units, claims = _units(feature, source, majors, problems)
    return PlanReading(tuple(units), tuple(claims), tuple(problems), tuple(ignored))


def _tasks(
    text: str, source: str, design: DesignIndex | None
) -> tuple[list[_Major], list[PlanProblem], list[Ignored]]:
    majors: dict[str, _Major] = {}
    problems: list[PlanProblem] = []
    ignored: list[Ignored] = []
    seen: dict[str, _Line] = {}
    current: _Line | None = None
    for line in scan(text):
        if line.heading or line.fenced:
            current = None
            heading = _HEADING_TASK.match(line.title) if line.heading > 1 else None
            if heading and heading.group("number") not in seen:  # `## 2. Core: ...` as a major
                top = _line(heading, line.number)
                seen[top.native] = top
                majors.setdefault(top.native, _Major(top)).task = top
            continue
        found = _TASK.match(line.text)
        unnumbered = found is None and _UNNUMBERED.match(line.text)
        if unnumbered and (current is None or not line.text[:1].isspace()):
            reason = "a check box without a task number (cc-sdd numbers every task): in no unit"
            ignored.append(Ignored(line.text.strip()[:60], source, line.number, reason))
            current = None
            continue
        if found:
            current = _line(found, line.number)
            first = seen.get(current.native)
            if first is not None:  # its paths stay declared: they join the first line of that id
                problems.append(_duplicate(current, first.line, source))
                current = first
                _mention(current, found.group("rest") or "", line.number, source, ignored)
                continue
            seen[current.native] = current
            _mention(current, found.group("rest") or "", line.number, source, ignored)
            major = current.native.split(".", 1)[0]
            if "." not in current.native:
                majors.setdefault(major, _Major(current)).task = current
            else:
                majors.setdefault(
                    major, _Major(_Line(major, line.number, " ", False, False, ""))
                ).subs.append(current)
            continue
        if current is None or not line.text.strip():
            continue
        if not line.text[:1].isspace() and line.item is None:
            current = None
            continue
        _detail(current, line.text, line.number, source, design, ignored)
    return list(majors.values()), problems, ignored


def _line(found: re.Match[str], number: int) -> _Line:
    rest = found.group("rest") or ""
    parallel = bool(_MARK_FIRST.match(rest) or _MARK_LAST.search(rest))
    title = _MARK_LAST.sub("", _MARK_FIRST.sub("", rest)).strip()
    native = found.group("number")
    return _Line(
        native, number, found.group("box") or " ", bool(found.group("optional")), parallel, title
    )


def _duplicate(task: _Line, first: int, source: str) -> PlanProblem:
    return PlanProblem(
        f"task {task.native} is numbered twice in {source} (lines {first} and {task.line}); "
        "read as one",
        "renumber the second one: cc-sdd numbers each task once",
        source,
        task.line,
    )


def _detail(
    task: _Line,
    text: str,
    number: int,
    source: str,
    design: DesignIndex | None,
    ignored: list[Ignored],
) -> None:
    annotation = _ANNOTATION.match(text)
    if annotation is None:
        _mention(task, text, number, source, ignored)
        return
    key, value = annotation.group("key").strip().lower(), annotation.group("value")
    if key == "depends":
        task.depends += re.findall(r"\d+(?:\.\d+)*", value)
    elif key == "blocked":
        task.blocked = True
    elif key == "boundary":
        found, dropped = boundary_mentions(design, value, source, number)
        task.mentions += found
        ignored += dropped


def _mention(task: _Line, text: str, number: int, source: str, ignored: list[Ignored]) -> None:
    found, dropped = mentions_in(text, number, creates=bool(_CREATES.search(text)), source=source)
    ignored += dropped
    read_only = _READ_ONLY.match(text.lstrip(" -*+"))
    for mention in found:
        if read_only or mention.path in DOCUMENTS:
            why = "read, not changed" if read_only else "a document of this spec, not a change"
            ignored.append(Ignored(mention.token, source, number, why))
        else:
            task.mentions.append(PlanMention(source, mention))


def _runs(lines: list[_Line]) -> list[list[int]]:
    """The runs of consecutive `(P)` lines (two or more), by index."""
    runs: list[list[int]] = []
    for index, line in enumerate(lines):
        if line.parallel and index and lines[index - 1].parallel:
            runs[-1].append(index)
        elif line.parallel:
            runs.append([index])
    return [run for run in runs if len(run) > 1]


def _lifted(lines: list[_Line]) -> Callable[[int, int], bool]:
    run_of = {index: number for number, run in enumerate(_runs(lines)) for index in run}
    return lambda j, i: j in run_of and run_of.get(i) == run_of[j]


def _units(
    feature: str, source: str, majors: list[_Major], problems: list[PlanProblem]
) -> tuple[list[PlanUnit], list[ParallelClaim]]:
    tops = [major.task for major in majors]
    ids = [f"{feature}.{top.native}" for top in tops]
    where = {line.native: i for i, major in enumerate(majors) for line in [major.task, *major.subs]}
    depends = [[ids[j] for j in before] for before in ordering.earlier(len(tops), _lifted(tops))]
    # A sub-task waits for what order gives its unit and for what it names itself, not for
    # every unit a sibling's _Depends:_ names (the unit as a whole waits for those).
    in_order = [list(before) for before in depends]
    for i, major in enumerate(majors):
        for line in [major.task, *major.subs]:
            for ref in line.depends:
                j = where.get(ref)
                if j is None or j > i:
                    problems.append(_bad_reference(line, ref, source, known=j is not None))
                elif j != i and ids[j] not in depends[i]:
                    depends[i].append(ids[j])
    claims = _claims(UNIT, None, tops, ids, source, problems)
    units = []
    for i, major in enumerate(majors):
        subs = [sub.native for sub in major.subs]
        claims += _claims(TASK, ids[i], major.subs, subs, source, problems)
        units.append(_unit(feature, source, major, ids[i], (depends[i], in_order[i]), where))
    ordered: dict[str, list[str]] = dict(zip(ids, depends, strict=True))
    ordered |= {line.native: line.depends for major in majors for line in major.subs}
    return units, ordering.unordered(claims, ordered)


def _bad_reference(line: _Line, ref: str, source: str, known: bool) -> PlanProblem:
    what = "a task after it" if known else "no task of this file"
    return PlanProblem(
        f"task {line.native} says _Depends: {ref}_, which is {what}; the dependency is ignored",
        "name an earlier task in _Depends:_ (a task already waits for every task before it)",
        source,
        line.line,
    )


def _claims(
    level: str,
    unit: str | None,
    lines: list[_Line],
    ids: list[str],
    source: str,
    problems: list[PlanProblem],
) -> list[ParallelClaim]:
    found: list[ParallelClaim] = []
    for run in _runs(lines):
        line_of = {ids[index]: lines[index].line for index in run}
        sides = [ids[index] for index in run]
        for first, second in ordering.pairs(sides, problems, source, lines[run[0]].line):
            where = f"{source}:{line_of[second]}"
            found.append(ParallelClaim(level, (first, second), unit, PARALLEL, where))
    return found


def _unit(
    feature: str,
    source: str,
    major: _Major,
    unit: str,
    waits: tuple[list[str], list[str]],  # the unit's dependencies; those order alone gives
    where: Mapping[str, int],
) -> PlanUnit:
    depends, in_order = waits

    def task(line: _Line, before: list[str]) -> PlanTask:
        stated = [f"{feature}.{ref}" for ref in line.depends if ref in where]
        return PlanTask(
            id=f"{feature}.{line.native}",
            native_id=line.native,
            unit=unit,
            title=line.title,
            source=source,
            line=line.line,
            mentions=tuple(line.mentions),
            depends_on=tuple(dict.fromkeys(before + stated)),
            parallel=PARALLEL if line.parallel else None,
            done=line.box in ("x", "X"),
        )

    subs = major.subs
    direct = ordering.direct_waits(len(subs), _lifted(subs))
    lines = [task(major.task, depends)] + [
        task(sub, [f"{feature}.{subs[j].native}" for j in direct[k]] or in_order)
        for k, sub in enumerate(subs)
    ]
    return PlanUnit(
        id=unit,
        native_id=major.task.native,
        format=NAME,
        group=feature,
        title=major.task.title or f"task {major.task.native}",
        source=source,
        line=major.task.line,
        mentions=tuple(m for line in [major.task, *subs] for m in line.mentions),
        depends_on=tuple(depends),
        tasks=tuple(lines),
        status=_status(major),
        files=(source,),
    )


def _status(major: _Major) -> str:
    work = major.subs or [major.task]
    if any(line.blocked for line in [major.task, *work]):
        return BLOCKED
    if major.task.box in ("x", "X") or all(line.box in ("x", "X") for line in work):
        return DONE
    if any(line.box in ("x", "X", "-", "~") for line in [major.task, *work]):
        return IN_PROGRESS
    return DEFERRED if major.task.optional else OPEN


FORMAT = PlanFormat(
    name=NAME,
    short="kiro",
    layouts=LAYOUTS[NAME],
    plan_of=plan_of,
    read=read,
)
