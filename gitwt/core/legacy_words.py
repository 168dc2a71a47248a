"""The words a legacy spec uses to say what a heading, a label or a note is about. Pure.

Matched word by word (core/markdown_shapes.Phrases), never with a regular expression: the same
words a `\\b(?:…)\\b` alternation would find, in time linear in the text.
"""

from __future__ import annotations

from dataclasses import dataclass

from gitwt.core import markdown_shapes, path_tokens
from gitwt.core.markdown_shapes import Phrases, words

DECLARE, NEUTRAL, NEGATIVE, DEPENDS = "declare", "neutral", "negative", "depends"

CHANGE = Phrases(
    [
        "new",
        "create",
        "creates",
        "created",
        "modify",
        "modified",
        "modifies",
        "update",
        "updates",
        "updated",
        "change",
        "changes",
        "changed",
        "add",
        "added",
        "adds",
        "edit",
        "edited",
        "edits",
        "extend",
        "extended",
        "extends",
        "expand",
        "expanded",
        "expands",
        "delete",
        "deletes",
        "deleted",
        "remove",
        "removes",
        "removed",
        "rename",
        "renames",
        "renamed",
        "move",
        "moves",
        "moved",
        "write",
        "refactor",
        "refactored",
        "replace",
        "replaces",
        "replaced",
        "touch",
        "touched",
    ]
)
CREATE = Phrases(["new", "create", "creates", "created", "add", "added", "adds", "write"])
NEGATIVE_NOTE = Phrases(
    [
        "no change",
        "no changes",
        "no change needed",
        "no changes needed",
        "no change required",
        "no changes required",
        "unchanged",
        "not changed",
        "not modified",
        "no modification",
        "no modifications",
        "read only",
        "reference",
        "reference only",
        "for reference",
        "reuse",
        "reused",
        "existing",
        "as is",
    ]
)
NEGATIVE_HEADING = Phrases(
    [
        *words(
            """risk risks alternative alternatives reference references related future
            background context existing current motivation appendix example examples template
            templates glossary note notes rejected acceptance rollback"""
        ),
        *["see also", "out of scope", "non goal", "non goals", "prior art", "open questions"],
        "success criteria",
    ]
)
FILES = Phrases(["file", "files", "location", "locations", "path", "paths"])
TESTS = Phrases(["test", "tests"])
REFERENCE_LABEL = Phrases(
    [
        "existing",
        "related",
        "reference",
        "references",
        "referenced",
        "read",
        "review",
        "see",
        "reuse",
        "reused",
    ]
)
_DEPENDS_LABELS = frozenset(
    ["dependencies", "dependency", "depends on", "prerequisite", "prerequisites"]
)
# Words a heading may hold besides change words and still be about changed files ("Also
# touched", "Modified", "New and changed").
_FILLER = frozenset(["also", "and", "or", "the", "other", "to", "be", "will", "are", "is"])
_DEPENDENCY_KINDS = ("PRIORITY", "SPEC", "US")


@dataclass(frozen=True)
class ListRole:
    kind: str
    creates: bool = False
    where: str = ""  # for reasons: "section 'Risks'", "marker **Files**"


def depends_label(text: str) -> bool:
    """`Dependencies`, `2. Depends on:`, `prerequisites`."""
    label = text.strip().lstrip("0123456789. \t").rstrip(":").strip().lower()
    return " ".join(label.replace("_", " ").replace("-", " ").split()) in _DEPENDS_LABELS


def heading_kind(text: str) -> str:
    if depends_label(text):
        return DEPENDS
    if NEGATIVE_HEADING.search(text):
        return NEGATIVE
    lowered = text.strip().lower()
    if FILES.search(text) and (CHANGE.search(text) or lowered in ("files", "file list")):
        return DECLARE
    if lowered in ("changes", "file changes", "deliverables"):
        return DECLARE
    split = words(text)
    # "Also touched", "Modified": nothing but change words (and fillers) is about changed files.
    changes = [word for word in split if CHANGE.at([word], 0)]
    if changes and all(word in _FILLER or CHANGE.at([word], 0) for word in split):
        return DECLARE
    return NEUTRAL


def marker_context(label: str) -> ListRole | None:
    """The context a bold `**Label**:` marker opens; None for markers about something else."""
    label = label.strip()
    if depends_label(label):
        return ListRole(DEPENDS)
    if not (FILES.search(label) or TESTS.search(label)):
        return None
    if REFERENCE_LABEL.search(label):
        return ListRole(NEGATIVE, where=f"marker **{label}**")
    if not FILES.search(label) and "new" not in words(label):
        return None  # `**Tests**: 15 unit tests` describes testing; `**New Test**:` is a file
    return ListRole(DECLARE, bool(CREATE.search(label)), f"marker **{label}**")


def spec_title(text: str) -> str:
    """`SPEC-209: One home` → `One home` (the heading as is without that prefix)."""
    if not text.startswith("SPEC-"):
        return text.strip() or text
    end = 5
    while end < len(text) and (text[end].isalnum() or text[end] in "._"):
        end += 1
    if end == 5:
        return text.strip() or text
    rest = text[end:].lstrip()
    if not rest or rest[0] not in ":—–-":
        return text.strip() or text
    return rest[1:].strip() or text


def dependencies(text: str) -> list[tuple[str, str]]:
    """`SPEC-064`, `US 7`, `PRIORITY #9` in `text`: (token as `KIND-N`, id without zeros)."""
    found: list[tuple[str, str]] = []
    index, size = 0, len(text)
    while index < size:
        kind = next(
            (k for k in _DEPENDENCY_KINDS if text[index : index + len(k)].upper() == k), None
        )
        before = text[index - 1] if index else ""
        if kind is None or before.isalnum() or before == "_":
            index += 1
            continue
        end = index + len(kind)
        while end < size and text[end] in "-_ #":
            end += 1
        digits = end
        while digits < size and text[digits].isdecimal():
            digits += 1
        if digits > end:
            number = str(int(text[end:digits]))
            found.append((f"{kind}-{number}", number))
            index = digits
        else:
            index = end
    return found


_COMMENT_OPENERS = ("#", "//", "--")


def names_a_file(label: str) -> bool:
    """A bold label that is one path (`**`app/x.py`**`), not words about something."""
    value = label.strip().strip("`")
    if not value or " " in value:
        return False
    kind = path_tokens.classify(value)
    return kind.path is not None and ("/" in kind.path or path_tokens.looks_like_file_name(value))


def file_header(line: str) -> str | None:
    """`# app/x.py`, `// web/src/App.tsx`, `# File: app/x.py`: the path a code block's first
    line names as the file the code is in; None for any other first line."""
    stripped = line.strip()
    opener = next((mark for mark in _COMMENT_OPENERS if stripped.startswith(mark)), None)
    if opener is None:
        return None
    rest = stripped[len(opener) :].strip()
    if rest.lower().startswith("file:"):
        rest = rest[5:].strip()
    if not rest or " " in rest:
        return None
    kind = path_tokens.classify(rest)
    return kind.path if kind.path is not None and "/" in kind.path else None


def after_in(text: str, start: int) -> bool:
    """Is the token at `start` written as "(in `path`)"?"""
    before = text[max(0, start - 8) : start].rstrip().lower()
    return before.endswith("(in")


def names_changes(cell: str) -> bool:
    lowered = cell.lower()
    return any(word in lowered for word in ("change", "action", "status", "operation"))


def plain_marker_of(line: str) -> tuple[str, str] | None:
    """`Files to modify:` without bold, when it opens a list or a code span follows it."""
    found = markdown_shapes.plain_marker(line)
    if found is None:
        return None
    label, rest = found
    context = marker_context(label)
    if context is None or (context.kind == DEPENDS and not dependencies(rest)):
        return None
    return found if not rest or rest.startswith("`") or context.kind == DEPENDS else None
