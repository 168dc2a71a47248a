"""The forecast's candidate pairs, found by path, are exactly the pairs a comparison of every
pair finds (both change a path, or one changes a path the other uses as a directory), in the
same order: `status` forecasts the same merges, only faster."""

from __future__ import annotations

from itertools import combinations

from hypothesis import given, settings
from hypothesis import strategies as st

from gitwt.services.merging.forecast import ChangeSet, overlapping_pairs

PATHS = st.sampled_from(["a", "a/b", "a/b/c", "a/c", "b", "b/a", "c/d/e", "c/d", "x.txt"])
SETS = st.lists(st.lists(PATHS, max_size=4).map(ChangeSet.of), max_size=12)


@settings(max_examples=300, deadline=None)
@given(SETS)
def test_the_pairs_are_every_pair_that_may_conflict(changes: list[ChangeSet]) -> None:
    expected = [
        (i, j) for i, j in combinations(range(len(changes)), 2)
        if changes[i].may_conflict(changes[j])
    ]  # fmt: skip
    assert overlapping_pairs(changes) == expected


def test_a_file_against_a_folder_of_the_same_name_is_a_pair() -> None:
    changes = [ChangeSet.of(["docs"]), ChangeSet.of(["src/x.py"]), ChangeSet.of(["docs/a.md"])]
    assert overlapping_pairs(changes) == [(0, 2)]
