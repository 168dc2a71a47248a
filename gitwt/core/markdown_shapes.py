"""The shapes of a Markdown line a spec reader needs, and the words in a piece of text. Pure.

Each function looks at one line once, with string methods, so no input can make a reader
backtrack (a spec is text from anyone who can push a branch). The one regular expression is a
single character class repeated, which cannot backtrack. Words are runs of letters, digits and
'_', lower-cased; phrases are matched word by word.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

BULLETS = frozenset("-*+")
_TABLE_RULE_CHARS = frozenset(":- \t")
_WORD = re.compile(r"\w+")


@dataclass(frozen=True)
class Heading:
    level: int
    text: str


def words(text: str) -> list[str]:
    """The lower-cased words of `text`, in order."""
    return _WORD.findall(text.lower())


class Phrases:
    """A set of words and multi-word phrases, found in a word list in one pass."""

    def __init__(self, phrases: Iterable[str]) -> None:
        self.by_first: dict[str, list[tuple[str, ...]]] = {}
        for phrase in phrases:
            split = tuple(words(phrase))
            self.by_first.setdefault(split[0], []).append(split)
        for found in self.by_first.values():
            found.sort(key=len, reverse=True)  # the longest phrase wins, as in an alternation
        self.longest = max((len(found[0]) for found in self.by_first.values()), default=1)

    def at(self, split: list[str], index: int) -> str | None:
        for phrase in self.by_first.get(split[index], ()):
            if tuple(split[index : index + len(phrase)]) == phrase:
                return " ".join(phrase)
        return None

    def search(self, text: str) -> str | None:
        """The first phrase in `text`, as its words joined by spaces; None without one."""
        if not text:
            return None
        split = words(text)
        if self.by_first.keys().isdisjoint(split):
            return None  # the common case, decided in C
        return next((found for i in range(len(split)) if (found := self.at(split, i))), None)

    def starts(self, text: str) -> str | None:
        """The phrase `text` starts with (after any non-word characters), or None."""
        first: list[str] = []
        for found in _WORD.finditer(text):  # only as many words as the longest phrase
            first.append(found.group().lower())
            if len(first) == self.longest:
                break
        return self.at(first, 0) if first else None


def heading(line: str) -> Heading | None:
    """`## Title ##` → Heading(2, "Title"); None for anything else (7 '#' are no heading)."""
    level = len(line) - len(line.lstrip("#"))
    if not 1 <= level <= 6 or len(line) == level or not line[level].isspace():
        return None
    return Heading(level, line[level:].strip().rstrip("#").rstrip())


def fence_after(open_fence: str | None, line: str) -> tuple[str | None, bool]:
    """Fenced code blocks as CommonMark reads them, one line at a time: the fence still open
    after `line`, and whether `line` is part of a fenced block (its fence lines included).

    The one fence rule of every Markdown reader. A fence is three or more '`' or '~' indented by
    at most three spaces (a '`' fence's info string holds no '`'). It closes at a fence of the
    same character, at least as long, with nothing after it but spaces or tabs: a shorter
    fence, the other character, or a fence with an info string is a line of code."""
    indent = len(line) - len(line.lstrip(" "))
    body = line[indent:] if indent <= 3 else ""
    char = body[:1]
    run = len(body) - len(body.lstrip(char)) if char in ("`", "~") else 0
    rest = body[run:]
    if open_fence is None:
        if run < 3 or (char == "`" and "`" in rest):
            return None, False
        return body[:run], True
    if run >= len(open_fence) and char == open_fence[0] and not rest.strip(" \t"):
        return None, True
    return open_fence, True


def _after_bullet(stripped: str) -> str | None:
    """The text after a list bullet (`-`, `*`, `+`, `1.`, `1)`) and its space, or None."""
    if stripped[:1] in BULLETS:
        rest = stripped[1:]
    else:
        digits = len(stripped) - len(stripped.lstrip("0123456789"))
        if not digits or stripped[digits : digits + 1] not in (".", ")"):
            return None
        rest = stripped[digits + 1 :]
    if not rest[:1].isspace():
        return None
    return rest.lstrip()


def item(line: str) -> str | None:
    """The text of a list item (after the bullet and any `[ ]`/`[x]` box), or None."""
    rest = _after_bullet(line.lstrip())
    if rest is None:
        return None
    if rest[:3] in ("[ ]", "[x]", "[X]") and rest[3:4].isspace():
        return rest[3:].lstrip()
    return rest


def bold_marker(line: str) -> tuple[str, str] | None:
    """`**Label**: rest`, `**Label:** rest` or a whole bold line `**Label: rest**` (a list
    bullet before any of them is allowed): (label, rest), else None."""
    stripped = line.lstrip()
    rest = _after_bullet(stripped)
    text = rest if rest is not None else stripped
    if not text.startswith("**"):
        return None
    end = 2
    while end < len(text) and text[end] not in "*:":
        end += 1
    label = text[2:end]
    if not label.strip() or end >= len(text):
        return None
    if text[end] == ":":
        after = text[end + 1 :].lstrip()
        if after.startswith("**"):
            return label, after[2:].strip()
        closing = after.find("**")  # `**New file: app/x.py**`: the value inside the bold
        if closing > 0 and "*" not in after[:closing]:
            return label, (after[:closing] + " " + after[closing + 2 :]).strip()
        return None
    if not text.startswith("**", end):
        return None
    after = text[end + 2 :].lstrip()
    return (label, after[1:].strip()) if after.startswith(":") else None


_PLAIN_LABEL = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz /&-")


def plain_marker(line: str) -> tuple[str, str] | None:
    """`Files to modify: rest` (a capitalized label of at most 41 letters, spaces, '/', '&' or
    '-', an optional bullet before it): (label, rest), else None."""
    stripped = line.lstrip() if line[:1].isspace() else line
    rest = _after_bullet(stripped)
    if rest is None and stripped is not line:
        return None  # indented text that is not a list item
    text = rest if rest is not None else stripped
    colon = text.find(":", 0, 43)
    if colon < 2 or not ("A" <= text[0] <= "Z"):
        return None
    label = text[:colon].rstrip()
    if len(label) > 41 or not _PLAIN_LABEL.issuperset(label):
        return None
    return label, text[colon + 1 :].strip()


def table_row(line: str) -> list[str] | None:
    """The cells of a table row (`| a | b |`), or None."""
    stripped = line.strip()
    if not stripped.startswith("|"):
        return None
    return [cell.strip() for cell in stripped.strip("|").split("|")]


def table_rule(line: str) -> bool:
    """`|---|:--:|`: the line under a table's header."""
    stripped = line.strip()
    if "--" not in stripped:
        return False
    cells = stripped.strip("|").split("|")
    for cell in cells:
        cell = cell.strip()
        if not _TABLE_RULE_CHARS.issuperset(cell):
            return False
        dashes = cell.strip(":")
        if len(dashes) < 2 or dashes.strip("-") or cell.count(":") > 2:
            return False
    return True


def strip_comments(line: str, in_comment: bool) -> tuple[str | None, bool]:
    """The line without HTML comments (None: all of it is inside one), and whether a comment
    is still open after it."""
    if in_comment:
        end = line.find("-->")
        if end < 0:
            return None, True
        line = line[end + 3 :]
    kept: list[str] = []
    position = 0
    while True:
        start = line.find("<!--", position)
        if start < 0:
            kept.append(line[position:])
            return "".join(kept), False
        kept.append(line[position:start])
        end = line.find("-->", start + 4)
        if end < 0:
            return "".join(kept), True
        position = end + 3


def parenthesized(text: str) -> list[str]:
    """The text inside each `( ... )`, left to right (a '(' inside one is part of it)."""
    found: list[str] = []
    position = 0
    while True:
        start = text.find("(", position)
        if start < 0:
            return found
        end = text.find(")", start + 1)
        if end < 0:
            return found
        found.append(text[start + 1 : end])
        position = end + 1


def description_start(text: str, position: int) -> int:
    """Where the description after a path begins: ` - `, ` (`, `: ` or `. ` at or after
    `position` (a run of dashes and a whitespace on each side of it); len(text) when none."""
    found = len(text)
    for opener in (": ", ". ", ":\t", ".\t", " (", "\t("):
        at = text.find(opener, position, found)
        if at >= 0:
            found = at
    dashes = "-–—"
    # The next place of each kind of dash, found again only once passed: each find goes
    # forward from where the last one ended, so the whole search reads the text once per kind.
    following = {dash: text.find(dash, position, found) for dash in dashes}
    start = position
    while start < found:
        for dash, at in following.items():
            if 0 <= at < start:
                following[dash] = text.find(dash, start, found)
        at = min((i for i in following.values() if i >= 0), default=-1)
        if at < 0:
            return found
        end = at
        while end < len(text) and text[end] in dashes:
            end += 1
        if at > position and text[at - 1].isspace() and text[end : end + 1].isspace():
            return min(found, at - 1)
        start = end
    return found
