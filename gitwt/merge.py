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

from gitwt import boundaries, failpoints, git, state
from gitwt.context import Context
from gitwt.errors import GitParallelError, Refused
from gitwt.trust import command_argv

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
    from gitwt.separation import natural_key
    from gitwt.specs import same_id

    if ids:
        chosen = []
        for task_id in ids:
            match = next((record for key, record in records.items() if same_id(key, task_id)), None)
            if match is None:
                raise GitParallelError(
                    f"task {task_id} has not been started",
                    "see the tasks gitwt knows with 'git parallel status'",
                )
            chosen.append(match)
        return chosen
    wanted = {state.SUCCEEDED, state.OPEN} if everything else {state.SUCCEEDED}
    return [
        records[key]
        for key in sorted(records, key=natural_key)
        if records[key].get("state") in wanted
    ]


def ordered(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Dependencies first, then id order."""
    from gitwt.separation import dependency_order
    from gitwt.specs import Task

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


def declared_paths(record: dict[str, Any]) -> list[str]:
    """The task's whole declaration: its spec's files plus every accepted claim."""
    paths = list(record.get("files") or [])
    for claim in record.get("claims") or []:
        paths.extend(claim.get("paths") or [])
    return list(dict.fromkeys(paths))


def task_rules(context: Context, record: dict[str, Any]) -> boundaries.Rules:
    """The rules the task agreed to at start (its worktree's snapshot), or rebuilt from state."""
    worktree = record.get("worktree")
    if worktree and os.path.isdir(worktree):
        git_dir = git.run(
            ["rev-parse", "--path-format=absolute", "--git-dir"], worktree, check=False
        )
        if git_dir.returncode == 0:
            saved = boundaries.load_rules(git_dir.stdout.decode().strip())
            if saved is not None and saved.task_id == record["id"]:
                # Claims made after the snapshot are in state; the snapshot is refreshed on claim,
                # but take the union so a crash between the two cannot narrow the declaration.
                saved.declared = list(
                    dict.fromkeys([*(saved.declared or []), *declared_paths(record)])
                )
                saved._declared_regex = None
                return saved
    return boundaries.Rules(
        task_id=record["id"],
        owner=record.get("owner"),
        declared=declared_paths(record),
        ownership=context.ownership,
        unowned=context.config.unowned,
    )


def audit(
    context: Context, record: dict[str, Any], base_oid: str, branch_oid: str
) -> list[boundaries.Violation]:
    """Every commit in base..branch, and the branch's net change, against the task's rules.

    Hooks can be skipped (--no-verify, core.hooksPath=/dev/null, fast-forwards), so this is the
    check that counts. Merge commits inside the branch are covered by the net change.
    """
    cwd = context.repo.toplevel
    rules = task_rules(context, record)
    commits = git.rev_list([f"{base_oid}..{branch_oid}"], cwd, "--no-merges")
    found: dict[tuple[str, str | None], boundaries.Violation] = {}
    for commit, changes in git.commits_changes(commits, cwd).items():
        for violation in boundaries.violations(changes, rules, commit=commit):
            found.setdefault((violation.path, commit), violation)
    fork_point = git.merge_base(base_oid, branch_oid, cwd)
    if fork_point:
        reported = {path for path, _ in found}
        for violation in boundaries.violations(
            git.range_changes(fork_point, branch_oid, cwd), rules
        ):
            if violation.path not in reported:
                found[violation.path, None] = violation
    return list(found.values())


def line_counts(old: str, new: str, cwd: str) -> dict[str, dict[str, Any]]:
    """+/- lines per path of the branch's change, with renames and binary files told apart."""
    from unidiff import PatchSet
    from unidiff.errors import UnidiffParseError

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


def merge_one(
    context: Context,
    record: dict[str, Any],
    *,
    test_command: str | Sequence[str] | None,
    dry_run: bool,
    keep: bool,
    checkout: str | None,
    simulated_base: str | None,
) -> tuple[TaskResult, str | None]:
    """Merge one task. Returns its result and, in a dry run, the simulated new base."""
    task_id = record["id"]
    cwd = context.repo.toplevel
    if record.get("state") in (state.RUNNING, state.QUEUED):
        return TaskResult(
            task_id,
            SKIPPED,
            reason=f"task is {record['state']}: wait for it or 'git parallel stop {task_id}'",
        ), simulated_base
    if record.get("state") in (state.MERGED, state.CLEANED):
        # A rerun after a crash between recording and clean-up finishes the clean-up.
        note = f"already {record['state']}"
        if record["state"] == state.MERGED and not keep and not dry_run:
            note = _clean_up(context, record) or note
        commit = (record.get("merge") or {}).get("commit")
        return TaskResult(
            task_id, CLEAN if dry_run else MERGED, commit=commit, reason=note
        ), simulated_base
    branch = record.get("branch") or ""
    branch_oid = git.rev_parse_verify(f"refs/heads/{branch}", cwd)
    if branch_oid is None:
        return TaskResult(
            task_id, SKIPPED, reason=f"branch {branch!r} does not exist"
        ), simulated_base
    for _ in range(MAX_ATTEMPTS):
        base_oid = simulated_base or git.rev_parse_verify(f"refs/heads/{context.base}", cwd)
        if base_oid is None:
            raise GitParallelError(
                f"base branch {context.base!r} does not exist",
                "set 'base' in .gitparallel.toml to the integration branch",
            )
        if git.is_ancestor(branch_oid, base_oid, cwd):
            # Everything is in base already: a rerun after a crash between publish and record.
            if not dry_run:
                _finish(context, record, commit=base_oid, old=base_oid, keep=keep)
            return TaskResult(
                task_id,
                MERGED if not dry_run else CLEAN,
                commit=base_oid,
                reason="already contained in base",
            ), simulated_base
        violations = audit(context, record, base_oid, branch_oid)
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
                paths=sorted({v.path for v in violations}),
                violations=shown,
                reason="changes outside the task's declaration or its owner's paths; "
                "drop them from the branch (git rebase -i / git revert) or "
                f"'git parallel claim {task_id} -- <path>' before the merge",
            ), simulated_base
        forecast = git.merge_tree(base_oid, branch_oid, cwd)
        if forecast.conflicts:
            if not dry_run:
                _record(
                    context,
                    task_id,
                    state=state.CONFLICTED,
                    merge={"result": CONFLICTED, "time": time.time(), "paths": forecast.conflicts},
                )
            return TaskResult(
                task_id,
                CONFLICTED,
                paths=forecast.conflicts,
                reason=_conflict_help(context, record),
            ), simulated_base
        fork_point = git.merge_base(base_oid, branch_oid, cwd) or base_oid
        lines = line_counts(fork_point, branch_oid, cwd)
        title = record.get("title") or task_id
        candidate = git.commit_tree(
            forecast.tree, [base_oid, branch_oid], f"Merge task {task_id}: {title}", cwd
        )
        failpoints.hit("merge:candidate")
        if dry_run:
            return TaskResult(
                task_id,
                CLEAN,
                commit=candidate,
                paths=sorted(lines),
                lines=lines,
                reason="would merge",
            ), candidate
        if test_command:
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
                ), None
        failpoints.hit("merge:before-publish")
        problem = publish(context, checkout, base_oid, candidate, task_id)
        if problem == "moved":
            continue  # someone moved base: start over from a fresh read, tests included
        if problem is not None:
            return TaskResult(task_id, SKIPPED, reason=problem), None
        failpoints.hit("merge:after-publish")
        note = _finish(context, record, commit=candidate, old=base_oid, keep=keep)
        return TaskResult(
            task_id, MERGED, commit=candidate, paths=sorted(lines), lines=lines, reason=note
        ), None
    return TaskResult(
        task_id,
        SKIPPED,
        reason=f"base {context.base} kept moving; rerun 'git parallel merge {task_id}'",
    ), None


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
    from gitwt import worktrees

    fresh = state.read_task(context.repo.common_dir, record["id"]) or record
    try:
        removal = worktrees.remove_task(context, fresh, force=False)
    except Refused as refusal:
        return f"merged; worktree kept: {refusal.message}"
    return "; ".join(removal.notes)


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
    common = context.repo.common_dir
    cwd = context.repo.toplevel
    if not test_command and context.config.test:
        from gitwt import trust

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
        old = git.rev_parse_verify(f"refs/heads/{context.base}", cwd)
        report = MergeReport(base=context.base, old=old, new=old, dry_run=dry_run)
        not_landed: set[str] = set()
        simulated: str | None = None
        for record in records:
            blocking = [dep for dep in record.get("depends_on") or () if dep in not_landed]
            if blocking:
                result = TaskResult(
                    record["id"],
                    SKIPPED,
                    reason=f"depends on {', '.join(blocking)}, which did not merge",
                )
            else:
                result, simulated = merge_one(
                    context,
                    record,
                    test_command=test_command,
                    dry_run=dry_run,
                    keep=keep,
                    checkout=checkout,
                    simulated_base=simulated if dry_run else None,
                )
            if result.result not in (MERGED, CLEAN):
                not_landed.add(record["id"])
            report.results.append(result)
        # A dry run moves nothing; its candidates are unreachable objects.
        report.new = old if dry_run else git.rev_parse_verify(f"refs/heads/{context.base}", cwd)
    return report
