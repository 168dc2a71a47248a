"""The versioned JSON form of what the API returns (`"schema": "git-parallel/<command>/1"`).

One definition per report, shared by `gitwt.api` (each result's `to_json()`) and the command line
(`--json`), so a script and an orchestrator calling the API in-process read the same fields.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from gitwt.infra.json_payload import JsonObject

if TYPE_CHECKING:
    from gitwt.core.next_selection import NextUnit
    from gitwt.core.provenance import Origin
    from gitwt.core.spec_catalog import SpecEntry
    from gitwt.core.specs import Task
    from gitwt.infra.task_record import TaskRecord, WaitReason
    from gitwt.services.specs.next_units import NextReport
    from gitwt.services.specs.planning import PlanReport


def schema(command: str) -> str:
    return f"git-parallel/{command}/1"


def origins_of(task: Task) -> list[Origin]:
    from gitwt.core.provenance import Origin

    return [task.origin_of(p) or Origin(p, task.source, 0, "config") for p in task.files]


def plan_json(report: PlanReport, base: str) -> JsonObject:
    result, survey = report.plan, report.survey
    return {
        "schema": schema("plan"),
        "base": base,
        "valid": result.valid and not survey.unusable,
        "task_file_map": {task.id: list(task.files) for task in result.tasks},
        "declarations": {
            task.id: [origin.to_json() for origin in origins_of(task)] for task in result.tasks
        },
        "ignored": {
            task_id: [token.to_json() for token in tokens]
            for task_id, tokens in survey.ignored.items()
        },
        # What each plan unit may write into its plan (never a declared path, DESIGN §2).
        "bookkeeping": {
            task.id: [
                {"path": path, "kind": kind, "ids": list(ids), "provenance": "bookkeeping"}
                for kind, path, ids in task.bookkeeping
            ]
            for task in result.tasks
            if task.bookkeeping
        },
        "matched_files": result.matched_files,
        "conflicts": [
            {
                "tasks": list(conflict.tasks),
                "paths": conflict.paths,
                "patterns": [list(pair) for pair in conflict.patterns],
                "examples": conflict.examples,
                "declared": conflict.declared,
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
        "spec_problems": [problem.to_json() for problem in survey.problems],
        "unusable": survey.unusable,
        "order": result.order,
        "waves": result.waves,
        "claims": [check.to_json() for check in survey.claims],
        # --task-lines: what the named units stood for, and the lines the waves keep apart.
        "task_lines": (
            {
                **survey.expansion.to_json(),
                "held_apart": [held.to_json() for held in report.held_apart],
            }
            if survey.expansion is not None
            else None
        ),
    }


def specs_json(entries: list[SpecEntry]) -> JsonObject:
    """`specs --json`: each spec, and each unit of a plan another tool wrote (its format, the
    plan's own id, its line and the units the plan says it may run beside)."""
    listed = []
    for entry in entries:
        task, unit = entry.task, entry.unit
        listed.append(
            {
                "id": entry.id,
                "file": entry.source,
                "format": unit.plan.format if unit else None,
                "native_id": unit.unit.native_id if unit else None,
                "line": unit.unit.line if unit else None,
                "title": task.title if task else (unit.unit.title if unit else None),
                "owner": task.owner if task else None,
                "depends_on": list(task.depends_on) if task else [],
                "parallel_with": unit.parallel_with if unit else [],
                "patterns": len(task.files) if task else 0,
                "declarations": [o.to_json() for o in origins_of(task)] if task else [],
                "ignored": [token.to_json() for token in entry.ignored],
                "problems": [problem.to_json() for problem in entry.problems],
            }
        )
    return {"schema": schema("specs"), "specs": listed}


def merge_json(result: Any) -> JsonObject:
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


def start_json(result: Any) -> JsonObject:
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
                "pid": (record.get("shim") or {}).get("pid"),
                "waits_for": waits_for(record),
                "waiting": result.waiting.get(record["id"]),
                "error": result.failed.get(record["id"]),
                "agent_wiring": record.get("agent_wiring"),  # start --agent: wired, or why not
            }
            for record in result.tasks
        ],
        "guard_note": getattr(result, "guard_note", None),
    }


def status_json(result: Any) -> JsonObject:
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


def clean_json(results: list[Any]) -> JsonObject:
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


def next_json(report: NextReport) -> JsonObject:
    """`next --json`: the set that can start now, and every unit left out with its reason."""

    def unit(candidate: NextUnit) -> JsonObject:
        return {
            "id": candidate.id,
            "label": candidate.label,
            "format": candidate.format,
            "status": candidate.status,
            "source": candidate.source,
            "status_from": candidate.status_from or candidate.source,
            "spec": candidate.spec or None,
            "title": candidate.task.title if candidate.task else None,
            "files": list(candidate.task.files) if candidate.task else [],
            "depends_on": list(candidate.depends_on),
        }

    return {
        "schema": schema("next"),
        "base": report.base,
        "max": report.selection.limit,
        "roadmap": report.roadmap,
        "roadmap_problems": report.problems,
        "next": [unit(candidate) for candidate in report.selection.chosen],
        "left_out": [
            {
                **unit(left.candidate),
                "reason": left.reason,
                "detail": left.detail,
                "others": list(left.others),
                "paths": list(left.paths),
            }
            for left in report.selection.left
        ],
    }
