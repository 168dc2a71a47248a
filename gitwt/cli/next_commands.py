"""What can start now, and why every other unit waits, on the command line (`next`).

Also the ids `start --next` and `batch --next` run.
"""

from __future__ import annotations

import sys

import click

from gitwt.cli.emitting import emit
from gitwt.errors import Refused

WIDTH = 120  # the report fits 120 columns, or the terminal when it is narrower


@click.command("next")
@click.option(
    "--max",
    "max_instances",
    type=click.IntRange(min=1),
    metavar="N",
    help="Pick at most N units (default: config max_instances).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the versioned JSON report.")
def next_command(max_instances: int | None, as_json: bool) -> None:
    """List the units that can start now, as one set that can run together, in plan order.

    A unit can start when its own plan says it is open, it is not merged into base yet, what
    it depends on is done or merged, it is not live or queued, and it overlaps neither another
    chosen unit nor a live task, owners allowing. Every other unit is listed with its reason.
    """
    from gitwt import api

    result = api.next(max_instances)
    emit(as_json, result.to_json, lambda: next_text(result.report), 0)


def next_ids(max_instances: int | None) -> list[str]:
    """What `start --next` and `batch --next` run; refused when nothing can start."""
    from gitwt import api

    result = api.next(max_instances)
    if not result.ids:
        left = len(result.report.selection.left)
        raise Refused(
            f"nothing can start now ({left} unit(s) left out)",
            "'git parallel next' lists each unit with the reason it waits",
        )
    return result.ids


def ids_or_next(ids: tuple[str, ...], use_next: bool, max_instances: int | None) -> list[str]:
    if use_next and ids:
        raise click.UsageError("give task ids or --next, not both")
    if not use_next and not ids:
        raise click.UsageError("missing task ids (or --next: what 'git parallel next' picks)")
    return next_ids(max_instances) if use_next else list(ids)


def next_text(report: object) -> None:
    from gitwt.cli.report import fitted, paint, table_lines, terminal_width
    from gitwt.services.specs.next_units import NextReport

    assert isinstance(report, NextReport)
    width = min(terminal_width() or WIDTH, WIDTH)
    out = sys.stdout
    chosen, left = report.selection.chosen, report.selection.left
    limit = report.selection.limit
    out.write(
        paint(f"Can start now on {report.base}", "bold") + f" ({len(chosen)}, --max {limit}):\n"
    )
    if chosen:
        labelled = any(c.label != c.id for c in chosen)  # roadmap priorities run a spec's id
        rows = [["id", "unit", "format", "from", "title"]] + [
            [
                c.id,
                c.label if c.label != c.id else "",
                c.format,
                c.spec or c.source,
                c.task.title if c.task else "",
            ]
            for c in chosen
        ]
        if not labelled:
            rows = [row[:1] + row[2:] for row in rows]
        last = len(rows[0]) - 1
        squeeze = [(last, "end", 12), (last - 1, "middle", 20)]
        for line in table_lines(fitted(rows, width, squeeze)):
            out.write(line + "\n")
    else:
        out.write("  nothing\n")
    for problem in report.problems:
        out.write(f"  warning: roadmap {report.roadmap}: {problem}\n")
    if left:
        out.write(paint(f"Left out ({len(left)}):", "bold") + "\n")
        rows = [["unit", "reason", "why"]] + [
            [item.candidate.label, item.reason.replace("_", " "), item.detail] for item in left
        ]
        for line in table_lines(fitted(rows, width, [(2, "end", 20)])):
            out.write(line + "\n")
    if chosen:
        out.write("Start them: git parallel start --next (or batch --next to run and merge them)\n")
