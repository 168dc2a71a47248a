"""The hook's messages on stderr: the refusal report (headline, violation lines, hints), warnings.

Imported only when there is something to say, so a clean commit does not pay for it.
"""

from __future__ import annotations

import os
import sys

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from gitwt.core import boundaries

COLOURS = {"red": "31", "yellow": "33", "bold": "1"}


def display() -> Any:
    from gitwt.core import display  # only when there is something to show

    return display


def paint(text: str, colour: str) -> str:
    stream = sys.stderr
    if not stream.isatty() or "NO_COLOR" in os.environ or os.environ.get("TERM") == "dumb":
        return text
    return f"\033[{COLOURS[colour]}m{text}\033[0m"


def warn(text: str) -> None:
    sys.stderr.write(f"git parallel: warning: {display().inert(text)}\n")


def report(headline: str, found: list[boundaries.Violation], hints: list[str]) -> None:
    # Paths, patterns and owners come from specs and commits: shown inert, as git quotes them.
    inert = display().inert
    lines = [paint(f"git parallel: {inert(headline)}", "red") + "\n"]
    lines += [inert(line, lines=True) for line in display().violation_lines(found)]
    lines += [f"hint: {inert(hint)}\n" for hint in hints]
    sys.stderr.write("".join(lines))
    sys.stderr.flush()


def count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


def belong(number: int) -> str:
    """The verb after `count(number, ...)`: "1 path belongs", "2 paths belong"."""
    return "belongs" if number == 1 else "belong"


def who(rules: boundaries.Rules) -> str:
    if rules.task_id is None:
        return f"role {rules.owner}"
    return f"task {rules.task_id}" + (f" (owner {rules.owner})" if rules.owner else "")
