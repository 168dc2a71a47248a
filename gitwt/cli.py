"""Command line: parse, call one service, render. Nothing else lives here."""

from __future__ import annotations

import sys

import click

from gitwt import __version__
from gitwt.errors import EXIT_USAGE, GitParallelError, one_line

CONTEXT_SETTINGS = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


@click.group(context_settings=CONTEXT_SETTINGS)
@click.version_option(
    __version__, "--version", prog_name="git parallel", message="%(prog)s %(version)s"
)
def cli() -> None:
    """Run independent tasks in git worktrees, and keep them independent.

    Each task declares the files it will touch in a spec. `plan` and `start` refuse tasks whose
    declarations overlap; hooks refuse commits outside them; `merge` audits every branch again.
    """


@cli.command()
@click.argument("ids", nargs=-1, required=True)
@click.option("--json", "as_json", is_flag=True, help="Print the versioned JSON report.")
def plan(ids: tuple[str, ...], as_json: bool) -> None:
    """Report whether tasks IDS can run in parallel: conflicts, ownership, order and waves."""
    from gitwt import report
    from gitwt.planning import make_plan

    context, result = make_plan(list(ids))
    if as_json:
        report.dump_json(report.plan_json(result, context.base))
    else:
        report.plan_text(result, context.base, context.config.max_instances)
    sys.exit(0 if result.valid else 1)


# --- merge -----------------------------------------------------------------------------------


@cli.command()
@click.argument("ids", nargs=-1)
@click.option("--all", "everything", is_flag=True, help="Also merge open tasks (no command).")
@click.option("--test", "test_command", metavar="CMD",
              help="Run CMD on each candidate merge; base moves only if it passes.")
@click.option("--dry-run", is_flag=True, help="Report what would happen; change nothing.")
@click.option("--keep", is_flag=True, help="Keep worktrees and branches after merging.")
@click.option("--json", "as_json", is_flag=True, help="Print the versioned JSON report.")
def merge(ids: tuple[str, ...], everything: bool, test_command: str | None, dry_run: bool,
          keep: bool, as_json: bool) -> None:
    """Audit, forecast and merge tasks into base, atomically; refused tasks stay as they are.

    With no IDS, merges every succeeded task. Open tasks merge only when named (or --all).
    """
    from gitwt import report
    from gitwt.context import Context
    from gitwt.merge import merge as merge_tasks

    context = Context.discover()
    result = merge_tasks(context, list(ids), everything=everything, test_command=test_command,
                         dry_run=dry_run, keep=keep)
    if as_json:
        report.dump_json(report.merge_json(result))
    else:
        report.merge_text(result)
    sys.exit(0 if result.ok else 1)


# --- trust -----------------------------------------------------------------------------------


@cli.command()
@click.argument("ids", nargs=-1)
def trust(ids: tuple[str, ...]) -> None:
    """Trust the commands this repository's files ask to run: config `run`/`test`, spec `run`.

    Shows each command, then remembers it for this user and repository. Editing a command
    asks for trust again. Commands given on the command line never need trust.
    """
    import shlex

    from gitwt import trust as trust_module
    from gitwt.context import Context

    context = Context.discover()
    commands: list[tuple[str, str | tuple[str, ...]]] = []
    for key in ("run", "test"):
        value = getattr(context.config, key)
        if value:
            commands.append((f"{key} in {context.config.source}", value))
    for task in context.load_tasks(list(ids)) if ids else []:
        if task.run:
            commands.append((f"run of task {task.id} ({task.source})", task.run))
    if not commands:
        click.echo("nothing to trust: no run or test command in the config or the named specs")
        return
    trust_module.grant(context.repo.common_dir, [command for _, command in commands])
    for origin, command in commands:
        click.echo(f"trusted {origin}: {shlex.join(trust_module.command_argv(command))}")


# --- start, status, logs, stop, claim, clean -------------------------------------------------


@cli.command()
@click.argument("ids", nargs=-1, required=True)
@click.option("--run", "run_command", metavar="CMD",
              help="Run CMD in each task worktree ({id}, {worktree}, {spec} are replaced).")
@click.option("--max", "max_instances", type=click.IntRange(min=1), metavar="N",
              help="Run at most N task commands at once (default: config max_instances).")
@click.option("--queue", is_flag=True,
              help="Let conflicting or dependent tasks wait until their partner is merged.")
@click.option("--sparse", is_flag=True,
              help="Check out only the declared paths and the top-level files.")
@click.option("--json", "as_json", is_flag=True, help="Print the versioned JSON report.")
def start(ids: tuple[str, ...], run_command: str | None, max_instances: int | None, queue: bool,
          sparse: bool, as_json: bool) -> None:
    """Create a worktree and branch per task from base, install hooks, spawn the command.

    Validates like 'plan' and creates nothing when the tasks conflict. Returns at once; tasks
    beyond the free slots wait as 'queued' and start when a slot and the resources allow.
    """
    from gitwt import lifecycle, report

    result = lifecycle.start(list(ids), lifecycle.StartOptions(
        run=run_command, max_instances=max_instances, queue=queue, sparse=sparse))
    if as_json:
        report.dump_json(report.start_json(result))
    else:
        report.start_text(result)
    sys.exit(1 if result.failed else 0)


@cli.command()
@click.argument("ids", nargs=-1)
@click.option("--json", "as_json", is_flag=True, help="Print the versioned JSON report.")
@click.option("--watch", is_flag=True, help="Redraw every poll_interval until interrupted.")
@click.option("--no-forecast", is_flag=True, help="Skip the merge-tree conflict forecast.")
def status(ids: tuple[str, ...], as_json: bool, watch: bool, no_forecast: bool) -> None:
    """Show each task: state, process, resources, commits, files and forecast conflicts."""
    import time

    from gitwt import report
    from gitwt import status as status_service
    from gitwt.context import Context

    context = Context.discover()
    while True:
        result = status_service.gather(context, list(ids), with_forecast=not no_forecast)
        if watch and sys.stdout.isatty():
            click.echo("\033[H\033[2J", nl=False)
        if as_json:
            report.dump_json(report.status_json(result))
        else:
            report.status_text(result)
        if not watch:
            return
        sys.stdout.flush()
        try:
            time.sleep(context.config.poll_interval)
        except KeyboardInterrupt:
            return


@cli.command()
@click.argument("task_id", metavar="ID")
@click.option("-f", "--follow", is_flag=True, help="Keep printing output as it comes.")
def logs(task_id: str, follow: bool) -> None:
    """Print the output of task ID's command."""
    from gitwt import lifecycle
    from gitwt.context import Context

    try:
        lifecycle.print_log(Context.discover(), task_id, follow)
    except KeyboardInterrupt:
        return


@cli.command()
@click.argument("ids", nargs=-1)
@click.option("--timeout", default=10.0, show_default=True, type=click.FloatRange(min=0),
              metavar="S", help="Seconds between SIGTERM and SIGKILL.")
@click.option("--json", "as_json", is_flag=True, help="Print the versioned JSON report.")
def stop(ids: tuple[str, ...], timeout: float, as_json: bool) -> None:
    """SIGTERM each task's whole process tree, SIGKILL after the timeout (default: all)."""
    from gitwt import report, supervisor
    from gitwt.context import Context

    results = supervisor.stop(Context.discover(), list(ids), timeout=timeout)
    if as_json:
        report.dump_json(report.stop_json(results))
    else:
        report.stop_text(results)


@cli.command()
@click.argument("task_id", metavar="ID")
@click.argument("paths", nargs=-1, required=True)
@click.option("--json", "as_json", is_flag=True, help="Print the versioned JSON report.")
def claim(task_id: str, paths: tuple[str, ...], as_json: bool) -> None:
    """Extend a live task's declaration with PATHS, unless another live task has them."""
    from gitwt import lifecycle, report
    from gitwt.context import Context

    result = lifecycle.claim(Context.discover(), task_id, list(paths))
    if as_json:
        report.dump_json(report.claim_json(result))
    else:
        report.claim_text(result)


@cli.command()
@click.argument("ids", nargs=-1)
@click.option("--force", is_flag=True,
              help="Remove even with uncommitted or unmerged work, kept first under "
                   "refs/parallel/salvage/<id>/<time>.")
@click.option("--json", "as_json", is_flag=True, help="Print the versioned JSON report.")
def clean(ids: tuple[str, ...], force: bool, as_json: bool) -> None:
    """Remove worktrees of finished tasks and their merged branches, never losing work."""
    from gitwt import lifecycle, report
    from gitwt.context import Context

    results = lifecycle.clean(Context.discover(), list(ids), force=force)
    if as_json:
        report.dump_json(report.clean_json(results))
    else:
        report.clean_text(results)
    sys.exit(1 if any(item.refused for item in results) else 0)


def main(argv: list[str] | None = None) -> int:
    try:
        cli.main(args=argv, prog_name="git parallel", standalone_mode=False)
    except GitParallelError as error:
        click.echo(error.render(), err=True)
        return error.exit_code
    except click.exceptions.NoArgsIsHelpError as error:
        click.echo(error.ctx.get_help() if error.ctx else "", err=True)
        return EXIT_USAGE
    except click.UsageError as error:
        command = error.ctx.command_path if error.ctx else "git parallel"
        click.echo(f"git parallel: error: {one_line(error.format_message())}", err=True)
        click.echo(f"hint: see '{command} -h'", err=True)
        return EXIT_USAGE
    except click.exceptions.Exit as done:
        return done.exit_code
    except click.Abort:
        click.echo("git parallel: interrupted", err=True)
        return 130
    except SystemExit as done:
        return done.code if isinstance(done.code, int) else (0 if done.code is None else 1)
    except BrokenPipeError:
        return 0
    return 0
