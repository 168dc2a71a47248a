"""Text of the commands that bring tasks home: merge (also shown by `wait`/`batch`) and clean."""

from __future__ import annotations

import sys
from typing import Any, TextIO

from gitwt.cli.report import paint
from gitwt.core.display import path_list, quote_path


def merge_text(result: Any, stream: TextIO = sys.stdout) -> None:
    write = stream.write
    colours = {
        "merged": "green",
        "clean": "green",
        "conflicted": "red",
        "rejected": "red",
        "failed": "red",
        "skipped": "yellow",
    }
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
                write(
                    f"    {where}  {violation['change']:<9} {quote_path(violation['path'])}: "
                    f"{violation['rule']}\n"
                )
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


def clean_text(results: list[Any], stream: TextIO = sys.stdout, err: TextIO = sys.stderr) -> None:
    if not results:
        stream.write("nothing to clean\n")
    for item in results:
        if item.refused:
            err.write(f"git parallel: error: not cleaning {item.task_id}: {item.refused}\n")
            if item.hint:
                err.write(f"hint: {item.hint}\n")
            continue
        if not item.cleaned:
            stream.write(f"{item.task_id}: already cleaned\n")
            continue
        removal = item.removal or {}
        done = []
        if removal.get("worktree_removed"):
            done.append("worktree removed")
        if removal.get("branch_deleted"):
            done.append("branch deleted")
        stream.write(f"cleaned {item.task_id}: {', '.join(done) or 'nothing left to remove'}\n")
        if removal.get("salvage_ref"):
            stream.write(
                paint(
                    f"  uncommitted and unmerged work kept in {removal['salvage_ref']}",
                    "yellow",
                    stream,
                )
                + "\n"
            )
        for note in removal.get("notes") or []:
            if not note.startswith("salvaged"):
                stream.write(f"  {note}\n")
