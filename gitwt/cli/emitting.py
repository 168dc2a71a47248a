"""How a command ends: its report as JSON or text, then its exit code (SIGPIPE as git has it).

Apart from the click group (`commands`), so that a command module imports this and click, and
the group imports a command's module only when that command runs.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Callable, Mapping
from typing import NoReturn

EXIT_PIPE = 141  # what a shell reports for a process that SIGPIPE ended, as for git


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
