"""Lone surrogates (bytes of a path that are not UTF-8) reach the terminal in octal, as git
shows them; the table that escapes them fills in as they are met."""

from __future__ import annotations

from gitwt.core.display import inert


def test_undecodable_bytes_and_surrogates_are_shown_in_octal() -> None:
    assert inert("app/\udcff\udc80.py") == "app/\\377\\200.py"
    assert inert("x\ud800y", lines=True) == "x\\355\\240\\200y"
    assert inert("a\udcfe\nb\u202e", lines=True) == "a\\376\nb\\342\\200\\256"
    assert inert("a\nb") == "a\\nb"
    assert inert("plain é") == "plain é"
