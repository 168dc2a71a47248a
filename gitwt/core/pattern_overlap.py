"""Overlap between two declared-path patterns: the shortest path both match, or None.

Each pattern (gitwt.core.patterns for its semantics) becomes a small NFA; two patterns overlap
when the product of their NFAs reaches acceptance. Pure: no I/O.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from gitwt.core.patterns import is_literal, static_prefix

# --- the NFA of one pattern ------------------------------------------------------------------
#
# A pattern becomes a small NFA over three kinds of character classes: one literal character,
# any character but '/', and any character. The overlap search walks two of them at once.

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
            state = _add_double_star(nfa, state, last)
            continue
        state = _add_segment(nfa, state, segment)
        if not last:
            nxt = nfa.new_state()
            nfa.edge(state, LITERAL, nxt, "/")
            state = nxt
    _add_ending(nfa, state, below, is_literal(pattern))
    return nfa


def _add_double_star(nfa: _Nfa, state: int, last: bool) -> int:
    """The edges of a whole `**` segment from `state`; returns the state after it."""
    if last:
        # 'a/**' matches anything below 'a/' (the '/' was emitted by the previous segment)
        loop = nfa.new_state()
        nfa.edge(state, ANY, loop)
        nfa.edge(loop, ANY, loop)
        return loop
    # '**/' is zero or more whole directories
    after = nfa.new_state()
    loop = nfa.new_state()
    nfa.edge(state, None, after)
    nfa.edge(state, None, loop)
    nfa.edge(loop, ANY, loop)
    nfa.edge(loop, LITERAL, after, "/")
    return after


def _add_segment(nfa: _Nfa, state: int, segment: str) -> int:
    """The edges of one segment other than `**` from `state`; returns the state after it."""
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
    return state


def _add_ending(nfa: _Nfa, state: int, below: bool, literal: bool) -> None:
    """Accept at `state`, or (trailing '/' or literal pattern) below it, or both (literal)."""
    if below or literal:
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


class _Automaton:
    """A pattern's NFA with memoised subset steps, shared by every overlap check of the pattern.

    `plan` compares a root-level pattern such as `**/name` with thousands of others; building its
    NFA and recomputing the same closures for each comparison dominated the run time.
    """

    def __init__(self, pattern: str) -> None:
        self.nfa = _build(pattern)
        self.accept = frozenset(self.nfa.accept)
        self.start = _closure(self.nfa, [0])
        self._moves: dict[frozenset[int], list[tuple[str, str, frozenset[int]]]] = {}
        self._closures: dict[frozenset[int], frozenset[int]] = {}
        self._suffixes: dict[frozenset[int], str | None] = {}
        self._steps: dict[tuple[frozenset[int], str], frozenset[int]] = {}

    def moves(self, states: frozenset[int]) -> list[tuple[str, str, frozenset[int]]]:
        """The non-epsilon edges leaving `states`, grouped by character class."""
        found = self._moves.get(states)
        if found is None:
            grouped: dict[tuple[str, str], set[int]] = {}
            for state in states:
                for kind, char, target in self.nfa.edges[state]:
                    if kind is not None:
                        grouped.setdefault((kind, char), set()).add(target)
            found = [(kind, char, frozenset(targets)) for (kind, char), targets in grouped.items()]
            self._moves[states] = found
        return found

    def closure(self, targets: frozenset[int]) -> frozenset[int]:
        found = self._closures.get(targets)
        if found is None:
            found = self._closures[targets] = _closure(self.nfa, targets)
        return found

    def step(self, states: frozenset[int], char: str) -> frozenset[int]:
        """The states after reading one concrete character (empty: no match possible)."""
        key = (states, char)
        result = self._steps.get(key)
        if result is None:
            targets: set[int] = set()
            for kind, edge_char, found in self.moves(states):
                if kind == ANY or (kind == NON_SLASH and char != "/") or edge_char == char:
                    targets.update(found)
            result = self.closure(frozenset(targets)) if targets else frozenset()
            self._steps[key] = result
        return result

    def suffix_after(self, states: frozenset[int]) -> str | None:
        """The first non-empty string, in `overlap_example`'s search order, that takes `states`
        to acceptance when the other pattern accepts any non-empty rest: None if there is none.
        """
        if states in self._suffixes:
            return self._suffixes[states]
        root = (states, False)
        parents: dict[tuple[frozenset[int], bool], tuple[object, str]] = {root: (None, "")}
        queue = deque([root])
        found: str | None = None
        while queue:
            current = queue.popleft()
            current_states, stepped = current
            if stepped and not self.accept.isdisjoint(current_states):
                found = _walked_to(parents, current)
                break
            moves: dict[str, set[int]] = {}
            for kind, char, targets in self.moves(current_states):
                # _meet with the other side's any-character edge
                moves.setdefault(char if kind == LITERAL else "x", set()).update(targets)
            for char, reached in sorted(moves.items()):
                nxt = (self.closure(frozenset(reached)), True)
                if nxt not in parents:
                    parents[nxt] = (current, char)
                    queue.append(nxt)
        self._suffixes[states] = found
        return found


@lru_cache(maxsize=8192)
def _automaton(pattern: str) -> _Automaton:
    return _Automaton(pattern)


def _fixed_form(pattern: str) -> tuple[str, bool] | None:
    """(W, matches_W) for a pattern that matches W/<anything> and, when matches_W, W itself.

    Literal paths (with or without a trailing '/') and `<literal>/**` have this form: their NFA
    is a chain of literal characters followed by "'/' then anything". Else None.
    """
    if is_literal(pattern):
        return pattern.rstrip("/"), not pattern.endswith("/")
    head = pattern[:-3]
    if pattern.endswith("/**") and head and is_literal(head) and not head.endswith("/"):
        return head, False
    return None


def _overlap_fixed(automaton: _Automaton, fixed: str, matches_fixed: bool) -> str | None:
    """overlap_example(pattern, other) when `other` has the fixed form (fixed, matches_fixed).

    The product search then has one path while reading `fixed`, so it is a plain simulation of
    the pattern; after 'fixed/' the other side accepts anything, and the rest of the search
    depends only on the pattern's states, so it is memoised on the pattern's automaton.
    """
    states = automaton.start
    for char in fixed:
        states = automaton.step(states, char)
        if not states:
            return None
    if matches_fixed and not automaton.accept.isdisjoint(states):
        return fixed
    states = automaton.step(states, "/")
    if not states:
        return None
    suffix = automaton.suffix_after(states)
    return None if suffix is None else f"{fixed}/{suffix}"


def overlap_example(first: str, second: str) -> str | None:
    """The shortest path both patterns match, or None when no path can match both."""
    # The product search is symmetric in its two patterns, so either may take a fast path.
    fixed = _fixed_form(second)
    if fixed is not None:
        return _overlap_fixed(_automaton(first), *fixed)
    fixed = _fixed_form(first)
    if fixed is not None:
        return _overlap_fixed(_automaton(second), *fixed)
    # While one pattern reads its static prefix the search has a single path: simulate the other
    # pattern over it, then search from there with the rest (shared by many patterns: '*.py').
    prefix_first, prefix_second = static_prefix(first), static_prefix(second)
    if len(prefix_second) >= len(prefix_first):
        chained, other, prefix = second, first, prefix_second
    else:
        chained, other, prefix = first, second, prefix_first
    automaton = _automaton(other)
    states = automaton.start
    for char in prefix:
        states = automaton.step(states, char)
        if not states:
            return None
    suffix = _product_search(other, states, chained[len(prefix) :])
    return None if suffix is None else prefix + suffix


@lru_cache(maxsize=65536)
def _product_search(first: str, start_first: frozenset[int], second: str) -> str | None:
    """Breadth-first search of both NFAs at once, from `start_first` and `second`'s start."""
    automaton_a, automaton_b = _automaton(first), _automaton(second)
    accept_a, accept_b = automaton_a.accept, automaton_b.accept
    start = (start_first, automaton_b.start)
    parents: dict[tuple[frozenset[int], frozenset[int]], tuple[object, str]] = {start: (None, "")}
    queue = deque([start])
    while queue:
        current = queue.popleft()
        states_a, states_b = current
        if not accept_a.isdisjoint(states_a) and not accept_b.isdisjoint(states_b):
            return _walked_to(parents, current)
        moves: dict[str, tuple[set[int], set[int]]] = {}
        edges_b = automaton_b.moves(states_b)
        for kind_a, char_a, targets_a in automaton_a.moves(states_a):
            for kind_b, char_b, targets_b in edges_b:
                met = _meet(kind_a, char_a, kind_b, char_b)
                if met is None:
                    continue
                found = moves.get(met)
                if found is None:
                    moves[met] = (set(targets_a), set(targets_b))
                else:
                    found[0].update(targets_a)
                    found[1].update(targets_b)
        for char, (reached_a, reached_b) in sorted(moves.items()):
            # A generic character stands for any non-slash one, so it must also satisfy the
            # non-slash edges of literal-only states; collecting per concrete char keeps it exact.
            nxt = (
                automaton_a.closure(frozenset(reached_a)),
                automaton_b.closure(frozenset(reached_b)),
            )
            if nxt not in parents:
                parents[nxt] = (current, char)
                queue.append(nxt)
    return None


def _walked_to(parents: Mapping[Any, tuple[object, str]], node: object) -> str:
    """The characters of the breadth-first walk from its start to `node`: a witness path."""
    path: list[str] = []
    while node is not None:
        parent, char = parents[node]
        path.append(char)
        node = parent
    return "".join(reversed(path))
