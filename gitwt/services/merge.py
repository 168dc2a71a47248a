"""Audit, forecast, merge, gate on tests, publish atomically (DESIGN §6).

Nothing here touches a checkout until a candidate merge commit exists, passed its tests and base
was moved to it by a compare-and-swap. A refused task (conflicted, rejected, failed) leaves base,
its branch, its worktree and its files exactly as they were.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from gitwt.core import boundaries
from gitwt.errors import GitParallelError, Refused
from gitwt.infra import failpoints, git, state
from gitwt.services import base_guard
from gitwt.services.audit import REPLACE_REF, audit, replace_ref_findings
from gitwt.services.context import Context
from gitwt.services.trust import command_argv

MERGED, CONFLICTED, REJECTED, FAILED, SKIPPED, CLEAN = (
    "merged",
    "conflicted",
    "rejected",
    "failed",
    "skipped",
    "clean",
)
MAX_ATTEMPTS = 5  # base moved under us this often: give up on the task for this run


@dataclass
class TaskResult:
    id: str
    result: str
    commit: str | None = None
    paths: list[str] = field(default_factory=list)
    reason: str = ""
    violations: list[dict[str, Any]] = field(default_factory=list)
    lines: dict[str, dict[str, Any]] = field(default_factory=dict)
    log: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "result": self.result,
            "commit": self.commit,
            "paths": self.paths,
            "reason": self.reason,
            "violations": self.violations,
            "lines": self.lines,
            "log": self.log,
        }


@dataclass
class MergeReport:
    base: str
    old: str | None
    new: str | None
    dry_run: bool
    results: list[TaskResult] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        wanted = CLEAN if self.dry_run else MERGED
        return all(result.result == wanted for result in self.results)


# --- selection -------------------------------------------------------------------------------


def select(
    records: dict[str, dict[str, Any]], ids: Sequence[str], everything: bool
) -> list[dict[str, Any]]:
    """Named tasks; else every succeeded task (and open ones too with --all)."""
    from gitwt.services import supervisor

    wanted = {state.SUCCEEDED, state.OPEN} if everything else {state.SUCCEEDED}
    return supervisor.choose(records, ids, lambda record: record.get("state") in wanted)


def ordered(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Dependencies first, then id order."""
    from gitwt.core.separation import dependency_order
    from gitwt.core.specs import Task

    tasks = [
        Task(
            id=record["id"],
            title="",
            owner=None,
            files=(),
            depends_on=tuple(record.get("depends_on") or ()),
        )
        for record in records
    ]
    by_id = {record["id"]: record for record in records}
    return [by_id[task_id] for task_id in dependency_order(tasks)]


# --- audit -----------------------------------------------------------------------------------


def line_counts(old: str, new: str, cwd: str) -> dict[str, dict[str, Any]]:
    """+/- lines per path of the branch's change, with renames and binary files told apart."""
    from unidiff.errors import UnidiffParseError
    from unidiff.patch import PatchSet

    raw = git.run(
        ["-c", "core.quotePath=false", "diff", "-M", "--no-color", "--no-ext-diff", old, new, "--"],
        cwd,
    ).stdout.decode("utf-8", "surrogateescape")
    try:
        patch = PatchSet(raw)
    except UnidiffParseError:
        return {}
    counts: dict[str, dict[str, Any]] = {}
    for patched in patch:
        entry: dict[str, Any] = {
            "added": patched.added,
            "removed": patched.removed,
            "binary": patched.is_binary_file,
        }
        if patched.is_rename:
            entry["renamed_from"] = patched.source_file.removeprefix("a/")
        counts[patched.path] = entry
    return counts


# --- test gate -------------------------------------------------------------------------------


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
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE")
    }
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


def base_checkout(context: Context) -> str | None:
    """The worktree where base is checked out, if any."""
    ref = f"refs/heads/{context.base}"
    for worktree in git.worktrees(context.repo.toplevel):
        if worktree.branch == ref and not worktree.prunable:
            return worktree.path
    return None


def _untracked_in_the_way(checkout: str, old: str, new: str) -> list[str]:
    added = git.split_z(
        git.run(["diff", "--name-only", "-z", "--diff-filter=A", old, new, "--"], checkout).stdout
    )
    return [path for path in added if os.path.lexists(os.path.join(checkout, path))]


def publish(context: Context, checkout: str | None, old: str, new: str, task_id: str) -> str | None:
    """Move base from old to new. None on success, "moved" when base moved, else a reason."""
    ref = f"refs/heads/{context.base}"
    cwd = context.repo.toplevel
    if checkout is None:
        return (
            None
            if git.update_ref(ref, new, old, f"git parallel: merge task {task_id}", cwd)
            else "moved"
        )
    if git.rev_parse_verify(ref, cwd) != old:
        return "moved"
    in_the_way = _untracked_in_the_way(checkout, old, new)
    if in_the_way:
        return (
            f"untracked files in the checkout of {context.base} at {checkout} would be "
            f"overwritten: {', '.join(in_the_way[:5])}"
        )
    # The checkout's own fast-forward moves the ref and the files together; it fails if base
    # moved since we read it (the new commit would not be a fast-forward), which is our CAS.
    result = git.run(["merge", "--ff-only", "--quiet", new], checkout, check=False)
    if result.returncode == 0:
        return None
    if git.rev_parse_verify(ref, cwd) != old:
        return "moved"
    return (
        f"could not fast-forward the checkout of {context.base} at {checkout}: "
        f"{result.stderr.decode(errors='replace').strip().splitlines()[-1:]}"
    )


# --- one task --------------------------------------------------------------------------------


def _record(context: Context, task_id: str, **changes: Any) -> None:
    state.update_task(context.repo.common_dir, task_id, **changes)
    state.append_event(
        context.repo.common_dir,
        "merge",
        task=task_id,
        result=changes.get("state"),
        commit=(changes.get("merge") or {}).get("commit"),
    )


def _conflict_help(context: Context, record: dict[str, Any]) -> str:
    worktree = record.get("worktree") or "<the task worktree>"
    return (
        f"resolve in the task worktree: cd {shlex.quote(worktree)} && git merge "
        f"{shlex.quote(context.base)}, fix the conflicts, git commit, then "
        f"'git parallel merge {record['id']}'"
    )


def _skip_or_finished(
    context: Context, record: dict[str, Any], heads: dict[str, str], *, dry_run: bool, keep: bool
) -> TaskResult | None:
    """The result of a task that cannot or need not be merged now, else None."""
    task_id = record["id"]
    if record.get("state") in (state.RUNNING, state.QUEUED):
        return TaskResult(
            task_id,
            SKIPPED,
            reason=f"task is {record['state']}: wait for it or 'git parallel stop {task_id}'",
        )
    if record.get("state") in (state.MERGED, state.CLEANED):
        # A rerun after a crash between recording and clean-up finishes the clean-up.
        note = f"already {record['state']}"
        if record["state"] == state.MERGED and not keep and not dry_run:
            note = _clean_up(context, record) or note
        commit = (record.get("merge") or {}).get("commit")
        return TaskResult(task_id, CLEAN if dry_run else MERGED, commit=commit, reason=note)
    branch = record.get("branch") or ""
    if branch not in heads:
        return TaskResult(task_id, SKIPPED, reason=f"branch {branch!r} does not exist")
    return None


def _rejection_help(task_id: str, violations: list[boundaries.Violation]) -> str:
    kinds = {violation.kind for violation in violations}
    help = []
    if kinds - {REPLACE_REF}:
        help.append(
            "changes outside the task's declaration or its owner's paths; drop them from the "
            f"branch (git rebase -i / git revert) or 'git parallel claim {task_id} -- <path>' "
            "before the merge"
        )
    if REPLACE_REF in kinds:
        help.append(
            "the repository has replace refs (git replace -l): check who made them and delete "
            "them (git replace -d <oid>) before the merge"
        )
    return "; ".join(help)


def prepare(
    context: Context,
    record: dict[str, Any],
    onto: str,
    heads: dict[str, str],
    replacements: dict[str, str],
    *,
    test_command: str | Sequence[str] | None,
    dry_run: bool,
) -> TaskResult:
    """Audit, forecast, write and test the merge of one task onto commit `onto`.

    A clean result carries the candidate commit; refusals are recorded in the task's state
    (except in a dry run). Nothing here moves a ref or touches a checkout.
    """
    task_id = record["id"]
    cwd = context.repo.toplevel
    branch_oid = heads[record["branch"]]  # present: checked by _skip_or_finished
    fork_point = git.merge_base(onto, branch_oid, cwd)
    if fork_point == branch_oid:
        return TaskResult(task_id, CLEAN, commit=None, reason="already contained in base")
    violations = audit(context, record, onto, branch_oid, fork_point)
    violations += replace_ref_findings(replacements)
    if violations:
        shown = [violation.to_json() for violation in violations]
        if not dry_run:
            _record(
                context,
                task_id,
                state=state.REJECTED,
                merge={"result": REJECTED, "time": time.time(), "violations": shown},
            )
        return TaskResult(
            task_id,
            REJECTED,
            paths=sorted({v.path for v in violations if v.kind != REPLACE_REF}),
            violations=shown,
            reason=_rejection_help(task_id, violations),
        )
    forecast = git.merge_tree(onto, branch_oid, cwd)
    if forecast.conflicts:
        if not dry_run:
            _record(
                context,
                task_id,
                state=state.CONFLICTED,
                merge={"result": CONFLICTED, "time": time.time(), "paths": forecast.conflicts},
            )
        return TaskResult(
            task_id, CONFLICTED, paths=forecast.conflicts, reason=_conflict_help(context, record)
        )
    lines = line_counts(fork_point or onto, branch_oid, cwd)
    title = record.get("title") or task_id
    candidate = git.commit_tree(
        forecast.tree, [onto, branch_oid], f"Merge task {task_id}: {title}", cwd
    )
    failpoints.hit("merge:candidate")
    if test_command and not dry_run:
        code, log = run_tests(context, task_id, candidate, test_command)
        if code != 0:
            _record(
                context,
                task_id,
                state=state.FAILED,
                merge={
                    "result": FAILED,
                    "time": time.time(),
                    "test_exit": code,
                    "log": log,
                    "candidate": candidate,
                },
            )
            return TaskResult(
                task_id,
                FAILED,
                commit=candidate,
                log=log,
                reason=f"tests exited {code}; base unchanged; see {log}",
            )
    return TaskResult(
        task_id,
        CLEAN,
        commit=candidate,
        paths=sorted(lines),
        lines=lines,
        reason="would merge" if dry_run else "",
    )


def prepare_batch(
    context: Context,
    records: list[dict[str, Any]],
    old: str,
    *,
    test_command: str | Sequence[str] | None,
    dry_run: bool,
    keep: bool,
) -> tuple[list[TaskResult], str]:
    """Chain the candidates: each clean task merges onto the previous candidate.

    Returns the results in order and the tip that base would move to.
    """
    heads = git.branch_heads(context.repo.toplevel)
    replacements = git.replace_refs(context.repo.toplevel)
    results: list[TaskResult] = []
    not_landed: set[str] = set()
    tip = old
    for record in records:
        blocking = [dep for dep in record.get("depends_on") or () if dep in not_landed]
        result = (
            TaskResult(
                record["id"],
                SKIPPED,
                reason=f"depends on {', '.join(blocking)}, which did not merge",
            )
            if blocking
            else _skip_or_finished(context, record, heads, dry_run=dry_run, keep=keep)
        )
        if result is None:
            result = prepare(
                context,
                record,
                tip,
                heads,
                replacements,
                test_command=test_command,
                dry_run=dry_run,
            )
            if result.result == CLEAN and result.commit:
                tip = result.commit
        if result.result not in (MERGED, CLEAN):
            not_landed.add(record["id"])
        results.append(result)
    return results, tip


def _finish(context: Context, record: dict[str, Any], *, commit: str, old: str, keep: bool) -> str:
    """Record the merge, then remove the worktree and the (now merged) branch unless --keep."""
    _record(
        context,
        record["id"],
        state=state.MERGED,
        merge={"result": MERGED, "commit": commit, "old": old, "time": time.time()},
    )
    failpoints.hit("merge:recorded")
    if keep:
        return "kept worktree and branch (--keep)"
    return _clean_up(context, record)


def _clean_up(context: Context, record: dict[str, Any]) -> str:
    """Remove the merged task's worktree and branch; never forced, so nothing can be lost."""
    from gitwt.services import worktrees

    fresh = state.read_task(context.repo.common_dir, record["id"]) or record
    try:
        removal = worktrees.remove_task(context, fresh, force=False)
    except Refused as refusal:
        return f"merged; worktree kept: {refusal.message}"
    return "; ".join(removal.notes)


def _team() -> Any:
    from gitwt.services import team

    return team


def _schedule(context: Context) -> None:
    """Tasks queued behind a partner that just merged may start now (DESIGN §8)."""
    from gitwt.services import scheduler

    scheduler.schedule(context)


# --- the batch -------------------------------------------------------------------------------


def merge(
    context: Context,
    ids: Sequence[str],
    *,
    everything: bool = False,
    test_command: str | Sequence[str] | None = None,
    dry_run: bool = False,
    keep: bool = False,
) -> MergeReport:
    """Merge a batch: chained candidates, then one compare-and-swap of base for all of them.

    One publish per batch moves base once and updates its checkout once, instead of once per
    task; if base moved meanwhile, the whole batch starts over from a fresh read (tests
    included), so what lands is always exactly what was audited and tested.
    """
    common = context.repo.common_dir
    cwd = context.repo.toplevel
    if not test_command and context.config.test:
        from gitwt.services import trust

        test_command = context.config.test
        trust.require(
            common, test_command, f"'test' in {context.config.source}", "git parallel trust"
        )
    with state.locked(common):
        records = ordered(select(state.all_tasks(common), ids, everything))
        bases = sorted({record["base"] for record in records if record.get("base")})
        if len(bases) > 1:
            raise GitParallelError(
                f"the tasks were started from different bases ({', '.join(bases)})",
                "merge the tasks of one base at a time: 'git parallel merge IDS'",
            )
        if bases:
            context.base = bases[0]  # where the tasks branched from, whatever is checked out now
        checkout = base_checkout(context)
        if checkout is not None and not dry_run and not git.is_clean(checkout):
            raise Refused(
                f"the checkout of {context.base} at {checkout} has uncommitted changes",
                "commit or stash them there, then rerun 'git parallel merge'",
            )
        team = None if dry_run or context.config.remote is None else _team()
        for _ in range(MAX_ATTEMPTS):
            # Team mode: merge onto the remote's base, fetched afresh on every attempt.
            seen = team.sync_base(context, checkout) if team is not None else None
            old = git.rev_parse_verify(f"refs/heads/{context.base}", cwd)
            if old is None:
                raise GitParallelError(
                    f"base branch {context.base!r} does not exist",
                    "set 'base' in .gitparallel.toml to the integration branch",
                )
            results, tip = prepare_batch(
                context, records, old, test_command=test_command, dry_run=dry_run, keep=keep
            )
            report = MergeReport(
                base=context.base, old=old, new=old, dry_run=dry_run, results=results
            )
            landing = [result for result in results if result.result == CLEAN]
            if dry_run or not landing:
                return report  # a dry run moves nothing; its candidates are unreachable objects
            failpoints.hit("merge:before-publish")
            if team is not None:
                landed = [result.id for result in landing]
                problem = team.publish(context, seen, checkout, old, tip, landed)
            else:
                problem = (
                    None if tip == old else publish(context, checkout, old, tip, landing[-1].id)
                )
            if problem == "moved":
                continue  # someone moved base: start over from a fresh read, tests included
            if problem is not None:
                for result in landing:
                    result.result, result.reason = SKIPPED, problem
                return report
            failpoints.hit("merge:after-publish")
            by_id = {record["id"]: record for record in records}
            for result in landing:
                result.result = MERGED
                result.commit = result.commit or old
                result.reason = (
                    _finish(context, by_id[result.id], commit=result.commit, old=old, keep=keep)
                    or result.reason
                )
            report.new = tip
            _schedule(context)
            base_guard.lift_if_idle(context.repo)  # the last task merged: no guard left behind
            return report
    return MergeReport(
        base=context.base,
        old=old,
        new=old,
        dry_run=dry_run,
        results=[
            TaskResult(
                record["id"],
                SKIPPED,
                reason=f"base {context.base} kept moving; rerun 'git parallel merge'",
            )
            for record in records
        ],
    )
