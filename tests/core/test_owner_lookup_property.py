"""One CODEOWNERS engine: the parsed map, the hook's compiled form (generated from it and read
back from JSON) and a brute-force reading of "the last matching line wins" name the same owner
for any rules and any path."""

from __future__ import annotations

import json
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gitwt.core.boundaries import Rules
from gitwt.core.ownership import parse

SEGMENTS = st.sampled_from(["src", "docs", "a", "b.py", "x.js", "[id].tsx", "logs", "a b", "ü"])
PATTERN_PIECES = st.sampled_from(
    ["src", "docs", "a", "*", "**", "*.js", "*.py", "b.py", "\\[id\\].tsx", "[id].tsx", "logs",
     "a?", "a\\ b"]
)  # fmt: skip


@st.composite
def patterns(draw: st.DrawFn) -> str:
    pieces = draw(st.lists(PATTERN_PIECES, min_size=1, max_size=3))
    text = "/".join(pieces)
    if draw(st.booleans()):
        text = "/" + text
    if draw(st.booleans()):
        text += "/"
    return text


@st.composite
def codeowners(draw: st.DrawFn) -> str:
    lines = []
    for pattern in draw(st.lists(patterns(), min_size=1, max_size=12)):
        owners = draw(st.lists(st.sampled_from(["@web", "@api", "ops@example.com"]), max_size=2))
        lines.append(" ".join([pattern, *owners]))
    return "\n".join(lines) + "\n"


paths = st.lists(SEGMENTS, min_size=1, max_size=4).map("/".join)


@settings(max_examples=300, deadline=None)
@given(codeowners(), st.lists(paths, min_size=1, max_size=20))
@pytest.mark.slow
def test_engine_compiled_form_and_last_match_agree(text: str, sample: list[str]) -> None:
    engine = parse(text, "CODEOWNERS")
    stored = json.loads(json.dumps(Rules("1", "@web", None, ownership=engine).to_json()))
    compiled = Rules.from_json(stored).ownership
    assert compiled is not None
    for path in sample:
        expected = None
        for rule in engine.rules:  # every line, in order: the last match wins
            if re.match(rule.regex, path, re.DOTALL):
                expected = rule
        found, hooked = engine.owners_of(path), compiled.owners_of(path)
        assert (found.rule.line if found.rule else None) == (expected.line if expected else None)
        assert found.owners == (expected.owners if expected else ())
        assert hooked.owners == found.owners
        assert (hooked.rule.line if hooked.rule else None) == (
            found.rule.line if found.rule else None
        )
