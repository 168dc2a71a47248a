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
from gitwt.services.json_reports import specs_json as specs_json

if TYPE_CHECKING:
    from gitwt.core.plan_claims import ClaimCheck
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
    "plan": "plan",
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
    claims_text(survey.claims, stream)
    _separation_text(report, max_instances, stream)


def claims_text(checks: list[ClaimCheck], stream: TextIO) -> None:
    """Each false parallel claim of the plan: both sides, the shared paths, the lines."""
    if not checks:
        return
    false = [check for check in checks if not check.holds]
    if not false:
        stream.write(paint(f"Parallel claims: all {len(checks)} hold", "green", stream) + "\n")
        return
    heading = f"Parallel claims: {len(false)} of {len(checks)} false (both sides change a path)"
    stream.write(paint(heading, "yellow", stream) + "\n")
    for check in false:
        stream.writelines(line + "\n" for line in claim_lines(check))


def claim_lines(check: ClaimCheck) -> list[str]:
    """A false claim as a person checks it: the sides, the marker and its line, what both
    sides change, and where each side is."""
    first, second = check.between
    inside = f"in {check.unit}: " if check.unit else ""
    claim = check.verdict.claim
    return [
        f"  {inside}{first} ∥ {second} ({claim.marker} at {claim.source})",
        f"      both change {path_list(list(check.verdict.shared))}",
        f"      {first} at {check.lines[0]}, {second} at {check.lines[1]}",
    ]


def _separation_text(report: PlanReport, max_instances: int, stream: TextIO) -> None:
    result, survey = report.plan, report.survey
    write = stream.write
    if result.conflicts:
        write(paint("conflicts", "red", stream) + "\n")
        for conflict in result.conflicts:
            first, second = conflict.tasks
            if conflict.declared and not (conflict.paths or conflict.examples):
                write(f"  {first} ↔ {second}: their plan says they conflict (conflicts_with)\n")
                continue
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
