"""Paths as a person reads them in messages and reports (pure, stdlib only)."""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Sequence

    from gitwt.core.boundaries import Violation

SHOWN_PATHS = 5
CHANGE_NAMES = {
    "A": "added",
    "M": "modified",
    "D": "deleted",
    "T": "type changed",
    "R": "renamed",
    "C": "copied",
    "U": "unmerged",
}


# git's C-style escapes (quote_c_style); every other unprintable byte is shown in octal.
_ESCAPES = {"\\": "\\\\", '"': '\\"', "\a": "\\a", "\b": "\\b", "\t": "\\t", "\n": "\\n"}
_ESCAPES.update({"\v": "\\v", "\f": "\\f", "\r": "\\r"})


def quote_path(path: str) -> str:
    """Show a path on one line: C-style quotes, like git, when it holds odd characters.

    Printable Unicode is shown as is (git with core.quotePath=false); a byte that is not UTF-8
    (a lone surrogate, from git's bytes decoded with surrogateescape) and control characters
    are shown in octal as git shows them: `"app/\\377\\376.py"`.
    """
    if path and path == path.strip() and all(c.isprintable() and c not in '"\\' for c in path):
        return path
    shown = []
    for char in path:
        if char in _ESCAPES:
            shown.append(_ESCAPES[char])
        elif "\udc80" <= char <= "\udcff":
            shown.append(f"\\{ord(char) - 0xDC00:03o}")
        elif char.isprintable() or char == " ":
            shown.append(char)
        else:
            shown.extend(f"\\{byte:03o}" for byte in char.encode("utf-8", "surrogatepass"))
    return '"' + "".join(shown) + '"'


def path_list(paths: list[str], limit: int = SHOWN_PATHS) -> str:
    shown = ", ".join(quote_path(path) for path in paths[:limit])
    return shown + (f" (+{len(paths) - limit} more)" if len(paths) > limit else "")


_PLAIN = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_./+,:=@%^-")


def shell_quote(path: str) -> str:
    """A path a POSIX shell (bash, zsh) reads back exactly, always on one line."""
    if path and _PLAIN.issuperset(path):
        return path
    if all(c.isprintable() and not "\udc80" <= c <= "\udcff" for c in path):
        return "'" + path.replace("'", "'\\''") + "'"
    # Control characters or undecodable bytes: ANSI-C quoting keeps the fix one copyable line.
    out = []
    for byte in path.encode("utf-8", "surrogateescape"):
        char = chr(byte)
        if char == "'" or char == "\\":
            out.append("\\" + char)
        elif char in "\n\t\r":
            out.append({"\n": "\\n", "\t": "\\t", "\r": "\\r"}[char])
        elif 32 <= byte < 127:
            out.append(char)
        else:
            out.append(f"\\x{byte:02x}")
    return "$'" + "".join(out) + "'"


def violation_lines(found: Sequence[Violation]) -> list[str]:
    """One aligned line per violation: path, change, rule with its source, fix."""
    paths = [quote_path(violation.path) for violation in found]
    width = min(max((len(path) for path in paths), default=0), 40)
    changes = [CHANGE_NAMES.get(violation.change, violation.change) for violation in found]
    change_width = max((len(change) for change in changes), default=0)
    return [
        f"  {path.ljust(width)}  {change.ljust(change_width)}  {violation.rule}"
        f"  fix: {violation.fix}\n"
        for path, change, violation in zip(paths, changes, found, strict=True)
    ]
