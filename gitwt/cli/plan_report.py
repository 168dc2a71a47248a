"""The `plan` and `specs` reports: text for a person, versioned JSON for programs.

Both show where each declared pattern came from (its Origin) and every spec problem with its
file and line, because a declaration nobody can check gives false safety.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any, TextIO

from gitwt.cli.report import paint, schema, table
from gitwt.core.display import path_list
from gitwt.services.json_reports import origins_of
from gitwt.services.json_reports import plan_json as plan_json

if TYPE_CHECKING:
    from gitwt.core.provenance import Ignored, Origin
    from gitwt.core.spec_catalog import SpecEntry, SpecProblem
    from gitwt.core.specs import Task
    from gitwt.services.planning import PlanReport
    from gitwt.services.spec_writer import Written

KIND_TEXT = {
    "front_matter": "front matter",
    "legacy_marker": "legacy spec",
    "bare_name": "bare name resolved",
    "claim": "claim",
    "config": "config",
}


def _origin_text(origin: Origin, spec: str) -> str:
    """`line 13 (legacy spec; note)`; the file too when it is another one (a folder's part)."""
    note = f"; {origin.note}" if origin.note else ""
    where = origin.where if origin.source != spec else f"line {origin.line}" if origin.line else ""
    return f"{where} ({KIND_TEXT.get(origin.kind, origin.kind)}{note})".strip()


def explain_task(task: Task, ignored: list[Ignored], stream: TextIO) -> None:
    """Each pattern with where it came from, then what the spec mentions but does not declare."""
    write = stream.write
    write(f"  {task.id}: {task.title}  [{task.source}]\n")
    for origin in origins_of(task):
        write(f"    {origin.pattern:<36}  ← {_origin_text(origin, task.source)}\n")
    for token in ignored:
        where = f"line {token.line}" if token.source == task.source else token.where
        write(paint(f"    ignored {token.token!r}: {token.reason} ({where})", "dim", stream))
        write("\n")


def problems_text(problems: list[SpecProblem], stream: TextIO) -> None:
    for problem in problems:
        write = stream.write
        write(f"  {problem.located}\n")
        if problem.hint:
            write(paint(f"      hint: {problem.hint}", "dim", stream) + "\n")


def plan_text(
    report: PlanReport,
    base: str,
    max_instances: int,
    stream: TextIO = sys.stdout,
    explain: bool = False,
) -> None:
    result, survey = report.plan, report.survey
    write = stream.write
    write(f"plan for {len(result.tasks)} task(s) on base {base}\n\n")
    if result.tasks:
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
    if explain and result.tasks:
        write("declarations (pattern ← where it came from)\n")
        for task in result.tasks:
            explain_task(task, survey.ignored.get(task.id, []), stream)
        write("\n")
    if survey.problems:
        write(paint("spec problems", "red", stream) + "\n")
        problems_text(survey.problems, stream)
    _separation_text(report, max_instances, stream)


def _separation_text(report: PlanReport, max_instances: int, stream: TextIO) -> None:
    result, survey = report.plan, report.survey
    write = stream.write
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
    if survey.unusable:
        write(
            paint("not valid: ", "red", stream)
            + f"task(s) {', '.join(survey.unusable)} cannot be read; fix the spec problems above\n"
        )
    elif result.valid:
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


# --- specs -----------------------------------------------------------------------------------


def specs_json(entries: list[SpecEntry]) -> dict[str, Any]:
    return {
        "schema": schema("specs"),
        "specs": [
            {
                "id": entry.id,
                "file": entry.source,
                "title": entry.task.title if entry.task else None,
                "owner": entry.task.owner if entry.task else None,
                "depends_on": list(entry.task.depends_on) if entry.task else [],
                "patterns": len(entry.task.files) if entry.task else 0,
                "declarations": [o.to_json() for o in origins_of(entry.task)] if entry.task else [],
                "ignored": [token.to_json() for token in entry.ignored],
                "problems": [problem.to_json() for problem in entry.problems],
            }
            for entry in entries
        ],
    }


def specs_text(
    entries: list[SpecEntry], stream: TextIO = sys.stdout, explain: bool = False
) -> None:
    write = stream.write
    if not entries:
        write("no specs found (config 'specs' lists where to look)\n")
        return
    rows = [["id", "file", "owner", "patterns", "problems", "title"]]
    for entry in entries:
        task = entry.task
        rows.append(
            [
                entry.id or "-",
                entry.source,
                (task.owner or "-") if task else "-",
                str(len(task.files)) if task else "-",
                str(len(entry.problems)) if entry.problems else "-",
                task.title if task else "",
            ]
        )
    table(rows, stream)
    problems = [problem for entry in entries for problem in entry.problems]
    if explain:
        write("\ndeclarations (pattern ← where it came from)\n")
        for entry in entries:
            if entry.task:
                explain_task(entry.task, entry.ignored, stream)
    if problems:
        write("\n" + paint("problems", "red", stream) + "\n")
        problems_text(problems, stream)


def front_matter_json(written: list[Written]) -> dict[str, Any]:
    return {
        "schema": schema("specs-front-matter"),
        "written": [
            {"id": item.id, "file": item.path, "patterns": item.patterns, "changed": item.changed}
            for item in written
        ],
    }


def front_matter_text(written: list[Written], stream: TextIO = sys.stdout) -> None:
    for item in written:
        if item.changed:
            stream.write(
                f"{item.path}: wrote front matter for task {item.id} ({item.patterns} pattern(s))"
                "; review with 'git diff', then commit\n"
            )
        else:
            stream.write(f"{item.path}: task {item.id} already declares its files; unchanged\n")
