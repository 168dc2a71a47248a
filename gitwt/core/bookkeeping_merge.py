"""Two sides' bookkeeping in one plan file, combined at merge (DESIGN §6).

Where `git merge-tree` conflicts only in plan files and each side's change there is status marks
(`core.bookkeeping`), merge writes the file itself: base's version with both sides' marks applied,
byte for byte; a `metadata.updated` both sides set takes the later value. Pure, stdlib only.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from gitwt.core.bookkeeping import EVERY, JSON, MARKDOWN, judges_for, split_lines, walk
from gitwt.core.bookkeeping_json import line_places, string_value

if TYPE_CHECKING:
    from collections.abc import Sequence


def generic_entry(path: str) -> list[Any]:
    """Any unit's bookkeeping in a plan file (what merge accepts from either side)."""
    if path.endswith(".json"):
        return [JSON, path, [EVERY]]
    return [MARKDOWN, path, [EVERY]]


def combined(base: str, ours: str, theirs: str, entry: Sequence[Any]) -> str | None:
    """Base's text with both sides' bookkeeping applied, byte for byte; None when either side
    changed more than bookkeeping or both changed one place differently (a `metadata.updated`
    both set takes the later value)."""
    make = judges_for(entry[0], entry[2])
    old = split_lines(base)
    mine, their = walk(old, split_lines(ours), make), walk(old, split_lines(theirs), make)
    if mine[0] or their[0]:
        return None
    places = line_places(old) if entry[0] == JSON else None
    hunks: dict[tuple[int, int], list[str]] = {}
    for start, end, lines in [*mine[1], *their[1]]:
        key = (start, end)
        if key in hunks and hunks[key] != lines:
            later = _later(places, start, end, hunks[key], lines)
            if later is None:
                return None
            lines = later
        hunks[key] = lines
    ordered = sorted(hunks.items(), key=lambda item: (item[0][0], item[0][1]))
    from itertools import pairwise  # merge only: the hook never loads it

    for (first, _), (second, _) in pairwise(ordered):
        if first[1] > second[0]:
            return None
    out: list[str] = []
    at = 0
    for (start, end), lines in ordered:
        out += old[at:start]
        out += lines
        at = end
    out += old[at:]
    return "".join(out)


def _later(
    places: list[tuple[str, str, str, str] | None] | None,
    start: int,
    end: int,
    first: list[str],
    second: list[str],
) -> list[str] | None:
    """The later of two `metadata.updated` values (ISO times compare as text); None otherwise."""
    if places is None or end != start + 1 or places[start] != ("metadata", "", "", "updated"):
        return None
    one, two = string_value(first[0]), string_value(second[0])
    if one is None or two is None:
        return None
    return first if one >= two else second
