"""The versioned JSON form of what the API returns (`"schema": "git-parallel/<command>/1"`).

One definition per report, shared by `gitwt.api` (each result's `to_json()`) and the command line
(`--json`), so a script and an orchestrator calling the API in-process read the same fields.
The tasks' reports are here (start, status, merge, clean; wait's and batch's are their results'
`to_json`); the specs' (plan, specs, next) are in `services.specs.spec_reports`. Each report's
top level and rows are TypedDicts, so mypy checks every key where it is written.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from typing import TypedDict

    from gitwt.infra.task_record import (
        MergeOutcome,
        TaskRecord,
        ViolationRecord,
        WaitReason,
        WiringReport,
    )
    from gitwt.services.merging.cleaning import TaskCleanup
    from gitwt.services.merging.merge_results import MergeReport, TaskResultJson
    from gitwt.services.merging.worktree_removal import RemovalReport
    from gitwt.services.tasks.lifecycle import StartReport
    from gitwt.services.tasks.machine_use import Resources
    from gitwt.services.tasks.status import StatusReport

    # The reports' shapes, for mypy only: a TypedDict is a plain dict at run time, and these
    # classes would cost every command that prints a report their creation.
    class MergeJson(TypedDict):
        """`merge --json` (schema git-parallel/merge/1), and `merge` in `batch --json`."""

        schema: str
        base: str
        old: str | None
        new: str | None
        dry_run: bool
        results: list[TaskResultJson]

    class StartRow(TypedDict):
        id: str
        state: str | None
        branch: str | None
        worktree: str | None
        command: list[str] | None
        pid: int | None
        waits_for: list[WaitReason]
        waiting: str | None
        error: str | None
        agent_wiring: WiringReport | None

    class StartJson(TypedDict):
        """`start --json` (schema git-parallel/start/1); `api.StartResult.tasks` is its rows."""

        schema: str
        base: str
        tasks: list[StartRow]
        guard_note: str | None

    class StatusRow(TypedDict):
        id: str
        title: str | None
        owner: str | None
        state: str
        stored_state: str | None
        branch: str | None
        worktree: str | None
        command: list[str] | None
        pid: int | None
        cpu_percent: float | None
        rss: int | None
        runtime: float | None
        exit_code: int | None
        exit_signal: int | None
        ahead: int | None
        files: list[str]
        violations: list[ViolationRecord]
        waits_for: list[WaitReason]
        conflicts_with: dict[str, list[str]]
        merge: MergeOutcome | None
        remote: bool
        machine: str | None
        user: str | None

    class Forecast(TypedDict):
        merges: int
        method: str

    class StatusJson(TypedDict):
        """`status --json` (schema git-parallel/status/1); `api.StatusResult.tasks` is its rows."""

        schema: str
        base: str
        tasks: list[StatusRow]
        forecast: Forecast
        resources: Resources
        speedup: float | None

    class CleanRow(TypedDict):
        id: str
        cleaned: bool
        removal: RemovalReport | None
        refused: str | None
        hint: str | None

    class CleanJson(TypedDict):
        """`clean --json` (schema git-parallel/clean/1)."""

        schema: str
        tasks: list[CleanRow]


def schema(command: str) -> str:
    return f"git-parallel/{command}/1"


def merge_json(result: MergeReport) -> MergeJson:
    return {
        "schema": schema("merge"),
        "base": result.base,
        "old": result.old,
        "new": result.new,
        "dry_run": result.dry_run,
        "results": [task.to_json() for task in result.results],
    }


def waits_for(record: TaskRecord, seen: str | None = None) -> list[WaitReason]:
    """Why a queued task waits, as the last scheduling step found it: [{reason, text, task}]."""
    if (seen or record.get("state")) != "queued":
        return []
    return list(record.get("waiting") or [])


def _pid(record: TaskRecord) -> int | None:
    shim = record.get("shim")
    return shim.get("pid") if shim else None


def start_json(result: StartReport) -> StartJson:
    return {
        "schema": schema("start"),
        "base": result.base,
        "tasks": [
            {
                "id": record["id"],
                "state": record.get("state"),
                "branch": record.get("branch"),
                "worktree": record.get("worktree"),
                "command": record.get("command"),
                "pid": _pid(record),
                "waits_for": waits_for(record),
                "waiting": result.waiting.get(record["id"]),
                "error": result.failed.get(record["id"]),
                "agent_wiring": record.get("agent_wiring"),  # start --agent: wired, or why not
            }
            for record in result.tasks
        ],
        "guard_note": getattr(result, "guard_note", None),
    }


def status_json(result: StatusReport) -> StatusJson:
    return {
        "schema": schema("status"),
        "base": result.base,
        "tasks": [
            {
                "id": task.id,
                "title": task.record.get("title"),
                "owner": task.record.get("owner"),
                "state": task.state,
                "stored_state": task.record.get("state"),
                "branch": task.record.get("branch"),
                "worktree": task.record.get("worktree"),
                "command": task.record.get("command"),
                "pid": task.pid,
                "cpu_percent": task.cpu_percent,
                "rss": task.rss,
                "runtime": None if task.runtime is None else round(task.runtime, 3),
                "exit_code": task.exit_code,
                "exit_signal": task.exit_signal,
                "ahead": task.ahead,
                "files": task.files,
                "violations": task.violations,
                "waits_for": waits_for(task.record, task.state),
                "conflicts_with": task.conflicts_with,
                "merge": task.record.get("merge"),
                # Team mode: a task live on another machine (DESIGN §11).
                "remote": bool(task.record.get("remote")),
                "machine": task.record.get("machine"),
                "user": task.record.get("user"),
            }
            for task in result.tasks
        ],
        "forecast": {"merges": result.forecast_pairs, "method": result.forecast_method},
        "resources": result.resources(),
        "speedup": result.speedup,
    }


def clean_json(results: list[TaskCleanup]) -> CleanJson:
    return {
        "schema": schema("clean"),
        "tasks": [
            {
                "id": item.task_id,
                "cleaned": item.cleaned,
                "removal": item.removal,
                "refused": item.refused,
                "hint": item.hint,
            }
            for item in results
        ],
    }
