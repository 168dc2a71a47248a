"""The plans' order rule in linear time gives the same direct waits as the quadratic reading."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from gitwt.core.formats import ordering

ITEMS = st.lists(st.tuples(st.booleans(), st.sampled_from("ab")), max_size=40)


@given(ITEMS)
def test_direct_waits_is_the_transitive_reduction_of_the_rule(
    items: list[tuple[bool, str]],
) -> None:
    def lifted(j: int, i: int) -> bool:  # spec-kit: [P] peers of one subsection
        return items[i][0] and items[j][0] and items[i][1] == items[j][1]

    slow = ordering.direct_predecessors(ordering.earlier(len(items), lifted))
    assert ordering.direct_waits(len(items), lifted) == slow


def test_pairs_are_unordered_and_distinct() -> None:
    assert ordering.pairs(["a", "b", "a", "c"]) == [("a", "b"), ("a", "c"), ("b", "c")]
