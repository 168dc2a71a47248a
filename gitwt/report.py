"""Human tables and versioned JSON for the reporting commands."""

from __future__ import annotations

import json
import os
import sys
from typing import Any, TextIO

from gitwt.separation import Plan

SHOWN_PATHS = 5


def schema(command: str) -> str:
    return f"git-parallel/{command}/1"


def use_colour(stream: TextIO) -> bool:
    return stream.isatty() and "NO_COLOR" not in os.environ and os.environ.get("TERM") != "dumb"


def paint(text: str, colour: str, stream: TextIO = sys.stdout) -> str:
    codes = {"red": "31", "green": "32", "yellow": "33", "bold": "1", "dim": "2"}
    return f"\033[{codes[colour]}m{text}\033[0m" if use_colour(stream) else text


def quote_path(path: str) -> str:
    """Show a path on one line: C-style quotes, like git, when it holds odd characters."""
    if (
        path
        and path == path.strip()
        and all(char.isprintable() and char not in '"\\' for char in path)
    ):
        return path
    escaped = path.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    for raw, shown in (("\\", "\\\\"), ('"', '\\"'), ("\n", "\\n"), ("\t", "\\t"), ("\r", "\\r")):
        escaped = escaped.replace(raw, shown)
    return f'"{escaped}"'


def path_list(paths: list[str], limit: int = SHOWN_PATHS) -> str:
    shown = ", ".join(quote_path(path) for path in paths[:limit])
    return shown + (f" (+{len(paths) - limit} more)" if len(paths) > limit else "")


def dump_json(data: dict[str, Any], stream: TextIO = sys.stdout) -> None:
    json.dump(data, stream, indent=2, ensure_ascii=False)
    stream.write("\n")


def table(rows: list[list[str]], stream: TextIO = sys.stdout, indent: str = "  ") -> None:
    widths = [max(len(row[column]) for row in rows) for column in range(len(rows[0]))]
    for number, row in enumerate(rows):
        line = indent + "  ".join(
            cell.ljust(width) for cell, width in zip(row, widths, strict=True)
        )
        stream.write(
            (paint(line.rstrip(), "bold", stream) if number == 0 else line.rstrip()) + "\n"
        )


# --- plan ------------------------------------------------------------------------------------


def plan_json(result: Plan, base: str) -> dict[str, Any]:
    return {
        "schema": schema("plan"),
        "base": base,
        "valid": result.valid,
        "task_file_map": {task.id: list(task.files) for task in result.tasks},
        "matched_files": result.matched_files,
        "conflicts": [
            {
                "tasks": list(conflict.tasks),
                "paths": conflict.paths,
                "patterns": [list(pair) for pair in conflict.patterns],
                "examples": conflict.examples,
            }
            for conflict in result.conflicts
        ],
        "independent_pairs": [list(pair) for pair in result.independent_pairs],
        "problems": [
            {
                "task": problem.task,
                "kind": problem.kind,
                "message": problem.message,
                "paths": problem.paths,
            }
            for problem in result.problems
        ],
        "order": result.order,
        "waves": result.waves,
    }


def plan_text(result: Plan, base: str, max_instances: int, stream: TextIO = sys.stdout) -> None:
    write = stream.write
    write(f"plan for {len(result.tasks)} task(s) on base {base}\n\n")
    rows = [["task", "owner", "patterns", "files", "depends on", "title"]]
    for task in result.tasks:
        rows.append(
            [
                task.id,
                task.owner or "-",
                str(len(task.files)),
                str(len(result.matched_files[task.id])),
                ", ".join(task.depends_on) or "-",
                task.title,
            ]
        )
    table(rows, stream)
    write("\n")
    if result.conflicts:
        write(paint("conflicts", "red", stream) + "\n")
        for conflict in result.conflicts:
            first, second = conflict.tasks
            if conflict.paths:
                write(f"  {first} ↔ {second}: {path_list(conflict.paths)}\n")
            else:
                write(
                    f"  {first} ↔ {second}: patterns overlap (no file yet), "
                    f"e.g. {path_list(conflict.examples, 2)}\n"
                )
            overlaps = "; ".join(f"{first}:{a} ∩ {second}:{b}" for a, b in conflict.patterns[:3])
            more = len(conflict.patterns) - 3
            write(f"      via {overlaps}{f' (+{more} more)' if more > 0 else ''}\n")
    else:
        write(paint("no conflicts", "green", stream) + "\n")
    if result.problems:
        write(paint("problems", "red", stream) + "\n")
        for problem in result.problems:
            detail = f": {path_list(problem.paths)}" if problem.paths else ""
            write(f"  {problem.message}{detail}\n")
    if result.independent_pairs:
        shown = ", ".join(f"{a}+{b}" for a, b in result.independent_pairs[:20])
        more = len(result.independent_pairs) - 20
        write(f"independent pairs: {shown}{f' (+{more} more)' if more > 0 else ''}\n")
    write(f"order: {' '.join(result.order)}\n")
    write(f"waves (at most {max_instances} at once):\n")
    for number, wave in enumerate(result.waves, start=1):
        write(f"  {number}: {' '.join(wave)}\n")
    write("\n")
    if result.valid:
        write(
            paint("valid: these tasks can run in parallel as the waves show", "green", stream)
            + "\n"
        )
    else:
        write(
            paint("not valid: ", "red", stream)
            + "fix the conflicts and problems above (narrow the 'files:' declarations, "
            "or add 'depends_on' and run them in order)\n"
        )


# --- merge -----------------------------------------------------------------------------------


def merge_json(result: Any) -> dict[str, Any]:
    return {
        "schema": schema("merge"),
        "base": result.base,
        "old": result.old,
        "new": result.new,
        "dry_run": result.dry_run,
        "results": [task.to_json() for task in result.results],
    }


def merge_text(result: Any, stream: TextIO = sys.stdout) -> None:
    write = stream.write
    colours = {"merged": "green", "clean": "green", "conflicted": "red", "rejected": "red",
               "failed": "red", "skipped": "yellow"}
    if not result.results:
        write("nothing to merge (no succeeded tasks; name open tasks, or use --all)\n")
        return
    for task in result.results:
        label = paint(f"{task.result:<10}", colours.get(task.result, "bold"), stream)
        commit = f" {task.commit[:12]}" if task.commit else ""
        write(f"{label} {task.id}{commit}")
        if task.result in ("merged", "clean") and task.lines:
            added = sum(entry["added"] for entry in task.lines.values())
            removed = sum(entry["removed"] for entry in task.lines.values())
            write(f"  {len(task.lines)} file(s) +{added} -{removed}")
        write("\n")
        if task.result == "rejected":
            for violation in task.violations[:10]:
                where = (violation["commit"] or "net change")[:12]
                write(f"    {where}  {violation['change']:<9} {quote_path(violation['path'])}: "
                      f"{violation['rule']}\n")
        elif task.paths and task.result == "conflicted":
            write(f"    conflicts: {path_list(task.paths, 10)}\n")
        if task.reason:
            write(f"    {task.reason}\n")
    moved = result.old != result.new
    if result.dry_run:
        write(f"dry run: {result.base} unchanged at {(result.old or '')[:12]}\n")
    elif moved:
        write(f"{result.base}: {(result.old or '')[:12]} → {(result.new or '')[:12]}\n")
    else:
        write(f"{result.base} unchanged at {(result.old or '')[:12]}\n")
