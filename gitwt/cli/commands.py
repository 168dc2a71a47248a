"""The click group `cli`, the JSON-or-text `emit`, and `main` (commands: the *_commands modules)."""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Callable, Mapping
from typing import NoReturn

import click

from gitwt import __version__
from gitwt.errors import EXIT_USAGE, GitParallelError, one_line, process_is_one_command

COMPLETE_VAR = "_GIT_PARALLEL_COMPLETE"
EXIT_PIPE = 141  # what a shell reports for a process that SIGPIPE ended, as for git
CONTEXT_SETTINGS = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


def emit(
    as_json: bool,
    to_json: Callable[[], Mapping[str, object]],  # a report's TypedDict
    to_text: Callable[[], None],
    exit_code: int,
) -> NoReturn:
    """Print the report as versioned JSON or as text, then exit with the command's verdict."""
    from gitwt.cli import report

    try:
        if as_json:
            report.dump_json(to_json())
        else:
            to_text()
        sys.stdout.flush()
    except BrokenPipeError:
        reader_gone()
    sys.exit(exit_code)


def reader_gone() -> NoReturn:
    """The reader of our output went away (`git parallel specs | head -1`): stop quietly, as git
    does when SIGPIPE ends it, with the shell's code for that (128 + 13). Click would report
    exit 1, which here means "the check found a problem"."""
    with contextlib.suppress(OSError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())  # the interpreter's last flush must not fail
    sys.exit(EXIT_PIPE)


@click.group(context_settings=CONTEXT_SETTINGS)
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
