"""Split a command line into words as a POSIX shell does, with no expansion. Pure.

`shlex.split` keeps the backslash of `\\$` and `` \\` `` inside double quotes, where a POSIX shell
removes it (Shell Command Language §2.2.3), so `--run 'sh -c "echo \\$f"'` reached `sh` as
`echo \\$f` and printed `$f`. Here the quoting rules are the shell's: a backslash outside quotes
keeps the next character (a backslash-newline is removed), single quotes keep everything, and
inside double quotes a backslash escapes only `$`, `` ` ``, `"`, `\\` and a newline. Nothing is
expanded: no variables, globs, `~`, pipes or `&&`; a command that needs them is written
`sh -c '…'`, as for git's `!` aliases.
"""

from __future__ import annotations

_DOUBLE_QUOTE_ESCAPES = '$`"\\\n'
_BLANKS = " \t\n"


class ShellWordsError(ValueError):
    """An unterminated quote, or a backslash at the very end."""


def split(line: str) -> list[str]:
    words: list[str] = []
    word: list[str] = []
    started = False  # '' is a word: quotes start one even when nothing is inside
    index = 0
    while index < len(line):
        char = line[index]
        if char in _BLANKS:
            if started:
                words.append("".join(word))
                word, started = [], False
            index += 1
        elif char == "\\":
            if index + 1 >= len(line):
                raise ShellWordsError("a backslash ends the command")
            if line[index + 1] != "\n":  # a backslash-newline joins two lines
                word.append(line[index + 1])
                started = True
            index += 2
        elif char == "'":
            end = line.find("'", index + 1)
            if end < 0:
                raise ShellWordsError("a single quote is not closed")
            word.append(line[index + 1 : end])
            started, index = True, end + 1
        elif char == '"':
            index = _double_quoted(line, index + 1, word)
            started = True
        else:
            word.append(char)
            started, index = True, index + 1
    if started:
        words.append("".join(word))
    return words


def _double_quoted(line: str, index: int, word: list[str]) -> int:
    """Read up to the closing '"'; the index after it."""
    while index < len(line):
        char = line[index]
        if char == '"':
            return index + 1
        if char == "\\" and index + 1 < len(line) and line[index + 1] in _DOUBLE_QUOTE_ESCAPES:
            if line[index + 1] != "\n":
                word.append(line[index + 1])
            index += 2
            continue
        word.append(char)
        index += 1
    raise ShellWordsError("a double quote is not closed")
