"""Commands of a task's life: start, status, logs, stop, claim."""

from __future__ import annotations

import sys

import click

from gitwt.cli.emitting import emit
from gitwt.cli.inert_output import escape_sequence
from gitwt.cli.options import agent_option, local_option, max_option, next_option, run_option


@click.command()
@click.argument("ids", nargs=-1)
@next_option
@run_option
@max_option
@click.option(
    "--queue",
    is_flag=True,
    help="Let conflicting or dependent tasks wait until their partner is merged.",
)
@click.option(
    "--sparse",
    is_flag=True,
    help=(
        "Check out only the folders of the declared paths (the paths alone when one is at the"
        " top), the spec and the top-level files."
    ),
)
@click.option(
    "--auto-merge",
    is_flag=True,
    help="Merge each task as soon as its command succeeds (same rules as 'merge').",
)
@agent_option
@click.option("--json", "as_json", is_flag=True, help="Print the versioned JSON report.")
@local_option
def start(
    ids: tuple[str, ...],
    use_next: bool,
    run_command: str | None,
    max_instances: int | None,
    queue: bool,
    sparse: bool,
    auto_merge: bool,
    agent: str | None,
    as_json: bool,
) -> None:
    """Create a worktree and branch per task from base, install hooks, spawn the command.

    Validates like 'plan' and creates nothing when the tasks conflict. Returns at once; tasks
    beyond the free slots wait as 'queued' and start when a slot and the resources allow.
    """
    from gitwt import api
    from gitwt.cli import task_report
    from gitwt.cli.next_commands import ids_or_next

    result = api.start(
        ids_or_next(ids, use_next, max_instances),
        run=run_command,
        max_instances=max_instances,
        queue=queue,
        sparse=sparse,
        auto_merge=auto_merge,
        agent=agent,
    )
    emit(
        as_json,
        result.to_json,
        lambda: task_report.start_text(result.report),
        0 if result.ok else 1,
    )


@click.command()
@click.argument("ids", nargs=-1)
@click.option("--json", "as_json", is_flag=True, help="Print the versioned JSON report.")
@click.option("--watch", is_flag=True, help="Redraw every poll_interval until interrupted.")
@click.option("--no-forecast", is_flag=True, help="Skip the merge-tree conflict forecast.")
@local_option
def status(ids: tuple[str, ...], as_json: bool, watch: bool, no_forecast: bool) -> None:
    """Show each task: state, process, resources, commits, files and forecast conflicts."""
    import time

    from gitwt import api
    from gitwt.cli import report, task_report
    from gitwt.services.context import Context

    # Only --watch needs the poll interval: a one-shot status discovers the repository once.
    interval = Context.discover().config.poll_interval if watch else 0.0
    while True:
        result = api.status(list(ids), forecast=not no_forecast)
        if watch and sys.stdout.isatty():
            click.echo(escape_sequence("H") + escape_sequence("2J"), nl=False)
        if as_json:
            report.dump_json(result.to_json())
        else:
            task_report.status_text(result.report)
        if not watch:
            return
        sys.stdout.flush()
        try:
            time.sleep(interval)
        except KeyboardInterrupt:
            return


@click.command()
@click.argument("task_id", metavar="ID")
@click.option("-f", "--follow", is_flag=True, help="Keep printing output as it comes.")
@click.option(
    "--run",
    type=click.IntRange(min=1),
    metavar="N",
    help="An earlier run's output (1 is the first; each start of the task is one run).",
)
def logs(task_id: str, follow: bool, run: int | None) -> None:
    """Print the output of task ID's command (its current run; --run N for an earlier one)."""
    from gitwt.cli.emitting import reader_gone
    from gitwt.services.context import Context
    from gitwt.services.tasks import task_logs

    try:
        task_logs.print_log(Context.discover(), task_id, follow, run)
    except KeyboardInterrupt:
        return
    except BrokenPipeError:
        reader_gone()


@click.command()
@click.argument("ids", nargs=-1)
@click.option(
    "--timeout",
    default=10.0,
    show_default=True,
    type=click.FloatRange(min=0),
    metavar="S",
    help="Seconds between SIGTERM and SIGKILL.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the versioned JSON report.")
def stop(ids: tuple[str, ...], timeout: float, as_json: bool) -> None:
    """SIGTERM each task's whole process tree, SIGKILL after the timeout (default: all)."""
    from gitwt.cli import report, task_report
    from gitwt.services.context import Context
    from gitwt.services.tasks import supervisor

    results = supervisor.stop(Context.discover(), list(ids), timeout=timeout)
    if as_json:
        report.dump_json(task_report.stop_json(results))
    else:
        task_report.stop_text(results)


@click.command()
@click.argument("task_id", metavar="ID")
@click.argument("paths", nargs=-1, required=True)
@click.option("--json", "as_json", is_flag=True, help="Print the versioned JSON report.")
@local_option
def claim(task_id: str, paths: tuple[str, ...], as_json: bool) -> None:
    """Extend a live task's declaration with PATHS, unless another live task has them."""
    from gitwt.cli import report, task_report
    from gitwt.services.context import Context
    from gitwt.services.specs import claiming

    result = claiming.claim(Context.discover(), task_id, list(paths))
    if as_json:
        report.dump_json(task_report.claim_json(result))
    else:
        task_report.claim_text(result)
