"""Test-only crash points: GIT_PARALLEL_FAILPOINT=<name> kills the process with SIGKILL there.

The fault suite uses them to prove that a crash at any step leaves a state `status` explains and
the next command can finish. Never set this variable outside tests.
"""

from __future__ import annotations

import os
import signal

VARIABLE = "GIT_PARALLEL_FAILPOINT"


def hit(name: str) -> None:
    wanted = os.environ.get(VARIABLE)
    if wanted and name in wanted.split(","):
        os.kill(os.getpid(), signal.SIGKILL)
