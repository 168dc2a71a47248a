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
