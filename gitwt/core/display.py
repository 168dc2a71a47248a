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


# What must never reach a terminal raw from a spec, a plan, a path or a branch: C0 controls, DEL,
# C1 controls, the bidirectional overrides, embeddings, isolates and marks (text that reads one
# way and runs another), the Unicode line and paragraph separators, and lone surrogates (bytes
# that are not UTF-8, from git's output decoded with surrogateescape).
_BIDI = [0x061C, 0x200E, 0x200F, *range(0x202A, 0x202F), *range(0x2066, 0x206A)]
_CONTROLS = [*range(0x20), 0x7F, *range(0x80, 0xA0), *_BIDI, 0x2028, 0x2029]


def _octal(char: str) -> str:
    if "\udc80" <= char <= "\udcff":
        return f"\\{ord(char) - 0xDC00:03o}"
    return "".join(f"\\{byte:03o}" for byte in char.encode("utf-8", "surrogatepass"))


class _Escapes(dict[int, str]):
    """A `str.translate` table whose lone surrogates (2,048) are escaped when one is met:
    building them all when the module loads cost every command ~5 ms."""

    def __missing__(self, code: int) -> str:
        if 0xD800 <= code < 0xE000:
            shown = self[code] = _octal(chr(code))
            return shown
        raise KeyError(code)  # translate keeps the character


_INERT = _Escapes({code: _ESCAPES.get(chr(code)) or _octal(chr(code)) for code in _CONTROLS})
_INERT_LINES = _Escapes({code: shown for code, shown in _INERT.items() if code != 0x0A})
# JSON escapes what a JSON string must not hold raw (C0); these it would print as they are.
_JSON_INERT = {code: f"\\u{code:04x}" for code in _CONTROLS if code >= 0x7F}


def inert(text: str, *, lines: bool = False) -> str:
    """Text from a spec, a plan, a path or a branch, safe to show on a terminal: every control
    character (C0, DEL, C1), bidirectional control, line separator and undecodable byte shown
    escaped as git quotes paths (`\\033`, `\\t`, the UTF-8 bytes in octal: `\\342\\200\\256`);
    all else as it is. `lines`: keep newlines (a whole report's text, where they end lines)."""
    if text.isascii() and text.isprintable():
        return text
    return text.translate(_INERT_LINES if lines else _INERT)


def json_inert(text: str) -> str:
    """JSON text with DEL, C1 and bidirectional controls as `\\u` escapes: JSON already escapes
    C0; these it keeps raw, and outside a string JSON text never holds them."""
    return text if text.isascii() and "\x7f" not in text else text.translate(_JSON_INERT)


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
