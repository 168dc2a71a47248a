"""Building one task's merge candidate: audit, forecast, write the commit, gate it on tests.

Nothing here moves a ref or touches a checkout; refusals are recorded in the task's state.
"""

from __future__ import annotations

import os
import time
from collections.abc import Sequence

from gitwt.core import boundaries
from gitwt.core.display import shell_quote
from gitwt.infra import failpoints, git, git_output, state
from gitwt.infra.task_record import TaskRecord
from gitwt.services.context import Context
from gitwt.services.merging.audit import REPLACE_REF, audit, replace_ref_findings
from gitwt.services.merging.authority import TAMPERED
from gitwt.services.merging.merge_gate import run_tests
from gitwt.services.merging.merge_results import (
    CLEAN,
    CONFLICTED,
    FAILED,
    REJECTED,
    SKIPPED,
    TaskResult,
    record_outcome,
)
from gitwt.services.merging.plan_merge import resolved_tree


def line_counts(old: str, new: str, cwd: str) -> dict[str, git_output.LineCount]:
    """+/- lines per path of the branch's change, with renames and binary files told apart."""
    raw = git.run(["diff", "--numstat", "-z", "-M", "--no-ext-diff", old, new, "--"], cwd).stdout
    return git_output.parse_numstat(raw)


# --- test gate -------------------------------------------------------------------------------


def _conflict_help(context: Context, record: TaskRecord) -> str:
    worktree = record.get("worktree") or "<the task worktree>"
    return (
        f"resolve in the task worktree: cd {shell_quote(worktree)} && git merge "
        f"{shell_quote(context.base)}, fix the conflicts, git commit, then "
        f"'git parallel merge {record['id']}'"
    )


def _rejection_help(task_id: str, violations: list[boundaries.Violation]) -> str:
    kinds = {violation.kind for violation in violations}
    help = []
    if TAMPERED in kinds:
        help.append(
            "gitwt's own state for this task was edited outside gitwt (the 'tampered' lines "
            "say what): the audit used the task's spec on base and the claims it accepts now"
        )
    if kinds - {REPLACE_REF, TAMPERED}:
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


def _reject(
    context: Context,
    task_id: str,
    violations: list[boundaries.Violation],
    *,
    dry_run: bool,
) -> TaskResult:
    """Record (unless a dry run) and report a task whose change breaks its boundaries."""
    shown = [violation.to_json() for violation in violations]
    if not dry_run:
        record_outcome(
            context,
            task_id,
            state=state.REJECTED,
            merge={"result": REJECTED, "time": time.time(), "violations": shown},
        )
    return TaskResult(
        task_id,
        REJECTED,
        paths=sorted({v.path for v in violations if v.kind not in (REPLACE_REF, TAMPERED)}),
        violations=shown,
        reason=_rejection_help(task_id, violations),
    )


def _conflict(
    context: Context, record: TaskRecord, conflicts: list[str], *, dry_run: bool
) -> TaskResult:
    """Record (unless a dry run) and report a task whose merge would conflict."""
    task_id = record["id"]
    if not dry_run:
        record_outcome(
            context,
            task_id,
            state=state.CONFLICTED,
            merge={"result": CONFLICTED, "time": time.time(), "paths": conflicts},
        )
    return TaskResult(task_id, CONFLICTED, paths=conflicts, reason=_conflict_help(context, record))


def _gate(
    context: Context, task_id: str, candidate: str, test_command: str | Sequence[str]
) -> TaskResult | None:
    """Run the tests on the candidate: None when they pass, else the recorded failure."""
    code, log = run_tests(context, task_id, candidate, test_command)
    if code == 0:
        return None
    record_outcome(
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


def _nothing_new(record: TaskRecord, branch_oid: str) -> TaskResult:
    """A branch base already contains: merged, unless the task has committed nothing yet and
    its worktree holds work (a merge run before the agent committed must not end the task,
    DESIGN §7); commits of its own that base holds (a rerun after the publish) are merged."""
    worktree = record.get("worktree") or ""
    pending = (
        branch_oid == record.get("base_oid")
        and os.path.isdir(worktree)
        and any(code != "!!" for code, _ in git.status_entries(worktree))
    )
    if pending:
        return TaskResult(
            record["id"],
            SKIPPED,
            reason=f"nothing to merge yet: the branch has no commit beyond base, and {worktree} "
            "has changes not committed; commit them, then merge again",
        )
    return TaskResult(record["id"], CLEAN, commit=None, reason="already contained in base")


def prepare(
    context: Context,
    record: TaskRecord,
    onto: str,
    heads: dict[str, str],
    replacements: dict[str, str],
    *,
    test_command: str | Sequence[str] | None,
    dry_run: bool,
    mark_done: bool = False,
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
        return _nothing_new(record, branch_oid)
    violations = audit(context, record, onto, branch_oid, fork_point)
    violations += replace_ref_findings(replacements)
    if violations:
        return _reject(context, task_id, violations, dry_run=dry_run)
    forecast = git.merge_tree(onto, branch_oid, cwd)
    tree = forecast.tree
    if forecast.conflicts:  # only plan files, both sides status marks: gitwt writes them (§6)
        written = resolved_tree(cwd, fork_point, onto, branch_oid, tree, forecast.conflicts)
        if written is None:
            return _conflict(context, record, forecast.conflicts, dry_run=dry_run)
        tree = written
    if mark_done:  # the unit's plan says "done" in the very commit that merges it (§6)
        from gitwt.services.merging.plan_status import marked_done

        tree = marked_done(context, record, tree)
    lines = line_counts(fork_point or onto, branch_oid, cwd)
    title = record.get("title") or task_id
    candidate = git.commit_tree(tree, [onto, branch_oid], f"Merge task {task_id}: {title}", cwd)
    failpoints.hit("merge:candidate")
    if test_command and not dry_run:
        failure = _gate(context, task_id, candidate, test_command)
        if failure is not None:
            return failure
    return TaskResult(
        task_id,
        CLEAN,
        commit=candidate,
        paths=sorted(lines),
        lines=lines,
        reason="would merge" if dry_run else "",
    )
