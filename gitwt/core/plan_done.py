"""A merged unit recorded as done in its own plan (DESIGN §6, `mark_done`), the smallest edit.

Each format says "done" its own way: a checkbox plan ticks the unit's task lines (spec-kit
`[X]`, Kiro / cc-sdd and OpenSpec `[x]`; a Kiro unit's own numbered line too, also when its
last sub-task merges alone), ccpm sets the
task file's `status: closed`, Task Master sets the task's `"status": "done"`. One character, one
line or one field changes; every other byte stays. GSD's done is a SUMMARY.md the agent writes
about its work: gitwt does not invent one (its record says the unit merged). Pure.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from gitwt.core.formats.plan_units import PlanTask, PlanUnit

_BOX = re.compile(r"^(?P<lead>\s*(?:[-*+]|\d+[.)])\s+\[)(?P<mark>[ \-~])(?=\])")
_TICK = {"spec-kit": "X"}  # spec-kit's own template ticks with X; the others with x
_FIELD = re.compile(r"^(?P<key>status[ \t]*:[ \t]*)(?P<value>[^\r\n]*?)(?P<end>[ \t]*\r?\n?)$")
_CHECKBOX_FORMATS = ("spec-kit", "kiro", "openspec")


def _lines(text: str) -> list[str]:
    return text.splitlines(keepends=True)


def _ticked(text: str, numbers: list[int], mark: str) -> str:
    lines = _lines(text)
    for number in numbers:
        if 0 < number <= len(lines):
            lines[number - 1] = _BOX.sub(lambda m: m.group("lead") + mark, lines[number - 1], 1)
    return "".join(lines)


def _box_lines(text: str) -> list[int]:
    """The lines with a check box, outside fenced code blocks."""
    from gitwt.core.formats.roadmap import outside_fences

    return [number for number, line in outside_fences(text) if _BOX.match(line)]


def _front_matter_status(text: str, value: str) -> str:
    """`status:` of the YAML front matter set to `value` (added before its end when absent)."""
    lines = _lines(text)
    if not lines or lines[0].rstrip("\r\n") != "---":
        return text
    for index in range(1, len(lines)):
        line = lines[index]
        if line.rstrip("\r\n") == "---":
            ending = "\r\n" if line.endswith("\r\n") else "\n"
            lines.insert(index, f"status: {value}{ending}")
            return "".join(lines)
        found = _FIELD.match(line)
        if found is not None:
            if found.group("value").strip().strip("'\"") == value:
                return text
            lines[index] = found.group("key") + value + found.group("end")
            return "".join(lines)
    return text


def _json_status(text: str, task_id: str, value: str) -> str:
    """The `"status"` field of task `task_id` in a pretty-printed tasks.json set to `value`;
    unchanged when that field is not exactly one line (two tags giving one id, say)."""
    from gitwt.core.bookkeeping_json import line_places, string_value

    lines = _lines(text)
    places = line_places([line.rstrip("\r\n") for line in lines])
    found = [n for n, place in enumerate(places) if place == ("task", task_id, "", "status")]
    if len(found) != 1:
        return text
    line = lines[found[0]]
    old = string_value(line.strip().rstrip(","))
    if old is None or old == value:
        return text
    start = line.index('"' + old + '"', line.index(":"))
    lines[found[0]] = line[:start] + f'"{value}"' + line[start + len(old) + 2 :]
    return "".join(lines)


def done_texts(unit: PlanUnit, line: PlanTask | None, texts: Mapping[str, str]) -> dict[str, str]:
    """The plan files (path -> new text) that record the unit (or the one task line) as done;
    only those that change."""
    changed: dict[str, str] = {}

    def put(path: str, new: str) -> None:
        if path in texts and new != texts[path]:
            changed[path] = new

    mark = _TICK.get(unit.format, "x")
    by_file: dict[str, list[int]] = {}  # the check boxes to tick
    if line is not None:
        by_file[line.source] = [line.line]
        if unit.format == "kiro" and all(t.done or t.id in (line.id, unit.id) for t in unit.tasks):
            # cc-sdd ticks a numbered task (a task of its own unit) once its last sub-task is
            # done; no sub-task's agent owns that line, so the merge of the last one ticks it
            by_file.setdefault(unit.source, []).append(unit.line)
    elif unit.format == "openspec":  # a change's tasks.md is its own: every box in it
        for path in unit.files:
            if path in texts:
                by_file[path] = _box_lines(texts[path])
    elif unit.format in _CHECKBOX_FORMATS:
        for task in unit.tasks:
            by_file.setdefault(task.source, []).append(task.line)
        if unit.format == "kiro":
            by_file.setdefault(unit.source, []).append(unit.line)
    elif unit.format == "ccpm" and unit.source in texts:
        put(unit.source, _front_matter_status(texts[unit.source], "closed"))
    elif unit.format == "taskmaster" and unit.source in texts:
        put(unit.source, _json_status(texts[unit.source], unit.native_id, "done"))
    for path, numbers in by_file.items():
        if path in texts:
            put(path, _ticked(texts[path], numbers, mark))
    return changed
