"""The flat YAML most specs' front matter is, read without PyYAML (which costs every command that
reads a spec ~15-25 ms to import). Strict: anything it is not sure of, it leaves to PyYAML.

It reads top-level `key: scalar`, `key: [a, b]` and `key:` followed by `- item` lines, with
comments and blank lines; scalars plain, 'single' or "double" quoted (no escapes), on one line.
What it returns is what PyYAML's safe loader (or, with `strings`, its base loader: every scalar
as written) gives for the same text, value and lines alike; `None` for every other shape (nested
mappings, multi-line scalars, anchors, tags, tabs, escapes, numbers other than plain decimal or
octal integers...), and the caller asks PyYAML. `tests/core/test_flat_yaml.py` holds both
readers to the same answers on generated documents. Linear in the text, nothing recursive: the
bounds PyYAML's reading needs (aliases, depth) cannot arise here. Pure.
"""

from __future__ import annotations

from typing import Any

from gitwt.core import lazy_regex

# The resolutions YAML 1.1 gives a plain scalar that starts with a letter (the safe loader's);
# every other letter-led plain scalar is a string.
_NULL = frozenset({"~", "null", "Null", "NULL"})
_TRUE = frozenset({"yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON"})
_FALSE = frozenset({"no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF"})
_KEY = lazy_regex.compile(r"([A-Za-z_][A-Za-z0-9_-]*):(?= |\Z)")
_DECIMAL = lazy_regex.compile(r"0|[1-9][0-9]*")
_OCTAL = lazy_regex.compile(r"0[0-7]+")
# A first character that makes a plain scalar something else (YAML's indicators, numbers,
# signs, `~`/`=`/`<<` resolutions, a leading dot that may be a float), or one this reader
# does not take on; `.` is let through below when it cannot start a float.
_NOT_PLAIN = frozenset("-?:,[]{}#&*!|>'\"%@`~=<+.0123456789 ")
_NOT_IN_FLOW_ITEM = frozenset("[]{}#:?'\"&*!|>%@`,")

Lines = tuple[dict[str, int], dict[str, list[int]]]


class _Unsure(Exception):
    """Not a shape this reader is sure of: PyYAML reads the text."""


def read(raw: str, strings: bool = False) -> tuple[Any, dict[str, int], dict[str, list[int]]]:
    """The document's value (None when it holds nothing), the 0-based line of each top-level
    key, and of each item of its value (the value itself when it is not a list). Raises
    ValueError when the text is not a flat document this reader is sure of."""
    text = raw.replace("\r\n", "\n")
    if not text.replace("\n", "").isprintable():  # tabs, control characters, lone CRs, BOMs
        raise ValueError("not flat YAML")
    try:
        return _read(text.split("\n"), strings)
    except _Unsure:
        raise ValueError("not flat YAML") from None


def _read(lines: list[str], strings: bool) -> tuple[Any, dict[str, int], dict[str, list[int]]]:
    data: dict[Any, Any] = {}
    key_lines: dict[str, int] = {}
    item_lines: dict[str, list[int]] = {}
    open_key: str | None = None  # a key with no value on its line: items may follow
    indent: int | None = None  # the items' column, once the first is seen
    for number, line in enumerate(lines):
        stripped = line.lstrip(" ")
        if not stripped or stripped.startswith("#"):
            continue
        if stripped.startswith("- ") or stripped == "-":
            column = len(line) - len(stripped)
            if open_key is None or (indent is not None and column != indent):
                raise _Unsure
            indent = column
            if not isinstance(data[open_key], list):
                data[open_key] = []
                item_lines[open_key] = []
            data[open_key].append(_block_scalar(stripped[1:].lstrip(" "), strings))
            item_lines[open_key].append(number)
            continue
        found = _KEY.match(line)
        if found is None:
            raise _Unsure
        key, open_key, indent = found.group(1), None, None
        if not strings and (key in _NULL or key in _TRUE or key in _FALSE):
            raise _Unsure
        value = line[found.end() :].strip(" ")
        key_lines[key] = number
        item_lines[key] = [number]
        if not value or value.startswith("#"):
            open_key = key
            data[key] = "" if strings else None
        elif value.startswith("["):
            data[key] = _flow_list(value, strings)
            item_lines[key] = [number] * len(data[key])
        else:
            data[key] = _block_scalar(value, strings)
    return (data or None), key_lines, item_lines


def _block_scalar(text: str, strings: bool) -> Any:
    """One scalar and an optional comment, the rest of a line (not empty)."""
    if text[:1] in ("'", '"'):
        value, end = _quoted(text, 0)
        rest = text[end:]
        if rest.strip(" ") and not (rest.startswith(" ") and rest.lstrip(" ").startswith("#")):
            raise _Unsure
        return value
    cut = text.find(" #")
    plain = (text if cut < 0 else text[:cut]).rstrip(" ")
    if ": " in plain or plain.endswith(":"):
        raise _Unsure  # a mapping inside: not flat
    return _plain(plain, strings)


def _plain(text: str, strings: bool) -> Any:
    if not text:
        raise _Unsure
    if strings:
        if text[0] in _NOT_PLAIN and text[0] not in ".0123456789~+=<":
            raise _Unsure
        return text
    if text in _NULL:
        return None
    if text in _TRUE or text in _FALSE:
        return text in _TRUE
    if _DECIMAL.fullmatch(text):
        return int(text)
    if _OCTAL.fullmatch(text):
        return int(text, 8)
    if text[0] == "." and len(text) > 1 and not text[1].isdigit():
        if text[1:] in ("inf", "Inf", "INF", "nan", "NaN", "NAN"):
            raise _Unsure
        return text
    if text[0] in _NOT_PLAIN:
        raise _Unsure
    return text


def _quoted(text: str, start: int) -> tuple[str, int]:
    """The quoted scalar at `start`, ending on its line, and the index after it."""
    if text[start] == '"':
        end = text.find('"', start + 1)
        if end < 0 or "\\" in text[start + 1 : end]:
            raise _Unsure
        return text[start + 1 : end], end + 1
    value: list[str] = []
    at = start + 1
    while True:
        end = text.find("'", at)
        if end < 0:
            raise _Unsure
        value.append(text[at:end])
        if text[end + 1 : end + 2] != "'":
            return "".join(value), end + 1
        value.append("'")
        at = end + 2


def _flow_list(text: str, strings: bool) -> list[Any]:
    """`[a, 'b', "c"]` on one line, an optional comment after it."""
    items: list[Any] = []
    at = 1
    # The next ',' and ']' at or after `at`, looked for again only once passed: each character
    # is searched once (a hostile `[a,a,a,...` with no ']' would otherwise cost a square).
    comma = close = 0
    while True:
        while text[at : at + 1] == " ":
            at += 1
        if text[at : at + 1] == "]" and not items:
            at += 1
            break
        if text[at : at + 1] in ("'", '"'):
            value, at = _quoted(text, at)
        else:
            if 0 <= comma < at:
                comma = text.find(",", at)
            if 0 <= close < at:
                close = text.find("]", at)
            if close < 0:
                raise _Unsure
            end = close if comma < 0 else min(comma, close)
            plain = text[at:end].rstrip(" ")
            if not plain or _NOT_IN_FLOW_ITEM.intersection(plain):
                raise _Unsure
            value = _plain(plain, strings)
            at = end
        items.append(value)
        while text[at : at + 1] == " ":
            at += 1
        if text[at : at + 1] == "]":
            at += 1
            break
        if text[at : at + 1] != ",":
            raise _Unsure
        at += 1
        while text[at : at + 1] == " ":
            at += 1
        if text[at : at + 1] == "]":
            raise _Unsure  # a trailing comma
    rest = text[at:]
    if rest.strip(" ") and not (rest.startswith(" ") and rest.lstrip(" ").startswith("#")):
        raise _Unsure
    return items
