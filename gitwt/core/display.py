"""Paths as a person reads them in messages and reports (pure, stdlib only)."""

from __future__ import annotations

SHOWN_PATHS = 5


def quote_path(path: str) -> str:
    """Show a path on one line: C-style quotes, like git, when it holds odd characters."""
    if (
        path
        and path == path.strip()
        and all(char.isprintable() and char not in '"\\' for char in path)
    ):
        return path
    escaped = path.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    for raw, shown in (("\\", "\\\\"), ('"', '\\"'), ("\n", "\\n"), ("\t", "\\t"), ("\r", "\\r")):
        escaped = escaped.replace(raw, shown)
    return f'"{escaped}"'


def path_list(paths: list[str], limit: int = SHOWN_PATHS) -> str:
    shown = ", ".join(quote_path(path) for path in paths[:limit])
    return shown + (f" (+{len(paths) - limit} more)" if len(paths) > limit else "")
