"""`_Boundary: TideRules_` in a cc-sdd task, read through the same feature's `design.md`. Pure.

cc-sdd's design template has a File Structure Plan ("drives task `_Boundary:_` annotations")
and a Boundary Map of components. A boundary name stands for every path tied to it:
- in the File Structure Plan: tree entries whose `# comment` names it (a folder entry declares
  the folder), and list items naming it beside a path (`- \\`src/x.py\\` — TideRules: ...`);
- as a heading (`#### TideRules`): the paths its section names outside code blocks;
- as a table cell (`| TideRules | ... | src/tides/ |`): the paths of that row.
Every path keeps the design file and line, noted with the task line that names the boundary.
A name found nowhere is reported, never guessed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from gitwt.core import lazy_regex
from gitwt.core.formats.markdown_lines import MarkdownLine, scan
from gitwt.core.formats.plan_units import PlanMention
from gitwt.core.legacy_tokens import looks_like_file_name
from gitwt.core.path_mentions import mentions_in
from gitwt.core.provenance import Ignored
from gitwt.core.tree_diagrams import tree_entries

_FILE_SECTION = lazy_regex.compile(
    r"file structure|directory structure|(?:modified|new) files", re.I
)
_PARENTHESIS = lazy_regex.compile(r"\s*[(（]")
_CREATES = lazy_regex.compile(r"\b(?:new|create[sd]?|add(?:ed|s)?)\b", re.I)
# A component's dependencies name other components and libraries it uses, not its own files.
_REFERENCE = lazy_regex.compile(r"^\s*[-*+]\s*\**(?:inbound|outbound|external)\**\s*:", re.I)
DOCUMENTS = frozenset(("requirements.md", "design.md", "research.md", "tasks.md", "spec.json"))


def _key(name: str) -> str:
    return re.sub(r"[\s_-]+", "", name.lower())


def _names(text: str, name: str) -> bool:
    """Whether the text names the component (as a word, any case)."""
    return re.search(rf"(?<![\w-]){re.escape(name)}(?![\w-])", text, re.I) is not None


@dataclass(frozen=True)
class _Section:
    title: str
    lines: tuple[MarkdownLine, ...]  # its body, subsections included


class DesignIndex:
    """One `design.md`, cut into sections once for every boundary of its feature."""

    def __init__(self, source: str, text: str) -> None:
        self.source = source
        self.lines = scan(text)
        self.sections: list[_Section] = []
        for index, line in enumerate(self.lines):
            if line.heading:
                end = next(
                    (
                        later
                        for later in range(index + 1, len(self.lines))
                        if 0 < self.lines[later].heading <= line.heading
                    ),
                    len(self.lines),
                )
                self.sections.append(_Section(line.title, tuple(self.lines[index + 1 : end])))

    def paths_of(self, name: str) -> list[tuple[str, int, bool]]:
        """(text holding the path, line, creates) for each place that ties a path to `name`."""
        found: list[tuple[str, int, bool]] = []
        for section in self.sections:
            if not _FILE_SECTION.search(section.title):
                continue
            fenced = [(line.text, line.number) for line in section.lines if line.fenced]
            for entry in tree_entries(fenced):
                if _names(entry.note, name):
                    found.append((f"`{entry.path}`", entry.line, bool(_CREATES.search(entry.note))))
            for line in section.lines:
                if not line.fenced and line.item is not None and _names(line.text, name):
                    found.append((line.text, line.number, bool(_CREATES.search(line.text))))
        for section in self.sections:
            if _key(section.title) == _key(name) or _names(section.title, name):
                found += [
                    (line.text, line.number, False)
                    for line in section.lines
                    if not line.fenced and not _REFERENCE.match(line.text)
                ]
        for line in self.lines:
            cells = [cell.strip() for cell in line.text.strip().strip("|").split("|")]
            if (
                not line.fenced
                and line.text.lstrip().startswith("|")
                and any(_key(cell.strip("`*")) == _key(name) for cell in cells)
            ):
                found.append((line.text, line.number, False))
        return list(dict.fromkeys(found))  # a subsection matches as well as its section


def boundary_mentions(
    design: DesignIndex | None, names: str, source: str, line: int
) -> tuple[list[PlanMention], list[Ignored]]:
    """The paths `_Boundary: names_` (on `source`:`line`) stands for, and what was not found.

    A name that is itself a path or a file name (`_Boundary: src/lib/roman.ts_`,
    `_Boundary: Project.ts (the summary only)_`) is that path; any other is a component of
    `design.md`."""
    mentions: list[PlanMention] = []
    ignored: list[Ignored] = []
    for part in names.split(","):
        name = _PARENTHESIS.split(part, maxsplit=1)[0].strip(" `*")
        if not name:
            continue
        if "/" in name or looks_like_file_name(name):
            found, dropped = mentions_in(f"`{name}`", line, source=source)
            note = f"_Boundary: {name}_ names the file"
            mentions += [PlanMention(source, mention, note) for mention in found]
            ignored += dropped
        elif design is None:
            reason = "a _Boundary: with no design.md beside tasks.md: no file declared"
            ignored.append(Ignored(name, source, line, reason))
        else:
            found_in, dropped = _through(design, name, source, line)
            mentions += found_in
            ignored += dropped
    return mentions, ignored


def _through(
    design: DesignIndex, name: str, source: str, line: int
) -> tuple[list[PlanMention], list[Ignored]]:
    mentions: list[PlanMention] = []
    ignored: list[Ignored] = []
    note = f"_Boundary: {name}_ ({source}:{line}) via {design.source}"
    places = design.paths_of(name)
    for text, number, creates in places:
        found, dropped = mentions_in(text, number, creates=creates, source=design.source)
        for mention in found:
            if mention.path in DOCUMENTS:
                reason = "a document of this spec, not a change"
                dropped.append(Ignored(mention.token, design.source, number, reason))
            else:
                mentions.append(PlanMention(design.source, mention, note))
        ignored += dropped
    if not places:
        reason = f"boundary {name} names no file in {design.source}"
        ignored.append(Ignored(name, source, line, reason))
    return mentions, ignored
