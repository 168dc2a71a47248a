"""Task Master: one unit per top-level task of `.taskmaster/tasks/tasks.json` (DESIGN §2).

The grammar is Task Master's own file storage (which task list: `taskmaster_file`; the old
layout `tasks/tasks.json` is read only when `.taskmaster/` has none). Units are `tm.<id>`, subtasks
`tm.<id>.<sub>`. Files: `relevantFiles` entries whose `action` is `create` or `modify`
(`reference` is read, not changed), and the paths named in `details`, `description` and
`testStrategy`, the subtasks' included. `dependencies` are numbers or strings; in a subtask a
number means a sibling subtask and `"7.2"` a subtask of another task (a unit waiting for a
subtask waits for its task). A malformed file is a problem with its line, never a traceback.
Pure: the texts come in; nothing is read from disk here.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from gitwt.core import lazy_regex
from gitwt.core.formats import plan_text
from gitwt.core.formats.layouts import LAYOUTS
from gitwt.core.formats.plan_units import (
    BLOCKED,
    DEFERRED,
    DONE,
    IN_PROGRESS,
    OPEN,
    PlanFormat,
    PlanMention,
    PlanReading,
    PlanTask,
    PlanUnit,
)
from gitwt.core.formats.taskmaster_file import (
    LEGACY,
    STATE,
    TASKS,
    FileReading,
    JsonLines,
    current_tag,
    load,
    tag_tasks,
)
from gitwt.core.provenance import Ignored
from gitwt.core.task_ids import is_task_id

TYPE_CHECKING = False
if TYPE_CHECKING:
    from gitwt.infra.json_payload import JsonObject

NAME = "taskmaster"
ROOT = ".taskmaster/"  # the planning folder: its files are bookkeeping, never a task's work
SHORT = "tm"
PLAN = ".taskmaster"
TEXT_FIELDS = ("description", "details", "testStrategy")
_STATUS = {
    "pending": OPEN,
    "done": DONE,
    "completed": DONE,
    "in-progress": IN_PROGRESS,
    "review": IN_PROGRESS,
    "blocked": BLOCKED,
    "deferred": DEFERRED,
    "cancelled": DEFERRED,  # never runs, and never a finished dependency
}
_CREATES = lazy_regex.compile(r"\b(?:create[sd]?|new|add(?:s|ed)?)\b", re.IGNORECASE)
_NOTES = lazy_regex.compile(r"<info added on [^>\n]*>.*?(?:</info added on [^>\n]*>|\Z)", re.DOTALL)
_SUBTASK = lazy_regex.compile(r"^(?P<parent>[^.]+)\.(?P<sub>[^.]+)$")


def plan_of(path: str) -> str | None:
    return PLAN if path in (TASKS, STATE, LEGACY) else None


@dataclass
class _TasksJsonReading(FileReading):
    units: list[PlanUnit] = field(default_factory=list)


def read(files: Mapping[str, str]) -> PlanReading:
    source = TASKS if TASKS in files else LEGACY if LEGACY in files else None
    if source is None:
        return PlanReading()
    reading = _TasksJsonReading(source, JsonLines(files[source]))
    if source == TASKS and LEGACY in files:
        reason = "Task Master reads .taskmaster/tasks/tasks.json when it exists"
        reading.ignored.append(Ignored(LEGACY, LEGACY, 0, reason))
    data = load(files[source], reading)
    tasks = tag_tasks(data, current_tag(files.get(STATE), reading), reading)
    if tasks is not None:
        _read_tasks(tasks, reading)
    return PlanReading(tuple(reading.units), (), tuple(reading.problems), tuple(reading.ignored))


@dataclass
class _Parsed:
    native: str
    data: JsonObject
    position: int
    line: int
    subtasks: list[_Parsed] = field(default_factory=list)


def _read_tasks(tasks: list[Any], reading: _TasksJsonReading) -> None:
    parsed: list[_Parsed] = []
    seen: set[str] = set()
    for task in tasks:
        entry = _parse(task, None, reading)
        if entry is None:
            continue
        if entry.native in seen:
            reading.problem(
                f"two tasks of {reading.source} have the id {entry.native}",
                "give each task its own id ('task-master fix-dependencies' reports the rest)",
                entry.line,
                f"{SHORT}.{entry.native}",
            )
            continue
        seen.add(entry.native)
        subtasks = task.get("subtasks")
        for item in subtasks if isinstance(subtasks, list) else ():
            sub = _parse(item, entry.native, reading)
            if sub is not None:
                entry.subtasks.append(sub)
        parsed.append(entry)
    positions = sorted(
        [entry.position for entry in parsed]
        + [sub.position for entry in parsed for sub in entry.subtasks]
    )
    units = {entry.native for entry in parsed}
    for entry in parsed:
        reading.units.append(_unit(entry, units, positions, reading))


def _parse(item: Any, parent: str | None, reading: _TasksJsonReading) -> _Parsed | None:
    raw = item.get("id") if isinstance(item, dict) else None
    position = reading.where.seek_id(raw)
    line = reading.where.line(position) if position >= 0 else 0
    native = str(raw) if isinstance(raw, int | str) and not isinstance(raw, bool) else ""
    full = f"{parent}.{native}" if parent is not None else native
    if not native or "." in native or not is_task_id(f"{SHORT}.{full}"):
        what = "a subtask" if parent is not None else "a task"
        reading.problem(
            f"{what} of {reading.source} has no usable id ({raw!r})",
            "give it a number as its id, as Task Master does",
            line,
        )
        return None
    assert isinstance(item, dict)
    return _Parsed(native, item, position, line)


def _unit(
    entry: _Parsed, units: set[str], positions: list[int], reading: _TasksJsonReading
) -> PlanUnit:
    unit_id = f"{SHORT}.{entry.native}"
    mentions = _mentions(entry, positions, reading)
    depends = _dependencies(entry, None, units, reading)
    inherited = list(depends)  # a subtask starts only once its task's dependencies are done
    tasks: list[PlanTask] = []
    for sub in entry.subtasks:
        sub_mentions = _mentions(sub, positions, reading)
        sub_depends = _dependencies(sub, entry, units, reading)
        mentions += sub_mentions
        for target in sub_depends:  # the unit waits for what any of its subtasks waits for
            owner = ".".join(target.split(".")[:2])
            if owner != unit_id and owner not in depends:
                depends.append(owner)
        tasks.append(
            PlanTask(
                id=f"{unit_id}.{sub.native}",
                native_id=f"{entry.native}.{sub.native}",
                unit=unit_id,
                title=_text(sub.data.get("title")) or f"{entry.native}.{sub.native}",
                source=reading.source,
                line=sub.line,
                mentions=tuple(sub_mentions),
                depends_on=tuple(dict.fromkeys(sub_depends + inherited)),
                done=_status(sub.data) == DONE,
            )
        )
    return PlanUnit(
        id=unit_id,
        native_id=entry.native,
        format=NAME,
        group=SHORT,
        title=_text(entry.data.get("title")) or entry.native,
        source=reading.source,
        line=entry.line,
        mentions=tuple(mentions),
        depends_on=tuple(depends),
        tasks=tuple(tasks),
        status=_status(entry.data),
        files=(reading.source,),
    )


def _text(value: object) -> str:
    return value.strip() if isinstance(value, str) else ""


def _status(data: JsonObject) -> str:
    status = data.get("status")
    return _STATUS.get(status.strip().lower(), OPEN) if isinstance(status, str) else OPEN


def _mentions(
    entry: _Parsed, positions: list[int], reading: _TasksJsonReading
) -> list[PlanMention]:
    """`relevantFiles` that change, then the paths of the text fields (one line each in JSON)."""
    where = reading.where
    after = bisect.bisect_right(positions, entry.position)
    end = positions[after] if after < len(positions) else len(where.text)
    found: list[PlanMention] = []
    files = entry.data.get("relevantFiles")
    line = where.key_line("relevantFiles", entry.position, end, entry.line)
    for item in files if isinstance(files, list) else ():
        path = item.get("path") if isinstance(item, dict) else None
        action = item.get("action") if isinstance(item, dict) else None
        if not isinstance(path, str) or not path.strip():
            continue
        if action == "reference":
            reason = "relevantFiles: reference (read, not changed)"
            reading.ignored.append(Ignored(path, reading.source, line, reason))
            continue
        note = f"relevantFiles ({action})" if isinstance(action, str) else "relevantFiles"
        more, ignored = plan_text.mentions(
            f"`{path.strip()}`",
            reading.source,
            line,
            creates=action == "create",
            note=note,
            root=ROOT,
        )
        found += more
        reading.ignored.extend(ignored)
    for key in TEXT_FIELDS:
        value = entry.data.get(key)
        if not isinstance(value, str):
            continue
        line = where.key_line(key, entry.position, end, entry.line)
        # The fields are Markdown: a fenced block is sample code or a sketch, never a list; the
        # notes `update-subtask` appends are a log of work done (bookkeeping), not the plan.
        planned = _NOTES.sub("", value)
        for text in (found_line.text for found_line in plan_text.markdown_lines(planned)):
            more, ignored = plan_text.mentions(
                text, reading.source, line, creates=bool(_CREATES.search(text)), note=key, root=ROOT
            )
            found += more
            reading.ignored.extend(ignored)
    return found


def _dependencies(
    entry: _Parsed, parent: _Parsed | None, units: set[str], reading: _TasksJsonReading
) -> list[str]:
    """gitwt ids of what the task waits for; a unit waiting for a subtask waits for its task."""
    depends: list[str] = []
    values = entry.data.get("dependencies")
    for value in values if isinstance(values, list) else ():
        target = _dependency(value, parent, units)
        if target is None:
            native = f"{parent.native}.{entry.native}" if parent else entry.native
            reading.problem(
                f"task {native} of {reading.source} depends on {value!r}, which names no task",
                "run 'task-master validate-dependencies' and fix what it reports",
                entry.line,
            )
        elif target not in depends and target != _own_id(entry, parent):
            depends.append(target)
    return depends


def _own_id(entry: _Parsed, parent: _Parsed | None) -> str:
    return f"{SHORT}.{parent.native}.{entry.native}" if parent else f"{SHORT}.{entry.native}"


def _dependency(value: object, parent: _Parsed | None, units: set[str]) -> str | None:
    if isinstance(value, bool) or not isinstance(value, int | str):
        return None
    text = str(value).strip()
    found = _SUBTASK.match(text)
    if found is not None:  # "7.2": a subtask of task 7
        if found.group("parent") not in units:
            return None
        return f"{SHORT}.{text}" if parent is not None else f"{SHORT}.{found.group('parent')}"
    if parent is not None and isinstance(value, int):  # a sibling subtask, as Task Master reads it
        siblings = {sub.native for sub in parent.subtasks}
        return f"{SHORT}.{parent.native}.{text}" if text in siblings else None
    return f"{SHORT}.{text}" if text in units else None


FORMAT = PlanFormat(
    name=NAME,
    short=SHORT,
    layouts=LAYOUTS[NAME],
    plan_of=plan_of,
    read=read,
)
