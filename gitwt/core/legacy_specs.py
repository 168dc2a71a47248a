"""Read the file lists of a legacy spec (no front-matter `files`) the way a careful human does.

What declares: `**Files**:`-style markers (paths on the line or in the list below), bold lines
such as `**New file: x.py**` and `**Expand**: x.py`, list items and tables under headings about
files to create or change, list items whose own note says they change a file (`(NEW)`,
`(MODIFY)`, `Create:`, a bold step then "(in `path`)"), and the marked entries of a tree diagram
(`# NEW`, `# MODIFIED`, `# EXPAND`, `# MOVED from x/`). What never declares: prose, other fenced
code, HTML comments, sections such as Risks, Alternatives, References or Existing
Infrastructure, and items whose note says they are not changed (`(no changes needed)`,
`(REUSED)`). Every token a naive reader would take and this one does not is kept with its reason.

Linear in the spec's size: each line is looked at a bounded number of times, by the one
tokenizer (core/path_mentions.py) and the line shapes of core/markdown_shapes.py. Pure: no I/O.
"""

from __future__ import annotations

import contextlib
import itertools
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import NamedTuple

from gitwt.core import markdown_shapes as md
from gitwt.core import path_tokens, tree_diagrams
from gitwt.core.legacy_tokens import Mention
from gitwt.core.legacy_words import (
    CHANGE,
    CREATE,
    FILES,
    NEGATIVE_NOTE,
    after_in,
    dependencies,
    file_header,
    heading_kind,
    marker_context,
    names_a_file,
    names_changes,
    plain_marker_of,
    spec_title,
)
from gitwt.core.legacy_words import DECLARE as DECLARE
from gitwt.core.legacy_words import DEPENDS as DEPENDS
from gitwt.core.legacy_words import NEGATIVE as NEGATIVE
from gitwt.core.legacy_words import NEUTRAL as NEUTRAL
from gitwt.core.legacy_words import ListRole as ListRole
from gitwt.core.path_mentions import CODE, URL, Token, drop_link_targets, judge, tokens
from gitwt.core.provenance import Ignored

# Limits, so that no spec can make the reader's results (and all that follows) huge: a spec
# that names more paths is a spec problem; past MAX_REPORTED, ignored tokens are counted.
MAX_PATHS = 5_000
MAX_REPORTED = 1_000

__all__ = ["Extraction", "ListRole", "heading_kind", "marker_context", "read"]


@dataclass
class Extraction:
    mentions: list[Mention] = field(default_factory=list)
    ignored: list[Ignored] = field(default_factory=list)
    depends_on: list[tuple[str, str, int]] = field(default_factory=list)  # (token, id, line)
    owner: str | None = None
    title: str | None = None
    package: str | None = None  # `app/` when the spec says its paths are relative to it
    too_many: int = 0  # the line where the spec passed MAX_PATHS (reading stopped there)


class Candidate(NamedTuple):
    """A token of a line, judged: the path it names (absolute until resolved) or why none."""

    token: Token
    path: str | None
    reason: str  # why it is no path; "" when not worth a report (a plain identifier)


def candidates(text: str) -> Iterator[Candidate]:
    """The tokens of a line, judged as they are read; a token repeated on the line is judged
    and given once."""
    for token in tokens(text, distinct=True):
        kind, reason = judge(token, text)
        if reason is None:
            yield Candidate(token, kind.path, "")
            continue
        absolute = path_tokens.absolute_path(token.value) if "/" in token.value else None
        yield Candidate(token, absolute, "") if absolute else Candidate(token, None, reason)


class _Full(Exception):
    """The spec named more than MAX_PATHS paths: reading stops."""


class _Reader:
    """One pass over a Markdown body; each line goes to the handler its shape asks for."""

    def __init__(self, source: str, first_line: int) -> None:
        self.source = source
        self.first_line = first_line
        self.result = Extraction()
        self.headings: list[tuple[int, str, str]] = []  # (level, kind, text)
        self._section: ListRole | None = None
        self.marker: ListRole | None = None
        self.fence: str | None = None
        self.tree: tree_diagrams.Tree | None = None
        self.in_comment = False
        self.hidden = 0  # ignored tokens past MAX_REPORTED
        self.fence_start = False  # the next fenced line is the block's first
        self.paths: set[str] = set()  # the distinct paths named so far
        self.table: tuple[list[int], ListRole] | None = None  # (file columns, context)

    # --- what a line is -------------------------------------------------------------------

    def section(self) -> ListRole:
        """What the headings above say about a list (worked out once per heading)."""
        if self._section is None:
            self._section = self._headings_role()
        return self._section

    def _headings_role(self) -> ListRole:
        if self.headings and self.headings[-1][1] == DEPENDS:
            return ListRole(DEPENDS)
        for _, kind, text in self.headings:
            if kind == NEGATIVE:
                return ListRole(NEGATIVE, where=f"section '{text}'")
        for _, kind, text in reversed(self.headings):
            if kind == DECLARE:
                return ListRole(DECLARE, bool(CREATE.search(text)), f"section '{text}'")
        text = self.headings[-1][2] if self.headings else ""
        return ListRole(NEUTRAL, where=f"section '{text}'" if text else "the spec's preamble")

    def feed(self, lines: list[str]) -> Extraction:
        with contextlib.suppress(_Full):  # MAX_PATHS passed: Extraction.too_many says where
            self._feed(lines)
        if self.hidden:
            reason = f"and {self.hidden} more tokens like these (not listed: past {MAX_REPORTED})"
            self.result.ignored.append(Ignored("…", self.source, 0, reason))
        return self.result

    def _mention(self, mention: Mention) -> None:
        self.paths.add(mention.path)
        if len(self.paths) > MAX_PATHS:
            self.result.too_many = mention.line
            raise _Full
        self.result.mentions.append(mention)

    def _report(self, item: Ignored) -> None:
        if len(self.result.ignored) < MAX_REPORTED:
            self.result.ignored.append(item)
        else:
            self.hidden += 1

    def _full(self) -> bool:
        return len(self.result.ignored) >= MAX_REPORTED

    def _feed(self, lines: list[str]) -> None:
        for index, raw in enumerate(lines):
            line, self.in_comment = md.strip_comments(raw, self.in_comment)
            if line is None:
                continue
            following = lines[index + 1] if index + 1 < len(lines) else ""
            self._line(line, self.first_line + index, following)
        if self.tree is not None:
            self._end_tree()

    def _line(self, line: str, number: int, following: str) -> None:
        was_open = self.fence is not None
        self.fence, fenced = md.fence_after(self.fence, line)
        if was_open:
            if self.fence is None:
                self._end_tree()
            else:
                self._fenced(line, number)
            return
        if fenced:
            self.fence_start = True
            self.tree = tree_diagrams.Tree()
            return
        if not line.strip():
            self.table = None
            return
        heading = md.heading(line)
        if heading:
            self._heading(heading.level, heading.text)
            return
        cells = md.table_row(line)
        if cells is not None:
            self._table_row(line, cells, number, following)
            return
        self.table = None
        marker = md.bold_marker(line) or plain_marker_of(line)
        if marker:
            self._marker(marker[0], marker[1], number, line)
            return
        text = md.item(line)
        if text is not None:
            self._item(text, number, self.marker or self.section())
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
            self.result.title = spec_title(text)
            kind = NEUTRAL
        while self.headings and self.headings[-1][0] >= level:
            self.headings.pop()
        self.headings.append((level, kind, text))
        self._section = None

    def _marker(self, label: str, rest: str, number: int, line: str) -> None:
        context = marker_context(label)
        if label.strip().lower() == "owner":
            if self.result.owner is None and rest.strip("`* "):
                self.result.owner = rest.strip("`* ").split()[0]
            self.marker = None
            return
        if context is None:
            if CHANGE.starts(label):  # `- **Create**: path` is an item with a note
                self._item(line.split("**", 1)[1], number, self.marker or self.section())
                return
            if names_a_file(label):  # `**`tests/unit/test_x.py`**:` opens that file's part
                self._item(f"{label} {rest}".strip(), number, self.marker or self.section())
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
            self.result.depends_on += [(token, dep, number) for token, dep in dependencies(text)]
            return
        text = drop_link_targets(text)
        judged = candidates(text)
        read: list[Candidate] = []  # up to the first path: the rest is judged as it is used
        for candidate in judged:
            read.append(candidate)
            if candidate.path is not None:
                break
        first = read[-1] if read and read[-1].path is not None else None
        found = itertools.chain(read, judged)
        split = md.description_start(text, first.token.end) if first else len(text)
        head = text[: first.token.start if first else split]
        tail = text[split:]
        notes = md.parenthesized(text) if "(" in text else []
        negative = (
            next(filter(None, (NEGATIVE_NOTE.starts(note) for note in notes)), None)
            or NEGATIVE_NOTE.search(head)
            or NEGATIVE_NOTE.starts(tail.lstrip(" -–—:("))
        )
        positive = any(CHANGE.starts(note) for note in notes) or CHANGE.starts(head)
        creates = context.creates or bool(CREATE.search(text))
        bold_step = text.lstrip().startswith("**")
        declares = context.kind == DECLARE or (positive and context.kind == NEUTRAL)
        elsewhere = (
            f"reference only: {negative}"
            if negative
            else f"in {context.where}, not a declaration"
            if context.kind == NEGATIVE
            else f"listed in {context.where}, not about files"
        )
        for candidate in found:
            if candidate.path is None and not candidate.reason:
                continue  # a plain word: nothing to declare or report
            in_head = candidate.token.start < split
            # `**Update the notifier** (in `x.py`)`: the step's work is done in that file.
            step_file = bold_step and after_in(text, candidate.token.start)
            if negative:
                self._ignore(candidate, number, elsewhere)
            elif step_file and context.kind != NEGATIVE:
                self._declare(candidate, number, False)
            elif in_head and declares:
                self._declare(candidate, number, creates)
            elif in_head or context.kind == NEGATIVE:
                self._ignore(candidate, number, elsewhere)
            else:
                self._ignore(candidate, number, "mentioned in a description, not declared")

    def _table_row(self, line: str, cells: list[str], number: int, following: str) -> None:
        if md.table_rule(line):
            return
        if self.table is None and md.table_rule(following):
            columns = [i for i, cell in enumerate(cells) if FILES.search(cell) or cell == "Name"]
            context = self.marker or self.section()
            if context.kind == NEUTRAL and any(names_changes(cell) for cell in cells):
                context = ListRole(DECLARE, False, "a table of changes")
            self.table = (columns or [0], context)
            return
        columns, context = self.table or ([0], self.marker or self.section())
        wanted = set(columns)
        others = " ".join(cell for i, cell in enumerate(cells) if i not in wanted)
        note = f"({others})" if CHANGE.search(others) else ""
        negative = NEGATIVE_NOTE.search(others)
        if negative:
            note = f"({negative})"
        for column in columns:
            cell = cells[column] if column < len(cells) else ""
            self._item(f"{cell} {note}".strip(), number, context)

    def _prose(self, text: str, number: int) -> None:
        text = drop_link_targets(text)
        found = list(candidates(text))
        for candidate in found:
            if candidate.token.kind in (CODE, URL) or candidate.reason:
                self._ignore(candidate, number, "in prose, not a declaration")
        if self.result.package is None:
            self.result.package = _package_named(text, found)

    def _fenced(self, line: str, number: int) -> None:
        if self.fence_start and line.strip():
            self.fence_start = False
            header = file_header(line)
            if header is not None:  # ```python then `# app/x.py`: the code of that file
                self._fence_header(header, number)
                return
        tree = self.tree
        entry = tree_diagrams.entry(line, tree) if tree is not None else None
        if tree is None or entry is None:
            for candidate in candidates(line):
                if candidate.path is not None and "/" in candidate.path:
                    self._ignore(candidate, number, "inside a fenced code block")
            return
        context = self.section()
        for path, creates, token in tree.add(entry, number):
            if context.kind == NEGATIVE:
                self._report(
                    Ignored(token, self.source, number, f"in {context.where}, not a declaration")
                )
            else:
                self._mention(Mention(token, path, number, creates))

    def _fence_header(self, header: str, number: int) -> None:
        context = self.section()
        if context.kind == NEGATIVE:
            where = f"in {context.where}, not a declaration"
            self._report(Ignored(header, self.source, number, where))
        else:
            self._mention(Mention(header, header, number, False))

    def _end_tree(self) -> None:
        if self.tree is not None:
            for token, line, reason in self.tree.unmarked():
                self._report(Ignored(token, self.source, line, reason))
        self.tree = None

    # --- results --------------------------------------------------------------------------

    def _declare(self, candidate: Candidate, number: int, creates: bool) -> None:
        if candidate.path is None:
            if self._full():
                self.hidden += 1
            elif candidate.reason:
                self._report(Ignored(candidate.token.value, self.source, number, candidate.reason))
            return
        value = candidate.token.value
        self._mention(Mention(value, candidate.path, number, creates))

    def _ignore(self, candidate: Candidate, number: int, where: str) -> None:
        """Report a token a naive reader would take: code spans, URLs, path-like words."""
        if candidate.path is None and not candidate.reason:
            return
        if self._full():
            self.hidden += 1
            return
        reason = where if candidate.path is not None else candidate.reason
        if candidate.path is None and "reference only" in where:
            reason = where
        self._report(Ignored(candidate.token.value, self.source, number, reason))


def _package_named(text: str, found: list[Candidate]) -> str | None:
    """`Paths in this table are relative to `app/``: the folder the spec writes paths from."""
    at = text.lower().find("relative to")
    if at < 0:
        return None
    after = at + len("relative to")
    following = next((c for c in found if c.token.start >= after), None)
    if following is None or following.path is None or not following.path.endswith("/"):
        return None
    return following.path if not following.path.startswith("/") else None


def read(body: str, source: str, first_line: int = 1) -> Extraction:
    """The mentions, ignored tokens, dependencies, owner and title of one Markdown body."""
    return _Reader(source, first_line).feed(body.splitlines())
