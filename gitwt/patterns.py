"""Declared-path patterns: validation, compilation to regexes, and overlap between two patterns.

Semantics (DESIGN §2): anchored at the repository root; `*` and `?` never cross `/`; `**` as a
whole segment crosses any depth; a trailing `/` means everything below; no negation. `[` and `]`
are literal, as in CODEOWNERS, because bracketed file names (`app/[id].tsx`) are common and a
character class in a declaration would be a surprise. A pattern with no wildcard names a file or
a directory, like a git pathspec: it matches the path itself and everything below it.

Pure: no I/O. The compiled regexes are stored as JSON so the commit hook needs only `re`.
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass

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
    return pattern


def is_literal(pattern: str) -> bool:
    return not (WILDCARDS & set(pattern))


def static_prefix(pattern: str) -> str:
    """The literal leading part every match starts with (for a literal pattern: itself)."""
    if is_literal(pattern):
        return pattern.rstrip("/")
    first_wildcard = min(pattern.index(char) for char in WILDCARDS if char in pattern)
    return pattern[: pattern.rfind("/", 0, first_wildcard) + 1]


# --- one token model serves both the regex and the overlap check ----------------------------
#
# A pattern becomes a small NFA over three kinds of character classes: one literal character,
# any character but '/', and any character. Compiling to a regex and intersecting two patterns
# both walk that NFA, so they cannot disagree.

LITERAL, NON_SLASH, ANY = "lit", "non_slash", "any"


@dataclass
class _Nfa:
    # edges[state] = list of (kind, char, target); kind None is an epsilon edge
    edges: list[list[tuple[str | None, str, int]]]
    accept: set[int]

    def new_state(self) -> int:
        self.edges.append([])
        return len(self.edges) - 1

    def edge(self, source: int, kind: str | None, target: int, char: str = "") -> None:
        self.edges[source].append((kind, char, target))


def _build(pattern: str) -> _Nfa:
    nfa = _Nfa(edges=[[]], accept=set())
    state = 0
    below = pattern.endswith("/")
    body = pattern.rstrip("/") if below else pattern
    segments = body.split("/")
    for number, segment in enumerate(segments):
        last = number == len(segments) - 1
        if segment == "**":
            if last:
                # 'a/**' matches anything below 'a/' (the '/' was emitted by the previous segment)
                loop = nfa.new_state()
                nfa.edge(state, ANY, loop)
                nfa.edge(loop, ANY, loop)
                state = loop
            else:
                # '**/' is zero or more whole directories
                after = nfa.new_state()
                loop = nfa.new_state()
                nfa.edge(state, None, after)
                nfa.edge(state, None, loop)
                nfa.edge(loop, ANY, loop)
                nfa.edge(loop, LITERAL, after, "/")
                state = after
            continue
        index = 0
        while index < len(segment):
            char = segment[index]
            if char == "*":
                while index + 1 < len(segment) and segment[index + 1] == "*":
                    index += 1  # '**' inside a segment is a plain '*'
                star = nfa.new_state()
                nfa.edge(state, None, star)
                nfa.edge(star, NON_SLASH, star)
                state = star
            elif char == "?":
                nxt = nfa.new_state()
                nfa.edge(state, NON_SLASH, nxt)
                state = nxt
            else:
                nxt = nfa.new_state()
                nfa.edge(state, LITERAL, nxt, char)
                state = nxt
            index += 1
        if not last:
            nxt = nfa.new_state()
            nfa.edge(state, LITERAL, nxt, "/")
            state = nxt
    if below or is_literal(pattern):
        # everything below: '/' then at least one more character
        if not below:
            nfa.accept.add(state)
        slash = nfa.new_state()
        rest = nfa.new_state()
        nfa.edge(state, LITERAL, slash, "/")
        nfa.edge(slash, ANY, rest)
        nfa.edge(rest, ANY, rest)
        nfa.accept.add(rest)
    else:
        nfa.accept.add(state)
    return nfa


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


def _closure(nfa: _Nfa, states: Iterable[int]) -> frozenset[int]:
    seen = set(states)
    stack = list(seen)
    while stack:
        for kind, _, target in nfa.edges[stack.pop()]:
            if kind is None and target not in seen:
                seen.add(target)
                stack.append(target)
    return frozenset(seen)


def _meet(kind_a: str, char_a: str, kind_b: str, char_b: str) -> str | None:
    """A character both classes accept, or None."""
    if kind_a == LITERAL and kind_b == LITERAL:
        return char_a if char_a == char_b else None
    if kind_a == LITERAL:
        return None if (kind_b == NON_SLASH and char_a == "/") else char_a
    if kind_b == LITERAL:
        return None if (kind_a == NON_SLASH and char_b == "/") else char_b
    return "x"


def overlap_example(first: str, second: str) -> str | None:
    """The shortest path both patterns match, or None when no path can match both."""
    nfa_a, nfa_b = _build(first), _build(second)
    start = (_closure(nfa_a, [0]), _closure(nfa_b, [0]))
    parents: dict[tuple[frozenset[int], frozenset[int]], tuple[object, str]] = {start: (None, "")}
    queue = deque([start])
    while queue:
        current = queue.popleft()
        states_a, states_b = current
        if states_a & nfa_a.accept and states_b & nfa_b.accept:
            path: list[str] = []
            node: object = current
            while node is not None:
                parent, char = parents[node]  # type: ignore[index]
                path.append(char)
                node = parent
            return "".join(reversed(path))
        moves: dict[str, tuple[set[int], set[int]]] = {}
        for state_a in states_a:
            for kind_a, char_a, target_a in nfa_a.edges[state_a]:
                if kind_a is None:
                    continue
                for state_b in states_b:
                    for kind_b, char_b, target_b in nfa_b.edges[state_b]:
                        if kind_b is None:
                            continue
                        char = _meet(kind_a, char_a, kind_b, char_b)
                        if char is None:
                            continue
                        targets = moves.setdefault(char, (set(), set()))
                        targets[0].add(target_a)
                        targets[1].add(target_b)
        for char, (targets_a, targets_b) in sorted(moves.items()):
            # A generic character stands for any non-slash one, so it must also satisfy the
            # non-slash edges of literal-only states; collecting per concrete char keeps it exact.
            nxt = (_closure(nfa_a, targets_a), _closure(nfa_b, targets_b))
            if nxt not in parents:
                parents[nxt] = (current, char)
                queue.append(nxt)
    return None
