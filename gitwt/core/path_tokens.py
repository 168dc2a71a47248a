"""Is a token from a spec or a plan a repository path?

Specs and plans write paths among function names (`build_spec_context()`), placeholders
(`REPORT_YYYY_MM_DD.md`), line ranges (`daemon.py:1042-1054`), URLs and commands. Only plausible
repository paths survive `classify`; everything else gets a reason a person can read.

Each test looks at the token a bounded number of times with string methods: no regular
expression, so no token can make it backtrack, and a token longer than any path is refused
first. Pure.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from gitwt.core import patterns


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Extensions that make a slash-less token a file name rather than a dotted identifier
# (`daemon.py` is a file, `logging.config` and `self.registry` are not).
KNOWN_EXTENSIONS = _words(
    """
    py pyi pyx ipynb md markdown rst txt adoc json jsonl yaml yml toml cfg ini conf env lock
    js mjs cjs ts tsx jsx vue svelte html htm css scss sass less svg png jpg jpeg gif ico
    sh bash zsh fish ps1 bat cmd rs go java kt kts scala groovy gradle rb php pl pm lua r
    c h cc cpp cxx hpp hh cs fs swift m mm dart ex exs erl hrl hs ml clj sql graphql gql proto
    xml csv tsv tf tfvars hcl j2 jinja jinja2 tpl tmpl mk cmake dockerfile properties plist
    template example sample bak backup log db sqlite pem crt
    """
)
# File names that are paths without an extension.
KNOWN_NAMES = _words(
    "Makefile Dockerfile Containerfile Procfile Gemfile Rakefile Justfile Vagrantfile "
    "Jenkinsfile README LICENSE CHANGELOG CODEOWNERS AUTHORS NOTICE VERSION"
)
COMMANDS = _words(
    "pytest python python3 pip pip3 uv poetry pipx git gh npm npx yarn pnpm node make cargo go "
    "cd ls cat grep rg find sed awk bash sh zsh source export echo curl wget docker kubectl "
    "mypy ruff black isort flake8 pylint tox nox pre-commit sudo rm cp mv mkdir touch chmod"
)
MAX_TOKEN = 1024  # longer than any path a person writes; refused before any other test
_NOT_PATH_CHARS = frozenset("|;&=\"'`,\\^!<>{}$")
_CALL_PREFIX = frozenset("_.$:<>[]")
_SCHEME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+.-")
# Placeholder runs (`YYYY`, `MM`, `XXX`, `NNN`) and the shortest run that is one.
_PLACEHOLDER_RUNS = {"Y": 2, "M": 2, "D": 2, "H": 2, "X": 3, "N": 2}
_PLACEHOLDER_LETTERS = frozenset(_PLACEHOLDER_RUNS)
_SIMPLE_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-./")
# What `str.translate` deletes before `isalnum` decides whether a segment holds only word
# characters and these (C speed: a token is looked at once per character, not per test).
_SEGMENT_DELETE = str.maketrans("", "", "_.@+-[]()*?~%#")
ABSOLUTE = "an absolute path (outside the repository)"
IDENTIFIER = "an identifier, not a file name"


@dataclass(frozen=True)
class Classified:
    path: str | None  # the normalized candidate path, None when the token is not one
    reason: str = ""  # why it is not a path
    stripped: str = ""  # what was cut off (a line suffix), for the origin's note


def extension(name: str) -> str:
    return name.rsplit(".", 1)[1].lower() if "." in name.strip(".") else ""


def looks_like_file_name(name: str) -> bool:
    """A slash-less token that names a file: a known extension, a dot file or a known name."""
    if name in KNOWN_NAMES or (name.startswith(".") and len(name) > 1 and "/" not in name):
        return True
    return extension(name) in KNOWN_EXTENSIONS


def _ascii_letter(char: str) -> bool:
    return ("a" <= char <= "z") or ("A" <= char <= "Z")


def _is_url(token: str) -> bool:
    if token.startswith(("www.", "mailto:")):
        return True
    scheme = token.find("://")
    return scheme > 0 and _ascii_letter(token[0]) and _SCHEME_CHARS.issuperset(token[:scheme])


def is_absolute(token: str) -> bool:
    return token.startswith(("/", "~")) or (
        len(token) > 2 and _ascii_letter(token[0]) and token[1] == ":" and token[2] in "\\/"
    )


def _is_call(token: str) -> bool:
    """`f()`, `self.x.get(name)`: a name then '(' (or `()` anywhere)."""
    if "()" in token:
        return True
    for index, char in enumerate(token):
        if char == "(":
            return "\n" not in token[index + 1 : -1]  # as a regex's `.*` and `$` would read it
        if not (char.isalnum() or char in _CALL_PREFIX):
            return False
    return False


def _has_placeholder(token: str) -> bool:
    """`<id>`, `{id}`, `$VAR`, `%s`, and runs such as `YYYY`, `MM`, `XXX`, `NNN`."""
    for opening, closing in ("<>", "{}"):
        start = token.find(opening)
        if start >= 0 and token.find(closing, start + 1) >= 0:
            return True
    if "%s" in token or "%d" in token:
        return True
    dollar = token.find("$")
    while dollar >= 0:
        after = token[dollar + 1 : dollar + 3]
        if after[:1].isalnum() or after[:1] == "_":
            return True
        if after[:1] == "{" and (after[1:2].isalnum() or after[1:2] == "_"):
            return True
        dollar = token.find("$", dollar + 1)
    return _has_placeholder_run(token)


def _has_placeholder_run(token: str) -> bool:
    """A run of one capital (`YYYY`) not after a letter, and not followed by a small letter
    unless it is longer than its shortest form (`MMM` is `MM` then `M`)."""
    if _PLACEHOLDER_LETTERS.isdisjoint(token):
        return False
    index, size = 0, len(token)
    while index < size:
        char = token[index]
        end = index + 1
        while end < size and token[end] == char:
            end += 1
        shortest = _PLACEHOLDER_RUNS.get(char)
        if shortest and (index == 0 or not _ascii_letter(token[index - 1])):
            following = token[end : end + 1]
            if end - index > shortest or (
                end - index == shortest and not ("a" <= following <= "z" and following)
            ):
                return True
        index = end
    return False


def _digits(text: str, start: int) -> int:
    """The end of the run of decimal digits at `start` (== start: none)."""
    end = start
    while end < len(text) and text[end].isdecimal():
        end += 1
    return end


def _colon_suffix(text: str) -> bool:
    """`:12`, `:12-30`, `:12:5`, `:12-30:5`, exactly."""
    end = _digits(text, 1)
    if end == 1:
        return False
    if text[end : end + 1] == "-":
        after = _digits(text, end + 1)
        if after == end + 1:
            return False
        end = after
    if text[end : end + 1] == ":":
        after = _digits(text, end + 1)
        if after == end + 1:
            return False
        end = after
    return end == len(text)


def _anchor_suffix(text: str) -> bool:
    """`#L12`, `#L12-30`, `#L12-L30`, exactly."""
    if not text.startswith("#L"):
        return False
    end = _digits(text, 2)
    if end == 2:
        return False
    if text[end : end + 1] == "-":
        start = end + 2 if text[end + 1 : end + 2] == "L" else end + 1
        end = _digits(text, start)
        if end == start:
            return False
    return end == len(text)


def _lines_suffix(token: str) -> int | None:
    """Where ` (lines 12-30)` or ` line 12` begins, or None."""
    if "line" not in token:
        return None
    index, size = 0, len(token)
    while index < size:
        if not token[index].isspace():
            index += 1
            continue
        start = index
        while index < size and token[index].isspace():
            index += 1
        at = index + 1 if token[index : index + 1] == "(" else index
        if token.startswith("line", at):
            at += 5 if token[at + 4 : at + 5] == "s" else 4
            gap = at
            while gap < size and token[gap].isspace():
                gap += 1
            if gap > at and token[gap : gap + 1].isdecimal():
                return start
    return None


def line_suffix_start(token: str) -> int | None:
    """Where a line suffix (`:12-30`, `#L12`, ` (lines 12-30)`) begins, or None."""
    found: list[int] = []
    last = token.rfind(":")
    if last >= 0:
        before = token.rfind(":", 0, last)
        found += [colon for colon in (before, last) if colon >= 0 and _colon_suffix(token[colon:])][
            :1
        ]
    anchor = token.rfind("#")
    if anchor >= 0 and _anchor_suffix(token[anchor:]):
        found.append(anchor)
    lines = _lines_suffix(token)
    if lines is not None:
        found.append(lines)
    return min(found) if found else None


def _not_a_path_reason(token: str) -> str | None:
    if _is_url(token):
        return "a URL"
    if is_absolute(token):
        return ABSOLUTE
    split = token.split(maxsplit=1)
    first = split[0] if split else token
    if " " in token.strip() and (
        first in COMMANDS or first.startswith(("./", "-")) or " -" in token
    ):
        return "a command"
    if _is_call(token) and not token.endswith("/"):
        return "a function call"
    if _has_placeholder(token):
        return "a placeholder"
    return None


def _has_space(token: str) -> bool:
    return bool(token) and token.split(maxsplit=1) != [token]


def _segment_ok(segment: str) -> bool:
    rest = segment.translate(_SEGMENT_DELETE)
    return bool(segment) and (not rest or rest.isalnum())


@functools.lru_cache(maxsize=8192)
def classify(raw: str) -> Classified:
    """The repository path a token names, or why it names none (remembered: a spec repeats
    its words, and a hostile one repeats one word a million times)."""
    if len(raw) > MAX_TOKEN:
        return Classified(None, f"longer than {MAX_TOKEN} characters: not a path")
    if raw.isascii() and raw.isalnum() and raw not in KNOWN_NAMES:
        # The common case, and what a flood of distinct words is made of: a plain word.
        return Classified(None, "a placeholder" if _has_placeholder_run(raw) else IDENTIFIER)
    simple = _simple_path(raw)
    if simple is not None:
        return simple
    token = _unemphasized(raw.strip()).rstrip(".,;:")
    if not token:
        return Classified(None, "empty")
    reason = _not_a_path_reason(token)
    if reason:
        return Classified(None, reason)
    suffix = line_suffix_start(token)
    stripped = ""
    if suffix:
        stripped, token = token[suffix:].strip(), token[:suffix]
    while token.startswith("./"):
        token = token[2:]
    if not _NOT_PATH_CHARS.isdisjoint(token) or _has_space(token):
        return Classified(None, "not a path (spaces or punctuation)")
    segments = token.rstrip("/").split("/")
    if ".." in segments:
        return Classified(None, "outside the repository ('..')")
    if not all(_segment_ok(segment) for segment in segments):
        return Classified(None, "not a path")
    if "/" not in token and not looks_like_file_name(token):
        return Classified(None, IDENTIFIER)
    try:
        patterns.validate(token)
    except patterns.PatternError as error:
        return Classified(None, error.message.replace("declared path ", "", 1))
    return Classified(token, stripped=stripped)


def _unemphasized(token: str) -> str:
    """`**x**` and `_x_` without the emphasis; `__init__.py` and `_private.py` as they are."""
    token = token.strip("*").strip()
    if token.startswith("_") and token.endswith("_"):
        token = token.strip("_").strip()
    return token


def _simple_path(raw: str) -> Classified | None:
    """The answer for a plain path (`app/x_y/z.py`: letters, digits, `_`, `-`, `.`, `/`)
    without the tests it cannot fail; None for anything else, which the full tests read."""
    if not (raw.isascii() and _SIMPLE_CHARS.issuperset(raw)) or "/" not in raw:
        return None
    if raw.startswith(("/", ".", "-", "_")) or raw.endswith((".", "_")) or "//" in raw:
        return None
    segments = raw.rstrip("/").split("/")
    if ".." in segments or "." in segments or segments[0] == ".git":
        return None
    if not _PLACEHOLDER_LETTERS.isdisjoint(raw) and _has_placeholder_run(raw):
        return None
    return Classified(raw)


def absolute_path(raw: str) -> str | None:
    """An absolute path as a spec writes it (`/Users/me/src/repo/app/x.py:12`), without its
    line suffix; None for anything else. Only the repository's own folder name in it can make
    it a repository path (legacy_tokens.TrackedIndex.inside)."""
    if len(raw) > MAX_TOKEN:
        return None
    token = _unemphasized(raw.strip()).rstrip(".,;:")
    if not is_absolute(token) or (token.startswith("~") and not token.startswith("~/")):
        return None
    suffix = line_suffix_start(token)
    if suffix:
        token = token[:suffix]
    if not _NOT_PATH_CHARS.isdisjoint(token) or _has_space(token):
        return None
    return token
