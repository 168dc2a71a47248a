"""Paths as a person reads them in messages and reports (pure, stdlib only)."""

from __future__ import annotations

SHOWN_PATHS = 5


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
