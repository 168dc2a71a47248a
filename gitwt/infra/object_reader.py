"""One `git cat-file --batch` per command, asked for objects as often as the command needs.

Discovery reads the committed config through it, and `status` later reads every live task's
spec at base through the same process: a second `cat-file` would cost a process start. The
process ends when its stdin closes: `close()`, or the command's end.
"""

from __future__ import annotations

import select
import subprocess
from collections.abc import Sequence
from typing import IO

from gitwt.infra import background, git, git_output

Found = tuple[bytes, bytes] | None  # (type, contents); None: git has no object by that name


class ObjectReader:
    """The objects of the repository at `cwd`, by name (`<rev>`, `<rev>:<path>`)."""

    def __init__(self, cwd: str) -> None:
        self._cwd = cwd
        self._process: subprocess.Popen[bytes] | None = None

    def read(self, names: Sequence[str]) -> list[Found]:
        """Each name's object, in order; a name on more than one line is no name."""
        if not names:
            return []
        if self._process is None:
            self._process = git.start(["cat-file", "--batch"], self._cwd)
        process = self._process
        assert process.stdin is not None and process.stdout is not None
        one_line = [name if "\n" not in name else "-" for name in names]
        data = "".join(f"{name}\n" for name in one_line).encode("utf-8", "surrogateescape")
        if len(data) <= select.PIPE_BUF:  # the pipe is empty and takes it whole: no wait
            _write(process, data)
            return [_answer(process.stdout) for _ in names]
        # Written beside the reading: git answers as it reads, and a request larger than the
        # pipe would block both sides.
        writing = background.start(lambda: _write(process, data))
        found = [_answer(process.stdout) for _ in names]
        writing.result()
        return found

    def blobs(self, names: Sequence[str]) -> list[bytes | None]:
        """Each name's contents when it names a blob, else None."""
        return [entry[1] if entry and entry[0] == b"blob" else None for entry in self.read(names)]

    def close(self) -> None:
        if self._process is not None and self._process.stdin is not None:
            self._process.stdin.close()
            self._process.wait()
            self._process = None


def _write(process: subprocess.Popen[bytes], data: bytes) -> None:
    assert process.stdin is not None
    process.stdin.write(data)
    process.stdin.flush()


def _answer(stdout: IO[bytes]) -> Found:
    line = stdout.readline()
    header = git_output.batch_header(line[:-1]) if line.endswith(b"\n") else None
    contents = stdout.read(header[2] + 1) if header else b""  # the contents and a newline
    if not line.endswith(b"\n") or (header and len(contents) != header[2] + 1):
        raise git.GitError("git cat-file stopped answering", "run 'git fsck' to see why")
    return (header[1], contents[:-1]) if header else None
