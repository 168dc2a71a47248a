"""The stdlib reader of flat front matter gives exactly what PyYAML gives, or steps aside.

`core.flat_yaml` spares most commands importing PyYAML. Whatever it accepts must read as PyYAML
reads it (safe loader, and the base loader's every-scalar-as-written), values, their types and
the lines of keys and items alike; anything else, including what PyYAML refuses, it must decline
so that PyYAML (with its bounds and error messages) has the last word.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from types import FrameType
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gitwt.core import flat_yaml, front_matter
from gitwt.core.front_matter import FrontMatterError

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"

# Words and shapes where YAML 1.1 resolution, indicators or structure are decided.
TRICKY = [
    *("~", "null", "Null", "NULL", "nULL", "yes", "Yes", "no", "NO", "true", "False", "on"),
    *("Off", "y", "n", "0", "00", "010", "08", "09", "7", "12", "-1", "+1", "1.5", ".5"),
    *(
        ".inf",
        ".Inf",
        ".INF",
        ".nan",
        ".NaN",
        ".NAN",
        "-.inf",
        ".x",
        "..",
        ".",
        "~/x",
        "1e3",
        "1.0e+3",
        "0x1F",
        "0b11",
    ),
    *("0o7", "1_000", "2024-01-02", "2024-01-02T10:00:00Z", "1:20", "=", "<<", "a: b"),
    *("a:b", "a:", "a #b", "a # b", "a#", "[a]", "{a}", "x, y", "&a", "*a", "!x", "!!str x"),
    *("|", ">", "%x", "@x", "`x`", "-x", "- x", "-", "?x", "? x", ":x", "src/**/*.py"),
    *("it's", 'say "hi"', "a\\b", "é", "—x", "x]", "x}", "a [b]", "ls -la", "TODO: x"),
]
CHARACTERS = [
    *"abAZ09 ._-/:#'\"[]{},&*!|>%@`~=<+?\\\t\r",
    *("é", "—", "🚀", "\u0301", "\u2028", "\x85"),
]

names = st.from_regex(r"[A-Za-z_][A-Za-z0-9_-]{0,5}", fullmatch=True)
keys = st.one_of(
    st.sampled_from(["id", "title", "files", "owner", "depends_on", "a-b", "_x", "yes", "No"]),
    st.sampled_from(["null", "on", "x1", "1", "'id'", '"k"', "? k", "<<", "k k", " id"]),
    names,
)
readable = st.text(st.sampled_from(list("abz09 ./_-é")), min_size=1, max_size=8)
plain = st.one_of(
    st.sampled_from(TRICKY), readable, st.text(st.sampled_from(CHARACTERS), max_size=10)
)


def quoted(text: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.one_of(
        text.map(lambda text: "'" + text.replace("'", "''") + "'"),
        text.map(lambda text: '"' + text + '"'),
        text.map(lambda text: "'" + text),  # not closed on its line
    )


comment = st.sampled_from(["", "", " # note", "# x", "  #", " #: y"])


@st.composite
def values(draw: st.DrawFn, wild: bool) -> list[str]:
    """The text after `key:` on its line, and any lines that follow it. Not `wild`: mostly
    shapes the flat reader takes (so that its answers are compared often), tricky words kept."""
    words = plain if wild else st.one_of(readable, readable, st.sampled_from(TRICKY))
    scalar = st.one_of(words, quoted(words))
    form = draw(st.sampled_from(["scalar", "flow", "empty", "block"]))
    if form == "scalar":
        return [" " + draw(scalar) + draw(comment)]
    if form == "flow":
        items = draw(st.lists(scalar, max_size=4))
        space = draw(st.sampled_from(["", " ", "  "]))
        trailing = draw(st.sampled_from(["", "", "", ",", ", "]))
        return [f" [{space}{(',' + space).join(items)}{trailing}]{draw(comment)}"]
    lines = [draw(st.sampled_from(["", " ", " # c"]))]
    if form == "block":
        indent = " " * draw(st.integers(0, 3))
        between = [[], [], [""], ["  # between"], [" " + indent + "x"] if wild else []]
        for _ in range(draw(st.integers(1, 4))):
            lines.append(f"{indent}-{draw(st.sampled_from([' ', '  ', '']))}{draw(scalar)}")
            lines += draw(st.sampled_from(between))
    return lines


@st.composite
def documents(draw: st.DrawFn) -> str:
    wild = draw(st.booleans())
    lines: list[str] = []
    for _ in range(draw(st.integers(0, 5))):
        lines += draw(st.sampled_from([[], [], [""], ["# comment"], ["  # indented"]]))
        head, *rest = draw(values(wild))
        lines += [f"{draw(keys if wild else names)}:{head}", *rest]
        if wild and draw(st.integers(0, 4)) == 0:  # a line of anything
            lines.append(draw(st.text(st.sampled_from(CHARACTERS), max_size=12)))
    ending = draw(st.sampled_from(["\n", "\r\n", "\n", ""]))
    return ending.join(lines) + (ending if lines else "")


def _pyyaml(raw: str, strings: bool) -> tuple[object, dict[str, int], dict[str, list[int]]] | None:
    try:
        data, lines = front_matter.compose(raw, "spec.md", strings, offset=0)
    except FrontMatterError:
        return None
    return data, lines.keys, lines.items


def _agrees(raw: str, strings: bool) -> bool:
    """True when the flat reader read `raw` (and then as PyYAML does), False when it declined."""
    try:
        flat = flat_yaml.read(raw, strings)
    except ValueError:
        return False
    expected = _pyyaml(raw, strings)
    assert expected is not None, f"PyYAML refuses what the flat reader read: {raw!r}"
    # repr as well: 1 == True, and dicts compare without their order.
    assert (flat, repr(flat)) == (expected, repr(expected)), raw
    return True


@settings(max_examples=600, deadline=None)
@given(documents(), st.booleans())
def test_flat_documents_read_as_pyyaml_reads_them(raw: str, strings: bool) -> None:
    _agrees(raw, strings)


@settings(max_examples=300, deadline=None)
@given(st.text(st.sampled_from([*CHARACTERS, "\n", "\n", "-", " "]), max_size=40), st.booleans())
def test_any_text_reads_as_pyyaml_reads_it_or_is_declined(raw: str, strings: bool) -> None:
    _agrees(raw, strings)


@pytest.mark.parametrize("strings", [False, True])
def test_the_usual_front_matter_is_read_without_pyyaml(strings: bool) -> None:
    usual = [
        "id: 65\ntitle: Add the parser\nowner: team-a\nfiles:\n  - src/parser/**\n"
        "  - 'docs/parser.md'  # the guide\ndepends_on: [64, \"63\"]\n",
        "id: 001\ntitle: \"Fix: the 'quoted' title\"\nfiles:\n- .github/workflows/\n"
        "- src/a b.py\n\n# run as written\nrun: make test -j4\n",
        "",
        "# nothing declared yet\n",
    ]
    for raw in usual:
        assert _agrees(raw, strings), raw


def test_fixture_front_matter_reads_as_pyyaml_reads_it() -> None:
    read = 0
    for path in sorted(FIXTURES.rglob("*.md")):
        lines, closing = front_matter._block(path.read_text(encoding="utf-8"))
        if closing is not None:
            raw = "".join(lines[1:closing])
            read += _agrees(raw, False) + _agrees(raw, True)
    assert read > 0


@pytest.mark.parametrize("strings", [False, True])
@pytest.mark.parametrize("word", TRICKY)
def test_each_tricky_word_reads_as_pyyaml_reads_it(word: str, strings: bool) -> None:
    for raw in (
        f"k: {word}\n",
        f"k: {word} # c\n",
        f"k: [{word}]\n",
        f"k: [a, {word}, b]\n",
        f"k:\n  - {word}\n",
        f"k:\n- {word}\n",
        f"{word}: v\n",
        f"k: '{word}'\n",
    ):
        _agrees(raw, strings)


def _lines_run(raw: str) -> int:
    """The Python lines the flat reader executes on `raw` (work counted, never timed)."""
    count = [0]

    def trace(frame: FrameType, event: str, arg: object) -> Callable[..., Any] | None:
        if frame.f_code.co_filename != flat_yaml.__file__:
            return None
        if event == "line":
            count[0] += 1
        return trace

    sys.settrace(trace)
    try:
        flat_yaml.read(raw, False)
    except ValueError:
        pass
    finally:
        sys.settrace(None)
    return count[0]


@pytest.mark.parametrize(
    "build",
    [
        lambda n: "k: [" + "a," * n,
        lambda n: "k: [" + "'a', " * n + "a]",
        lambda n: "k: [" + "a, " * n + "'a'",
        lambda n: "k:\n" + "  - a\n" * n,
        lambda n: "k: '" + "''" * n,
        lambda n: "k: " + "a " * n + "#",
        lambda n: "".join(f"k{i}: v\n" for i in range(n)),
    ],
)
def test_hostile_flat_shapes_take_linear_work(build: Callable[[int], str]) -> None:
    small, large = _lines_run(build(2000)), _lines_run(build(8000))
    assert large <= 4.6 * small + 100, (small, large)
