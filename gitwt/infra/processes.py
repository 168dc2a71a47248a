"""The one way gitwt starts a process that outlives the command: `spawn_detached`.

The task runner, the queue waiter and the trash deleter are all started here: in a new session
(a terminal's Ctrl-C or hang-up never reaches them), stdin closed, no inherited descriptors,
and an environment without the variables that tie a process to the hook or test that started it.
"""

from __future__ import annotations

import os
import subprocess
import sys
from typing import IO

from gitwt.infra import failpoints

# The detached processes' command lines (DESIGN §8). They live in the CLI layer because an
# auto-merge prints its report as `merge` does; tests/infra hold that the module exists.
TASK_PROCESS_MODULE = "gitwt.cli.task_process"
TRASH_MODULE = "gitwt.services.merging.trash"
# Set by git for a hook, naming the repository and index being committed: a child that works
# in another folder (cwd=) must not inherit them and act on the wrong repository.
REPOSITORY_VARIABLES = ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_PREFIX")


def child_environment(extra: dict[str, str] | None = None) -> dict[str, str]:
    """This process's environment for a child, less what must not leak into it."""
    env = dict(os.environ)
    for name in REPOSITORY_VARIABLES:
        env.pop(name, None)
    for name in failpoints.VARIABLES:
        env.pop(name, None)  # a crash point is for the process a test started
    env.update(extra or {})
    return env


def spawn_detached(module: str, args: list[str], cwd: str, output: IO[bytes] | None = None) -> int:
    """Run `python -m module args...` detached, its output to `output` (else nowhere); its pid."""
    target = subprocess.DEVNULL if output is None else output
    child = subprocess.Popen(
        [sys.executable, "-m", module, *args],
        cwd=cwd,
        stdin=subprocess.DEVNULL,
        stdout=target,
        stderr=target,
        start_new_session=True,
        close_fds=True,
        env=child_environment(),
    )
    return child.pid
