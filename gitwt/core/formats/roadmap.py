"""The older system's roadmap (DESIGN §2, config `roadmap`): `### PRIORITY N: title <status>`.

Read the way its own parallel-execution skill read it: the `### PRIORITY` headings outside code
fences, in file order; ✅ in the heading means done, 🔄 in progress, anything else (📝 Planned,
🔴 ...) open. A priority names no files: its spec does. Each priority is linked to the spec the
heading or its body names (`US-072`, `SPEC-072`, a link to a `SPEC-*.md` file), with the line
that says so; one that names none is kept with no link, and `next` lists it as unusable.
Pure: text in, priorities out. `complete` is the one edit `merge` makes to a heading (§6).
"""

from __future__ import annotations

import posixpath
import re
import unicodedata
from dataclasses import dataclass

from gitwt.core import lazy_regex
from gitwt.core.formats.plan_units import BLOCKED, DEFERRED, DONE, IN_PROGRESS, OPEN
from gitwt.core.markdown_shapes import fence_after

HEADING = lazy_regex.compile(
    r"^###[ \t]+PRIORITY[ \t]+(?P<number>\d+(?:\.\d+)*)[ \t]*:?[ \t]*(?P<rest>.*)$"
)
_SECTION = lazy_regex.compile(r"^#{1,3}(?:[ \t]|$)")  # a heading that ends a priority's body
_NAMED = lazy_regex.compile(r"\b(?P<kind>US|SPEC)-(?P<number>\d+)\b")
_WAITS = lazy_regex.compile(r"\b(?P<kind>US|SPEC|PRIORITY)[- ](?P<number>\d+(?:\.\d+)*)\b")
_LINK = lazy_regex.compile(r"\]\(\s*<?(?P<target>[^)\s#>]+)>?(?:#[^)]*)?\s*\)")
_SPEC_FILE = lazy_regex.compile(r"(?:^|/)SPEC-\d+[^/]*\.md$")
_DEPENDS = lazy_regex.compile(r"^\s*[-*]?\s*\*\*(?:Dependencies|Depends on)\*\*\s*:", re.IGNORECASE)
DONE_MARK, IN_PROGRESS_MARK = "✅", "🔄"
COMPLETE = "✅ Complete"


@dataclass(frozen=True)
class SpecLink:
    """What a priority names as its spec, and the line that names it."""

    kind: str  # "link" (a path, repo-relative), "SPEC" or "US" (a number)
    value: str  # the path, or the number as written ("072")
    line: int
    in_heading: bool


@dataclass(frozen=True)
class Priority:
    number: str  # "23", "1.5": as written
    title: str
    status: str  # OPEN, DONE or IN_PROGRESS
    marker: str  # the status text of the heading as written ("📝 Planned"), "" when none
    source: str
    line: int
    links: tuple[SpecLink, ...] = ()  # in the order to try: heading, links, SPEC-N, US-N
    # What its `**Dependencies**:` lines name: ("PRIORITY", "1.5"), ("US", "065"), ("SPEC", ...)
    depends_on: tuple[tuple[str, str], ...] = ()

    @property
    def label(self) -> str:
        return f"PRIORITY {self.number}"


def _marker_start(rest: str) -> int | None:
    """Where the heading's status begins: its first pictograph (✅, 📝, 🔄, 🔴, ...)."""
    for index, char in enumerate(rest):
        if unicodedata.category(char) == "So":
            return index
    return None


def _status(marker: str) -> str:
    if DONE_MARK in marker:
        return DONE
    return IN_PROGRESS if IN_PROGRESS_MARK in marker else OPEN


def outside_fences(text: str) -> list[tuple[int, str]]:
    """The (1-based line, text) of every line not inside a fenced code block."""
    found: list[tuple[int, str]] = []
    fence: str | None = None
    for number, line in enumerate(text.splitlines(), 1):
        fence, fenced = fence_after(fence, line)
        if not fenced:
            found.append((number, line))
    return found


def _links(heading: str, line: int, body: list[tuple[int, str]], folder: str) -> list[SpecLink]:
    found = [
        SpecLink(match.group("kind"), match.group("number"), line, True)
        for match in _NAMED.finditer(heading)
    ]
    paths: list[SpecLink] = []
    named: list[SpecLink] = []
    for number, text in body:
        if _DEPENDS.match(text):  # what it waits for, never its own spec
            continue
        for match in _LINK.finditer(text):
            target = match.group("target")
            if "://" not in target and _SPEC_FILE.search(target):
                path = posixpath.normpath(posixpath.join(folder, target))
                paths.append(SpecLink("link", path, number, False))
        named += [
            SpecLink(match.group("kind"), match.group("number"), number, False)
            for match in _NAMED.finditer(text)
        ]
    spec_first = sorted(named, key=lambda link: link.kind != "SPEC")  # stable: line order kept
    return found + paths + spec_first


def read_roadmap(source: str, text: str) -> tuple[Priority, ...]:
    """Every `### PRIORITY` heading outside code fences, in file order, with its spec links."""
    folder = posixpath.dirname(source)
    lines = outside_fences(text)
    starts = [index for index, (_, line) in enumerate(lines) if HEADING.match(line)]
    priorities: list[Priority] = []
    for place, index in enumerate(starts):
        number, line = lines[index]
        match = HEADING.match(line)
        assert match is not None
        end = starts[place + 1] if place + 1 < len(starts) else len(lines)
        body: list[tuple[int, str]] = []
        for entry in lines[index + 1 : end]:
            if _SECTION.match(entry[1]):
                break
            body.append(entry)
        rest = match.group("rest").strip()
        start = _marker_start(rest)
        marker = rest[start:].strip() if start is not None else ""
        title = (rest[:start] if start is not None else rest).strip().rstrip("-–— ").strip()
        priorities.append(
            Priority(
                number=match.group("number"),
                title=title,
                status=_status(marker),
                marker=marker,
                source=source,
                line=number,
                links=tuple(_links(rest, number, body, folder)),
                depends_on=tuple(
                    (found.group("kind"), found.group("number"))
                    for _, text in body
                    if _DEPENDS.match(text)
                    for found in _WAITS.finditer(text.split(":", 1)[1])
                ),
            )
        )
    return tuple(priorities)


def complete(text: str, line: int) -> str | None:
    """The roadmap with the heading at `line` marked ✅ Complete: its status text replaced (or
    added), every other byte kept. None when that line is not a priority heading."""
    lines = text.splitlines(keepends=True)
    if not 0 < line <= len(lines):
        return None
    old = lines[line - 1]
    body = old.rstrip("\r\n")
    ending = old[len(body) :]
    match = HEADING.match(body)
    if match is None:
        return None
    rest_at = match.start("rest")
    start = _marker_start(match.group("rest"))
    if start is None:
        lines[line - 1] = body.rstrip() + " " + COMPLETE + ending
    elif _status(body[rest_at + start :]) == DONE:
        return text  # already done: nothing to write
    else:
        lines[line - 1] = body[: rest_at + start] + COMPLETE + ending
    return "".join(lines)


_STATUS_LINE = lazy_regex.compile(
    r"^(?:\s*[-*]\s*)?(?:\*\*Status\*\*\s*:|status\s*:)\s*(?P<value>.*)$", re.IGNORECASE
)
_STATUS_WORDS = (  # the older system's specs write their status in words, first match wins
    (
        DONE,
        lazy_regex.compile(
            r"✅|\b(?:complete[d]?|done|implemented|closed|merged|production ready)\b"
        ),
    ),
    (IN_PROGRESS, lazy_regex.compile(r"🔄|\bin[ -]progress\b|\bwip\b")),
    (BLOCKED, lazy_regex.compile(r"\bblocked\b")),
    (DEFERRED, lazy_regex.compile(r"\b(?:deferred|postponed|on hold)\b")),
)


def spec_status(text: str) -> tuple[str, int]:
    """A legacy spec's own status (front matter `status:`, else a `**Status**:` line, in its
    first 40 lines) and the line it is on; (OPEN, 0) when it states none."""
    for number, line in outside_fences("\n".join(text.splitlines()[:40])):
        found = _STATUS_LINE.match(line)
        if found is None:
            continue
        value = found.group("value").lower()
        for status, words in _STATUS_WORDS:
            if words.search(value):
                return status, number
        return OPEN, number
    return OPEN, 0


def names_task(link: SpecLink, task_id: str, source: str) -> bool:
    """Whether `link` names the spec of task `task_id`, read from the file `source`."""
    if link.kind == "link":
        return link.value == source
    return str(int(link.value)) == task_id
