"""The commands that run a batch to its end: `wait` and `batch` (thin: parse, call the API,
render)."""

from __future__ import annotations

import click

from gitwt.cli.emitting import emit
from gitwt.cli.options import (
    agent_option,
    local_option,
    max_option,
    next_option,
    run_option,
    task_lines_option,
)


def _progress(line: str) -> None:
    click.echo(f"git parallel: {line}", err=True)


@click.command()
@click.argument("ids", nargs=-1)
@click.option(
    "--timeout",
    type=click.FloatRange(min=0),
    metavar="S",
    help="Give up after S seconds (exit 1); the tasks keep running.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the versioned JSON report.")
@local_option
def wait(ids: tuple[str, ...], timeout: float | None, as_json: bool) -> None:
    """Block until tasks IDS (default: every live task with a command) have ended.

    Progress goes to stderr. Exit 0 when every task succeeded (or merged), 1 when one failed,
    was stopped or lost, or on timeout.
    """
    from gitwt import api
    from gitwt.cli import run_report

    result = api.wait(list(ids), timeout=timeout, progress=_progress)
    emit(as_json, result.to_json, lambda: run_report.wait_text(result), 0 if result.ok else 1)


@click.command()
@click.argument("ids", nargs=-1)
@next_option
@run_option
@max_option
@click.option(
    "--test",
    "test_command",
    metavar="CMD",
    help="Run CMD on each candidate merge; base moves only if it passes.",
)
@agent_option
@task_lines_option
@click.option("--json", "as_json", is_flag=True, help="Print the versioned JSON report.")
@local_option
def batch(
    ids: tuple[str, ...],
    use_next: bool,
    run_command: str | None,
    max_instances: int | None,
    test_command: str | None,
    agent: str | None,
    task_lines: bool,
    as_json: bool,
) -> None:
    """Plan, start, wait, merge what succeeded and clean up, in one command.

    Tasks that depend on others (a plan's phases, 'depends_on') run in waves: each wave starts
    once the one before it has merged; a wave with a failure ends the batch. Refuses (exit 1,
    nothing created) when two tasks of one wave conflict, as 'start' does. IDS may name a plan's
    group ('004': its units). Progress goes to stderr. Exit 0 when every task ran and merged.

    With --task-lines, each named unit runs as its open task lines ('batch 004.US1
    --task-lines': T007 T008 | T009 | T010 | ...), by the plan's order ([P], (P), phases,
    _Depends:_); two lines whose [P] claim is false (both change one path) run one after the
    other, and the report says so, naming the claim's line. 'plan IDS --task-lines' shows the
    waves first.
    """
    from gitwt import api
    from gitwt.cli import run_report
    from gitwt.cli.next_commands import ids_or_next

    result = api.batch(
        ids_or_next(ids, use_next, max_instances),
        run=run_command,
        max_instances=max_instances,
        test=test_command,
        progress=_progress,
        agent=agent,
        task_lines=task_lines,
    )
    emit(
        as_json,
        result.to_json,
        lambda: run_report.batch_text(result),
        0 if result.success else 1,
    )
