"""No input makes the legacy reader declare a pattern that is not a valid declared pattern."""

from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gitwt.core import legacy_specs, legacy_tokens, patterns
from gitwt.core.specs import parse_spec
from gitwt.errors import GitParallelError

FUZZ = settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Characters that make paths, placeholders, calls, URLs, line suffixes and Markdown.
PATHISH = st.text(alphabet="ab/._-*?:#L0123456789<>{}()[]~ \\`!@$%|&=,;\t→", max_size=30)
LINES = st.one_of(
    PATHISH,
    st.text(max_size=40),
    st.sampled_from(
        [
            "## Files to Modify",
            "## Files to Create/Modify",
            "## Risks",
            "## Existing Infrastructure",
            "**Files**:",
            "**File**: ",
            "**Location**: ",
            "**Files to Create**:",
            "**New Test**: ",
            "**Dependencies**: SPEC-1, US-2",
            "**Owner**: @x",
            "| File | Change |",
            "|------|--------|",
            "```",
            "<!--",
            "-->",
            "- Create: ",
            "- Modify: ",
            "1. ",
            "   - ",
            "(NEW)",
            "(no changes needed)",
            "",
        ]
    ),
)


def valid(pattern: str) -> bool:
    assert patterns.validate(pattern) == pattern
    re.compile(patterns.compile_regex(pattern))
    return True


@FUZZ
@given(PATHISH)
def test_a_token_is_a_valid_pattern_or_has_a_reason(token: str) -> None:
    classified = legacy_tokens.classify(token)
    if classified.path is None:
        assert classified.reason
    else:
        assert valid(classified.path)


@FUZZ
@given(
    st.lists(st.tuples(LINES, st.one_of(st.just(""), PATHISH)), max_size=25),
    st.lists(st.sampled_from(["app/a.py", "a.py", "b/a.py", "x/[id].tsx", "d/e/"]), max_size=5),
)
@pytest.mark.slow
def test_the_reader_declares_only_valid_patterns(
    pieces: list[tuple[str, str]], tracked: list[str]
) -> None:
    body = "\n".join(f"{line}`{token}`" if token else line for line, token in pieces)
    index = legacy_tokens.TrackedIndex.build(tracked)
    extraction = legacy_specs.read(body, "docs/SPEC-1-x.md")
    origins, _ = legacy_tokens.resolve(extraction.mentions, "docs/SPEC-1-x.md", index)
    for origin in origins:
        assert valid(origin.pattern)
        assert 1 <= origin.line <= body.count("\n") + 1
    try:
        parsed = parse_spec(body, "docs/SPEC-1-x.md", "1", index=lambda: index)
    except GitParallelError as error:
        assert error.hint and "\n" not in error.render().splitlines()[0]
    else:
        assert parsed.task.files and all(valid(pattern) for pattern in parsed.task.files)
