"""Markdown as the plan readers see it: numbered lines, each knowing its heading and its fence.

Readers match task lines, headings and list items with their own patterns; what they share is
where a line stands: inside a fenced block (never a task line), inside an HTML comment (not
text at all: spec-kit's templates keep their instructions there), or under which heading. Pure.
"""

from __future__ import annotations

from dataclasses import dataclass

from gitwt.core import lazy_regex
from gitwt.core.markdown_shapes import fence_after, strip_comments

_HEADING = lazy_regex.compile(r"^\s{0,3}(?P<level>#{1,6})\s+(?P<text>.*?)\s*#*\s*$")
_ITEM = lazy_regex.compile(r"^(?P<indent>\s*)(?:[-*+]|\d+[.)])\s+(?P<rest>.*)$")


@dataclass(frozen=True)
class MarkdownLine:
    number: int  # 1-based
    text: str  # the line, HTML comments removed
    fenced: bool = False  # inside a ``` or ~~~ block (the fence lines themselves too)
    heading: int = 0  # 1-6 when the line is a heading, else 0
    title: str = ""  # the heading's text

    @property
    def indent(self) -> int:
        return len(self.text) - len(self.text.lstrip(" \t"))

    @property
    def item(self) -> str | None:
        """The text of a list item (after `-`, `*`, `+` or `1.`), None for other lines."""
        found = None if self.fenced else _ITEM.match(self.text)
        return found.group("rest") if found else None


def scan(text: str) -> list[MarkdownLine]:
    """Every line of a Markdown text, with its fence and heading state."""
    lines: list[MarkdownLine] = []
    fence: str | None = None
    in_comment = False
    for number, raw in enumerate(text.splitlines(), start=1):
        kept, in_comment = strip_comments(raw, in_comment)
        line = kept or ""
        fence, fenced = fence_after(fence, line)
        if fenced:
            lines.append(MarkdownLine(number, line, fenced=True))
            continue
        heading = _HEADING.match(line)
        if heading:
            level = len(heading.group("level"))
            lines.append(MarkdownLine(number, line, heading=level, title=heading.group("text")))
        else:
            lines.append(MarkdownLine(number, line))
    return lines
