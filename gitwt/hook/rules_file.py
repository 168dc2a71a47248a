"""The compiled rules file in a task worktree's private git dir: where it is, and loading it.

`gitwt.services.hooks.task_rules` writes it (at `start`, `claim` and `hooks install --task`); the
hooks, `merge` and `check` read it through `load_rules`. The hook imports this module once git
is running (`entry.load_checker`). Stdlib only, and not even `json` (it imports `re`): the file
is read with the C scanner of `_json`, falling back to `json`.
"""

from __future__ import annotations

import os

from gitwt.hook.git_runner import git_dir_of as git_dir_of  # where a worktree's git dir is

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from gitwt.core.boundaries import Rules

RULES_FILE = "parallel-rules.json"  # in the task worktree's private git dir


def rules_path(git_dir: str) -> str:
    return os.path.join(git_dir, RULES_FILE)


def load_rules(git_dir: str) -> Rules | None:
    """The rules of the task whose worktree this is, or None outside task worktrees.

    Raises ValueError (or OSError) when the file exists but cannot be used: callers fail closed.
    """
    try:
        with open(rules_path(git_dir), encoding="utf-8") as handle:
            text = handle.read()
    except FileNotFoundError:
        return None
    from gitwt.core.boundaries import Rules

    data = parse_json(text)
    try:
        return Rules.from_json(data)
    except Exception as exc:  # KeyError, TypeError, re.error (without importing re to name it)
        raise ValueError(f"malformed rules: {exc!r}") from exc


def worktree_rules(worktree: object) -> Rules | None:
    """The snapshot in a task worktree (`worktree` as a state record holds it), or None when
    there is none or it cannot be read: callers then rebuild the rules from the task record."""
    git_dir = git_dir_of(worktree) if isinstance(worktree, str) and worktree else None
    if git_dir is None:
        return None
    try:
        return load_rules(git_dir)
    except (OSError, ValueError):
        return None


class _JsonContext:
    """What the C JSON scanner reads from `json.JSONDecoder`, with the defaults."""

    strict = True
    object_hook = None
    object_pairs_hook = None
    parse_float = float
    parse_int = int
    parse_constant = float


def parse_json(text: str) -> Any:
    """json.loads without importing json (it imports re): the C scanner, when there is one."""
    try:
        from _json import make_scanner as scanner_type
    except ImportError:
        scanner_type = None  # type: ignore[assignment,misc]
    if scanner_type is not None and text.startswith("{"):
        try:
            data, end = scanner_type(_JsonContext())(text, 0)  # type: ignore[arg-type]
        except Exception:
            pass  # malformed: let json say where (the C scanner's errors need json anyway)
        else:
            if not text[end:].strip():
                return data
    import json

    return json.loads(text)
