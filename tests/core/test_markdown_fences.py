"""Fenced code blocks: one rule (`core.markdown_shapes.fence_after`, CommonMark's) for every
reader that skips them: the plan readers' `scan`, the roadmap and its done marks, legacy specs."""

from __future__ import annotations

import pytest

from gitwt.core import plan_done
from gitwt.core.formats.markdown_lines import scan
from gitwt.core.formats.roadmap import outside_fences

CASES = {
    # A closing fence is the same character, at least as long: a shorter one is code.
    "shorter": ("````\n- [ ] a\n```\n- [ ] b\n````\n- [ ] c\n", [6]),
    "longer closes": ("```\n- [ ] a\n`````\n- [ ] b\n", [4]),
    # The other character does not close a block.
    "other char": ("~~~\n- [ ] a\n```\n- [ ] b\n~~~\n- [ ] c\n", [6]),
    # A closing fence takes no info string: '```python' inside a block is a line of code.
    "info string": ("```\n- [ ] a\n```python\n- [ ] b\n```\n- [ ] c\n", [6]),
    # Up to three spaces of indentation; four make it no fence.
    "indented": ("   ```\n- [ ] a\n   ```\n    ```\n- [ ] b\n", [5]),
    # A backtick fence's info string holds no backtick: this line opens nothing.
    "backtick info": ("``` a ` b\n- [ ] a\n", [2]),
    # An unclosed block runs to the end.
    "unclosed": ("- [ ] a\n~~~\n- [ ] b\n", [1]),
}


@pytest.mark.parametrize(("text", "outside"), CASES.values(), ids=CASES.keys())
def test_every_reader_sees_the_same_fenced_lines(text: str, outside: list[int]) -> None:
    assert [n for n, line in outside_fences(text) if "[ ]" in line] == outside
    assert [line.number for line in scan(text) if not line.fenced and "[ ]" in line.text] == outside
    assert plan_done._box_lines(text) == outside  # the boxes `merge` may tick as done
