"""core.shell_words splits as /bin/sh does (held against the real shell), without expanding."""

from __future__ import annotations

import subprocess

import pytest

from gitwt.core.shell_words import ShellWordsError, split

LINES = [
    'sh -c "for f in a b; do echo \\$f; done"',
    'a \'b  c\' "d\\" e" f\\ g',
    "x \"\" y ''",
    "one\\\ntwo",
    '"a\\\nb" "\\n" "\\\\" "\\`"',
    "tab\there  'it''s' \"mixed\"'quotes'",
    "back\\\\slash 'single \\ kept'",
]


@pytest.mark.parametrize("line", LINES)
def test_words_are_the_shells(line: str) -> None:
    # printf prints each word the shell made; set -f and no unquoted $ or glob: nothing expands.
    shell = subprocess.run(
        ["sh", "-c", f"set -f; printf '%s\\0' {line}"], capture_output=True, check=True
    )
    assert split(line) == shell.stdout.decode().split("\0")[:-1]


@pytest.mark.parametrize("line", ["'open", '"open', "end\\"])
def test_an_unclosed_quote_is_an_error(line: str) -> None:
    with pytest.raises(ShellWordsError):
        split(line)
