"""The click group `cli` and `main`: a command's module is imported only when that command runs.

The commands live in the *_commands modules; `COMMANDS` lists each with its short help, so that
`git parallel -h` lists them all without importing any (a test holds the table to the commands).
"""

from __future__ import annotations

import contextlib
import os
import sys
from gettext import gettext
from types import ModuleType
from typing import NamedTuple

import click

from gitwt import __version__
from gitwt.cli.emitting import EXIT_PIPE, reader_gone
from gitwt.errors import EXIT_USAGE, GitParallelError, one_line, process_is_one_command

COMPLETE_VAR = "_GIT_PARALLEL_COMPLETE"
CONTEXT_SETTINGS = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


class Listed(NamedTuple):
    module: str  # in gitwt.cli
    attribute: str  # the click command in that module
    help: str  # the first paragraph of the command's help: what `git parallel -h` shortens


COMMANDS = {
    "batch": Listed(
        "orchestration",
        "batch",
        "Plan, start, wait, merge what succeeded and clean up, in one command.",
    ),
    "check": Listed(
        "check_commands",
        "check",
        "Check a change against a task's boundaries or a role's ownership, as the hooks do.",
    ),
    "claim": Listed(
        "task_commands",
        "claim",
        "Extend a live task's declaration with PATHS, unless another live task has them.",
    ),
    "clean": Listed(
        "merge_commands",
        "clean",
        "Remove worktrees of finished tasks and their merged branches, never losing work.",
    ),
    "demo": Listed(
        "plan_commands",
        "demo",
        "Show the whole workflow in a scratch repository (DIRECTORY, or a new temporary one).",
    ),
    "hooks": Listed(
        "check_commands",
        "hooks",
        "Manage the commit hooks (task worktrees get them at start).",
    ),
    "logs": Listed(
        "task_commands",
        "logs",
        "Print the output of task ID's command (its current run; --run N for an earlier one).",
    ),
    "merge": Listed(
        "merge_commands",
        "merge",
        "Audit, forecast and merge tasks into base, atomically; refused tasks stay as they are.",
    ),
    "next": Listed(
        "next_commands",
        "next_command",
        "List the units that can start now, as one set that can run together, in plan order.",
    ),
    "plan": Listed(
        "plan_commands",
        "plan",
        "Report whether tasks IDS can run in parallel: conflicts, ownership, order and waves.",
    ),
    "release": Listed(
        "team_commands",
        "release",
        "Remove task ID from the team registry, e.g. the task of a machine that died.",
    ),
    "specs": Listed(
        "plan_commands",
        "specs_command",
        "List the discovered specs (id, file, title, owner, patterns, problems), or those of IDS.",
    ),
    "start": Listed(
        "task_commands",
        "start",
        "Create a worktree and branch per task from base, install hooks, spawn the command.",
    ),
    "status": Listed(
        "task_commands",
        "status",
        "Show each task: state, process, resources, commits, files and forecast conflicts.",
    ),
    "stop": Listed(
        "task_commands",
        "stop",
        "SIGTERM each task's whole process tree, SIGKILL after the timeout (default: all).",
    ),
    "trust": Listed(
        "plan_commands",
        "trust",
        "Trust the commands this repository's files ask to run: config `run`/`test`, spec `run`.",
    ),
    "wait": Listed(
        "orchestration",
        "wait",
        "Block until tasks IDS (default: every live task with a command) have ended.",
    ),
}


def command_module(module: str) -> ModuleType:
    """A commands module, imported now. Written out (not importlib) so that the import graph
    the layer and cycle contracts check has every edge."""
    if module == "check_commands":
        from gitwt.cli import check_commands

        return check_commands
    if module == "merge_commands":
        from gitwt.cli import merge_commands

        return merge_commands
    if module == "next_commands":
        from gitwt.cli import next_commands

        return next_commands
    if module == "orchestration":
        from gitwt.cli import orchestration

        return orchestration
    if module == "plan_commands":
        from gitwt.cli import plan_commands

        return plan_commands
    if module == "task_commands":
        from gitwt.cli import task_commands

        return task_commands
    if module == "team_commands":
        from gitwt.cli import team_commands

        return team_commands
    raise LookupError(module)


class LazyGroup(click.Group):
    """A group that imports a command's module when the command is looked up.

    Start-up is most of a short command's time: loading every command's module (and what each
    pulls in) for every command cost more than some commands themselves."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        listed = COMMANDS.get(cmd_name)
        if listed is None:
            return None
        if cmd_name not in self.commands:
            command = getattr(command_module(listed.module), listed.attribute)
            self.add_command(command, cmd_name)
        return self.commands[cmd_name]

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        # Click's own shortening, applied to the table's text: the same rows, no imports.
        listed = {name: click.Command(name, help=COMMANDS[name].help) for name in COMMANDS}
        limit = formatter.width - 6 - max(len(name) for name in listed)
        rows = [(name, listed[name].get_short_help_str(limit)) for name in sorted(listed)]
        with formatter.section(gettext("Commands")):  # as click words it
            formatter.write_dl(rows)


@click.group(cls=LazyGroup, context_settings=CONTEXT_SETTINGS)
@click.version_option(
    __version__, "--version", prog_name="git parallel", message="%(prog)s %(version)s"
)
def cli() -> None:
    """Run independent tasks in git worktrees, and keep them independent.

    Each task declares the files it will touch in a spec. `plan` and `start` refuse tasks whose
    declarations overlap; hooks refuse commits outside them; `merge` audits every branch again.
    """
    process_is_one_command()  # however many API calls the command makes


def main(argv: list[str] | None = None) -> int:
    # Text from specs, plans, paths and branches reaches the terminal inert: control characters
    # (and lone surrogates, from paths that are not UTF-8) written escaped, as git quotes paths.
    from gitwt.cli import inert_output

    inert_output.install(sys.stdout, sys.stderr)
    try:
        if os.environ.get(COMPLETE_VAR):
            # Shell completion is registered for the executable `git-parallel`.
            cli.main(args=argv, prog_name="git-parallel", complete_var=COMPLETE_VAR)
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
        with contextlib.suppress(SystemExit):
            reader_gone()
        return EXIT_PIPE
    except click.ClickException as error:
        click.echo(f"git parallel: error: {one_line(error.format_message())}", err=True)
        click.echo("hint: see 'git parallel -h'", err=True)
        return EXIT_USAGE
    except Exception as error:  # a bug: exit 3, one line, the traceback kept (DESIGN §3)
        return _internal_error(error)
    return 0


def _internal_error(error: Exception) -> int:
    from gitwt.infra import crash, git

    try:
        common_dir: str | None = git.discover().common_dir
    except Exception:  # outside a repository, or git itself is what broke
        common_dir = None
    return crash.report(error, common_dir)
