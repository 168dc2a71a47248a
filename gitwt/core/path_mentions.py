"""The one tokenizer every plan reader uses to find path candidates in a line of Markdown or prose.

`mentions_in(text, line)` gives the plausible repository paths the text names, unresolved (the
catalog resolves bare names and package-relative paths against base with
`legacy_tokens.resolve`), and the tokens a naive reader would take for paths, each with why it is
not one. The rules, in order:

- A token is a code span (`` `x` ``), a bold run, a URL or a whitespace-separated word; Markdown
  link targets (`](...)`) are dropped, their text is kept. `legacy_tokens.classify` says whether
  the token can be a path at all (URLs, absolute paths, commands, calls, placeholders are not).
- Code spans may name any file. Bare and bold words need a `/` or a file extension (or a known
  name such as `Makefile`): `service.go` is a file, `RenewLoan` is not.
- A bare or bold word with a `/` must end in a file name, or in `/` for a folder: `and/or`,
  `add/remove`, `name/username`, `CI/CD`, `title/value/close` are prose, ignored with a reason,
  even when a folder of that name exists (this tokenizer sees no repository). With one slash the
  last part needs a known extension (`docs/x.md`); with more, any extension (`a/b/c.xyz`). To
  declare a folder in prose, end it with `/` or write it in a code span (`src/models`).
- A code span with a shell brace list names each path (`backend/{models,api}/` is
  `backend/models/` and `backend/api/`); a brace without a comma is a placeholder (`{id}`).
- `@scope/name` is an npm package name, never a path, even in a code span.

Pure: no I/O. The "readers" work (issue 26) makes this linear-time; the signature stays.
"""

from __future__ import annotations

import re

from gitwt.core import legacy_tokens
from gitwt.core.legacy_specs import _LINK_TARGET, _TOKEN, _pathlike, _value
from gitwt.core.legacy_tokens import Mention
from gitwt.core.provenance import Ignored

_PACKAGE_NAME = re.compile(r"^@[\w.-]+/[\w.-]+$")
_BRACES = re.compile(r"\{(?P<choices>[^{}\s]*,[^{}\s]*)\}")
_ANY_EXTENSION = re.compile(r"\.[A-Za-z0-9]{1,10}$")
MAX_EXPANSION = 64

SLASH_WORD = "a word with a slash, not a path (write a path in a code span, or a folder with '/')"
PACKAGE_NAME = "a package name (@scope/name), not a path"


def _slash_word(path: str) -> bool:
    """`and/or`, `title/value/close`: a word with slashes that does not end in a file name."""
    if "/" not in path or path.endswith("/"):
        return False
    last = path.rsplit("/", 1)[1]
    if legacy_tokens.looks_like_file_name(last):
        return False
    return path.count("/") == 1 or not _ANY_EXTENSION.search(last)


def _expanded(value: str) -> list[str]:
    """A shell brace list spelled out (`a/{b,c}.py`: `a/b.py`, `a/c.py`), at most 64 names."""
    found = _BRACES.search(value)
    if found is None:
        return [value]
    head, tail = value[: found.start()], value[found.end() :]
    names: list[str] = []
    for choice in found.group("choices").split(","):
        names += _expanded(head + choice + tail)
        if len(names) >= MAX_EXPANSION:
            break
    return names[:MAX_EXPANSION]


def mentions_in(
    text: str, line: int, *, creates: bool = False, source: str = ""
) -> tuple[list[Mention], list[Ignored]]:
    """The path mentions in one line of text, and the path-like tokens that are not paths.

    `line` is stamped on every result; `creates` says the text announces new files (a bare name
    that base does not track is then declared as new); `source` fills the Ignored records.
    """
    mentions: list[Mention] = []
    ignored: list[Ignored] = []
    for found in _TOKEN.finditer(_LINK_TARGET.sub("]", text)):
        code = found.group("code") is not None
        for value in _expanded(_value(found)) if code else [_value(found)]:
            kind = legacy_tokens.classify(value)
            if kind.path is None:
                if code or found.group("url"):
                    ignored.append(Ignored(value, source, line, kind.reason))
            elif _PACKAGE_NAME.match(kind.path):
                ignored.append(Ignored(value, source, line, PACKAGE_NAME))
            elif not _pathlike(found, kind):
                continue  # a plain identifier: not worth a report
            elif not code and _slash_word(kind.path):
                ignored.append(Ignored(value, source, line, SLASH_WORD))
            else:
                mentions.append(Mention(value, kind.path, line, creates))
    return mentions, ignored
