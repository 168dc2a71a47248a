"""The typed task record (DESIGN §4): what `parallel/tasks/<id>.json` holds, key by key.

Read by `infra.records.read_task`/`all_tasks` and written by `infra.state.write_task` alone; every
other module sees this type, so `mypy --strict` checks each key it reads or writes. `schema` is
the record's version (`infra.state.SCHEMA_VERSION`). Keys are optional (`total=False`): records
written by older versions lack the newer ones, and readers use `.get` for those.
"""

from __future__ import annotations

from typing import TypedDict


class ProcessIdentity(TypedDict):
    """A process as `status` trusts it: alive with this create_time, or it is not that one."""

    pid: int
    create_time: float


class Claim(TypedDict, total=False):
    """What one `claim` added to a live task's declaration."""

    paths: list[str]
    time: float


class TaskExit(TypedDict, total=False):
    """How the task's command ended (`code` None when a signal, or gitwt, ended it)."""

    code: int | None
    signal: int | None
    ended_at: float
    reason: str  # gitwt ended it: why ("shim died")
    error: str  # the command could not run


class WaitReason(TypedDict):
    """One reason a queued task does not start yet (services.tasks.scheduler.Wait)."""

    reason: str
    text: str
    task: str | None


class WiringReport(TypedDict):
    """What `start --agent` wired (services.tasks.agent_wiring.Wiring)."""

    agent: str
    wired: bool
    files: list[str]
    notes: list[str]


class ViolationRecord(TypedDict):
    """One path a change set may not touch, as stored and reported (`core.boundaries.Violation`'s
    `to_json`): in the record, in `merge`'s rejection, in `status` and `check --json`."""

    path: str
    change: str  # "added", "modified", "renamed"... (core.boundaries._change_name)
    kind: str  # "undeclared" | "not-owned" | "unowned" | an audit finding's kind
    rule: str
    fix: str
    commit: str | None


class MergeOutcome(TypedDict, total=False):
    """What `merge` did with the task: `result` is one of services.merging.merge_results'."""

    result: str
    time: float
    commit: str | None  # merged: the merge commit
    old: str | None  # merged: base before it
    paths: list[str]  # conflicted: the conflicting paths
    violations: list[ViolationRecord]  # rejected
    test_exit: int  # failed: the test command's exit code
    log: str | None
    candidate: str | None


class TaskRecord(TypedDict, total=False):
    schema: int
    updated_at: float
    # what the task is (from its spec at start)
    id: str
    title: str
    owner: str | None
    source: str
    files: list[str]  # the declaration snapshot
    depends_on: list[str]
    group: str | None
    bookkeeping: list[list[object]]  # a plan unit's own status marks (core.plan_bookkeeping)
    claims: list[Claim]  # {"paths": [...], "time": ...}, added by `claim`
    # where it lives
    base: str
    base_oid: str | None
    branch: str
    worktree: str
    repo: str
    sparse: bool
    # how it runs
    state: str
    command: list[str] | None
    setup: list[str] | None
    max_instances: int | None
    auto_merge: bool
    agent: str | None
    agent_wiring: WiringReport
    shim: ProcessIdentity | None
    child: ProcessIdentity | None
    exit: TaskExit | None  # {"code", "signal", "ended_at", "error"?}
    stop_requested: float | None
    cleaned_at: float
    error: str  # why the task could not start (its worktree could not be made)
    waits_for: list[str]
    waiting: list[WaitReason]  # why a queued task waits (scheduler.Wait.to_json)
    created_at: float
    queued_at: float
    prepared_at: float
    started_at: float | None
    ended_at: float | None
    # a task live on another machine (team mode): where it runs
    remote: bool
    machine: str
    # a task whose worktree or branch outlived its record (services.tasks.orphans): no file
    orphaned: bool
    user: str
    # what the hooks and merge found
    violations: list[ViolationRecord]
    merge: MergeOutcome | None


def shim_pid(record: TaskRecord) -> int | None:
    """The pid of the task's runner (its shim), if one was started."""
    shim = record.get("shim")
    return shim["pid"] if shim else None
