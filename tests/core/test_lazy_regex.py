"""A pattern compiled on first use answers as `re.compile` would, and compiles once."""

from __future__ import annotations

import re

from gitwt.core import lazy_regex


def test_it_answers_as_the_compiled_pattern() -> None:
    lazy = lazy_regex.compile(r"^(?P<id>T\d+)\s+\[P\]", re.I)
    real = re.compile(r"^(?P<id>T\d+)\s+\[P\]", re.I)
    for text in ("T012 [P] write", "t7  [p]", "no", "T1[P]"):
        found, expected = lazy.match(text), real.match(text)
        assert (found and found.groupdict()) == (expected and expected.groupdict())
        assert lazy.sub("X", text) == real.sub("X", text)
        assert [m.span() for m in lazy.finditer(text)] == [m.span() for m in real.finditer(text)]
    assert lazy.pattern == real.pattern and lazy.flags == real.flags


def test_a_bad_pattern_fails_when_used_and_a_used_one_stays_compiled() -> None:
    broken = lazy_regex.compile(r"(unclosed")
    try:
        broken.search("x")
    except re.error:
        pass
    else:
        raise AssertionError("a bad pattern must fail when used")
    used = lazy_regex.compile(r"a+")
    assert used.search("baa") is not None
    assert "search" in vars(used), "the compiled method is kept: no second compile"
