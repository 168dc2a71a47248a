"""Tree diagrams in fenced blocks, the one reader of them: each entry's full path. Pure.

```
app/llm/
├── __init__.py          # NEW: public factory
├── providers/           # MOVED from app/clients/ (whole folder)
│   └── openai.py
└── README.md            # unchanged
```

An entry's path is its parents' names and its own, by the column its name starts at (so any
indent width works, `tree`'s box drawing or ASCII `|--`). An entry whose note starts with a
change word (`# NEW`, `# MODIFIED`, `# EXPAND`, `(new)`, `<- MOVED`) declares its path; a moved
entry declares where it came from too; a marked folder covers what is listed under it. Unmarked
entries, and the root folder when anything under it is marked, are reported, not declared.
The older system's specs read the marks (`Tree.add`); a cc-sdd design's File Structure Plan
reads every entry with its note (`tree_entries`: `# TideRules: thresholds` names a component).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from gitwt.core import path_tokens
from gitwt.core.legacy_words import CHANGE, CREATE
from gitwt.core.markdown_shapes import fence_after, words

_PREFIX = frozenset("│├└─┬┼┌╰╭ \t|`+-\\")
_ASCII_CONNECTORS = ("|--", "`--", "+--", "|__", "\\--")
_NOTE_OPENERS = ("#", "//", "<-", "←", "(", "--")
ROOT = "the tree's root folder: its listed entries are declared, not the whole folder"
UNMARKED = "in a tree diagram, not marked as changed"
FENCED = "inside a fenced code block"


@dataclass(frozen=True)
class DiagramLine:
    column: int  # where the name starts
    name: str
    note: str  # the text after `#`, `(`, `<-` … without them
    connector: bool  # drawn with box or ASCII connectors (not only indented)


@dataclass(frozen=True)
class TreeEntry:
    path: str  # `src/tides/rules.py`, `src/tides/` for a folder
    line: int
    note: str


@dataclass
class _Folder:
    column: int
    path: str  # with a trailing '/'
    covered: bool  # marked, or under a marked folder: its entries need no mark


@dataclass
class Tree:
    """One fenced block read as a tree, line by line."""

    stack: list[_Folder] = field(default_factory=list)
    root: tuple[str, int] | None = None  # (name, line)
    marked: bool = False
    unmarked_entries: list[tuple[str, int]] = field(default_factory=list)

    @property
    def active(self) -> bool:
        return self.root is not None or bool(self.stack)

    def add(self, entry: DiagramLine, line: int) -> Iterator[tuple[str, bool, str]]:
        """The declarations an entry makes: (path, created?, token as written)."""
        mark = _mark(entry.note)
        rooted = not entry.connector and not self.active
        path, covered = self.place(entry, line, bool(mark))
        if mark:
            yield from self._declared(path, mark, entry, line)
        elif not covered and not rooted:
            self.unmarked_entries.append((path, line))

    def place(self, entry: DiagramLine, line: int, marked: bool = False) -> tuple[str, bool]:
        """The entry's full path, and whether a marked folder above it covers it; a folder
        entry (`name/`) becomes the parent of the deeper entries after it."""
        if not entry.connector and not self.active:
            name = entry.name.removeprefix("./")
            self.root = (entry.name, line)
            self.stack.append(_Folder(entry.column, "" if name in (".", "") else name, marked))
            return name, False
        while self.stack and self.stack[-1].column >= entry.column:
            self.stack.pop()
        parent = self.stack[-1] if self.stack else None
        prefix = parent.path if parent is not None else ""
        if prefix and not prefix.endswith("/"):
            prefix += "/"
        path = prefix + entry.name
        covered = parent is not None and parent.covered
        if entry.name.endswith("/"):
            self.stack.append(_Folder(entry.column, path, covered or marked))
        return path, covered

    def _declared(
        self, path: str, mark: str, entry: DiagramLine, line: int
    ) -> Iterator[tuple[str, bool, str]]:
        self.marked = True
        kind = path_tokens.classify(path)
        if kind.path is not None:
            yield kind.path, bool(CREATE.starts(mark)), entry.name
        moved_from = _moved_from(entry.note)
        if moved_from is not None:
            yield moved_from, False, moved_from

    def unmarked(self) -> list[tuple[str, int, str]]:
        """What was not declared, with why: (token, line, reason)."""
        found: list[tuple[str, int, str]] = []
        if self.root is not None and self.root[0] not in (".", "./"):
            found.append((self.root[0], self.root[1], ROOT if self.marked else FENCED))
        reason = UNMARKED if self.marked else FENCED
        for path, line in self.unmarked_entries:
            if self.marked or "/" in path:
                found.append((path, line, reason))
        return found


def entry(line: str, tree: Tree) -> DiagramLine | None:
    """The tree entry a fenced line is, or None when it is other code."""
    stripped = line.rstrip()
    column = 0
    while column < len(stripped) and stripped[column] in _PREFIX:
        column += 1
    prefix, rest = stripped[:column], stripped[column:]
    if not rest:
        return None
    connector = any(char in prefix for char in "├└│") or any(
        drawn in prefix for drawn in _ASCII_CONNECTORS
    )
    name, _, after = rest.partition(" ")
    after = after.strip()
    if after and not after.startswith(_NOTE_OPENERS):
        return None
    if not connector:
        if prefix.strip() and not tree.active:
            return None  # a list item or an option in a code block, not a tree
        if not tree.active and not name.endswith("/"):
            return None
        if path_tokens.classify(name).path is None and not name.endswith("/"):
            return None
    note = after.lstrip("#/<-←( ").rstrip(") ")
    return DiagramLine(column, name, note, connector)


def tree_entries(lines: Iterable[tuple[str, int]]) -> list[TreeEntry]:
    """Every entry of the tree diagrams among fenced `(text, line)`s, each with its note; a
    fence line starts a new diagram."""
    found: list[TreeEntry] = []
    tree = Tree()
    for text, number in lines:
        if fence_after(None, text)[1]:
            tree = Tree()
            continue
        read = entry(text, tree)
        if read is not None:
            path, _ = tree.place(read, number)
            found.append(TreeEntry(path, number, read.note))
    return found


def _mark(note: str) -> str | None:
    """The change word a note starts with (`NEW`, `MODIFIED`, `EXPAND`, `MOVED`), or None."""
    return CHANGE.starts(note) if note else None


def _moved_from(note: str) -> str | None:
    """`MOVED from app/clients/ (whole folder)`: the path it was moved from."""
    split = note.split()
    lowered = [word.lower() for word in split]
    if not lowered or words(lowered[0])[:1] not in (["moved"], ["renamed"], ["move"]):
        return None
    if "from" not in lowered:
        return None
    at = lowered.index("from") + 1
    if at >= len(split):
        return None
    return path_tokens.classify(split[at].strip("`")).path
