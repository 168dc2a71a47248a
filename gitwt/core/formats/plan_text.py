"""What the ccpm, OpenSpec, Task Master and GSD readers share: lines, notes, mentions, order.

Markdown is read line by line outside fenced code blocks and HTML comments (a file tree in a
fence is an illustration, not a list of changes: `markdown_lines.scan` says which); every path
goes through the one tokenizer (`path_mentions.mentions_in`) and keeps the plan file it was read
in. Pure: text in, data out.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace

from gitwt.core import lazy_regex, path_mentions
from gitwt.core.formats import markdown_lines as markdown_lines_module
from gitwt.core.formats.markdown_lines import MarkdownLine
from gitwt.core.formats.plan_units import (
    ParallelClaim,
    PlanMention,
    PlanProblem,
    PlanReading,
    PlanUnit,
)
from gitwt.core.front_matter import FrontMatterError
from gitwt.core.legacy_tokens import Mention
from gitwt.core.legacy_words import NEGATIVE_NOTE
from gitwt.core.provenance import Ignored

_ITEM = lazy_regex.compile(r"^\s*(?:[-*+]|\d+[.)])\s+(?:\[(?P<box>[ xX])\]\s*)?(?P<rest>.*)$")
_NOTE = lazy_regex.compile(r"\(([^()]*)\)")


@dataclass
class Collected:
    """What a reader gathers, in reading order, before it becomes one PlanReading."""

    units: list[PlanUnit] = field(default_factory=list)
    claims: list[ParallelClaim] = field(default_factory=list)
    problems: list[PlanProblem] = field(default_factory=list)
    ignored: list[Ignored] = field(default_factory=list)

    def reading(self) -> PlanReading:
        return PlanReading(
            tuple(self.units), tuple(self.claims), tuple(self.problems), tuple(self.ignored)
        )


def markdown_lines(text: str, first_line: int = 1) -> Iterator[MarkdownLine]:
    """The lines of a Markdown body outside fenced code blocks, HTML comments removed, numbered
    in the whole file (`first_line`: where the body starts, after the front matter)."""
    for line in markdown_lines_module.scan(text):
        if not line.fenced:
            yield replace(line, number=line.number + first_line - 1)


def list_item(text: str) -> tuple[str, bool | None] | None:
    """A list item's text and its check box (None: no box); None when the line is no item."""
    found = _ITEM.match(text)
    if found is None:
        return None
    box = found.group("box")
    return found.group("rest"), (None if box is None else box != " ")


# What a plan says a task must leave alone ("**Do not touch** `theme.css`", "`x.ts` - DO NOT
# MODIFY", a section "Files You MUST NOT Modify").
PROHIBITED = lazy_regex.compile(
    r"\b(?:do not|don't|must not|mustn't|shall not|never|not allowed to)\s+"
    r"(?:\w+\s+)?(?:touch|modify|edit|change|delete|remove|write)\w*|"
    r"\b(?:protected|forbidden|off[- ]limits|read[- ]only)\b",
    re.IGNORECASE,
)
_READ_NOTE = lazy_regex.compile(r"^(?:read|see)\b", re.IGNORECASE)  # "(read the whole document)"


def read_only_note(text: str) -> str | None:
    """Why an item names a file it does not change: `(read only)`, "reuse the existing ...",
    "**Do not touch** `x`", "`x` - DO NOT MODIFY"."""
    for note in _NOTE.findall(text):
        stripped = note.strip()
        read = _READ_NOTE.match(stripped)
        found = NEGATIVE_NOTE.starts(stripped) or (read.group(0) if read else None)
        if found:
            return found
    head, _, rest = text.partition("`")  # the words before the first code span
    tail = rest.partition("`")[2].lstrip(" -–—:*_")  # and the note right after it
    prohibited = PROHIBITED.search(head) or PROHIBITED.match(tail)
    return (
        NEGATIVE_NOTE.search(head)
        or (prohibited.group(0) if prohibited else None)
        or NEGATIVE_NOTE.starts(tail)
    )


PLAN_FILE = "a file of the plan itself (its tool's bookkeeping or shared progress), not the work"


def mentions(
    text: str, source: str, line: int, *, creates: bool = False, note: str = "", root: str = ""
) -> tuple[list[PlanMention], list[Ignored]]:
    """The paths one line names (with the plan file), and the path-like tokens that are not.
    A path into the tool's planning folder `root` (`.claude/epics/`, `openspec/`,
    `.taskmaster/`, `.planning/`) is shown, never declared: plan files are bookkeeping."""
    found, ignored = path_mentions.mentions_in(text, line, creates=creates, source=source)
    kept = [PlanMention(source, mention, note) for mention in found]
    if root:
        ignored += [Ignored(m.token, source, line, PLAN_FILE) for m in found if _under(m, root)]
        kept = [item for item in kept if not _under(item.mention, root)]
    return kept, ignored


def _under(mention: Mention, root: str) -> bool:
    path = mention.path
    return path.startswith(root) or path + "/" == root


def declared_or_ignored(
    text: str, source: str, line: int, *, creates: bool = False, note: str = "", root: str = ""
) -> tuple[list[PlanMention], list[Ignored]]:
    """As `mentions`, except that an item saying it only reads its files declares nothing."""
    found, ignored = mentions(text, source, line, creates=creates, note=note, root=root)
    reason = read_only_note(text) if found else None
    if reason is None:
        return found, ignored
    not_changed = [
        Ignored(item.mention.token, source, line, f"read, not changed: {reason}") for item in found
    ]
    return [], ignored + not_changed


def front_matter_problem(error: FrontMatterError, source: str, unit: str | None) -> PlanProblem:
    return PlanProblem(error.message, error.hint, source, error.line, unit)


def as_strings(
    value: object, key: str, source: str, line: int, problems: list[PlanProblem]
) -> list[str]:
    """A front-matter list read with `strings=True` (`[001, 010]`, `- 03-01`, or one scalar);
    what is neither (a mapping, a nested list) is reported, never dropped in silence."""
    if value is None or value == "":
        return []
    if isinstance(value, str):
        return [part.strip() for part in value.strip("[]").split(",") if part.strip()]
    items = value if isinstance(value, list) else [value]
    if not all(isinstance(item, str) for item in items):
        problems.append(
            PlanProblem(
                f"{key} in {source} is not a list of plain values",
                f"write {key} as a YAML list, e.g. {key}: [a, b]",
                source,
                line,
            )
        )
    return [item.strip() for item in items if isinstance(item, str) and item.strip()]


def is_true(value: object) -> bool:
    """YAML 1.1's spellings of true, read from a string scalar."""
    return isinstance(value, str) and value.strip().lower() in ("true", "yes", "on", "y")


def texts_under(files: Mapping[str, str], folder: str) -> dict[str, str]:
    return {path: text for path, text in files.items() if path.startswith(folder + "/")}


MAX_CLAIM_PAIRS = 100_000  # a plan claiming more pairs than this is not judged pair by pair


def too_many_claims(source: str, sides: int, marker: str) -> PlanProblem:
    """A plan with more parallel pairs than can be listed (a hostile or generated plan)."""
    return PlanProblem(
        f"{source} claims {sides} units may run side by side ({marker}): more than "
        f"{MAX_CLAIM_PAIRS} pairs, so its claims are not checked",
        "split the plan, or mark fewer units as parallel; plan still checks their files",
        source,
    )


def transitive(
    depends: Mapping[str, Sequence[str]], starts: Iterable[str] | None = None
) -> dict[str, set[str]]:
    """Every unit each unit (of `starts`, else all) waits for, directly or through others (a
    cycle ends the walk)."""
    closure: dict[str, set[str]] = {}
    for start in depends if starts is None else starts:
        seen: set[str] = set()
        stack = list(depends[start])
        while stack:
            current = stack.pop()
            if current not in seen:
                seen.add(current)
                stack.extend(depends.get(current, ()))
        closure[start] = seen
    return closure
