"""The `plan` and `specs` reports: text for a person, versioned JSON for programs.

Both show where each declared pattern came from (its Origin) and every spec problem with its
file and line, because a declaration nobody can check gives false safety.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, TextIO

from gitwt.cli.report import (
    fitted,
    middle,
    paint,
    schema,
    table,
    table_lines,
    terminal_width,
    wrapped,
)
from gitwt.core.display import path_list
from gitwt.services.specs.spec_reports import origins_of
from gitwt.services.specs.spec_reports import plan_json as plan_json
from gitwt.services.specs.spec_reports import specs_json as specs_json

if TYPE_CHECKING:
    from typing import TypedDict

    from gitwt.core.plan_claims import ClaimCheck
    from gitwt.core.provenance import Ignored, Origin
    from gitwt.core.spec_catalog import SpecEntry, SpecProblem
    from gitwt.core.specs import Task
    from gitwt.services.specs.planning import PlanReport
    from gitwt.services.specs.spec_writer import Written

    class WrittenJson(TypedDict):
        id: str
        file: str
        patterns: int
        changed: bool

    class FrontMatterJson(TypedDict):
        """`specs --front-matter --json` (schema git-parallel/specs-front-matter/1)."""

        schema: str
        written: list[WrittenJson]


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


def explain_task(
    task: Task, ignored: list[Ignored], stream: TextIO, width: int | None = None
) -> None:
    """Each pattern with where it came from, then what the spec mentions but does not declare."""
    write = stream.write
    width = width or terminal_width(stream)
    write(wrapped(f"{task.id}: {task.title}  [{task.source}]", width))
    for origin in origins_of(task):
        line = f"{origin.pattern:<36}  ← {_origin_text(origin, task.source)}"
        write(wrapped(line, width, "    ", "        "))
    _ignored_text(ignored, task.source, "ignored", stream, width)


def _ignored_text(
    ignored: list[Ignored], source: str, verb: str, stream: TextIO, width: int | None
) -> None:
    for token in ignored:
        where = f"line {token.line}" if token.source == source else token.where
        line = wrapped(f"{verb} {token.token!r}: {token.reason} ({where})", width, "    ", " " * 8)
        stream.write(paint(line.rstrip("\n"), "dim", stream) + "\n")


def problems_text(
    problems: list[SpecProblem],
    stream: TextIO,
    width: int | None = None,
    heading: str = "problems",
) -> None:
    """The problems grouped by kind (problems with one hint are one kind), each kind's hint
    once, after its problems."""
    if not problems:
        return
    width = width or terminal_width(stream)
    kinds: dict[str, list[SpecProblem]] = {}
    for problem in problems:
        kinds.setdefault(problem.hint or "", []).append(problem)
    stream.write("\n" + paint(f"{heading} ({len(problems)})", "red", stream) + "\n")
    for hint, members in kinds.items():
        for problem in members:
            stream.write(wrapped(problem.located, width))
        if hint:
            stream.write(paint(wrapped(f"hint: {hint}", width, "    ", "      "), "dim", stream))


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
        problems_text(survey.problems, stream, heading="spec problems")
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
    if survey.expansion is not None:
        _task_lines_text(report, max_instances, stream)
    else:
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
    elif result.problems:
        write(
            paint("not valid: ", "red", stream)
            + "fix the conflicts and problems above (narrow the 'files:' declarations, or fix "
            "the owners)\n"
        )
    else:  # conflicts alone: in order they can run, however their depends_on reads
        write(
            paint("not valid: ", "red", stream)
            + "these tasks cannot run side by side: narrow the 'files:' declarations, or run "
            f"them one after the other with 'git parallel start --queue {' '.join(result.order)}'\n"
        )


def _task_lines_text(report: PlanReport, max_instances: int, stream: TextIO) -> None:
    """What the named units stood for, the lines kept apart and why, and the waves' heading."""
    expansion = report.survey.expansion
    write = stream.write
    for unit, why in (expansion.whole if expansion is not None else {}).items():
        write(f"{unit} runs whole: {why}\n")
    for line, why in (expansion.unit_wide if expansion is not None else {}).items():
        write(f"{line} {why}\n")
    if expansion is not None and expansion.done:
        write(f"not run (ticked done in their plan): {' '.join(expansion.done)}\n")
    if report.held_apart:
        write(paint("held apart (successive waves)", "yellow", stream) + "\n")
        for held in report.held_apart:
            write(f"  {held.reason()}\n")
    write(
        f"task-line waves (batch --task-lines merges each before the next starts; "
        f"at most {max_instances} run at once):\n"
    )


# --- specs -----------------------------------------------------------------------------------


def specs_text(
    entries: list[SpecEntry], stream: TextIO = sys.stdout, explain: bool = False
) -> None:
    write = stream.write
    if not entries:
        write("no specs found (config 'specs' lists where to look)\n")
        return
    width = terminal_width(stream)
    groups: dict[str, list[SpecEntry]] = {}  # by folder: its path is said once, above its specs
    for entry in entries:
        groups.setdefault(entry.source.rpartition("/")[0], []).append(entry)
    rows = [["id", "owner", "patterns", "title", "file"]]
    for folder, members in groups.items():
        for entry in members:
            task = entry.task
            rows.append(
                [
                    entry.id or "-",
                    (task.owner or "-") if task else "-",
                    # A spec gives a task or has problems (listed below), never both.
                    str(len(task.files)) if task else "problem",
                    task.title if task else entry.title or "",
                    _file_cell(entry, folder),
                ]
            )
    # Ids are never cut; the file (often the id again) gives way first, then the title.
    squeeze = [(4, "middle", 16), (3, "end", 24), (1, "end", 8), (4, "middle", 6), (3, "end", 8)]
    squeeze += [(1, "end", 3), (4, "middle", 1), (3, "end", 1)]  # a narrow terminal, long ids
    lines = iter(table_lines(fitted(rows, width, squeeze)))
    write(paint(next(lines), "bold", stream) + "\n")
    for folder, members in groups.items():
        if len(groups) > 1 or folder:
            write(middle(f"{folder or '.'}/", width) + "\n")
        for _ in members:
            write(next(lines) + "\n")
    if explain:
        write("\ndeclarations (pattern ← where it came from)\n")
        for entry in entries:
            if entry.task:
                explain_task(entry.task, entry.ignored, stream, width)
            elif entry.id or entry.ignored:
                _explain_nothing(entry, stream, width)
    _shared_text(entries, stream, width)
    problems_text([problem for entry in entries for problem in entry.problems], stream, width)


def _file_cell(entry: SpecEntry, folder: str) -> str:
    """The file within its folder; empty where the id says it (a stem id: `<id>.md`)."""
    name = entry.source.removeprefix(f"{folder}/") if folder else entry.source
    if entry.id and name.removesuffix("/README.md").removesuffix(".md") == entry.id:
        return ""
    return name


def _explain_nothing(entry: SpecEntry, stream: TextIO, width: int | None) -> None:
    """A spec that gives no task: its title, then each candidate it read and why not."""
    title = entry.title or "(no title)"
    stream.write(wrapped(f"{entry.id or '-'}: {title}  [{entry.source}]", width))
    if not entry.ignored:
        stream.write(wrapped("declares nothing: it names no path anywhere", width, "    "))
    _ignored_text(entry.ignored, entry.source, "rejected", stream, width)


def _shared_text(entries: list[SpecEntry], stream: TextIO, width: int | None) -> None:
    """One line per number several specs claim: the ids that name each of them."""
    groups: dict[str, list[str]] = {}
    for entry in entries:
        if entry.shares and entry.id:
            key = " ".join(sorted([entry.id, *entry.shares]))
            groups.setdefault(key, sorted([entry.id, *entry.shares]))
    if not groups:
        return
    heading = "shared numbers: each spec is named by its file-stem id (the number alone is "
    heading += "ambiguous)"
    stream.write("\n" + wrapped(heading, width, "", "  "))
    for ids in groups.values():
        stream.write(wrapped(", ".join(ids), width))


def front_matter_json(written: list[Written]) -> FrontMatterJson:
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
