"""The status service: task records checked against the process table and git, plus a conflict
forecast among task branches and against base.

Reads only: it changes no state, so it is safe at any time, even while a shim is dying. A task
recorded `running` whose shim is gone shows as `unsupervised` or `lost` (see supervisor.observe).
"""

from __future__ import annotations

import contextlib
import json
import os
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from gitwt.core import boundaries
from gitwt.core.specs import same_id
from gitwt.infra import background, git, state
from gitwt.infra.task_record import TaskRecord, ViolationRecord
from gitwt.services.context import Context
from gitwt.services.merging import audit
from gitwt.services.merging.forecast import ChangeSet
from gitwt.services.tasks import machine_use, orphans, status_forecast
from gitwt.services.tasks.machine_use import Resources

PATHS_CACHE = "status-paths.json"  # in parallel/: "<new> <old>" -> the paths that diff changes
PATHS_SCHEMA = "git-parallel/status-paths/1"


@dataclass
class TaskStatus:
    record: TaskRecord
    state: str
    pid: int | None = None
    cpu_percent: float | None = None
    rss: int | None = None
    runtime: float | None = None
    exit_code: int | None = None
    exit_signal: int | None = None
    ahead: int | None = None
    files: list[str] = field(default_factory=list)
    conflicts_with: dict[str, list[str]] = field(default_factory=dict)  # other id/base -> paths
    commits: set[str] | None = None  # the branch's commits not in base; None: not looked up
    audited: list[ViolationRecord] = field(default_factory=list)  # the branch audit's findings

    @property
    def id(self) -> str:
        return str(self.record["id"])

    @property
    def violations(self) -> list[ViolationRecord]:
        """The branch audit's findings, plus recorded violations whose commit is still on the
        branch (an amended or dropped commit no longer counts), each once."""
        recorded = self.record.get("violations") or []
        if self.commits is not None:
            recorded = [v for v in recorded if not v.get("commit") or v["commit"] in self.commits]
        found = list(recorded)
        seen = {(v.get("commit"), v.get("path")) for v in found}
        for violation in self.audited:
            if (violation.get("commit"), violation.get("path")) not in seen:
                found.append(violation)
        return found


MEASURABLE_SECONDS = 1.0  # commands that ran less than this in all: start-up is what is timed


def speedup(records: Iterable[TaskRecord]) -> float | None:
    """The measured speedup: sum of task run times / wall time from the first start to the last
    end, over the tasks whose command ran and did not fail (one still running counts until now).
    None unless at least two such tasks ran and their commands took MEASURABLE_SECONDS in all:
    a ratio of failed runs, or of process start-up around `true`, tells a person nothing."""
    now = time.time()
    counted = [
        record
        for record in records
        if record.get("command") and record.get("started_at") and not _failed(record)
    ]
    spans = [(record.get("started_at") or now, record.get("ended_at") or now) for record in counted]
    work = sum(
        (record.get("ended_at") or now) - _command_start(record, start)
        for record, (start, _) in zip(counted, spans, strict=True)
    )
    if len(spans) < 2 or work < MEASURABLE_SECONDS:
        return None
    wall = max(end for _, end in spans) - min(start for start, _ in spans)
    return round(sum(end - start for start, end in spans) / wall, 2) if wall > 0 else None


def _command_start(record: TaskRecord, started: float) -> float:
    """When the command itself began (its process), else when the task started."""
    child = record.get("child")
    return child["create_time"] if child else started


def _failed(record: TaskRecord) -> bool:
    """The command ended other than with exit 0 (failed, stopped, lost)."""
    ended = record.get("exit")
    return isinstance(ended, dict) and ended.get("code") != 0


@dataclass
class StatusReport:
    base: str
    tasks: list[TaskStatus]
    forecast_pairs: int = 0  # merges actually simulated (the rest could not conflict)
    forecast_method: str = ""

    @property
    def speedup(self) -> float | None:
        return speedup(task.record for task in self.tasks)

    def resources(self) -> Resources:
        return machine_use.resources(self.tasks)


def _branch_tips(cwd: str) -> tuple[dict[str, str], dict[str, str]]:
    """Every branch's tip by short name, and the replace refs as `git.replace_refs` gives them
    (the audit reports them), from one for-each-ref."""
    args = ["for-each-ref", "--format=%(objectname) %(refname)", "refs/heads/", "refs/replace/"]
    tips: dict[str, str] = {}
    replacements: dict[str, str] = {}
    for line in git.out(args, cwd).splitlines():
        oid, _, ref = line.partition(" ")
        if ref.startswith("refs/heads/"):
            tips[ref.removeprefix("refs/heads/")] = oid
        else:
            replacements[ref] = oid
    return tips, replacements


def _changed(left: str, right: str, cwd: str) -> list[str]:
    """Paths changed from the merge base of left and right to right (renames as two paths)."""
    return git.split_z(
        git.run(
            ["diff", "--name-only", "--no-renames", "-z", f"{left}...{right}", "--"], cwd
        ).stdout
    )


@dataclass
class BranchGraph:
    """What base has not got of the task branches, read in one `rev-list` for all of them:
    each commit with its parents, and the boundary (parents that base reaches)."""

    parents: dict[str, list[str]]
    boundary: set[str]

    @classmethod
    def read(cls, tips: list[str], base_tip: str, cwd: str) -> BranchGraph:
        return cls(*git.commit_graph(sorted(set(tips)), [base_tip], cwd))

    def commits_of(self, tip: str) -> tuple[list[str], set[str]]:
        """base..tip (in rev-list order) and the boundary commits it reaches: every commit on
        a path from tip to a commit of base..tip is itself in base..tip, so the walk stays
        inside the graph."""
        reached: set[str] = set()
        forks: set[str] = set()
        pending = [tip] if tip in self.parents else []
        while pending:
            commit = pending.pop()
            if commit in reached:
                continue
            reached.add(commit)
            for parent in self.parents[commit]:
                if parent in self.parents:
                    pending.append(parent)
                else:
                    forks.add(parent)
        return [commit for commit in self.parents if commit in reached], forks


def _elsewhere(context: Context, ids: list[str]) -> list[TaskStatus]:
    """Team mode: the tasks live on other machines (state `remote`), as rows."""
    if context.config.remote is None:
        return []
    from gitwt.services.team import registry

    shown = []
    for key, entry in sorted(registry.fetch(context).others().items()):
        if ids and not any(same_id(key, wanted) for wanted in ids):
            continue
        shown.append(TaskStatus(record=entry.as_record(), state=registry.REMOTE_STATE))
        shown[-1].runtime = entry.age()
    return shown


def gather(context: Context, ids: list[str], with_forecast: bool = True) -> StatusReport:
    from gitwt.services.tasks import supervisor

    common = context.repo.common_dir
    cwd = context.repo.toplevel
    # git lists the worktrees (for orphans, and base) while the branches and records are read.
    listing = background.start(lambda: context.worktrees)
    elsewhere = _elsewhere(context, ids)
    local_ids = [key for key in ids if not any(same_id(key, row.id) for row in elsewhere)]
    # Every branch: a task branch without its record is an orphaned task (DESIGN §13).
    tips, replacements = _branch_tips(cwd)
    context.seen_branches(tips)
    every = state.all_tasks(common)
    listing.result()
    every.update(orphans.orphans(context, every, tips))
    chosen = (
        supervisor.choose(every, local_ids, lambda record: record.get("state") != state.CLEANED)
        if local_ids or not ids
        else []
    )
    base = context.base
    base_tip = tips.get(base)
    tasks = [_observed(record, common) for record in chosen]
    branches = _read_branches(tasks, tips, base_tip, cwd, with_forecast) if base_tip else None

    # The branch itself, not only what hooks recorded: a commit made with the hooks off
    # (core.hooksPath=/dev/null) shows at once. The same audit merge runs; cached by tip.
    to_audit = branches.to_audit if branches else []
    live = {key: record for key, record in every.items() if state.is_live(record)}
    forecasting: list[status_forecast.Forecasting] = []

    def listed() -> None:
        if with_forecast and base_tip and branches:
            forecasting.append(
                status_forecast.start(tasks, tips, base_tip, branches.base_changes, cwd)
            )

    found = _audit_and_list(context, branches, tips, live, listed) if branches else {}
    replaced = audit.replace_ref_findings(replacements) if to_audit else []
    for task, _ in to_audit:
        task.audited = found.get(task.id, []) + [finding.to_json() for finding in replaced]
    report = StatusReport(base=base, tasks=tasks + elsewhere)
    for started in forecasting:
        status_forecast.finish(report, started)
    return report


def _observed(record: TaskRecord, common: str) -> TaskStatus:
    """A task's row from its record and its shim in the process table (no git)."""
    from gitwt.services.tasks import supervisor

    seen = supervisor.observe(record, common)
    exit_record = record.get("exit") or {}
    task = TaskStatus(
        record=record,
        state=seen.state,
        pid=seen.pid,
        cpu_percent=seen.cpu_percent,
        rss=seen.rss,
        runtime=seen.runtime,
        exit_code=exit_record.get("code"),
        exit_signal=exit_record.get("signal"),
    )
    if state.has_ended(record):
        task.commits = set()  # merged after a clean audit: nothing out of bounds remains
    return task


@dataclass
class Branches:
    """What `_read_branches` found beyond each task's row: the branches to audit, the diffs
    whose paths a row needs, as (task, is it base's side, new, old), and what base changed
    since each fork point that base is not an ancestor of (task id -> paths)."""

    to_audit: list[tuple[TaskStatus, audit.Branch]] = field(default_factory=list)
    diffs: list[tuple[TaskStatus, bool, str, str]] = field(default_factory=list)
    base_changes: dict[str, ChangeSet] = field(default_factory=dict)


def _fork_point(forks: set[str], base_tip: str, tip: str, cwd: str) -> str | None:
    """The merge base of base and tip: the one boundary commit the branch reaches, else ask
    git (criss-cross merges leave several candidates; unrelated histories none)."""
    return next(iter(forks)) if len(forks) == 1 else git.merge_base(base_tip, tip, cwd)


def _read_branches(
    tasks: list[TaskStatus], tips: dict[str, str], base_tip: str, cwd: str, with_base: bool
) -> Branches:
    """Each task's commits not in base, ahead count and changed paths, in a constant number
    of git processes: one `rev-list` for every branch, one `diff-tree --stdin` for the
    changes (only a task with several or no fork points asks `merge-base` on its own)."""
    found = Branches()
    mine = [t for t in tasks if tips.get(t.record.get("branch") or "") and t.record.get("base_oid")]
    graph = BranchGraph.read([tips[t.record["branch"]] for t in mine], base_tip, cwd)
    for task in mine:
        tip = tips[task.record["branch"]]
        commits, forks = graph.commits_of(tip)
        task.commits, task.ahead = set(commits), len(commits)
        if not commits:
            continue
        fork = _fork_point(forks, base_tip, tip, cwd)
        if fork is None:
            task.files = _changed(base_tip, tip, cwd)  # git says why there is no merge base
        else:
            found.diffs.append((task, False, tip, fork))
            if with_base and fork != base_tip:
                found.diffs.append((task, True, base_tip, fork))
        if state.is_live(task.record):
            branch = audit.Branch(task.record, base_tip, tip, commits, fork)
            found.to_audit.append((task, branch))
    return found


def _audit_and_list(
    context: Context,
    branches: Branches,
    branch_names: Iterable[str],
    live: dict[str, TaskRecord],
    listed: Callable[[], None],
) -> audit.Findings:
    """The audit's findings, and each row's changed paths: from the cache of paths by diff
    (commits never change, so an entry never goes stale), else from the audit's diff-tree.
    `listed()` is called once every row has its paths: before the audit when all came from
    the cache, so the forecast's merges run beside it."""
    common = context.repo.common_dir
    known = _read_paths_cache(common)
    wanted = [f"{new} {old}" for _, _, new, old in branches.diffs]
    missing = sorted({key for key in wanted if key not in known})
    if not missing:
        _list_paths(branches, known, wanted)
        listed()
    pairs = [(key.split()[0], key.split()[1]) for key in missing]
    found, changes = audit.audit_and_diff(
        context, [b for _, b in branches.to_audit], pairs, branch_names, live
    )
    if missing:
        for key, changed in zip(missing, changes, strict=True):
            known[key] = sorted({path for _, path in boundaries.touched_paths(changed)})
        _list_paths(branches, known, wanted)
        listed()
        with contextlib.suppress(OSError):  # a cache: the next status asks git again
            kept = {key: known[key] for key in wanted}
            state.write_json_atomic(_paths_cache(common), {"schema": PATHS_SCHEMA, "diffs": kept})
    return found


def _list_paths(branches: Branches, known: dict[str, list[str]], wanted: list[str]) -> None:
    for (task, base_side, _, _), key in zip(branches.diffs, wanted, strict=True):
        if base_side:
            branches.base_changes[task.id] = ChangeSet.of(known[key])
        else:
            task.files = list(known[key])


def _paths_cache(common_dir: str) -> str:
    return os.path.join(state.state_dir(common_dir), PATHS_CACHE)


def _read_paths_cache(common_dir: str) -> dict[str, list[str]]:
    try:
        with open(_paths_cache(common_dir), encoding="utf-8") as handle:
            data = json.load(handle)
    except (OSError, ValueError):
        return {}
    ok = isinstance(data, dict) and data.get("schema") == PATHS_SCHEMA
    diffs = data.get("diffs") if ok else None
    return (
        {k: v for k, v in diffs.items() if isinstance(v, list)} if isinstance(diffs, dict) else {}
    )
