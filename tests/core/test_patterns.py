from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gitwt.core import pattern_overlap, patterns
from gitwt.core.patterns import PatternError


def matches(pattern: str, path: str) -> bool:
    return re.fullmatch(patterns.compile_regex(pattern), path, re.DOTALL) is not None


@pytest.mark.parametrize(
    ("pattern", "path", "expected"),
    [
        ("src/a.py", "src/a.py", True),
        ("src/a.py", "src/a.pyc", False),
        ("src/a.py", "other/src/a.py", False),  # anchored at the root
        ("src", "src/deep/file.py", True),  # a literal directory covers what is below it
        ("src/*.py", "src/a.py", True),
        ("src/*.py", "src/sub/a.py", False),  # '*' never crosses '/'
        ("src/?.py", "src/a.py", True),
        ("src/?.py", "src/ab.py", False),
        ("src/**", "src/a/b/c.py", True),
        ("src/**", "src", False),
        ("src/**/test_*.py", "src/test_a.py", True),
        ("src/**/test_*.py", "src/x/y/test_a.py", True),
        ("**/conftest.py", "conftest.py", True),
        ("**/conftest.py", "a/b/conftest.py", True),
        ("docs/", "docs/guide.md", True),
        ("docs/", "docs", False),
        ("app/[id].tsx", "app/[id].tsx", True),  # brackets are literal
        ("app/[id].tsx", "app/i.tsx", False),
        (".claude/skills/task-separator/SKILL.md", ".claude/skills/task-separator/SKILL.md", True),
        ("my dir/ünï code.txt", "my dir/ünï code.txt", True),
        ("-dash.txt", "-dash.txt", True),
        ("odd/*", "odd/line\nbreak.txt", True),  # a newline is an ordinary character
        ("odd/**", "odd/a/line\nbreak.txt", True),
    ],
)
def test_declared_pattern_semantics(pattern: str, path: str, expected: bool) -> None:
    assert matches(pattern, path) is expected


@pytest.mark.parametrize(
    ("pattern", "message"),
    [
        ("../outside.py", "escapes the repository"),
        ("src/../../x", "escapes the repository"),
        ("/etc/passwd", "is absolute"),
        ("C:\\x", "is absolute"),
        ("app/\\[id\\].tsx", "contains a backslash"),
        ("!src/a.py", "negation"),
        ("", "empty declared path"),
        ("   ", "empty declared path"),
        ("./src/a.py", "'.' segment"),
        ("src//a.py", "empty or '.' segment"),
        (".git/config", "inside .git"),
        (42, "is not a string"),
    ],
)
def test_invalid_declarations_are_input_errors(pattern: object, message: str) -> None:
    with pytest.raises(PatternError) as caught:
        patterns.validate(pattern, "docs/SPEC-1.md")
    assert message in caught.value.message
    assert caught.value.hint
    assert caught.value.exit_code == 2


def test_static_prefix() -> None:
    assert patterns.static_prefix("src/a/*.py") == "src/a/"
    assert patterns.static_prefix("src/a.py") == "src/a.py"
    assert patterns.static_prefix("src/") == "src"
    assert patterns.static_prefix("**/x.py") == ""
    assert patterns.static_prefix("sr*/x.py") == ""


@pytest.mark.parametrize(
    ("first", "second", "overlap"),
    [
        ("src/**", "src/new/*.py", True),
        ("src/a/*.py", "src/*.md", False),
        ("*.py", "src/*.py", False),
        ("**/x.py", "a/b/x.py", True),
        ("docs/", "docs/x/**/*.md", True),
        ("a/b", "a/b/c.py", True),
        ("a/b", "a/bc", False),
        ("src/*.py", "src/*.md", False),
        ("src/*_test.py", "src/test_*.py", True),
    ],
)
def test_overlap_between_patterns(first: str, second: str, overlap: bool) -> None:
    example = pattern_overlap.overlap_example(first, second)
    assert (example is not None) is overlap
    if example is not None:
        assert matches(first, example)
        assert matches(second, example)
    assert (pattern_overlap.overlap_example(second, first) is not None) is overlap


# --- properties ------------------------------------------------------------------------------

segment_chars = st.sampled_from(["a", "b", "*", "?", ".", "-"])
segment = st.one_of(
    st.just("**"),
    st.text(segment_chars, min_size=1, max_size=3).filter(lambda s: s not in (".", "..")),
)
pattern_strategy = st.builds(
    lambda parts, slash: "/".join(parts) + ("/" if slash else ""),
    st.lists(segment, min_size=1, max_size=3),
    st.booleans(),
)
path_strategy = st.lists(
    st.text(st.sampled_from(["a", "b", ".", "-", "\n"]), min_size=1, max_size=3).filter(
        lambda s: s not in (".", "..")
    ),
    min_size=1,
    max_size=4,
).map("/".join)


@settings(max_examples=400, deadline=None)
@given(pattern_strategy, pattern_strategy, path_strategy)
@pytest.mark.slow
def test_overlap_is_exact(first: str, second: str, path: str) -> None:
    """If any path matches both patterns, an overlap is found; any example found matches both."""
    example = pattern_overlap.overlap_example(first, second)
    if matches(first, path) and matches(second, path):
        assert example is not None
    if example is not None:
        assert matches(first, example) and matches(second, example)
