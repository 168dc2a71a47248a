"""Text and JSON of a task's life: start, status, stop, claim."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any, TextIO

from gitwt.cli.report import duration, paint, schema, size, table
from gitwt.core.display import path_list, quote_path
from gitwt.infra.task_record import TaskRecord

if TYPE_CHECKING:
    from typing import TypedDict

    from gitwt.services.specs.claiming import ClaimReport
    from gitwt.services.tasks.supervisor import StopResult

    # The reports' shapes, for mypy only (a TypedDict is a plain dict at run time).
    class StopRow(TypedDict):
        id: str
        before: str
        after: str
        killed: int
        message: str

    class StopJson(TypedDict):
        """`stop --json` (schema git-parallel/stop/1)."""

        schema: str
        tasks: list[StopRow]

    class ClaimJson(TypedDict):
        """`claim --json` (schema git-parallel/claim/1)."""

        schema: str
        id: str
        added: list[str]
        declaration: list[str]


def _exit_text(code: int | None, signal_number: int | None) -> str:
    if signal_number:
        return f"signal {signal_number}"
    return "-" if code is None else str(code)


def _waiting_line(record: TaskRecord) -> str:
    from gitwt.services.tasks.scheduler import waiting_text

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
        agent_lines(record, stream)
    if getattr(result, "guard_note", None):
        stream.write(f"note: {result.guard_note}\n")
    stream.write("see 'git parallel status'; output with 'git parallel logs <id>'\n")


def agent_lines(record: TaskRecord, stream: TextIO) -> None:
    """Whether the task's agent is wired, and what is left to the user when it is not."""
    wiring = record.get("agent_wiring")
    if not isinstance(wiring, dict):
        return
    name = wiring.get("agent")
    if wiring.get("wired"):
        stream.write(f"  agent {name}: wired ({', '.join(map(quote_path, wiring['files']))})\n")
    else:
        written = (
            f" (written: {', '.join(map(quote_path, wiring['files']))})" if wiring["files"] else ""
        )
        stream.write(paint(f"  agent {name}: NOT wired", "yellow", stream) + written + "\n")
    for note in wiring.get("notes") or []:
        stream.write(f"    {note}\n")


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


_STATUS_HEADER = [
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


def status_text(result: Any, stream: TextIO = sys.stdout) -> None:
    if not result.tasks:
        stream.write("no tasks; start some with 'git parallel start <ids>'\n")
        return
    rows = [list(_STATUS_HEADER)] + [_status_row(task) for task in result.tasks]
    table(rows, stream)
    stream.write("\n")
    for task in result.tasks:
        _status_details(task, stream)
    stream.write(_resources_line(result))


def _status_row(task: Any) -> list[str]:
    return [
        task.id,
        task.state,
        str(task.pid) if task.pid else "-",
        f"{task.cpu_percent:.0f}%" if task.cpu_percent is not None else "-",
        size(task.rss),
        duration(task.runtime),
        _exit_text(task.exit_code, task.exit_signal),
        "-" if task.ahead is None else str(task.ahead),
        str(len(task.files)) if task.ahead is not None else "-",
        str(len(task.violations)),
        ", ".join(sorted(task.conflicts_with)) or "-",
        task.record.get("title") or "",
    ]


def _status_details(task: Any, stream: TextIO) -> None:
    """The lines under the table for one task: where it is, what is wrong, what to do."""
    record = task.record
    colour = _STATE_COLOURS.get(task.state)
    shown = paint(task.state, colour, stream) if colour else task.state
    stream.write(
        f"{task.id}: {shown}  {record.get('branch')}  {quote_path(record.get('worktree') or '')}\n"
    )
    if record.get("remote"):
        stream.write(
            f"    live on machine {record.get('machine')} (user {record.get('user')}, "
            f"started {duration(task.runtime)} ago)\n"
        )
    if task.state == "unsupervised":
        stream.write(
            f"    its shim died but the command still runs; 'git parallel stop {task.id}' ends it\n"
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
            paint(f"    would conflict with {other}: {path_list(paths, 3)}", "red", stream) + "\n"
        )
    violations = task.violations
    if violations:
        stream.write(paint(f"    {len(violations)} boundary violation(s)", "red", stream) + "\n")


def _resources_line(result: Any) -> str:
    resources = result.resources()
    speedup = result.speedup
    return (
        f"\ntasks: {resources['tasks_cpu_percent']:.0f}% CPU, "
        f"{size(resources['tasks_rss_bytes'])} RSS; machine: memory "
        f"{resources['memory_percent']:.0f}%, load {resources['load_percent']:.0f}% of "
        f"{resources['cpus']} CPUs" + (f"; speedup {speedup:.2f}x" if speedup else "") + "\n"
    )


def stop_json(results: list[StopResult]) -> StopJson:
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


def claim_json(result: ClaimReport) -> ClaimJson:
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
