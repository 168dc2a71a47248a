"""The status service: task records checked against the process table and git, plus a conflict
forecast among task branches and against base.

Reads only: it changes no state, so it is safe at any time, even while a shim is dying. A task
recorded `running` whose shim is gone shows as `unsupervised` or `lost` (see supervisor.observe).
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from itertools import combinations
from typing import Any

from gitwt.core.specs import same_id
from gitwt.infra import git, state
from gitwt.services import audit
from gitwt.services.context import Context

BASE = "base"  # the name the forecast uses for the integration branch
_stdin_support: dict[str, bool] = {}


@dataclass
class TaskStatus:
    record: dict[str, Any]
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
    audited: list[dict[str, Any]] = field(default_factory=list)  # the branch audit's findings

    @property
    def id(self) -> str:
        return str(self.record["id"])

    @property
    def violations(self) -> list[dict[str, Any]]:
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


def speedup(records: Iterable[dict[str, Any]]) -> float | None:
    """The measured speedup: sum of task run times / wall time from the first start to the last
    end, over tasks that ran a command (a task still running counts until now)."""
    spans = [
        (record["started_at"], record.get("ended_at") or time.time())
        for record in records
        if record.get("command") and record.get("started_at")
    ]
    if not spans:
        return None
    wall = max(end for _, end in spans) - min(start for start, _ in spans)
    total = sum(end - start for start, end in spans)
    return round(total / wall, 2) if wall > 0 else None


@dataclass
class StatusReport:
    base: str
    tasks: list[TaskStatus]
    forecast_pairs: int = 0  # merges actually simulated (the rest could not conflict)
    forecast_method: str = ""

    @property
    def speedup(self) -> float | None:
        return speedup(task.record for task in self.tasks)

    def resources(self) -> dict[str, Any]:
        import psutil

        memory = psutil.virtual_memory()
        return {
            "tasks_cpu_percent": round(sum(task.cpu_percent or 0 for task in self.tasks), 1),
            "tasks_rss_bytes": sum(task.rss or 0 for task in self.tasks),
            "memory_percent": memory.percent,
            "load_percent": round(100 * os.getloadavg()[0] / (os.cpu_count() or 1), 1),
            "cpus": os.cpu_count(),
        }


def _branch_tips(cwd: str) -> dict[str, str]:
    raw = git.out(["for-each-ref", "--format=%(objectname) %(refname)", "refs/heads/"], cwd)
    tips = {}
    for line in raw.splitlines():
        oid, _, ref = line.partition(" ")
        tips[ref.removeprefix("refs/heads/")] = oid
    return tips


def _changed(left: str, right: str, cwd: str) -> list[str]:
    """Paths changed from the merge base of left and right to right (renames as two paths)."""
    return git.split_z(
        git.run(
            ["diff", "--name-only", "--no-renames", "-z", f"{left}...{right}", "--"], cwd
        ).stdout
    )


def _may_conflict(first: set[str], second: set[str]) -> bool:
    """Can merging two change sets conflict? Only if they share a path, or one changes a path
    the other treats as a directory (a file/directory conflict)."""
    if first & second:
        return True

    def parents(paths: set[str]) -> set[str]:
        found = set()
        for path in paths:
            while "/" in path:
                path = path.rsplit("/", 1)[0]
                found.add(path)
        return found

    return bool(parents(first) & second or parents(second) & first)


def supports_stdin(cwd: str) -> bool:
    """git 2.40 added `merge-tree --stdin`; ask git once per process rather than parse versions."""
    if "stdin" not in _stdin_support:
        result = git.run(["merge-tree", "--stdin"], cwd, input=b"", check=False)
        _stdin_support["stdin"] = result.returncode == 0
    return _stdin_support["stdin"]


def forecast(pairs: list[tuple[str, str]], cwd: str) -> tuple[list[list[str]], str]:
    """Conflicted paths of each merge; one `merge-tree --stdin` process where git has it."""
    if not pairs:
        return [], "none needed"
    if supports_stdin(cwd):
        text = "".join(f"{first} {second}\n" for first, second in pairs).encode()
        raw = git.run(
            ["merge-tree", "--stdin", "--name-only", "--no-messages"], cwd, input=text, check=False
        ).stdout
        # Per merge: <clean 1|0> NUL <tree> NUL [<path> NUL]... NUL
        items = raw.split(b"\0")
        results: list[list[str]] = []
        index = 0
        for _ in pairs:
            index += 2  # status and tree
            paths: list[str] = []
            while index < len(items) and items[index]:
                paths.append(items[index].decode("utf-8", "surrogateescape"))
                index += 1
            index += 1
            results.append(list(dict.fromkeys(paths)))
        return results, "merge-tree --stdin (1 process)"
    results = [git.merge_tree(first, second, cwd).conflicts for first, second in pairs]
    return results, f"merge-tree --write-tree ({len(pairs)} processes; git < 2.40 has no --stdin)"


def _elsewhere(context: Context, ids: list[str]) -> list[TaskStatus]:
    """Team mode: the tasks live on other machines (state `remote`), as rows."""
    if context.config.remote is None:
        return []
    from gitwt.services import team

    return team.remote_statuses(context, ids)


def gather(context: Context, ids: list[str], with_forecast: bool = True) -> StatusReport:
    from gitwt.services import supervisor

    common = context.repo.common_dir
    cwd = context.repo.toplevel
    elsewhere = _elsewhere(context, ids)
    local_ids = [key for key in ids if not any(same_id(key, row.id) for row in elsewhere)]
    chosen = (
        supervisor.choose(
            state.all_tasks(common), local_ids, lambda record: record.get("state") != state.CLEANED
        )
        if local_ids or not ids
        else []
    )
    base = context.base
    tips = _branch_tips(cwd) if chosen else {}
    base_tip = tips.get(base)
    tasks: list[TaskStatus] = []
    to_audit: list[tuple[TaskStatus, audit.Branch]] = []
    for record in chosen:
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
        tip = tips.get(record.get("branch") or "")
        if tip and base_tip and record.get("base_oid"):
            commits = git.rev_list([f"{base_tip}..{tip}"], cwd)
            task.commits = set(commits)
            task.ahead = len(task.commits)
            task.files = _changed(base_tip, tip, cwd) if task.ahead else []
            if commits and state.is_live(record):
                to_audit.append((task, audit.Branch(record, base_tip, tip, commits)))
        elif record.get("state") in (state.MERGED, state.CLEANED):
            task.commits = set()  # merged after a clean audit: nothing out of bounds remains
        tasks.append(task)

    # The branch itself, not only what hooks recorded: a commit made with the hooks off
    # (core.hooksPath=/dev/null) shows at once. The same audit merge runs; cached by tip.
    found = audit.audit_branches(context, [branch for _, branch in to_audit])
    replaced = audit.replace_ref_findings(git.replace_refs(cwd)) if to_audit else []
    for task, _ in to_audit:
        task.audited = found.get(task.id, []) + [finding.to_json() for finding in replaced]
    tasks += elsewhere
    report = StatusReport(base=base, tasks=tasks)
    if with_forecast and base_tip:
        _add_forecast(report, tips, base_tip, cwd)
    return report


def _add_forecast(report: StatusReport, tips: dict[str, str], base_tip: str, cwd: str) -> None:
    live = [task for task in report.tasks if task.ahead and state.is_live(task.record)]
    changes = {task.id: set(task.files) for task in live}
    base_changes: dict[str, set[str]] = {}
    for task in live:
        tip = tips[task.record["branch"]]
        if not git.is_ancestor(base_tip, tip, cwd):
            base_changes[task.id] = set(_changed(tip, base_tip, cwd))
    pairs: list[tuple[str, str]] = []
    owners: list[tuple[TaskStatus, str]] = []
    for task in live:
        if _may_conflict(changes[task.id], base_changes.get(task.id, set())):
            pairs.append((base_tip, tips[task.record["branch"]]))
            owners.append((task, BASE))
    for first, second in combinations(live, 2):
        if _may_conflict(changes[first.id], changes[second.id]):
            pairs.append((tips[first.record["branch"]], tips[second.record["branch"]]))
            owners.append((first, second.id))
    results, method = forecast(pairs, cwd)
    by_id = {task.id: task for task in live}
    for (task, other), paths in zip(owners, results, strict=True):
        if paths:
            task.conflicts_with[other] = paths
            if other != BASE:
                by_id[other].conflicts_with[task.id] = paths
    report.forecast_pairs = len(pairs)
    report.forecast_method = method
