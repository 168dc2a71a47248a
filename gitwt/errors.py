"""Errors that reach the user as one line plus a hint (stdlib only: the hook imports this)."""

from __future__ import annotations

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
