"""What a plan unit (or one task line) may write into its plan: its bookkeeping entries.

Compiled when the unit becomes a Task (`plan_index.parse_named`) and carried by the task's
record into its rules, where the commit hook judges plan-file changes with `core.bookkeeping`
and needs no plan reader. Entries are `(kind, path, ids)` as `core.bookkeeping` describes;
`PlanUnit.files` says which plan files hold the unit's bookkeeping. Pure.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from gitwt.core.bookkeeping import ANY, EVERY, JSON, MARKDOWN

if TYPE_CHECKING:
    from gitwt.core.formats.plan_units import PlanTask, PlanUnit

Entry = tuple[str, str, tuple[str, ...]]

# Formats whose plan file is the unit's alone (all its boxes are its own) or a whole file of
# its own (written by the tool's implement step, any content).
_OWN_FILE = {"ccpm": MARKDOWN, "openspec": MARKDOWN}
_WHOLE_FILE = {"gsd"}


def unit_bookkeeping(unit: PlanUnit, line: PlanTask | None = None) -> tuple[Entry, ...]:
    """The unit's entries; for a task line, only that line's status mark in its plan file."""
    found: list[Entry] = []
    for path in unit.files:
        if path.endswith("/**"):  # ccpm's `updates/<N>/`: the unit's own folder
            found.append((ANY, path[:-2], ()))
        elif unit.format in _WHOLE_FILE:
            found.append((ANY, path, ()))
        elif path.endswith(".json"):
            ids = (line.native_id,) if line is not None else (unit.native_id,)
            found.append((JSON, path, ids))
        elif unit.format in _OWN_FILE:
            found.append((_OWN_FILE[unit.format], path, (EVERY,)))
        else:
            found.append((MARKDOWN, path, _line_ids(unit, line, path)))
    return tuple(found)


def _line_ids(unit: PlanUnit, line: PlanTask | None, path: str) -> tuple[str, ...]:
    """The plan's own ids of the task lines in `path` that are the unit's (a Kiro unit's own
    numbered line too: cc-sdd ticks it when all its sub-tasks are done)."""
    if line is not None:
        return (line.native_id,)
    ids = [task.native_id for task in unit.tasks if task.source == path]
    if unit.source == path and unit.format == "kiro":
        ids.insert(0, unit.native_id)
    return tuple(dict.fromkeys(ids))


def as_json(entries: tuple[Entry, ...]) -> list[list[object]]:
    """The entries as a task record and a rules file store them."""
    return [[kind, path, list(ids)] for kind, path, ids in entries]
