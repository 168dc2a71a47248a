"""Task Master's tasks.json as a file: where the task list is, and where each key stands.

Task Master's file storage: tagged `{"<tag>": {"tasks": [...], "metadata": {...}}}` read at the
tag `.taskmaster/state.json` names (`currentTag`, formerly `activeTag`), else `master`, else
the first tag (Task Master's own fallback); untagged `{"tasks": [...]}`; the old layout
`tasks/tasks.json`, which may be another tool's file (then it is shown, not a problem). json
gives no positions, so lines are found in the text in document order. Pure.
"""

from __future__ import annotations

import bisect
import json
import re
import sys
from dataclasses import dataclass, field
from typing import Any

from gitwt.core.formats.layouts import TASKMASTER_LEGACY, TASKMASTER_STATE, TASKMASTER_TASKS
from gitwt.core.formats.plan_units import PlanProblem
from gitwt.core.provenance import Ignored

TASKS = TASKMASTER_TASKS
STATE = TASKMASTER_STATE
LEGACY = TASKMASTER_LEGACY
MAX_CHARS = 32 * 1024 * 1024


class JsonLines:
    """Lines of keys in the JSON text, found in document order (json gives no positions)."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.starts = [0] + [match.end() for match in re.finditer("\n", text)]
        self.cursor = 0

    def line(self, position: int) -> int:
        return bisect.bisect_right(self.starts, position)

    def seek_id(self, value: object) -> int:
        """The position of the next `"id": <value>`, moving on; -1 when absent."""
        spelled = re.escape(json.dumps(value)) if isinstance(value, int | str) else None
        if spelled is None:
            return -1
        found = re.compile(rf'"id"\s*:\s*{spelled}').search(self.text, self.cursor)
        if found is None:
            return -1
        self.cursor = found.end()
        return found.start()

    def key_line(self, key: str, start: int, end: int, fallback: int) -> int:
        if start < 0:
            return fallback
        found = self.text.find(json.dumps(key), start, end if end > start else len(self.text))
        return self.line(found) if found >= 0 else fallback


@dataclass
class FileReading:
    source: str
    where: JsonLines
    problems: list[PlanProblem] = field(default_factory=list)
    ignored: list[Ignored] = field(default_factory=list)

    def problem(self, message: str, hint: str, line: int = 0, unit: str | None = None) -> None:
        self.problems.append(PlanProblem(message, hint, self.source, line, unit))


def load(text: str, reading: FileReading) -> Any:
    legacy = reading.source == LEGACY
    if len(text) > MAX_CHARS:
        reading.problem(
            f"{reading.source} is larger than {MAX_CHARS // 1024 // 1024} MiB",
            "split the tasks into tags, or archive the finished ones",
        )
        return None
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        if legacy:  # not recognisably Task Master's: another tool's tasks/tasks.json
            reading.ignored.append(Ignored(LEGACY, LEGACY, error.lineno, "not valid JSON"))
            return None
        reading.problem(
            f"malformed JSON in {reading.source}:{error.lineno}: {error.msg}",
            "fix the JSON at that line (Task Master rewrites this file whole: check the last "
            "edit or merge)",
            error.lineno,
        )
    except RecursionError:  # json's C reader stops there: our limit, named
        reading.problem(
            f"{reading.source} nests too deep to read (more than about "
            f"{sys.getrecursionlimit()} levels, the JSON reader's limit)",
            "Task Master writes tasks two levels deep: restore the file from Task Master",
        )
    return None


def current_tag(text: str | None, reading: FileReading) -> str | None:
    if text is None:
        return None
    try:
        state = json.loads(text)
    except (json.JSONDecodeError, RecursionError) as error:
        line = getattr(error, "lineno", 0)
        reading.problems.append(
            PlanProblem(
                f"malformed JSON in {STATE}: the current tag is unknown; 'master' is read",
                "fix the JSON, or run 'task-master use-tag <tag>' to rewrite it",
                STATE,
                line,
            )
        )
        return None
    tag = state.get("currentTag") or state.get("activeTag") if isinstance(state, dict) else None
    return tag if isinstance(tag, str) and tag else None


def tag_tasks(data: Any, tag: str | None, reading: FileReading) -> list[Any] | None:
    """The task list Task Master would show: the current tag's, or the untagged file's."""
    if data is None:
        return None
    if not isinstance(data, dict):
        return _not_tasks(reading, "its top level is not an object")
    tags = [key for key in data if key not in ("tasks", "metadata")]
    if not tags:
        tasks = data.get("tasks")
        if isinstance(tasks, list):
            return tasks
        return _not_tasks(reading, "it has no 'tasks' list")
    chosen = tag or "master"
    if chosen not in data and tag is None:
        chosen = tags[0]  # Task Master's own fallback when 'master' is absent
    for other in tags:
        if other != chosen:
            line = reading.where.line(reading.where.text.find(json.dumps(other)))
            why = f"not the current tag ({chosen!r}{', from state.json' if tag else ''})"
            reading.ignored.append(Ignored(f"tag {other}", reading.source, line, why))
    if chosen not in data:
        reading.problem(
            f"{STATE} names the tag {chosen!r}, which {reading.source} does not hold",
            "run 'task-master use-tag <tag>' with a tag the file holds ('task-master tags')",
            0,
        )
        return None
    body = data[chosen]
    tasks = body.get("tasks") if isinstance(body, dict) else None
    return (
        tasks
        if isinstance(tasks, list)
        else _not_tasks(reading, f"tag {chosen!r} has no 'tasks' list")
    )


def _not_tasks(reading: FileReading, why: str) -> list[Any] | None:
    """No task list: another tool's `tasks/tasks.json` is shown as such, ours is a problem."""
    if reading.source == LEGACY:
        reading.ignored.append(Ignored(LEGACY, LEGACY, 0, f"not a Task Master file: {why}"))
    else:
        reading.problem(
            f"{reading.source} is not a Task Master task list: {why}",
            "restore the file from Task Master ('task-master list' shows what it reads)",
            1,
        )
    return None
