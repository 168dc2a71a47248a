"""Hostile spec text cannot stall the readers: the work grows linearly with the input.

Work is counted, not timed: the Python lines the reading modules execute, plus every character
handed to a regular expression of those modules (the C part a line count cannot see; the
reader that stalled on `` `x`x`x… `` ran one search over the whole line for each token).
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FrameType, ModuleType
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import gitwt
from gitwt.core import (
    front_matter,
    legacy_specs,
    legacy_tokens,
    legacy_words,
    markdown_shapes,
    path_mentions,
    path_tokens,
    specs,
    tree_diagrams,
)

READERS: tuple[ModuleType, ...] = (
    legacy_specs,
    legacy_tokens,
    tree_diagrams,
    legacy_words,
    markdown_shapes,
    path_mentions,
    path_tokens,
    front_matter,
    specs,
)
PACKAGE = gitwt.__path__[0]


class CountingPattern:
    """A compiled pattern that adds the length of each string it is given to `counter`."""

    def __init__(self, pattern: re.Pattern[str], counter: list[int]) -> None:
        self.pattern = pattern
        self.counter = counter

    def __getattr__(self, name: str) -> Any:
        method = getattr(self.pattern, name)
        if not callable(method):
            return method

        def counted(*args: Any, **kwargs: Any) -> Any:
            texts = [arg for arg in args if isinstance(arg, str)]
            self.counter[0] += len(texts[-1]) if texts else 0
            return method(*args, **kwargs)

        return counted


@contextmanager
def counting(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[int]]:
    counter = [0]
    for module in READERS:
        for name, value in vars(module).items():
            if isinstance(value, re.Pattern):
                monkeypatch.setattr(module, name, CountingPattern(value, counter))

    def trace(frame: FrameType, event: str, arg: object) -> Callable[..., Any] | None:
        if not frame.f_code.co_filename.startswith(PACKAGE):
            return None
        if event == "line":
            counter[0] += 1
        return trace

    sys.settrace(trace)
    try:
        yield counter
    finally:
        sys.settrace(None)


def work(monkeypatch: pytest.MonkeyPatch, text: str) -> int:
    with monkeypatch.context() as patched, counting(patched) as counter:
        extraction = legacy_specs.read(text, "docs/SPEC-1-x.md")
        legacy_tokens.resolve(extraction.mentions, "docs/SPEC-1-x.md", INDEX, extraction.package)
    return counter[0]


INDEX = legacy_tokens.TrackedIndex.build(
    ["app/x.py", "app/llm/a.py", "docs/ROADMAP.md"],
    symlinks={"docs/ROADMAP.md": "roadmap/ROADMAP.md"},
    gitignore={".gitignore": "*.db\n"},
    repo_names=["project"],
)


def assert_linear(monkeypatch: pytest.MonkeyPatch, build: Callable[[int], str]) -> None:
    # Both sizes past the longest token read as a path (1,024 characters): a run of one
    # character is then one token too long in both, not a path in one and not in the other.
    small, large = work(monkeypatch, build(1500)), work(monkeypatch, build(6000))
    # Four times the input, about four times the work (and never the sixteen of a square).
    assert large <= 4.6 * small + 2000, (small, large)


def test_the_line_that_stalled_specs_is_read_in_linear_work(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert_linear(monkeypatch, lambda n: "**Files**: " + "`x" * n + "\n")
    # The same with each token different: nothing to remember, every one judged.
    assert_linear(monkeypatch, lambda n: "**Files**: " + "".join(f"`x{i}`x" for i in range(n)))


# Pieces whose repetition once made a reader go back over its line, or could.
UNITS = [
    "`x",
    "`x`",
    "**a*",
    "((",
    "(new ",
    "(in `a/b.py`) ",
    "<!--",
    "-->",
    " -x",
    " — ",
    "| file ",
    "|--",
    "# ",
    "  ",
    "├── a/",
    "](",
    "[a](",
    "{a,b}",
    "`a/{b,c}.py` ",
    "<x",
    "${",
    "YYYY",
    ": ",
    ". ",
    "`a/b.py` - ",
    "line 1 ",
    "SPEC-",
    "/home/u/project/",
    "`x%d` ",
    "a/b%d.py ",
]
LEADS = ["**Files**: ", "- ", "| ", "## ", "", "```\n", "## Files to Create\n- ", "1. **Do** "]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    lead=st.sampled_from(LEADS),
    unit=st.one_of(
        st.sampled_from(UNITS), st.text("`*()[]|-#<>{},/ xa.:\n", min_size=1, max_size=5)
    ),
    lines=st.booleans(),
)
def test_hostile_shapes_are_read_in_linear_work(lead: str, unit: str, lines: bool) -> None:
    def build(n: int) -> str:
        pieces = [unit.replace("%d", str(i)) for i in range(n)]
        return lead + ("\n" if lines else "").join(pieces) + "\n"

    with pytest.MonkeyPatch.context() as monkeypatch:
        assert_linear(monkeypatch, build)


def test_a_spec_naming_more_paths_than_the_limit_is_a_spec_problem() -> None:
    from gitwt.core.specs import SpecError, parse_spec

    body = "## Files to Create\n" + "".join(f"- `app/f{n}.py`\n" for n in range(6000))
    with pytest.raises(SpecError) as raised:
        parse_spec(body, "docs/SPEC-1-x.md", "1")
    error = raised.value
    assert (error.source, error.line) == ("docs/SPEC-1-x.md", legacy_specs.MAX_PATHS + 2)
    assert f"names more than {legacy_specs.MAX_PATHS} paths (the limit" in error.message
    assert error.hint


def test_past_the_report_limit_ignored_tokens_are_counted_not_listed() -> None:
    body = "**Files**: " + " ".join(f"`f{n}()`" for n in range(1500)) + " `app/x.py`\n"
    extraction = legacy_specs.read(body, "docs/SPEC-1-x.md")
    assert [mention.path for mention in extraction.mentions] == ["app/x.py"]
    assert len(extraction.ignored) == legacy_specs.MAX_REPORTED + 1
    assert extraction.ignored[-1].reason.startswith("and 500 more tokens like these")
