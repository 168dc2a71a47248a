"""The one tokenizer every reader uses to find path candidates in a line of Markdown or prose.

`mentions_in(text, line)` gives the plausible repository paths the text names, unresolved (the
catalog resolves bare names and package-relative paths against base with
`legacy_tokens.resolve`), and the tokens a naive reader would take for paths, each with why it is
not one. The legacy spec reader (core/legacy_specs.py) cuts lines with `tokens` and judges each
token with `judge`, so both readers take the same things for paths. The rules, in order:

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
  `backend/models/` and `backend/api/`, at most 64 names); a brace without a comma is a
  placeholder (`{id}`).
- `@scope/name` is an npm package name, never a path, even in a code span.
- A branch name is never a path, even in a code span: a token right after the word "branch", or
  one under a conventional branch prefix (`refactor/split-daemon`, `feature/x`), with no file
  extension and no trailing `/`.

Linear time: one left-to-right scan (spec and plan text is written by anyone who can push a
branch; a reader that went back over its line for every token let a 20 KB line stall every
command). The one regular expression is the token grammar; its comment says why it is linear.
Pure: no I/O.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from typing import NamedTuple

from gitwt.core import path_tokens
from gitwt.core.legacy_tokens import Mention
from gitwt.core.path_tokens import MAX_TOKEN, Classified
from gitwt.core.provenance import Ignored

CODE, BOLD, URL, WORD = "code", "bold", "url", "word"
# Each alternative is an opening literal, one negated character class repeated, and a closing
# literal. An attempt that fails at a position has scanned only characters that its class
# admits, up to the first character the class refuses; no other attempt of the same
# alternative starts inside that stretch (it holds no opener), so the failed scans are
# disjoint and the whole search is linear in the line. No alternative nests a quantifier.
_TOKEN = re.compile(
    r"`(?P<code>[^`\n]+)`|\*\*(?P<bold>[^*\n]+)\*\*|(?P<url>https?://[^\s)>\]]+)"
    r"|(?P<word>[^\s`*|()\[\],;]+)"
)

MAX_EXPANSION = 64

SLASH_WORD = "a word with a slash, not a path (write a path in a code span, or a folder with '/')"
PACKAGE_NAME = "a package name (@scope/name), not a path"
BRANCH_NAME = "a branch name, not a path"
BRANCH_PREFIXES = frozenset(
    [
        "feature",
        "features",
        "feat",
        "fix",
        "fixes",
        "bugfix",
        "hotfix",
        "refactor",
        "release",
        "chore",
        "wip",
        "experiment",
    ]
)


class Token(NamedTuple):
    kind: str  # CODE, BOLD, URL or WORD
    value: str  # the text (a bold run holding one code span: the span's text)
    start: int  # offsets in the text `tokens` was given
    end: int


def drop_link_targets(text: str) -> str:
    """`[the model](../model.md)` reads as `[the model]`: a link target is not a mention."""
    if "](" not in text:
        return text
    kept: list[str] = []
    position = 0
    while True:
        found = text.find("](", position)
        if found < 0:
            break
        closing = text.find(")", found + 2)
        if closing < 0:
            break  # no ')' later: no later '](' can close either
        kept.append(text[position : found + 1])
        position = closing + 1
    kept.append(text[position:])
    return "".join(kept)


def tokens(text: str, *, distinct: bool = False) -> Iterator[Token]:
    """Code spans, bold runs, URLs and words, left to right, in linear time (none spans lines).
    `distinct`: only the first of the tokens of one kind and value. Lazy: a reader that stops
    (a limit reached) cuts no further."""
    seen: set[str] = set()
    for match in _TOKEN.finditer(text):
        if distinct:
            whole = match.group()  # with its backticks or stars: one kind and value
            if whole in seen:
                continue
            seen.add(whole)
        kind, value = match.lastgroup, match.group(match.lastindex or 0)
        if kind == BOLD:
            value = value.strip("`")  # `**\`app/x.py\`**`: a code span inside bold is one token
        if kind == CODE and "{" in value and "," in value and len(value) <= MAX_TOKEN:
            yield from (Token(CODE, name, match.start(), match.end()) for name in expanded(value))
        else:
            yield Token(kind or WORD, value, match.start(), match.end())


def _brace_lists(value: str) -> list[tuple[int, int]]:
    """Where each `{a,b}` is (no brace or space inside, a comma), left to right, in one scan."""
    found: list[tuple[int, int]] = []
    start = value.find("{")
    while start >= 0:
        end = start + 1
        while end < len(value) and value[end] not in "{}" and not value[end].isspace():
            end += 1
        if end < len(value) and value[end] == "}" and "," in value[start + 1 : end]:
            found.append((start, end))
            end += 1
        start = value.find("{", end)
    return found


def expanded(value: str) -> list[str]:
    """A shell brace list spelled out (`a/{b,c}.py`: `a/b.py`, `a/c.py`), at most 64 names."""
    lists = _brace_lists(value)
    if not lists:
        return [value]
    literals: list[str] = []
    choices: list[list[str]] = []
    position = 0
    for start, end in lists:
        literals.append(value[position:start])
        choices.append(value[start + 1 : end].split(","))
        position = end + 1
    literals.append(value[position:])
    names: list[str] = []
    for picked in itertools.islice(itertools.product(*choices), MAX_EXPANSION):
        parts = [literals[0]]
        for choice, literal in zip(picked, literals[1:], strict=True):
            parts += [choice, literal]
        names.append("".join(parts))
    return names


def pathlike(token: Token, kind: Classified) -> bool:
    """Code spans may name any file; bare and bold words need a '/' or a file extension."""
    if kind.path is None:
        return False
    if token.kind == CODE:
        return True
    return "/" in kind.path or path_tokens.looks_like_file_name(kind.path)


def _package_name(path: str) -> bool:
    """`@scope/name`: an npm package, never a path."""
    if not path.startswith("@") or path.count("/") != 1:
        return False
    scope, name = path[1:].split("/")
    allowed = frozenset(".-_")
    return all(
        part and all(char.isalnum() or char in allowed for char in part) for part in (scope, name)
    )


def _slash_word(path: str) -> bool:
    """`and/or`, `title/value/close`: a word with slashes that does not end in a file name."""
    if "/" not in path or path.endswith("/"):
        return False
    last = path.rsplit("/", 1)[1]
    if path_tokens.looks_like_file_name(last):
        return False
    dot = last.rfind(".")
    extension = last[dot + 1 :] if dot >= 0 else ""
    any_extension = 1 <= len(extension) <= 10 and extension.isascii() and extension.isalnum()
    return path.count("/") == 1 or not any_extension


def _branch_name(path: str, before: str) -> bool:
    """`refactor/split-daemon`, or any slash token right after the word "branch"."""
    if (
        "/" not in path
        or path.endswith("/")
        or path_tokens.looks_like_file_name(path.rsplit("/", 1)[1])
    ):
        return False
    if path.split("/", 1)[0].lower() in BRANCH_PREFIXES:
        return True
    last = before.rstrip(" `*:'\"").rsplit(None, 1)[-1:]
    return bool(last) and last[0].lower() in ("branch", "branches")


def judge(token: Token, text: str = "") -> tuple[Classified, str | None]:
    """What the token is: its classification, and why it is not a mention (None: it is one;
    "" for a plain identifier, which is not worth a report). `text`: the line the token is in
    (the word just before it can say it names a branch)."""
    kind = path_tokens.classify(token.value)
    if kind.path is None:
        return kind, kind.reason if token.kind in (CODE, URL) else ""
    if _package_name(kind.path):
        return kind, PACKAGE_NAME
    if not pathlike(token, kind):
        return kind, ""
    if _branch_name(kind.path, text[max(0, token.start - 16) : token.start]):
        return kind, BRANCH_NAME
    if token.kind != CODE and _slash_word(kind.path):
        return kind, SLASH_WORD
    return kind, None


def mentions_in(
    text: str, line: int, *, creates: bool = False, source: str = ""
) -> tuple[list[Mention], list[Ignored]]:
    """The path mentions in one line of text, and the path-like tokens that are not paths.

    `line` is stamped on every result; `creates` says the text announces new files (a bare name
    that base does not track is then declared as new); `source` fills the Ignored records.
    """
    mentions: list[Mention] = []
    ignored: list[Ignored] = []
    text = drop_link_targets(text)
    for token in tokens(text):
        kind, reason = judge(token, text)
        if reason is None and kind.path is not None:
            mentions.append(Mention(token.value, kind.path, line, creates))
        elif reason:
            ignored.append(Ignored(token.value, source, line, reason))
    return mentions, ignored
