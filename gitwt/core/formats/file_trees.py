"""Paths in a directory-tree diagram, the way design documents draw their file structure:

```
src/
├── tides/                 # TideRules: thresholds and quiet hours
│   ├── rules.py           # evaluation
│   └── feed.py
└── notify/
    └── sms.py             # NEW
```

Each entry becomes its full path (a folder with its trailing '/'), its line and its comment. The
depth of an entry is the column its name starts at; a folder holds the entries below it that
start further right. Pure.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from gitwt.core.formats.markdown_lines import MarkdownLine

_ENTRY = re.compile(
    r"^(?P<lead>[\s│├└─┬┼|`+\-–—]*)(?P<name>[^\s#│├└─]+)\s*(?:#\s*(?P<comment>.*))?$"
)


@dataclass(frozen=True)
class TreeEntry:
    path: str  # `src/tides/rules.py`, `src/tides/` for a folder
    line: int
    comment: str


def tree_entries(lines: Iterable[MarkdownLine]) -> list[TreeEntry]:
    """The entries of the tree diagrams among `lines` (fenced lines; fence lines are skipped)."""
    raw: list[tuple[str, int, str]] = []
    open_: list[tuple[int, str]] = []  # (column, name) of the entries an entry may sit under
    for line in lines:
        text = line.text.rstrip()
        if text.lstrip().startswith(("```", "~~~")):
            open_ = []
            continue
        found = _ENTRY.match(text) if text.strip() else None
        if found is None:
            continue
        column = len(found.group("lead"))
        name = found.group("name").rstrip("/")
        while open_ and open_[-1][0] >= column:
            open_.pop()
        path = "/".join([*(parent for _, parent in open_), name])
        raw.append(
            (
                path + ("/" if found.group("name").endswith("/") else ""),
                line.number,
                found.group("comment") or "",
            )
        )
        open_.append((column, name))
    parents = {path.rsplit("/", 1)[0] + "/" for path, _, _ in raw if "/" in path.rstrip("/")}
    return [
        TreeEntry(
            path if path.endswith("/") or path + "/" not in parents else path + "/",
            number,
            comment.strip(),
        )
        for path, number, comment in raw
    ]
