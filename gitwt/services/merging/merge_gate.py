"""The test gate of a merge: run the test command on a candidate in a scratch worktree."""

from __future__ import annotations

import os
import shlex
import subprocess
from collections.abc import Sequence

from gitwt.infra import git, state
from gitwt.services.context import Context
from gitwt.services.trust import command_argv


def _scratch(context: Context, candidate: str) -> str:
    """A worktree reused for every test run, checked out (detached) at the candidate."""
    path = os.path.join(state.state_dir(context.repo.common_dir), "scratch")
    cwd = context.repo.toplevel
    if os.path.isdir(os.path.join(path, ".git")) or os.path.isfile(os.path.join(path, ".git")):
        git.run(["checkout", "--quiet", "--detach", "--force", candidate], path)
        git.run(["clean", "-ffdxq"], path)
    else:
        git.run(["worktree", "prune"], cwd)
        git.run(
            [
                "worktree",
                "add",
                "--quiet",
                "--detach",
                "--force",
                "--lock",
                "--reason",
                "git parallel merge test gate",
                path,
                candidate,
            ],
            cwd,
        )
    return path


def run_tests(
    context: Context, task_id: str, candidate: str, command: str | Sequence[str]
) -> tuple[int, str]:
    path = _scratch(context, candidate)
    log = os.path.join(state.state_dir(context.repo.common_dir), "logs", f"{task_id}.test.log")
    from gitwt.infra.processes import child_environment

    env = child_environment()
    with open(log, "wb") as handle:
        handle.write(f"$ {shlex.join(command_argv(command))}   # on {candidate}\n".encode())
        handle.flush()
        try:
            code = subprocess.run(
                command_argv(command),
                cwd=path,
                stdout=handle,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env=env,
                check=False,
            ).returncode
        except OSError as exc:
            handle.write(f"cannot run the test command: {exc}\n".encode())
            code = 127
    return code, log


# --- publishing ------------------------------------------------------------------------------
