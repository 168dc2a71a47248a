"""Internal errors (DESIGN §3, exit 3): one line for the user, the traceback kept in a file.

A bug must never look like "the check found a problem" (exit 1) nor drown the user in a
traceback: the entry points (the CLI's main, the commit hook's) catch everything else, save the
traceback under `<git-common-dir>/parallel/crash/<time>-<pid>.txt` (a temporary folder outside a
repository, or when the state folder is not writable), and name that file in one error line.
Stdlib only, imported only after a crash: the commit hook uses it.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
import traceback

from gitwt.errors import EXIT_INTERNAL

HINT = "this is a bug in git parallel; please report it with the saved traceback"


def folders(common_dir: str | None) -> list[str]:
    """Where a crash report may go, best first."""
    fallback = os.path.join(tempfile.gettempdir(), f"git-parallel-crash-{os.getuid()}")
    return [os.path.join(common_dir, "parallel", "crash"), fallback] if common_dir else [fallback]


def save(error: BaseException, common_dir: str | None) -> str | None:
    """Write the traceback (and what was run, where) to the first writable folder; its path."""
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    text = "".join(
        [
            f"command: {sys.argv!r}\n",
            f"cwd: {os.getcwd()!r}\n",
            f"python: {sys.version.split()[0]}\n\n",
            *traceback.format_exception(error),
        ]
    )
    for folder in folders(common_dir):
        path = os.path.join(folder, f"{stamp}-{os.getpid()}.txt")
        try:
            os.makedirs(folder, mode=0o700, exist_ok=True)
            with open(path, "x", encoding="utf-8", errors="backslashreplace") as handle:
                handle.write(text)
        except OSError:
            continue
        return path
    return None


def message(error: BaseException, saved: str | None) -> str:
    """The two lines the user sees: what broke (one line) and where its traceback is."""
    what = f"{type(error).__name__}: {error}".replace("\r", "\\r").replace("\n", "\\n")
    where = f"traceback saved in {saved}" if saved else "the traceback could not be saved"
    return f"git parallel: error: internal error: {what} ({where})\nhint: {HINT}"


def report(error: BaseException, common_dir: str | None) -> int:
    """Save the crash, print its two lines on stderr, and return the exit code for it."""
    sys.stderr.write(message(error, save(error, common_dir)) + "\n")
    return EXIT_INTERNAL
