"""Audit, forecast, merge, gate on tests, publish atomically (DESIGN §6).

Nothing here touches a checkout until a candidate merge commit exists, passed its tests and base
was moved to it by a compare-and-swap. A refused task (conflicted, rejected, failed) leaves base,
its branch, its worktree and its files exactly as they were.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from gitwt.errors import GitParallelError, Refused
from gitwt.infra import failpoints, git, state
from gitwt.infra.task_record import TaskRecord
from gitwt.services.context import Context
from gitwt.services.hooks import base_guard
from gitwt.services.merging import trash
from gitwt.services.merging.merge_candidate import prepare
from gitwt.services.merging.merge_publish import base_checkout, publish
from gitwt.services.merging.merge_results import (
    CLEAN,
    MAX_ATTEMPTS,
    MERGED,
    SKIPPED,
    MergeReport,
    TaskResult,
    record_outcome,
)
from gitwt.services.tasks import agent_files
from gitwt.services.team import team_seam

# --- selection -------------------------------------------------------------------------------


def select(
    records: dict[str, TaskRecord], ids: Sequence[str], everything: bool
) -> list[TaskRecord]:
    """Named tasks; else every succeeded task (and open ones too with --all)."""
    from gitwt.services.tasks import supervisor

    wanted = {state.SUCCEEDED, state.OPEN} if everything else {state.SUCCEEDED}
    return supervisor.choose(records, ids, lambda record: record.get("state") in wanted)


def ordered(records: list[TaskRecord]) -> list[TaskRecord]:
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
def _skip_or_finished(
    context: Context, record: TaskRecord, heads: dict[str, str], *, dry_run: bool, keep: bool
) -> TaskResult | None:
    """The result of a task that cannot or need not be merged now, else None."""
    from gitwt.services.tasks.supervisor import is_active

    task_id = record["id"]
    if is_active(record.get("state")):
        return TaskResult(
            task_id,
            SKIPPED,
            reason=f"task is {record['state']}: wait for it or 'git parallel stop {task_id}'",
        )
    branch = record.get("branch") or ""
    if record.get("state") == state.MERGED and _moved_since(context, heads.get(branch)):
        return None  # commits came after its merge: merge them, never report them merged
    if state.has_ended(record) and not state.merged_by_gitwt(record):
        reason = f"task {task_id} was cleaned without a merge by git parallel"
        return TaskResult(task_id, SKIPPED, reason=reason)
    if state.has_ended(record):
        # A rerun after a crash between recording and clean-up finishes the clean-up.
        note = f"already {record['state']}"
        if record["state"] == state.MERGED and not keep and not dry_run:
            note = _clean_up(context, record) or note
        commit = (record.get("merge") or {}).get("commit")
        return TaskResult(task_id, CLEAN if dry_run else MERGED, commit=commit, reason=note)
    if branch not in heads:
        return TaskResult(task_id, SKIPPED, reason=f"branch {branch!r} does not exist")
    return None


def _moved_since(context: Context, tip: str | None) -> bool:
    """A merged task's branch has commits base does not contain (it moved after the merge)."""
    base = f"refs/heads/{context.base}"
    return tip is not None and not git.is_ancestor(tip, base, context.repo.toplevel)


def prepare_batch(
    context: Context,
    records: list[TaskRecord],
    old: str,
    *,
    test_command: str | Sequence[str] | None,
    dry_run: bool,
    keep: bool,
    mark_done: bool = False,
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
                mark_done=mark_done,
            )
            if result.result == CLEAN and result.commit:
                tip = result.commit
        if result.result not in (MERGED, CLEAN):
            not_landed.add(record["id"])
        results.append(result)
    return results, tip


def _finish(context: Context, record: TaskRecord, *, commit: str, old: str, keep: bool) -> str:
    """Record the merge, then remove the worktree and the (now merged) branch unless --keep."""
    record_outcome(
        context,
        record["id"],
        state=state.MERGED,
        merge={"result": MERGED, "commit": commit, "old": old, "time": time.time()},
    )
    failpoints.hit("merge:recorded")
    if keep:
        return "kept worktree and branch (--keep)"
    return _clean_up(context, record)


def _clean_up(context: Context, record: TaskRecord) -> str:
    """Remove the merged task's worktree and branch; never forced, so nothing can be lost."""
    from gitwt.services.merging import worktree_removal

    fresh = state.read_task(context.repo.common_dir, record["id"]) or record
    try:
        removal = worktree_removal.remove_task(context, fresh, force=False)
    except Refused as refusal:
        return f"merged; worktree kept: {refusal.message}"
    except Exception as error:  # base has moved: the task is merged all the same (§7)
        if isinstance(error, GitParallelError):
            message = error.message
        elif isinstance(error, OSError):
            message = str(error)
        else:  # a bug: said on the task's line, never an exit 3 that unsays the publish
            from gitwt.infra import crash

            saved = crash.save(error, context.repo.common_dir)
            message = f"internal error: {type(error).__name__}: {error} (traceback in {saved})"
        return (
            f"clean-up failed: {message} (the merge is published; fix it, then "
            f"'git parallel clean {record['id']}')"
        )
    return "; ".join(removal.notes)


def _schedule(context: Context) -> None:
    """Tasks queued behind a partner that just merged may start now (DESIGN §8)."""
    from gitwt.services.tasks import scheduler

    scheduler.schedule(context)


# --- the batch -------------------------------------------------------------------------------


def _trusted_test_command(
    context: Context, test_command: str | Sequence[str] | None
) -> str | Sequence[str] | None:
    """The test command given, else the config's, which must be trusted to run."""
    if not test_command and context.config.test:
        from gitwt.services import trust

        test_command = context.config.test
        trust.require(
            context.repo.common_dir,
            test_command,
            f"'test' in {context.config.source}",
            "git parallel trust",
        )
    return test_command


def _checkout_of_base(context: Context, records: list[TaskRecord], dry_run: bool) -> str | None:
    """Set the batch's base (one for all of them) and return its clean checkout, if any."""
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
    return checkout


def _land(
    context: Context,
    records: list[TaskRecord],
    landing: list[TaskResult],
    old: str,
    *,
    keep: bool,
) -> None:
    """After base moved: mark the landed tasks merged and clean them up."""
    by_id = {record["id"]: record for record in records}
    for result in landing:
        result.result = MERGED
        result.commit = result.commit or old
        result.reason = (
            _finish(context, by_id[result.id], commit=result.commit, old=old, keep=keep)
            or result.reason
        )


def _attempt(
    context: Context,
    records: list[TaskRecord],
    checkout: str | None,
    team: Any,
    *,
    test_command: str | Sequence[str] | None,
    dry_run: bool,
    keep: bool,
    mark_done: bool = False,
) -> tuple[MergeReport | None, str]:
    """One read-prepare-publish round and the base it read; no report when base moved under us
    (start over)."""
    cwd = context.repo.toplevel
    # Team mode: merge onto the remote's base as this clone last saw it; the publish is leased
    # on it, and a lost lease fetches it for the next attempt.
    seen = team.sync_base(context, checkout) if team is not None else None
    old = git.rev_parse_verify(f"refs/heads/{context.base}", cwd)
    if old is None:
        raise GitParallelError(
            f"base branch {context.base!r} does not exist",
            "set 'base' in .gitparallel.toml to the integration branch",
        )
    results, tip = prepare_batch(
        context,
        records,
        old,
        test_command=test_command,
        dry_run=dry_run,
        keep=keep,
        mark_done=mark_done,
    )
    report = MergeReport(base=context.base, old=old, new=old, dry_run=dry_run, results=results)
    landing = [result for result in results if result.result == CLEAN]
    if dry_run or not landing:
        return report, old  # a dry run moves nothing; its candidates are unreachable objects
    failpoints.hit("merge:before-publish")
    if team is not None:
        landed = [result.id for result in landing]
        problem = team.publish(context, seen, checkout, old, tip, landed)
    else:
        problem = None if tip == old else publish(context, checkout, old, tip, landing[-1].id)
    if problem == "moved":
        return None, old  # someone moved base: start over from a fresh read, tests included
    if problem is not None:
        for result in landing:
            result.result, result.reason = SKIPPED, problem
        return report, old
    failpoints.hit("merge:after-publish")
    _land(context, records, landing, old, keep=keep)
    report.new = tip
    _schedule(context)
    base_guard.lift_if_idle(context.repo)  # the last task merged: no guard left behind
    agent_files.lift_if_idle(context.repo.common_dir)  # nor the agents' root settings
    return report, old


def merge(
    context: Context,
    ids: Sequence[str],
    *,
    everything: bool = False,
    test_command: str | Sequence[str] | None = None,
    dry_run: bool = False,
    keep: bool = False,
    mark_done: bool | None = None,
) -> MergeReport:
    """Merge a batch: chained candidates, then one compare-and-swap of base for all of them.

    One publish per batch moves base once and updates its checkout once, instead of once per
    task; if base moved meanwhile, the whole batch starts over from a fresh read (tests
    included), so what lands is always exactly what was audited and tested. `mark_done`
    (default: config `mark_done`): each merged unit is recorded as done in its own plan, in the
    merge commit itself.
    """
    if mark_done is None:
        mark_done = context.config.mark_done
    common = context.repo.common_dir
    test_command = _trusted_test_command(context, test_command)
    try:
        with state.locked(common):
            trash.finish_leftovers(context.repo.toplevel, common)
            return _merge_locked(context, ids, everything, test_command, dry_run, keep, mark_done)
    finally:
        trash.delete_in_background(common)  # the removed checkouts' files, after our work


def _merge_locked(
    context: Context,
    ids: Sequence[str],
    everything: bool,
    test_command: str | Sequence[str] | None,
    dry_run: bool,
    keep: bool,
    mark_done: bool = False,
) -> MergeReport:
    """The batch's attempts, with the state lock held."""
    records = ordered(select(state.all_tasks(context.repo.common_dir), ids, everything))
    checkout = _checkout_of_base(context, records, dry_run)
    team = None if dry_run else team_seam(context)
    for _ in range(MAX_ATTEMPTS):
        report, old = _attempt(
            context,
            records,
            checkout,
            team,
            test_command=test_command,
            dry_run=dry_run,
            keep=keep,
            mark_done=mark_done,
        )
        if report is not None:
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
