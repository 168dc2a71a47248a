"""Test-only crash points: GIT_PARALLEL_FAILPOINT=<name>[,<name>] kills the process with SIGKILL
at the first `hit(name)` it names; GIT_PARALLEL_FAILPOINT_RAISE=<name>[,<name>] raises
`InjectedFault` there instead, to prove that an unexpected exception is an internal error (exit 3,
traceback saved; gitwt.infra.crash), never a traceback on the terminal.

The fault suite (tests/test_faults.py) uses them to prove DESIGN §7: a crash at any step leaves a
state `status` explains and the next command can finish. Never set this variable outside tests.
Only the process that reads it crashes: shims and waiters are started without it
(`processes.child_environment`). With the variable unset a point costs one environ lookup.
"""

from __future__ import annotations

import os

VARIABLE = "GIT_PARALLEL_FAILPOINT"
RAISE_VARIABLE = "GIT_PARALLEL_FAILPOINT_RAISE"
VARIABLES = (VARIABLE, RAISE_VARIABLE)

# Every point, in the order a command passes them. Names are stable: tests and docs use them.
POINTS: tuple[str, ...] = (
    # start (lifecycle.start, then the scheduling step it runs: scheduler, worktrees.prepare_task)
    "start:validated",  # checks done under the lock, nothing written yet
    "start:queued",  # a task's queued record (and its event) written; no branch yet
    "start:guard-installed",  # the main-worktree guard installed
    "start:adds-done",  # every branch and locked worktree of the step made, maybe not checked out
    "start:worktree-added",  # branch and locked worktree made (one `git worktree add -b`)
    "start:sparse-set",  # --sparse: patterns set, worktree not populated yet
    "start:rules-saved",  # the compiled declaration and owner rules in the private git dir
    "start:hooks-installed",  # the worktree's hook shims installed
    "start:prepared",  # the record with base_oid written
    "start:shim-spawned",  # the shim runs, but the record does not name it yet
    "start:running",  # the record names the shim (or says open)
    # claim
    "claim:validated",  # no conflict, owner allows it; nothing written yet
    "claim:recorded",  # the claim is in the record and in events.jsonl
    "claim:rules-saved",  # the worktree's rules (and sparse patterns) refreshed
    # merge
    "merge:authority",  # the audit derives a task's authority (status too); nothing written
    "merge:candidate",  # a merge commit exists, no ref points at it
    "merge:before-publish",  # candidates chained and tested; base not moved yet
    "merge:after-publish",  # base moved; tasks not recorded merged yet
    "merge:recorded",  # a task recorded merged; its worktree and branch not removed yet
    # clean
    "clean:salvaged",  # --force: the salvage ref written, nothing removed yet
    "clean:worktree-removed",  # the worktree gone, the branch still there
    "clean:before-branch-delete",  # about to delete the branch
    "clean:branch-deleted",  # the branch deleted; the record not yet `cleaned`
    "clean:recorded",  # the record says `cleaned`
)


# Points that only raise: the commit hook and the server's check change no state, so a SIGKILL
# there proves nothing.
RAISE_ONLY_POINTS: tuple[str, ...] = ("hook:check", "server:check", "server:registry")


class InjectedFault(RuntimeError):
    """The exception a raising failpoint throws: a stand-in for any bug."""


def hit(name: str) -> None:
    wanted = os.environ.get(VARIABLE)
    if wanted and name in wanted.split(","):
        import signal  # imported only here: the commit hook passes a point too

        os.kill(os.getpid(), signal.SIGKILL)
    raising = os.environ.get(RAISE_VARIABLE)
    if raising and name in raising.split(","):
        raise InjectedFault(f"failpoint {name}")
