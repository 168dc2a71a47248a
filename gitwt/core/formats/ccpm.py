"""ccpm (Claude Code PM): one unit per task file `.claude/epics/<epic>/<N>.md` (DESIGN §2).

The grammar is ccpm's own (`epic-decompose`, `issue-analyze`, the task front matter): `status`
open / in-progress / closed, `depends_on` and `conflicts_with` as task numbers, `parallel: true`.
Task files are renamed to their GitHub issue number at sync; a file that kept its sequential
name while its `github:` URL names the issue answers to both numbers. Numbers are read as written
(`[001, 010]` is one and ten; YAML 1.1 would read `010` as octal 8). Files come from the
`### Files Affected` section (any case) and `**Files**:` lists of the task, the `**Files**:`
of its streams in `<N>-analysis.md`, else the paths its text names. Not tasks: `epic.md`,
`<N>-analysis.md` (read with its task), `github-mapping.md`, `execution-status.md`, `updates/`,
`archived/`. Pure.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from gitwt.core import front_matter, lazy_regex
from gitwt.core.formats import plan_text
from gitwt.core.formats.layouts import LAYOUTS
from gitwt.core.formats.plan_text import Collected
from gitwt.core.formats.plan_units import (
    DONE,
    IN_PROGRESS,
    OPEN,
    UNIT,
    ParallelClaim,
    PlanFormat,
    PlanMention,
    PlanProblem,
    PlanReading,
    PlanUnit,
)
from gitwt.core.legacy_specs import NEGATIVE, heading_kind
from gitwt.core.provenance import Ignored
from gitwt.core.task_ids import is_task_id

NAME = "ccpm"
ROOT = ".claude/epics/"  # the planning folder: its files are bookkeeping, never a task's work
MARKER = "parallel: true"
_FILE = lazy_regex.compile(
    r"^\.claude/epics/(?P<epic>[^/]+)/(?P<stem>(?P<number>[0-9]{1,12})(?P<analysis>-analysis)?)\.md$"
)
NOT_EPICS = frozenset({"archived"})
_STATUS = {"open": OPEN, "in-progress": IN_PROGRESS, "in_progress": IN_PROGRESS, "closed": DONE}
_ISSUE_URL = lazy_regex.compile(r"/issues/(?P<number>[0-9]{1,12})/?$")
# `### Files Affected` (ccpm's template), and the ownership sections users write instead
# ("What this task owns", "Scope — yours alone").
_FILES_HEADING = lazy_regex.compile(
    r"^(?:files?\s+(?:affected|to\s+(?:create|modify|change))|affected\s+files|"
    r"what\s+(?:this|the)\s+task\s+owns|scope\b.*\byours\b)",
    re.I,
)
_FILES_MARKER = lazy_regex.compile(
    r"^\s*(?:[-*+]\s+)?(?:\*\*)?(?P<label>files?(?:\s+affected)?|affected\s+files)"
    r"(?:\*\*\s*:|:\s*\*\*|\s*:)\s*(?P<rest>.*)$",
    re.IGNORECASE,
)
_CREATES = lazy_regex.compile(r"\b(?:new|creates?|created)\b", re.IGNORECASE)
_DELIVERS = lazy_regex.compile(
    r"\b(?:acceptance|success criteria|definition of done)\b", re.IGNORECASE
)
_NUMBER = lazy_regex.compile(r"^#?0*(?P<number>[0-9]{1,12})$")


def plan_of(path: str) -> str | None:
    found = _FILE.match(path)
    if found is None or found.group("epic") in NOT_EPICS:
        return None
    return f".claude/epics/{found.group('epic')}"


@dataclass
class _EpicTaskFile:
    epic: str
    stem: str
    source: str
    id: str
    found: front_matter.FrontMatter
    aliases: list[str] = field(default_factory=list)
    depends_on: list[str] = field(default_factory=list)
    conflicts_with: list[str] = field(default_factory=list)

    @property
    def number(self) -> int:
        return int(self.stem)

    @property
    def parallel(self) -> bool:
        return plan_text.is_true((self.found.data or {}).get("parallel"))

    def line_of(self, key: str) -> int:
        return self.found.key_lines.get(key, 1)


def read(files: Mapping[str, str]) -> PlanReading:
    reading = Collected()
    epics: dict[str, dict[str, str]] = {}
    for path in sorted(files):
        folder = plan_of(path)
        if folder is not None:
            epics.setdefault(folder, {})[path] = files[path]
    for folder, texts in epics.items():
        _read_epic(folder, texts, reading)
    return reading.reading()


def _read_epic(folder: str, texts: dict[str, str], reading: Collected) -> None:
    epic = folder.rsplit("/", 1)[1]
    if not is_task_id(epic):
        reading.problems.append(
            PlanProblem(
                f"ccpm epic folder {folder!r} cannot name tasks: ids use letters, digits, "
                "'.', '_' and '-'",
                "rename the epic folder (ccpm names epics in kebab-case)",
                folder,
            )
        )
        return
    analyses: dict[int, tuple[str, str]] = {}
    tasks: list[_EpicTaskFile] = []
    for path, text in texts.items():
        found = _FILE.match(path)
        assert found is not None  # plan_of kept only these
        if found.group("analysis"):
            analyses[int(found.group("number"))] = (path, text)
            continue
        number = int(found.group("number"))
        unit_id = f"{epic}.{number}"
        try:
            parsed = front_matter.split(text, path, strings=True)
        except front_matter.FrontMatterError as error:
            reading.problems.append(plan_text.front_matter_problem(error, path, unit_id))
            continue
        tasks.append(_EpicTaskFile(epic, found.group("number"), path, unit_id, parsed))
    tasks.sort(key=lambda task: (task.number, task.stem))
    numbers = _numbers(tasks, reading)
    for task in tasks:
        task.depends_on = _task_numbers(task, "depends_on", numbers, reading)
        task.conflicts_with = _task_numbers(task, "conflicts_with", numbers, reading)
    for task in tasks:
        reading.units.append(_unit(task, analyses.get(task.number), reading))
    reading.claims.extend(_claims(tasks, folder, reading))


def _numbers(tasks: list[_EpicTaskFile], reading: Collected) -> dict[int, str]:
    """Each number a task answers to: its file name, then the issue its `github:` URL names."""
    numbers: dict[int, str] = {}
    for task in tasks:
        if task.number in numbers:  # `01.md` and `1.md`
            reading.problems.append(
                PlanProblem(
                    f"two ccpm task files of epic {task.epic} have the number {task.number}",
                    "rename one of them: ccpm numbers each task once",
                    task.source,
                    1,
                    task.id,
                )
            )
            continue
        numbers[task.number] = task.id
        if task.stem != str(task.number):
            task.aliases.append(f"{task.epic}.{task.stem}")
    for task in tasks:
        github = (task.found.data or {}).get("github")
        issue = _ISSUE_URL.search(github) if isinstance(github, str) else None
        if issue is not None and int(issue.group("number")) not in numbers:
            numbers[int(issue.group("number"))] = task.id
            task.aliases.append(f"{task.epic}.{int(issue.group('number'))}")
    return numbers


def _task_numbers(
    task: _EpicTaskFile, key: str, numbers: dict[int, str], reading: Collected
) -> list[str]:
    """A `depends_on` / `conflicts_with` list as unit ids; what names no task is reported."""
    ids: list[str] = []
    value = (task.found.data or {}).get(key)
    listed = plan_text.as_strings(value, key, task.source, task.line_of(key), reading.problems)
    for item in listed:
        found = _NUMBER.match(item)
        target = numbers.get(int(found.group("number"))) if found else None
        if target is None:
            what = "no task of this epic has that number" if found else "not a task number"
            reading.problems.append(
                PlanProblem(
                    f"{key} of ccpm task {task.id} names {item!r}: {what}",
                    f"list task numbers of epic {task.epic} in {key}, e.g. [001, 002]",
                    task.source,
                    task.line_of(key),
                )
            )
        elif target != task.id and target not in ids:
            ids.append(target)
    return ids


def _unit(task: _EpicTaskFile, analysis: tuple[str, str] | None, reading: Collected) -> PlanUnit:
    data = task.found.data or {}
    mentions, ignored = _listed_files(task.found.body, task.source, task.found.body_line)
    if analysis is not None:
        more, more_ignored = _stream_files(*analysis)
        mentions += more
        ignored += more_ignored
    if not mentions:
        mentions, ignored = _text_paths(task.found.body, task.source, task.found.body_line)
    reading.ignored.extend(ignored)
    status = data.get("status")
    folder = task.source.rsplit("/", 1)[0]
    return PlanUnit(
        id=task.id,
        native_id=task.stem,
        format=NAME,
        group=task.epic,
        title=_title(task),
        source=task.source,
        line=1,
        mentions=tuple(mentions),
        depends_on=tuple(task.depends_on),
        status=_STATUS.get(status.strip().lower(), OPEN) if isinstance(status, str) else OPEN,
        files=(task.source, f"{folder}/updates/{task.stem}/**"),
        aliases=tuple(task.aliases),
        conflicts_with=tuple(task.conflicts_with),
    )


def _title(task: _EpicTaskFile) -> str:
    name = (task.found.data or {}).get("name")
    if isinstance(name, str) and name.strip():
        return name.strip()
    for line in plan_text.markdown_lines(task.found.body):
        if line.heading == 1:
            return re.sub(r"^Task:\s*", "", line.title).strip() or task.stem
    return task.stem


def _listed_files(body: str, source: str, first: int) -> tuple[list[PlanMention], list[Ignored]]:
    """Paths of the `Files Affected` section and of `**Files**:` markers with their lists."""
    mentions: list[PlanMention] = []
    ignored: list[Ignored] = []
    section: int | None = None  # the level of the open Files Affected heading
    marker = False  # a `**Files**:` marker opened a list below it
    for line in plan_text.markdown_lines(body, first):
        if line.heading:
            level, text = line.heading, line.title
            marker = False
            if section is not None and level <= section:
                section = None
            if _FILES_HEADING.match(text.strip()) and not plan_text.PROHIBITED.search(text):
                section = level
            continue
        if not line.text.strip():
            marker = False
            continue
        found = _FILES_MARKER.match(line.text)
        item = plan_text.list_item(line.text)
        if found is not None:
            text, marker = found.group("rest"), True
        elif section is not None or (marker and item is not None):
            text = item[0] if item is not None else line.text
        else:
            marker = False
            continue
        creates = bool(_CREATES.search(text))
        more, more_ignored = plan_text.declared_or_ignored(
            text, source, line.number, creates=creates, root=ROOT
        )
        mentions += more
        ignored += more_ignored
    return mentions, ignored


def _stream_files(source: str, text: str) -> tuple[list[PlanMention], list[Ignored]]:
    """The `**Files**:` of each work stream in `<N>-analysis.md` (its own front matter skipped)."""
    try:
        parsed = front_matter.split(text, source, strings=True)
        body, first = parsed.body, parsed.body_line
    except front_matter.FrontMatterError:
        body, first = text, 1  # the streams are still readable; the task's problems suffice
    mentions: list[PlanMention] = []
    ignored: list[Ignored] = []
    marker = False
    stream = ""
    for line in plan_text.markdown_lines(body, first):
        if line.heading:
            stream, marker = line.title.strip(), False
            continue
        found = _FILES_MARKER.match(line.text)
        item = plan_text.list_item(line.text)
        if found is not None:
            text_part, marker = found.group("rest"), True
        elif marker and item is not None:
            text_part = item[0]
        else:
            marker = False
            continue
        note = f"{stream} of {source.rsplit('/', 1)[1]}" if stream else ""
        more, more_ignored = plan_text.declared_or_ignored(
            text_part,
            source,
            line.number,
            creates=bool(_CREATES.search(text_part)),
            note=note,
            root=ROOT,
        )
        mentions += more
        ignored += more_ignored
    return mentions, ignored


def _text_paths(body: str, source: str, first: int) -> tuple[list[PlanMention], list[Ignored]]:
    """No file list: the paths the task's text names, outside sections that only refer to files."""
    mentions: list[PlanMention] = []
    ignored: list[Ignored] = []
    headings: list[tuple[int, str]] = []
    note = "named in the task's text (it has no Files Affected list)"
    for line in plan_text.markdown_lines(body, first):
        if line.heading:
            while headings and headings[-1][0] >= line.heading:
                headings.pop()
            headings.append((line.heading, line.title))
            continue
        if any(_refers_only(text) for _, text in headings):
            continue
        more, more_ignored = plan_text.declared_or_ignored(
            line.text,
            source,
            line.number,
            creates=bool(_CREATES.search(line.text)),
            note=note,
            root=ROOT,
        )
        mentions += more
        ignored += more_ignored
    return mentions, ignored


def _refers_only(heading: str) -> bool:
    """Sections that only refer to files (References, Context, Risks, files it must not touch);
    a task's Acceptance Criteria and Definition of Done name what it delivers."""
    if plan_text.PROHIBITED.search(heading):  # "Files You MUST NOT Modify or Delete"
        return True
    return heading_kind(heading) == NEGATIVE and not _DELIVERS.search(heading)


def _claims(tasks: list[_EpicTaskFile], folder: str, reading: Collected) -> list[ParallelClaim]:
    """`parallel: true` pairs that neither `depends_on` (transitively) nor `conflicts_with` rule
    out."""
    parallel = [task for task in tasks if task.parallel]
    if len(parallel) * (len(parallel) - 1) // 2 > plan_text.MAX_CLAIM_PAIRS:
        reading.problems.append(plan_text.too_many_claims(folder, len(parallel), MARKER))
        return []
    depends = {task.id: task.depends_on for task in tasks}
    after = plan_text.transitive(depends, (task.id for task in parallel))
    sources = {task.id: f"{task.source}:{task.line_of('parallel')}" for task in parallel}
    claims: list[ParallelClaim] = []
    for index, first in enumerate(parallel):
        ruled_out = after[first.id] | set(first.conflicts_with)
        for second in parallel[index + 1 :]:
            if second.id in ruled_out or first.id in after[second.id]:
                continue
            if first.id in second.conflicts_with:
                continue
            pair = (first.id, second.id)
            claims.append(ParallelClaim(UNIT, pair, None, MARKER, sources[second.id]))
    return claims


FORMAT = PlanFormat(
    name=NAME,
    short=NAME,
    layouts=LAYOUTS[NAME],
    plan_of=plan_of,
    read=read,
)
