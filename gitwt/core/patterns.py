"""Declared-path patterns: validation and compilation to regexes (overlap: pattern_overlap).

Semantics (DESIGN §2): anchored at the repository root; `*` and `?` never cross `/`; `**` as a
whole segment crosses any depth; a trailing `/` means everything below; no negation. `[` and `]`
are literal, as in CODEOWNERS, because bracketed file names (`app/[id].tsx`) are common and a
character class in a declaration would be a surprise; so nothing needs escaping, and a `\\` (an
escape in git's wildmatch and in CODEOWNERS) is refused rather than read two ways. A pattern
with no wildcard names a file or a directory, like a git pathspec: it matches the path itself
and everything below it.

Pure: no I/O. The compiled regexes are stored as JSON so the commit hook needs only `re`.
"""

from __future__ import annotations

import re

from gitwt.errors import GitParallelError

WILDCARDS = frozenset("*?")


class PatternError(GitParallelError):
    pass


def validate(pattern: object, source: str = "") -> str:
    """Return the pattern if it is a well-formed declaration, else raise PatternError."""
    where = f" in {source}" if source else ""
    if not isinstance(pattern, str):
        raise PatternError(
            f"declared path {pattern!r}{where} is not a string",
            "list each path as a quoted string under 'files:'",
        )
    shown = repr(pattern)
    if not pattern.strip():
        raise PatternError(f"empty declared path{where}", "remove the empty entry from 'files:'")
    if "\0" in pattern:
        raise PatternError(
            f"declared path {shown}{where} contains a NUL byte", "remove the NUL byte from the path"
        )
    if pattern.startswith("!"):
        raise PatternError(
            f"declared path {shown}{where} is a negation; declarations cannot exclude paths",
            "list only the paths the task may change",
        )
    if pattern.startswith("/") or re.match(r"^[A-Za-z]:[\\/]", pattern):
        raise PatternError(
            f"declared path {shown}{where} is absolute",
            "write paths relative to the repository root, e.g. 'src/module.py'",
        )
    segments = pattern.rstrip("/").split("/")
    if ".." in segments:
        raise PatternError(
            f"declared path {shown}{where} escapes the repository with '..'",
            "write paths relative to the repository root, without '..'",
        )
    if "." in segments or "" in segments:
        raise PatternError(
            f"declared path {shown}{where} has an empty or '.' segment",
            "write the path in normal form, e.g. 'src/a.py' rather than './src//a.py'",
        )
    if segments[0] == ".git":
        raise PatternError(
            f"declared path {shown}{where} is inside .git",
            "declare files of the working tree, not git's own files",
        )
    if "\\" in pattern:
        # git's wildmatch and CODEOWNERS read `\\` as an escape; here nothing needs escaping
        # (`[`, `]` are literal), so a backslash is refused rather than silently matching nothing.
        unescaped = pattern.replace("\\", "")
        raise PatternError(
            f"declared path {shown}{where} contains a backslash; declared paths escape nothing",
            f"write the name as it is: {unescaped!r} ('[' and ']' are literal in declarations)",
        )
    return pattern


def is_literal(pattern: str) -> bool:
    return not (WILDCARDS & set(pattern))


def static_prefix(pattern: str) -> str:
    """The literal leading part every match starts with (for a literal pattern: itself)."""
    if is_literal(pattern):
        return pattern.rstrip("/")
    first_wildcard = min(pattern.index(char) for char in WILDCARDS if char in pattern)
    return pattern[: pattern.rfind("/", 0, first_wildcard) + 1]


def compile_regex(pattern: str) -> str:
    """A Python regex (for re.fullmatch) equivalent to the declared pattern."""
    below = pattern.endswith("/")
    body = pattern.rstrip("/") if below else pattern
    parts: list[str] = []
    segments = body.split("/")
    for number, segment in enumerate(segments):
        last = number == len(segments) - 1
        if segment == "**":
            parts.append(".+" if last else "(?:.*/)?")
            continue
        text = ""
        for chunk in re.split(r"(\*+|\?)", segment):
            if not chunk:
                continue
            if chunk.startswith("*"):
                text += "[^/]*"
            elif chunk == "?":
                text += "[^/]"
            else:
                text += re.escape(chunk)
        parts.append(text if last else text + "/")
    regex = "".join(parts)
    if below:
        return regex + "/.+"
    if is_literal(pattern):
        return regex + "(?:/.+)?"
    return regex
