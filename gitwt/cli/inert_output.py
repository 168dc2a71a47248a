"""What the command line writes is inert on a terminal: control characters arrive escaped.

A spec's title, a plan's task text, a path or a branch can hold `ESC [ 2 J` (clear the screen),
`ESC ] 0 ; … BEL` (rename the window) or a bidirectional override; git shows such bytes quoted
and so does every report here. Rather than trust each of the report functions (and every one
written later) to escape each field, stdout and stderr get an output encoding that applies
`core.display.inert` to all text written through them: UTF-8 with every control character
escaped, newlines kept. Our own colours pass because `paint` writes them with a marker that
input cannot know (a random string made at start), which the encoding turns into ESC; an ESC
that came from input is escaped like any other control. JSON reports carry such characters as
JSON escapes (`report.dump_json`), and `logs` copies the task's own output as bytes, untouched.
"""

from __future__ import annotations

import codecs
import os
from typing import TextIO

from gitwt.core.display import inert

NAME = "gitwt_inert"
# Stands for ESC in what we write ourselves; private-use characters and 64 random bits, so no
# spec written before this process started can spell it. `os.urandom` is what `secrets` reads;
# importing `secrets` (hmac, hashlib, random) cost every command about 10 ms at start.
MARK = "\ue000" + os.urandom(8).hex() + "\ue001"


def _encode_text(text: str) -> str:
    if MARK not in text:
        return inert(text, lines=True)
    return "\x1b".join(inert(part, lines=True) for part in text.split(MARK))


def _encode(text: str, errors: str = "strict") -> tuple[bytes, int]:
    return _encode_text(text).encode("utf-8", errors), len(text)


class InertEncoder(codecs.IncrementalEncoder):
    def encode(self, text: str, final: bool = False) -> bytes:
        return _encode_text(text).encode("utf-8", self.errors)


def _search(name: str) -> codecs.CodecInfo | None:
    if name.replace("-", "_") != NAME:
        return None
    return codecs.CodecInfo(
        _encode,
        codecs.getdecoder("utf-8"),
        incrementalencoder=InertEncoder,
        incrementaldecoder=codecs.getincrementaldecoder("utf-8"),
        name=NAME,
    )


_registered: list[bool] = []


def install(*streams: TextIO) -> None:
    """Make what is written to each stream inert (a stream that cannot change is left as is)."""
    if not _registered:
        codecs.register(_search)
        _registered.append(True)
    for stream in streams:
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            stream.flush()
            reconfigure(encoding=NAME, errors="backslashreplace")


def escape_sequence(code: str) -> str:
    """`ESC [ code`, as our own output writes it (`31m`, `0m`, `H`, `2J`)."""
    return f"{MARK}[{code}"
