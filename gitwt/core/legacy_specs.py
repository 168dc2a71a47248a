"""Read the file lists of a legacy spec (no front-matter `files`) the way a careful human does.

What declares: `**Files**:`-style markers (paths on the line or in the list below), list items
and tables under headings about files to create or change, and list items whose own note says
they change a file (`(NEW)`, `(MODIFY)`, `Create:`). What never declares: prose, fenced code,
HTML comments, sections such as Risks, Alternatives, References or Existing Infrastructure, and
items whose note says they are not changed (`(no changes needed)`, `(REUSED)`). Every token a
naive reader would take and this one does not is kept with its reason. Pure: no I/O.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from gitwt.core import legacy_tokens
from gitwt.core.legacy_tokens import Mention
from gitwt.core.provenance import Ignored

DECLARE, NEUTRAL, NEGATIVE, DEPENDS = "declare", "neutral", "negative", "depends"

_HEADING = re.compile(r"^(?P<level>#{1,6})\s+(?P<text>.*?)\s*#*\s*$")
_FENCE = re.compile(r"^\s*(?P<fence>`{3,}|~{3,})")
_ITEM = re.compile(r"^(?P<indent>\s*)(?:[-*+]|\d+[.)])\s+(?:\[[ xX]\]\s+)?(?P<rest>.*)$")
_MARKER = re.compile(
    r"^\s*(?:(?:[-*+]|\d+[.)])\s+)?\*\*(?P<label>[^*:\n]+?)(?::\s*\*\*|\*\*\s*:)\s*(?P<rest>.*)$"
)
_PLAIN_MARKER = re.compile(
    r"^(?:(?:[-*+]|\d+[.)])\s+)?(?P<label>[A-Z][A-Za-z /&-]{1,40}?)\s*:\s*(?P<rest>.*)$"
)
_TABLE_ROW = re.compile(r"^\s*\|(?P<cells>.*)\|?\s*$")
_TABLE_RULE = re.compile(r"^\s*\|?\s*:?-{2,}:?\s*(?:\|\s*:?-{2,}:?\s*)*\|?\s*$")
_LINK_TARGET = re.compile(r"\]\([^)]*\)")
_TOKEN = re.compile(
    r"`(?P<code>[^`\n]+)`|\*\*(?P<bold>[^*\n]+)\*\*|(?P<url>https?://[^\s)>\]]+)"
    r"|(?P<word>[^\s`*|()\[\],;]+)"
)
_DESCRIPTION = re.compile(r"\s[-–—]+\s|\s\(|:\s|\.\s")
_DEPENDENCY = re.compile(r"\b(?P<kind>SPEC|US|PRIORITY)[-_ #]*0*(?P<number>\d+)", re.IGNORECASE)

_CHANGE_WORDS = (
    r"new|create[sd]?|modif(?:y|ied|ies)|update[sd]?|change[sd]?|add(?:ed|s)?|edit(?:ed|s)?|"
    r"extend(?:ed|s)?|delete[sd]?|remove[sd]?|rename[sd]?|move[sd]?|write|refactor(?:ed)?|"
    r"replace[sd]?|touch(?:ed)?"
)
_CREATE_WORDS = re.compile(r"\b(?:new|create[sd]?|add(?:ed|s)?|write)\b", re.IGNORECASE)
_POSITIVE_PAREN = re.compile(rf"\(\s*(?:{_CHANGE_WORDS})\b[^)]*\)", re.IGNORECASE)
_POSITIVE_LEAD = re.compile(rf"^\W*(?:{_CHANGE_WORDS})\b", re.IGNORECASE)
_POSITIVE_CELL = re.compile(rf"\b(?:{_CHANGE_WORDS})\b", re.IGNORECASE)
_NEGATIVE_NOTE = re.compile(
    r"\b(?:no changes?(?: (?:needed|required))?|unchanged|not (?:changed|modified)|"
    r"no modifications?|read[- ]only|reference(?: only)?|for reference|reused?|existing|as is)\b",
    re.IGNORECASE,
)
_NEGATIVE_HEADING = re.compile(
    r"\b(?:risks?|alternatives?|references?|related|see also|out of scope|non[- ]goals?|"
    r"future|background|context|existing|current|prior art|motivation|open questions|"
    r"appendix|examples?|templates?|glossary|notes?|rejected|"
    r"acceptance|success criteria|rollback)\b",
    re.IGNORECASE,
)
_FILES_WORD = re.compile(r"\b(?:files?|locations?|paths?)\b", re.IGNORECASE)
_TEST_WORD = re.compile(r"\btests?\b", re.IGNORECASE)
_REFERENCE_LABEL = re.compile(
    r"\b(?:existing|related|reference[sd]?|read|review|see|reused?)\b", re.I
)
_DEPENDS_LABEL = re.compile(r"^(?:dependencies|dependency|depends[ _-]on|prerequisites?)$", re.I)


@dataclass(frozen=True)
class ListRole:
    kind: str
    creates: bool = False
    where: str = ""  # for reasons: "section 'Risks'", "marker **Files**"


@dataclass
class Extraction:
    mentions: list[Mention] = field(default_factory=list)
    ignored: list[Ignored] = field(default_factory=list)
    depends_on: list[tuple[str, str, int]] = field(default_factory=list)  # (token, id, line)
    owner: str | None = None
    title: str | None = None


def heading_kind(text: str) -> str:
    if _DEPENDS_LABEL.match(re.sub(r"^[\d.\s]+", "", text.strip()).rstrip(":")):
        return DEPENDS
    if _NEGATIVE_HEADING.search(text):
        return NEGATIVE
    if _FILES_WORD.search(text) and (
        _POSITIVE_CELL.search(text) or text.strip().lower() in ("files", "file list")
    ):
        return DECLARE
    if text.strip().lower() in ("changes", "file changes", "deliverables"):
        return DECLARE
    return NEUTRAL


def marker_context(label: str) -> ListRole | None:
    """The context a bold `**Label**:` marker opens; None for markers about something else."""
    label = label.strip()
    if _DEPENDS_LABEL.match(label):
        return ListRole(DEPENDS)
    if not (_FILES_WORD.search(label) or _TEST_WORD.search(label)):
        return None
    if _REFERENCE_LABEL.search(label):
        return ListRole(NEGATIVE, where=f"marker **{label}**")
    if not _FILES_WORD.search(label) and not re.search(r"\bnew\b", label, re.IGNORECASE):
        return None  # `**Tests**: 15 unit tests` describes testing; `**New Test**:` is a file
    return ListRole(DECLARE, bool(_CREATE_WORDS.search(label)), f"marker **{label}**")


class _Reader:
    """One pass over a Markdown body; each line goes to the handler its shape asks for."""

    def __init__(self, source: str, first_line: int) -> None:
        self.source = source
        self.first_line = first_line
        self.result = Extraction()
        self.headings: list[tuple[int, str, str]] = []  # (level, kind, text)
        self.marker: ListRole | None = None
        self.fence: str | None = None
        self.in_comment = False
        self.table: tuple[int, ListRole] | None = None  # (file column, context)

    # --- what a line is -------------------------------------------------------------------

    def section(self) -> ListRole:
        if self.headings and self.headings[-1][1] == DEPENDS:
            return ListRole(DEPENDS)
        for _, kind, text in self.headings:
            if kind == NEGATIVE:
                return ListRole(NEGATIVE, where=f"section '{text}'")
        for _, kind, text in reversed(self.headings):
            if kind == DECLARE:
                return ListRole(DECLARE, bool(_CREATE_WORDS.search(text)), f"section '{text}'")
        text = self.headings[-1][2] if self.headings else ""
        return ListRole(NEUTRAL, where=f"section '{text}'" if text else "the spec's preamble")

    def feed(self, lines: list[str]) -> Extraction:
        for index, raw in enumerate(lines):
            line = self._strip_comments(raw)
            number = self.first_line + index
            if line is None:
                continue
            following = lines[index + 1] if index + 1 < len(lines) else ""
            self._line(line, number, following)
        return self.result

    def _strip_comments(self, line: str) -> str | None:
        if self.in_comment:
            if "-->" not in line:
                return None
            self.in_comment = False
            line = line.split("-->", 1)[1]
        line = re.sub(r"<!--.*?-->", "", line)
        if "<!--" in line:
            self.in_comment = True
            line = line.split("<!--", 1)[0]
        return line

    def _line(self, line: str, number: int, following: str) -> None:
        fence = _FENCE.match(line)
        if self.fence is not None:
            if fence and fence.group("fence")[0] == self.fence[0]:
                self.fence = None
            else:
                self._fenced(line, number)
            return
        if fence:
            self.fence = fence.group("fence")
            return
        if not line.strip():
            self.table = None
            return
        heading = _HEADING.match(line)
        if heading:
            self._heading(len(heading.group("level")), heading.group("text"))
            return
        if _TABLE_ROW.match(line):
            self._table_row(line, number, following)
            return
        self.table = None
        marker = _MARKER.match(line) or _plain_marker(line)
        if marker:
            self._marker(marker.group("label"), marker.group("rest"), number, line)
            return
        item = _ITEM.match(line)
        if item:
            self._item(item.group("rest"), number, self.marker or self.section())
            return
        if not line[:1].isspace():
            self.marker = None
        self._prose(line, number)

    # --- handlers -------------------------------------------------------------------------

    def _heading(self, level: int, text: str) -> None:
        self.marker = None
        self.table = None
        kind = heading_kind(text)
        if self.result.title is None and level == 1:
            # The title names the subject ("Existing files cleanup"), not a section.
            self.result.title = re.sub(r"^SPEC-[\w.]+\s*[:—–-]\s*", "", text).strip() or text
            kind = NEUTRAL
        while self.headings and self.headings[-1][0] >= level:
            self.headings.pop()
        self.headings.append((level, kind, text))

    def _marker(self, label: str, rest: str, number: int, line: str) -> None:
        context = marker_context(label)
        if label.strip().lower() == "owner":
            if self.result.owner is None and rest.strip("`* "):
                self.result.owner = rest.strip("`* ").split()[0]
            self.marker = None
            return
        if context is None:
            if _POSITIVE_LEAD.match(label):  # `- **Create**: path` is an item with a note
                self._item(line.split("**", 1)[1], number, self.marker or self.section())
                return
            self.marker = None
            self._prose(rest, number)
            return
        if self.section().kind == NEGATIVE and context.kind == DECLARE:
            context = self.section()
        self.marker = context
        if rest.strip():
            self._item(rest, number, context)

    def _item(self, text: str, number: int, context: ListRole) -> None:
        if context.kind == DEPENDS:
            for found in _DEPENDENCY.finditer(text):
                token = f"{found.group('kind').upper()}-{found.group('number')}"
                self.result.depends_on.append((token, str(int(found.group("number"))), number))
            return
        text = _LINK_TARGET.sub("]", text)
        tokens = list(_TOKEN.finditer(text))
        paths = [(found, legacy_tokens.classify(_value(found))) for found in tokens]
        first = next((found for found, kind in paths if _pathlike(found, kind)), None)
        split = len(text)
        if first is not None:
            description = _DESCRIPTION.search(text, first.end())
            split = description.start() if description else len(text)
        head, tail = text[: first.start() if first else split], text[split:]
        negative = (
            next(
                (
                    m
                    for note in re.findall(r"\(([^)]*)\)", text)
                    if (m := _NEGATIVE_NOTE.match(note.strip()))
                ),
                None,
            )
            or _NEGATIVE_NOTE.search(head)
            or _NEGATIVE_NOTE.match(tail.lstrip(" -–—:("))
        )
        positive = _POSITIVE_PAREN.search(text) or _POSITIVE_LEAD.match(head)
        for found, kind in paths:
            in_head = found.start() < split
            if negative:
                self._ignore(found, kind, number, f"reference only: {negative.group(0)}")
            elif in_head and (context.kind == DECLARE or (positive and context.kind == NEUTRAL)):
                self._declare(found, kind, number, context.creates or _creates(text))
            elif context.kind == NEGATIVE:
                self._ignore(found, kind, number, f"in {context.where}, not a declaration")
            elif in_head:
                self._ignore(found, kind, number, f"listed in {context.where}, not about files")
            else:
                self._ignore(found, kind, number, "mentioned in a description, not declared")

    def _table_row(self, line: str, number: int, following: str) -> None:
        if _TABLE_RULE.match(line):
            return
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if self.table is None and _TABLE_RULE.match(following):
            column = next(
                (i for i, cell in enumerate(cells) if _FILES_WORD.search(cell) or cell == "Name"),
                0,
            )
            context = self.marker or self.section()
            if context.kind == NEUTRAL and any(
                re.search(r"change|action|status|operation", cell, re.I) for cell in cells
            ):
                context = ListRole(DECLARE, False, "a table of changes")
            self.table = (column, context)
            return
        column, context = self.table or (0, self.marker or self.section())
        cell = cells[column] if column < len(cells) else ""
        others = " ".join(c for i, c in enumerate(cells) if i != column)
        note = f"({others})" if _POSITIVE_CELL.search(others) else ""
        if _NEGATIVE_NOTE.search(others):
            note = f"({_NEGATIVE_NOTE.search(others).group(0)})"  # type: ignore[union-attr]
        self._item(f"{cell} {note}".strip(), number, context)

    def _prose(self, text: str, number: int) -> None:
        for found in _TOKEN.finditer(text):
            if found.group("code") or found.group("url"):
                kind = legacy_tokens.classify(_value(found))
                self._ignore(found, kind, number, "in prose, not a declaration")

    def _fenced(self, line: str, number: int) -> None:
        for found in _TOKEN.finditer(line):
            kind = legacy_tokens.classify(_value(found))
            if kind.path is not None and "/" in kind.path:
                self._ignore(found, kind, number, "inside a fenced code block")

    # --- results --------------------------------------------------------------------------

    def _declare(
        self, found: re.Match[str], kind: legacy_tokens.Classified, number: int, creates: bool
    ) -> None:
        if kind.path is None:
            if found.group("code"):
                self._ignore(found, kind, number, "")
            return
        if not _pathlike(found, kind):
            return
        self.result.mentions.append(Mention(_value(found), kind.path, number, creates))

    def _ignore(
        self, found: re.Match[str], kind: legacy_tokens.Classified, number: int, where: str
    ) -> None:
        """Report a token a naive reader would take: code spans, URLs, path-like words."""
        if kind.path is None and not (found.group("code") or found.group("url")):
            return
        if kind.path is not None and not _pathlike(found, kind):
            return
        reason = kind.reason if kind.path is None else where
        if kind.path is None and where and "reference only" in where:
            reason = where
        self.result.ignored.append(Ignored(_value(found), self.source, number, reason))


def _plain_marker(line: str) -> re.Match[str] | None:
    """`Files to modify:` without bold, when it opens a list or a code span follows it."""
    found = _PLAIN_MARKER.match(line)
    if found is None:
        return None
    context = marker_context(found.group("label"))
    if context is None or (context.kind == DEPENDS and not _DEPENDENCY.search(found.group("rest"))):
        return None
    rest = found.group("rest").strip()
    return found if not rest or rest.startswith("`") or context.kind == DEPENDS else None


def _value(found: re.Match[str]) -> str:
    value = next(group for group in found.groups() if group is not None)
    # `**\`app/x.py\`**`: a code span inside bold is one token.
    return value.strip("`") if found.group("bold") else value


def _pathlike(found: re.Match[str], kind: legacy_tokens.Classified) -> bool:
    """Code spans may name any file; bare and bold words need a '/' or a file extension."""
    if kind.path is None:
        return False
    if found.group("code"):
        return True
    return "/" in kind.path or legacy_tokens.looks_like_file_name(kind.path)


def _creates(text: str) -> bool:
    return bool(_CREATE_WORDS.search(text))


def read(body: str, source: str, first_line: int = 1) -> Extraction:
    """The mentions, ignored tokens, dependencies, owner and title of one Markdown body."""
    return _Reader(source, first_line).feed(body.splitlines())
