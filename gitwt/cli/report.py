"""Human tables for the reporting commands, and the JSON of those the API does not return
(the API's reports are in gitwt.services.json_reports, re-exported here)."""

from __future__ import annotations

import os
import sys
from typing import Any, TextIO

from gitwt.core.display import path_list, quote_path
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


# --- merge -----------------------------------------------------------------------------------


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


# --- check and hooks -------------------------------------------------------------------------


def check_json(result: Any) -> dict[str, Any]:
    rules = result.rules
    return {
        "schema": schema("check"),
        "ok": result.ok,
        "scope": result.scope,
        "task": rules.task_id,
        "owner": rules.owner,
        "declared": rules.declared,
        "ownership": rules.ownership.source if rules.ownership is not None else None,
        "changes": result.changes,
        "paths": result.paths if result.scope == "paths" else None,
        "violations": [violation.to_json() for violation in result.violations],
    }


def check_text(result: Any, stream: TextIO = sys.stdout) -> None:
    from gitwt.core.display import violation_lines

    rules = result.rules
    who = f"task {rules.task_id}" if rules.task_id else f"role {rules.owner}"
    if rules.task_id and rules.owner:
        who += f" (owner {rules.owner})"
    if result.scope == "paths":
        _check_paths_text(result, who, stream)
        return
    scope = "the staged change" if result.scope == "staged" else result.scope
    if result.ok:
        stream.write(
            f"{paint('ok', 'green', stream)}: {scope} ({result.changes} changes) "
            f"stays inside {who}\n"
        )
        return
    count = len(result.violations)
    stream.write(
        paint(
            f"{scope}: {count} path{'s' if count != 1 else ''} {who} may not change", "red", stream
        )
        + "\n"
    )
    stream.writelines(violation_lines(result.violations))


def _check_paths_text(result: Any, who: str, stream: TextIO) -> None:
    from gitwt.core.display import violation_lines

    if result.ok:
        shown = ", ".join(quote_path(path) for path in result.paths)
        stream.write(f"{paint('ok', 'green', stream)}: {who} may change {shown}\n")
        return
    count = len(result.violations)
    headline = f"{who} may not change {count} of these paths"
    stream.write(paint(headline, "red", stream) + "\n")
    stream.writelines(violation_lines(result.violations))


def hooks_installed(installed: Any, stream: TextIO = sys.stdout) -> None:
    what = f"task {installed.task_id}" if installed.mode == "task" else "the base guard"
    stream.write(f"installed git parallel hooks in {installed.worktree} ({what})\n")
    stream.write(f"  shims:     {installed.hooks_dir}\n")
    stream.write(f"  chains to: {installed.chain}\n")


def guard_installed(guard: Any, stream: TextIO = sys.stdout) -> None:
    if guard.where == "none":
        stream.write("no main worktree here (a bare repository): no base guard to install\n")
        return
    if guard.where == "worktree":
        stream.write(f"installed the base guard in {quote_path(guard.folder)}\n  {guard.note}\n")
        return
    stream.write(f"installed the base guard in {quote_path(guard.folder)}\n")
    for hook, slot in guard.slots.items():
        stream.write(f"  {hook}: {quote_path(slot)}\n")


def hooks_json(found: list[Any], guard: Any) -> dict[str, Any]:
    return {
        "schema": schema("hooks"),
        "worktrees": [entry.to_json() for entry in found],
        "base_guard": guard.to_json(),
    }


def _guard_line(guard: Any) -> str:
    if guard.where == "none" and not guard.problems:
        return "base guard: none"
    slots = ", ".join(f"{hook} ({quote_path(slot)})" for hook, slot in guard.slots.items())
    return f"base guard: {slots or 'missing'}"


def hooks_text(found: list[Any], guard: Any, stream: TextIO = sys.stdout) -> None:
    rows = [["worktree", "branch", "hooks", "task", "chains to"]]
    for entry in found:
        rows.append(
            [
                quote_path(entry.path),
                entry.branch or "(detached)",
                entry.mode or "none",
                entry.task_id or "-",
                quote_path(entry.chain) if entry.chain else "-",
            ]
        )
    table(rows, stream)
    stream.write(_guard_line(guard) + "\n")
    for problem in guard.problems:
        stream.write(paint(f"base guard: {problem}", "yellow", stream) + "\n")
    for entry in found:
        for problem in entry.problems:
            stream.write(paint(f"{quote_path(entry.path)}: {problem}", "yellow", stream) + "\n")


# --- start, status, stop, claim, clean ----------------------------------------------------------


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


def _exit_text(code: int | None, signal_number: int | None) -> str:
    if signal_number:
        return f"signal {signal_number}"
    return "-" if code is None else str(code)


def _waiting_line(record: dict[str, Any]) -> str:
    from gitwt.services.scheduler import waiting_text

    return waiting_text(record.get("waiting") or []) or "for the next scheduling step"


def start_text(result: Any, stream: TextIO = sys.stdout) -> None:
    for record in result.tasks:
        task_id, where = record["id"], quote_path(record.get("worktree") or "")
        task_state = record.get("state")
        if task_state == "running":
            pid = (record.get("shim") or {}).get("pid")
            stream.write(f"started {task_id} in {where} on {record['branch']} (shim pid {pid})\n")
        elif task_state == "open":
            stream.write(f"opened {task_id}: work in {where} on {record['branch']}\n")
        elif task_state == "queued":
            why = result.waiting.get(task_id, "waiting")
            stream.write(f"queued {task_id}: {why}\n")
        else:
            error = result.failed.get(task_id) or record.get("error") or ""
            stream.write(paint(f"{task_state} {task_id}: {error}", "red", stream) + "\n")
    if getattr(result, "guard_note", None):
        stream.write(f"note: {result.guard_note}\n")
    stream.write("see 'git parallel status'; output with 'git parallel logs <id>'\n")


_STATE_COLOURS = {
    "running": "green",
    "succeeded": "green",
    "merged": "green",
    "failed": "red",
    "lost": "red",
    "unsupervised": "yellow",
    "conflicted": "red",
    "rejected": "red",
}


def status_text(result: Any, stream: TextIO = sys.stdout) -> None:
    if not result.tasks:
        stream.write("no tasks; start some with 'git parallel start <ids>'\n")
        return
    rows = [
        [
            "task",
            "state",
            "pid",
            "cpu",
            "rss",
            "time",
            "exit",
            "ahead",
            "files",
            "viol",
            "conflicts",
            "title",
        ]
    ]
    for task in result.tasks:
        violations = task.violations
        rows.append(
            [
                task.id,
                task.state,
                str(task.pid) if task.pid else "-",
                f"{task.cpu_percent:.0f}%" if task.cpu_percent is not None else "-",
                size(task.rss),
                duration(task.runtime),
                _exit_text(task.exit_code, task.exit_signal),
                "-" if task.ahead is None else str(task.ahead),
                str(len(task.files)) if task.ahead is not None else "-",
                str(len(violations)),
                ", ".join(sorted(task.conflicts_with)) or "-",
                task.record.get("title") or "",
            ]
        )
    table(rows, stream)
    stream.write("\n")
    for task in result.tasks:
        record = task.record
        colour = _STATE_COLOURS.get(task.state)
        shown = paint(task.state, colour, stream) if colour else task.state
        stream.write(
            f"{task.id}: {shown}  {record.get('branch')}  "
            f"{quote_path(record.get('worktree') or '')}\n"
        )
        if record.get("remote"):
            stream.write(
                f"    live on machine {record.get('machine')} (user {record.get('user')}, "
                f"started {duration(task.runtime)} ago)\n"
            )
        if task.state == "unsupervised":
            stream.write(
                "    its shim died but the command still runs; "
                f"'git parallel stop {task.id}' ends it\n"
            )
        elif task.state == "lost":
            stream.write(
                "    its supervisor died and no exit was recorded; check the log, "
                f"then 'git parallel clean {task.id}'\n"
            )
        if task.state == "queued":
            stream.write(f"    waits: {_waiting_line(record)}\n")
        if record.get("error"):
            stream.write(f"    error: {record['error']}\n")
        for other, paths in sorted(task.conflicts_with.items()):
            stream.write(
                paint(f"    would conflict with {other}: {path_list(paths, 3)}", "red", stream)
                + "\n"
            )
        violations = task.violations
        if violations:
            stream.write(
                paint(f"    {len(violations)} boundary violation(s)", "red", stream) + "\n"
            )
    resources = result.resources()
    speedup = result.speedup
    stream.write(
        f"\ntasks: {resources['tasks_cpu_percent']:.0f}% CPU, "
        f"{size(resources['tasks_rss_bytes'])} RSS; machine: memory "
        f"{resources['memory_percent']:.0f}%, load {resources['load_percent']:.0f}% of "
        f"{resources['cpus']} CPUs" + (f"; speedup {speedup:.2f}x" if speedup else "") + "\n"
    )


def stop_json(results: list[Any]) -> dict[str, Any]:
    return {
        "schema": schema("stop"),
        "tasks": [
            {
                "id": item.task_id,
                "before": item.before,
                "after": item.after,
                "killed": item.killed,
                "message": item.message,
            }
            for item in results
        ],
    }


def stop_text(results: list[Any], stream: TextIO = sys.stdout) -> None:
    if not results:
        stream.write("nothing to stop\n")
    for item in results:
        if item.before == item.after:
            stream.write(f"{item.task_id}: {item.message}\n")
            continue
        extra = f" ({item.killed} process(es) needed SIGKILL)" if item.killed else ""
        note = f" ({item.message})" if item.message else ""
        stream.write(f"stopped {item.task_id}{note}{extra}\n")


def claim_json(result: Any) -> dict[str, Any]:
    return {
        "schema": schema("claim"),
        "id": result.task_id,
        "added": result.added,
        "declaration": result.declaration,
    }


def claim_text(result: Any, stream: TextIO = sys.stdout) -> None:
    if result.added:
        stream.write(f"task {result.task_id} now also declares {path_list(result.added)}\n")
    else:
        stream.write(f"task {result.task_id} already declares all of these\n")


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
