"""Work started now and collected later, so a git process runs beside Python's own work.

`status` waits on git for a diff-tree of every branch and a merge-tree of the forecast while it
parses specs and judges branches; run one after the other, the two waits add up. The work runs
in a thread: a git process (through the one runner, `infra.git`) needs no GIL while it runs,
and `result()` hands back its value or raises its error in the caller, as a direct call would.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Generic, TypeVar

Value = TypeVar("Value")


class Pending(Generic[Value]):
    """`work()` running in its own thread from the moment this is made."""

    def __init__(self, work: Callable[[], Value]) -> None:
        self._work = work
        self._done: list[Value] = []
        self._failed: list[BaseException] = []
        # A daemon: a command that fails before collecting need not wait for git to finish.
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            self._done.append(self._work())
        except BaseException as error:  # handed to the caller of result(), as it would see it
            self._failed.append(error)

    def result(self) -> Value:
        """What `work()` returned, once it has; what it raised is raised here."""
        self._thread.join()
        if self._failed:
            raise self._failed[0]
        return self._done[0]


def start(work: Callable[[], Value]) -> Pending[Value]:
    return Pending(work)
