"""The versioned JSON of the specs' reports: `plan --json`, `specs --json` and `next --json`.

Built here alone (the API's `PlanResult.to_json` and `NextResult.to_json`, and the command
line), with the schema names of `services.json_reports`; each report's top level and rows are
TypedDicts, so mypy checks every key where it is written.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from gitwt.services.json_reports import schema

if TYPE_CHECKING:
    from typing import TypedDict

    from gitwt.core.line_waves import ExpansionJson, HeldApartJson
    from gitwt.core.next_selection import NextUnit
    from gitwt.core.plan_claims import ClaimCheckJson
    from gitwt.core.provenance import Origin
    from gitwt.core.spec_catalog import SpecEntry
    from gitwt.core.specs import Task
    from gitwt.services.specs.next_units import NextReport
    from gitwt.services.specs.planning import PlanReport

    # The reports' shapes, for mypy only (a TypedDict is a plain dict at run time).
    class Bookkeeping(TypedDict):
        path: str
        kind: str
        ids: list[str]
        provenance: str

    class ConflictJson(TypedDict):
        tasks: list[str]
        paths: list[str]
        patterns: list[list[str]]
        examples: list[str]
        declared: bool

    class ProblemJson(TypedDict):
        task: str
        kind: str
        message: str
        paths: list[str]

    class TaskLinesJson(ExpansionJson):
        held_apart: list[HeldApartJson]

    class PlanJson(TypedDict):
        """`plan --json` (schema git-parallel/plan/1)."""

        schema: str
        base: str
        valid: bool
        task_file_map: dict[str, list[str]]
        declarations: dict[str, list[dict[str, object]]]
        ignored: dict[str, list[dict[str, object]]]
        bookkeeping: dict[str, list[Bookkeeping]]
        matched_files: dict[str, list[str]]
        conflicts: list[ConflictJson]
        independent_pairs: list[list[str]]
        problems: list[ProblemJson]
        spec_problems: list[dict[str, object]]
        unusable: list[str]
        order: list[str]
        waves: list[list[str]]
        claims: list[ClaimCheckJson]
        task_lines: TaskLinesJson | None

    class SpecRow(TypedDict):
        id: str | None
        file: str
        format: str | None
        native_id: str | None
        line: int | None
        title: str | None
        owner: str | None
        depends_on: list[str]
        parallel_with: list[str]
        patterns: int
        declarations: list[dict[str, object]]
        ignored: list[dict[str, object]]
        problems: list[dict[str, object]]

    class SpecsJson(TypedDict):
        """`specs --json` (schema git-parallel/specs/1)."""

        schema: str
        specs: list[SpecRow]

    class NextUnitJson(TypedDict):
        id: str
        label: str
        format: str
        status: str
        source: str
        status_from: str
        spec: str | None
        title: str | None
        files: list[str]
        depends_on: list[str]

    class LeftOutJson(NextUnitJson):
        reason: str
        detail: str
        others: list[str]
        paths: list[str]

    class NextJson(TypedDict):
        """`next --json` (schema git-parallel/next/1)."""

        schema: str
        base: str
        max: int
        roadmap: str | None
        roadmap_problems: list[str]
        next: list[NextUnitJson]
        left_out: list[LeftOutJson]


def origins_of(task: Task) -> list[Origin]:
    from gitwt.core.provenance import Origin

    return [task.origin_of(p) or Origin(p, task.source, 0, "config") for p in task.files]


def plan_json(report: PlanReport, base: str) -> PlanJson:
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


def specs_json(entries: list[SpecEntry]) -> SpecsJson:
    """`specs --json`: each spec, and each unit of a plan another tool wrote (its format, the
    plan's own id, its line and the units the plan says it may run beside)."""
    listed: list[SpecRow] = []
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


def next_json(report: NextReport) -> NextJson:
    """`next --json`: the set that can start now, and every unit left out with its reason."""

    def unit(candidate: NextUnit) -> NextUnitJson:
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
