"""What every command's report shares: colour, tables, JSON output, durations and sizes; the
JSON of the API's reports is in gitwt.services.json_reports, re-exported here."""

from __future__ import annotations

import os
import sys
from typing import Any, TextIO

from gitwt.infra import state
from gitwt.services.json_reports import clean_json as clean_json
from gitwt.services.json_reports import merge_json as merge_json
from gitwt.services.json_reports import schema as schema
from gitwt.services.json_reports import start_json as start_json
from gitwt.services.json_reports import status_json as status_json


def use_colour(stream: TextIO) -> bool:
    return stream.isatty() and "NO_COLOR" not in os.environ and os.environ.get("TERM") != "dumb"


def paint(text: str, colour: str, stream: TextIO = sys.stdout) -> str:
    codes = {"red": "31", "green": "32", "yellow": "33", "bold": "1", "dim": "2"}
    return f"\033[{codes[colour]}m{text}\033[0m" if use_colour(stream) else text


def dump_json(data: dict[str, Any], stream: TextIO = sys.stdout) -> None:
    # Indented for a person at a terminal; compact for programs, because the indenting encoder
    # is pure Python and costs seconds' share on a 500-task plan (the compact one is C).
    indent = 2 if stream.isatty() else None
    stream.write(state.dumps(data, indent=indent) + "\n")


def table(rows: list[list[str]], stream: TextIO = sys.stdout, indent: str = "  ") -> None:
    widths = [max(len(row[column]) for row in rows) for column in range(len(rows[0]))]
    for number, row in enumerate(rows):
        line = indent + "  ".join(
            cell.ljust(width) for cell, width in zip(row, widths, strict=True)
        )
        stream.write(
            (paint(line.rstrip(), "bold", stream) if number == 0 else line.rstrip()) + "\n"
        )


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
