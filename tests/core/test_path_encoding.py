"""Paths that are not UTF-8: one encoding in state (gitwt.infra.state.dumps), one display form
(gitwt.core.display.quote_path), both lossless."""

from __future__ import annotations

import json
import os

import pytest

from gitwt.core.display import quote_path
from gitwt.infra.state import dumps

ODD_BYTES = [b"app/\xff\xfe.py", b"caf\xc3\xa9.py", b"a\x80b", b"plain.py", b"new\nline \x01"]


@pytest.mark.parametrize("raw", ODD_BYTES)
def test_a_path_survives_state_json_byte_for_byte(raw: bytes) -> None:
    path = os.fsdecode(raw)
    text = dumps({"paths": [path], "by_path": {path: 1}}, indent=2, sort_keys=True)
    text.encode("utf-8")  # writable as UTF-8, whatever the bytes were
    back = json.loads(text)
    assert os.fsencode(back["paths"][0]) == raw
    assert [os.fsencode(key) for key in back["by_path"]] == [raw]


def test_readable_text_stays_readable_in_state() -> None:
    assert dumps({"title": "café"}) == '{"title": "café"}'


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        (b"app/\xff\xfe.py", '"app/\\377\\376.py"'),
        (b"caf\xc3\xa9.py", "café.py"),
        (b'say "hi".txt', '"say \\"hi\\".txt"'),
        (b"back\\slash", '"back\\\\slash"'),
        (b"new\nline", '"new\\nline"'),
        (b"bell\x07", '"bell\\a"'),
        (b"del\x7f", '"del\\177"'),
        (b" lead", '" lead"'),
        (b"plain.py", "plain.py"),
    ],
)
def test_odd_paths_are_shown_on_one_line_the_way_git_quotes_them(raw: bytes, shown: str) -> None:
    assert quote_path(os.fsdecode(raw)) == shown
