"""Errors that reach the user as one line plus a hint, and warnings shown once per command
(stdlib only: the hook imports this)."""

from __future__ import annotations

import sys

EXIT_OK = 0
EXIT_FOUND = 1  # the check found a problem: conflict, violation, refused merge
EXIT_USAGE = 2  # bad usage, config or input
EXIT_INTERNAL = 3  # a bug: one line, the traceback saved (gitwt.infra.crash)


class GitParallelError(Exception):
    """A user-facing error: bad input, config or usage. Exit code 2, nothing changed."""

    exit_code = EXIT_USAGE

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def render(self) -> str:
        text = f"git parallel: error: {one_line(self.message)}"
        if self.hint:
            text += f"\nhint: {one_line(self.hint)}"
        return text


class Refused(GitParallelError):
    """The command understood the request but refuses it to keep work safe. Exit code 1."""

    exit_code = EXIT_FOUND


def one_line(text: str) -> str:
    # Paths may hold newlines; an error must stay one line so scripts can parse it.
    return text.replace("\r", "\\r").replace("\n", "\\n")


# The warnings this command has shown, and whether the whole process is one command (the CLI).
_shown: set[str] = set()
_process_is_one_command = [False]


def warn_once(message: str) -> None:
    """`git parallel: warning: MESSAGE` on stderr, once per command (a command may look at its
    repository twice)."""
    if message not in _shown:
        _shown.add(message)
        sys.stderr.write(f"git parallel: warning: {message}\n")


def new_command() -> None:
    """Called by each gitwt.api call: a command of its own, whose warnings show again (a second
    call in one process must say what a second CLI run would). Not so inside the CLI, which is
    one command however many API calls it makes (start --next: next, then start)."""
    if not _process_is_one_command[0]:
        _shown.clear()


def process_is_one_command() -> None:
    """The CLI: a process is one command, each warning shown once (task runners and the queue
    waiter make no API call, so theirs are once per process as well)."""
    _process_is_one_command[0] = True
