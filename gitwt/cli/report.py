"""What every command's report shares: colour, tables, JSON output, durations and sizes; the
JSON of the API's reports is in gitwt.services.json_reports, re-exported here."""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from typing import TextIO

from gitwt.core.display import json_inert
from gitwt.infra import state
from gitwt.services.json_reports import clean_json as clean_json
from gitwt.services.json_reports import merge_json as merge_json
from gitwt.services.json_reports import schema as schema
from gitwt.services.json_reports import start_json as start_json
from gitwt.services.json_reports import status_json as status_json


def use_colour(stream: TextIO) -> bool:
    return stream.isatty() and "NO_COLOR" not in os.environ and os.environ.get("TERM") != "dumb"


def paint(text: str, colour: str, stream: TextIO = sys.stdout) -> str:
    """`text` in a colour on a terminal (the escape written so that the inert output lets it
    through: cli/inert_output.py)."""
    from gitwt.cli.inert_output import escape_sequence

    codes = {"red": "31", "green": "32", "yellow": "33", "bold": "1", "dim": "2"}
    if not use_colour(stream):
        return text
    return f"{escape_sequence(codes[colour] + 'm')}{text}{escape_sequence('0m')}"


def dump_json(data: Mapping[str, object], stream: TextIO = sys.stdout) -> None:
    # Indented for a person at a terminal; compact for programs, because the indenting encoder
    # is pure Python and costs seconds' share on a 500-task plan (the compact one is C).
    indent = 2 if stream.isatty() else None
    stream.write(json_inert(state.dumps(data, indent=indent)) + "\n")


def terminal_width(stream: TextIO | None = None) -> int | None:
    """Columns to fit, as git reads them: $COLUMNS, else the terminal's width; None (nothing
    cut or folded) when the report goes to a file or a pipe without $COLUMNS, where a cut
    path would lose what a script or a search needs."""
    import shutil

    stream = stream or sys.stdout
    if not os.environ.get("COLUMNS", "").strip().isdigit() and not stream.isatty():
        return None
    return max(shutil.get_terminal_size((80, 24)).columns, 40)


def middle(text: str, width: int | None) -> str:
    """`text` in at most `width` characters, its middle replaced by '…' (a path keeps both
    ends: the folder it starts from and the file name)."""
    if width is None or len(text) <= width:
        return text
    if width <= 1:
        return "…"[:width]
    head = (width - 1) // 2
    return text[:head] + "…" + text[len(text) - (width - 1 - head) :]


def end(text: str, width: int) -> str:
    return text if len(text) <= width else text[: max(width - 1, 0)] + "…"


def wrapped(text: str, width: int | None, indent: str = "  ", more: str = "      ") -> str:
    """One report line folded at `width` (continuations indented by `more`), each line ending
    with a newline: long messages fold rather than let the terminal wrap them."""
    import textwrap

    if width is None:
        return indent + text + "\n"
    lines = textwrap.wrap(
        text,
        width=max(width, len(more) + 20),
        initial_indent=indent,
        subsequent_indent=more,
        break_long_words=True,
        break_on_hyphens=False,
    )
    return "".join(line + "\n" for line in lines or [indent])


def fitted(
    rows: list[list[str]],
    width: int | None,
    squeeze: list[tuple[int, str, int]],
    indent: str = "  ",
) -> list[list[str]]:
    """The rows with columns shortened step by step, (column, 'middle' for paths or 'end' for
    text, down to this width), until a line fits in `width`; the columns no step names keep
    their full text (an id is never cut: it is what the user types)."""
    if width is None:
        return rows
    widths = [max(len(row[column]) for row in rows) for column in range(len(rows[0]))]
    over = len(indent) + sum(widths) + 2 * (len(widths) - 1) - width
    allowed: dict[int, int] = {}
    modes: dict[int, str] = {}
    for column, mode, least in squeeze:
        modes[column] = mode
        current = allowed.setdefault(column, widths[column])
        step = max(min(over, current - least), 0)
        allowed[column] -= step
        over -= step
    cut = {"middle": middle, "end": end}
    return [
        [
            cut[modes[index]](cell, allowed[index]) if index in allowed else cell
            for index, cell in enumerate(row)
        ]
        for row in rows
    ]


def table_lines(rows: list[list[str]], indent: str = "  ") -> list[str]:
    """The rows as aligned lines (two spaces between columns, no trailing blanks)."""
    widths = [max(len(row[column]) for row in rows) for column in range(len(rows[0]))]
    return [
        (indent + "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True))).rstrip()
        for row in rows
    ]


def table(rows: list[list[str]], stream: TextIO = sys.stdout, indent: str = "  ") -> None:
    for number, line in enumerate(table_lines(rows, indent)):
        stream.write((paint(line, "bold", stream) if number == 0 else line) + "\n")


def duration(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    seconds = int(seconds)
    if seconds < 60:
        return f"{seconds}s"
    if seconds < 3600:
        return f"{seconds // 60}m{seconds % 60:02d}s"
    return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m"


def size(count: int | None) -> str:
    if not count:
        return "-"
    for unit in ("B", "K", "M", "G"):
        if count < 1024 or unit == "G":
            return f"{count:.0f}{unit}" if unit == "B" else f"{count:.1f}{unit}"
        count /= 1024  # type: ignore[assignment]
    return "-"
