"""The plan's fast matchers give the answers of the simple ones they replace: every pattern's
regex over every path (match_files), and the all-pairs reading of independence."""

from __future__ import annotations

import re
from itertools import combinations

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from gitwt.core import patterns, separation
from gitwt.core.specs import Task

NAMES = ["a", "b", "x.py", "Makefile", "a.b", "[id]", "a-b"]
segment = st.one_of(
    st.sampled_from([*NAMES, "**", "*", "*.py", "a?", "?"]),
    st.text(st.sampled_from(["a", "b", "*", "?", ".", "-"]), min_size=1, max_size=3).filter(
        lambda text: text not in (".", "..")
    ),
)
pattern_strategy = st.builds(
    lambda parts, slash: "/".join(parts) + ("/" if slash else ""),
    st.lists(segment, min_size=1, max_size=4),
    st.booleans(),
)
path_strategy = st.lists(
    st.one_of(st.sampled_from(NAMES), st.text(st.sampled_from(["a", "b", ".", "-", "\n"]),
                                              min_size=1, max_size=2)).filter(
        lambda text: text not in (".", "..")
    ),
    min_size=1,
    max_size=4,
).map("/".join)  # fmt: skip


def simple_match(tasks: list[Task], paths: list[str]) -> dict[str, dict[str, list[str]]]:
    """The reference: each pattern's whole regex against each path."""
    result: dict[str, dict[str, list[str]]] = {}
    for task in tasks:
        matched: dict[str, list[str]] = {}
        for pattern in task.files:
            regex = re.compile(patterns.compile_regex(pattern), re.DOTALL)
            for path in paths:
                if regex.fullmatch(path):
                    matched.setdefault(path, []).append(pattern)
        result[task.id] = matched
    return result


@settings(max_examples=300, deadline=None)
@given(pattern_strategy)
def test_tail_regex_is_the_rest_of_the_whole_regex(pattern: str) -> None:
    prefix, _ = separation._tail_matcher(pattern)
    rest = pattern[len(prefix) :]
    assert re.escape(prefix) + patterns.compile_regex(rest) == patterns.compile_regex(pattern)


@settings(max_examples=200, deadline=None)
@example([["**/x.py", "a/**/Makefile"]], [f"a/{n}/Makefile" for n in range(70)])
@given(
    st.lists(st.lists(pattern_strategy, min_size=1, max_size=4), min_size=1, max_size=4),
    st.lists(path_strategy, min_size=60, max_size=160),
)
@pytest.mark.slow
def test_match_files_is_every_regex_over_every_path(
    declarations: list[list[str]], paths: list[str]
) -> None:
    tasks = [Task(id=str(n), title="t", owner=None, files=tuple(files))
             for n, files in enumerate(declarations, start=1)]  # fmt: skip
    sorted_paths = sorted({*paths, *NAMES})  # root-level names too, for `**/name`
    assert separation.match_files(tasks, sorted_paths) == simple_match(tasks, sorted_paths)


@settings(max_examples=200, deadline=None)
@given(
    st.integers(min_value=1, max_value=8),
    st.sets(st.tuples(st.integers(1, 8), st.integers(1, 8))),
    st.sets(st.tuples(st.integers(1, 8), st.integers(1, 8))),
)
def test_independent_pairs_are_the_all_pairs_reading(
    count: int, depends: set[tuple[int, int]], conflicting_numbers: set[tuple[int, int]]
) -> None:
    tasks = [
        Task(id=str(n), title="t", owner=None, files=("a",),
             depends_on=tuple(str(d) for task_n, d in depends if task_n == n and d != n))
        for n in range(1, count + 1)
    ]  # fmt: skip
    conflicting = {separation.pair(str(a), str(b)) for a, b in conflicting_numbers if a != b}
    ancestors = separation.ancestors(tasks)
    expected = [
        (task_a.id, task_b.id)
        for task_a, task_b in combinations(tasks, 2)
        if (task_a.id, task_b.id) not in conflicting
        and task_a.id not in ancestors[task_b.id]
        and task_b.id not in ancestors[task_a.id]
    ]
    assert separation._independent_pairs(tasks, conflicting, ancestors) == expected
