"""The per-hook checks: pre-commit, post-commit, pre-merge-commit and pre-push, and the base guard.

Imported by `entry.load_checker` after git has started (it brings `re` through
`gitwt.core.boundaries`); the messages module is imported only when a check finds something.
The one reader of the change a commit makes, merge-aware, is `staged_changes` (also used by
`git parallel check`).
"""

from __future__ import annotations

import os

from gitwt.core import boundaries
from gitwt.hook import rules_file
from gitwt.hook.git_runner import (
    GitDirs,
    HookError,
    StagedEntry,
    current_branch,
    diff,
    finish_git,
    merge_base,
    merge_heads,
    parse_name_status,
    rev,
    run_git,
)
from gitwt.hook.hook_modes import EXIT_OK, EXIT_VIOLATION, NULL_OID, RAISE_FAILPOINT, TASK
from gitwt.hook.plan_contents import between, judged
from gitwt.hook.rules_lookup import live_task_records, own_rules, record_rules, task_of_branch
from gitwt.infra.real_objects import ALL_SUBMODULES

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable

    from gitwt.infra.task_record import TaskRecord


def staged_changes(
    rules: boundaries.Rules | None, where: GitDirs, folder: str | None = None
) -> list[StagedEntry]:
    """What the commit being made changes, as the task's branch will carry it (in `folder`, by
    default the current directory).

    While a merge is being committed, the index also holds what comes in from the other side;
    diffing against the fork point from base of (HEAD merged with MERGE_HEAD) leaves out what
    base already has, so merging base into a task branch is not a violation.
    """
    incoming = merge_heads(where.git_dir)
    base = rules.extra.get("base") if rules is not None else None
    if incoming and isinstance(base, str) and rev(base, folder):
        fork = merge_base(base, "HEAD", *incoming.keys(), folder=folder)
        if fork:
            return diff(fork, cached=True, folder=folder)
    return diff(cached=True, folder=folder)


def check_staged(
    rules: boundaries.Rules, where: GitDirs, started: tuple[int, int] | None = None
) -> int:
    """pre-commit: the staged change (`started`: the diff the shim began before the imports)."""
    if started is not None:
        code, out = finish_git(started)
        if code != 0:
            raise HookError(f"git diff --cached failed (exit {code})", "see git's message above")
        changes = parse_name_status(out)
    else:
        changes = staged_changes(rules, where)
    found = boundaries.violations(changes, rules)
    if found:  # a plan file's status marks are judged on content (merging: against any parent)
        olds = ["HEAD", *merge_heads(where.git_dir)]
        found = judged(found, rules, between(olds, None))
    if not found:
        return EXIT_OK
    from gitwt.hook import messages  # only when there is something to say

    messages.report(
        f"commit refused: {messages.who(rules)} may not change "
        f"{messages.count(len(found), 'path')}",
        found,
        [
            "unstage them (the 'fix:' of each line), or extend the declaration with "
            f"'git parallel claim {rules.task_id} -- PATH'",
            "--no-verify does not hide it: the commit is recorded and 'git parallel merge' "
            "audits the whole branch",
        ],
    )
    return EXIT_VIOLATION


def audit_head(rules: boundaries.Rules, where: GitDirs) -> int:
    """post-commit: check the commit just made (the pre-commit check may have been skipped)."""
    parents = run_git(["rev-list", "--parents", "-n", "1", "HEAD"])[1].decode().split()
    if not parents:
        return EXIT_OK
    head = parents[0]
    if len(parents) > 2:
        base = rules.extra.get("base")
        fork = merge_base(base, head) if isinstance(base, str) and rev(base) else None
        changes = diff(fork or parents[1], head)
    else:
        raw = run_git(
            [
                "diff-tree",
                ALL_SUBMODULES,
                "--root",
                "--no-commit-id",
                "-r",
                "-z",
                "--name-status",
                head,
            ]
        )
        changes = parse_name_status(raw[1])
    found = judged(
        boundaries.violations(changes, rules, commit=head), rules, between(parents[1:], head)
    )
    if not found:
        return EXIT_OK
    from gitwt.hook import messages  # only when there is something to say

    recorded = record_violations(where, rules, head, found)
    messages.report(
        f"WARNING: commit {head[:10]} changes {messages.count(len(found), 'path')} "
        f"{messages.who(rules)} may not change",
        found,
        [
            "recorded in the task's state"
            if recorded
            else "could not record it in the task's state (see the warning above)",
            f"'git parallel merge' refuses task {rules.task_id} until these changes leave "
            "the branch (e.g. 'git reset --soft HEAD~1', then unstage them)",
        ],
    )
    return EXIT_VIOLATION


def record_violations(
    where: GitDirs, rules: boundaries.Rules, commit: str, found: list[boundaries.Violation]
) -> bool:
    """Append the violations to the task's state record, under the state lock."""
    from gitwt.infra import state

    task_id = rules.task_id
    if task_id is None:
        return False
    try:
        with state.locked(where.common_dir):
            record = state.read_task(where.common_dir, task_id)
            if record is None:
                # Hooks installed by hand: no `start` wrote a record yet.
                record = {"id": task_id, "state": state.OPEN}
                for key in ("branch", "worktree", "base"):
                    if isinstance(rules.extra.get(key), str):
                        record[key] = rules.extra[key]
                record.setdefault("worktree", os.getcwd())
                record.setdefault("branch", current_branch(where.git_dir) or "")
            existing = list(record.get("violations") or [])
            seen = {(item.get("commit"), item.get("path"), item.get("kind")) for item in existing}
            for violation in found:
                if (violation.commit, violation.path, violation.kind) not in seen:
                    existing.append(violation.to_json())
            record["violations"] = existing
            state.write_task(where.common_dir, record)
        state.append_event(
            where.common_dir,
            "violation",
            task=task_id,
            commit=commit,
            paths=[violation.path for violation in found],
        )
    except Exception as exc:  # a post-commit hook must never lose the commit over this
        from gitwt.hook import messages  # only when there is something to say

        messages.warn(f"could not record the violation of task {task_id}: {exc}")
        return False
    return True


def live_tasks_on(branch: str | None, where: GitDirs) -> list[TaskRecord]:
    if branch is None:
        return []
    return [
        record for record in live_task_records(where.common_dir) if record.get("base") == branch
    ]


def guard(where: GitDirs) -> int:
    """Main-worktree guard: on a live task's base, refuse commits touching its declared paths."""
    found, names, branch = guarded(where, lambda: diff(cached=True))
    if not found:
        return EXIT_OK
    from gitwt.hook import messages

    messages.report(
        f"commit refused: {messages.count(len(found), 'path')} of this commit "
        f"{messages.belong(len(found))} to live "
        f"task{'s' if len(names) > 1 else ''} {', '.join(names)} (based on {branch})",
        found,
        [
            "agents often edit the main checkout by mistake: commit in the task's worktree",
            "the guard lifts once the task is merged or cleaned ('git parallel merge ID')",
        ],
    )
    return EXIT_VIOLATION


def guarded(
    where: GitDirs, read_changes: Callable[[], list[StagedEntry]], *, editing: bool = False
) -> tuple[list[boundaries.Violation], list[str], str | None]:
    """The base guard's one rule, for a commit (the staged change) and for an agent's edit in
    the main checkout: on a live task's base branch, a path that task declares is refused.
    The violations, the ids of the tasks they belong to, and the branch. `read_changes` is
    called only when a live task is based on this branch (a commit elsewhere runs no diff)."""
    branch = current_branch(where.git_dir)
    tasks = live_tasks_on(branch, where)
    if not tasks:
        return [], [], branch
    incoming = merge_heads(where.git_dir)
    if incoming:
        # Merging a task's own branch into base is how a task lands: not a violation.
        tasks = [record for record in tasks if not _merges_branch_of(record, list(incoming))]
    guarded_tasks = []
    for record in tasks:
        rules = record_rules(record)
        if rules.declared:
            guarded_tasks.append((record, rules.declared, rules))
    found = []
    owners: list[str] = []
    for letter, path in boundaries.touched_paths(read_changes() if guarded_tasks else []):
        for record, patterns, rules in guarded_tasks:
            if rules.declares(path):
                found.append(_guarded_violation(record, patterns, path, letter, editing))
                owners.append(record["id"])
                break
    return found, [record["id"] for record in tasks if record["id"] in owners], branch


def _guarded_violation(
    record: TaskRecord, patterns: list[str], path: str, letter: str, editing: bool
) -> boundaries.Violation:
    from gitwt.hook import messages  # only when there is something to say

    where_text = record.get("worktree") or "its worktree"
    shown = ", ".join(patterns[: boundaries.SHOWN_PATTERNS])
    more = ", …" if len(patterns) > boundaries.SHOWN_PATTERNS else ""
    undo = "" if editing else f"git restore --staged -- {messages.display().shell_quote(path)}  "
    return boundaries.Violation(
        path,
        letter,
        "guarded",
        f"declared by live task {record['id']} ({shown}{more})",
        f"{undo}{'make' if not undo else 'and make'} the change in {where_text}",
    )


def _merges_branch_of(record: TaskRecord, incoming: list[str]) -> bool:
    branch = record.get("branch")
    if not isinstance(branch, str):
        return False
    for oid in incoming:
        code, _ = run_git(["merge-base", "--is-ancestor", oid, f"refs/heads/{branch}"], check=False)
        if code == 0:
            return True
    return False


def check_incoming(where: GitDirs, own: boundaries.Rules | None) -> int:
    """pre-merge-commit: a task branch coming in must stay inside its own task's rules."""
    found: list[boundaries.Violation] = []
    blamed: list[str] = []
    for oid, name in merge_heads(where.git_dir).items():
        rules = task_of_branch(name, where, None) if name else None
        if rules is None:
            code, out = run_git(
                ["for-each-ref", "--points-at", oid, "--format=%(refname)", "refs/heads/"],
                check=False,
            )
            refs = out.decode("utf-8", "surrogateescape").splitlines() if code == 0 else []
            # A plain loop: an assignment expression in a generator would rebind `found`.
            for ref in refs:
                rules = task_of_branch(ref, where, None)
                if rules is not None:
                    break
        if rules is None or (own is not None and rules.task_id == own.task_id):
            continue
        fork = merge_base("HEAD", oid)
        more = boundaries.violations(diff(fork, oid) if fork else [], rules, commit=oid)
        more = judged(more, rules, between([fork] if fork else [], oid))
        if more:
            from gitwt.hook import messages  # only when there is something to say

            blamed.append(messages.who(rules))
            found += more
    if not found:
        return EXIT_OK
    from gitwt.hook import messages  # only when there is something to say

    messages.report(
        f"merge refused: the incoming branch of {', '.join(blamed)} changes "
        f"{messages.count(len(found), 'path')} outside its task",
        found,
        ["'git parallel merge' audits and merges task branches; fix the task branch first"],
    )
    return EXIT_VIOLATION


def check_pushed(where: GitDirs, own: boundaries.Rules | None, lines: bytes) -> int:
    """pre-push: every pushed task branch, over the commits the remote does not have yet."""
    found: list[boundaries.Violation] = []
    for line in lines.decode("utf-8", "surrogateescape").splitlines():
        fields = line.split(" ")
        if len(fields) != 4 or fields[1] == NULL_OID:
            continue  # a deletion pushes no content
        local_ref, local_oid, _, remote_oid = fields
        rules = task_of_branch(local_ref, where, own)
        if rules is None:
            continue
        fork = merge_base(remote_oid, local_oid) if remote_oid != NULL_OID else None
        base = rules.extra.get("base")
        if fork is None and isinstance(base, str) and rev(base):
            fork = merge_base(base, local_oid)
        if fork is None:
            continue
        more = boundaries.violations(diff(fork, local_oid), rules, commit=local_oid)
        found += judged(more, rules, between([fork], local_oid))
    if not found:
        return EXIT_OK
    from gitwt.hook import messages  # only when there is something to say

    messages.report(
        f"push refused: the pushed range changes {messages.count(len(found), 'path')} "
        "outside its task",
        found,
        ["remove those changes from the task branch, or claim the paths, then push again"],
    )
    return EXIT_VIOLATION


def run_hook(
    hook: str,
    mode: str,
    stdin_data: bytes | None,
    where: GitDirs,
    started: tuple[int, int] | None = None,
) -> int:
    if RAISE_FAILPOINT in os.environ:  # tests only: failpoints is imported only then
        from gitwt.infra import failpoints

        failpoints.hit("hook:check")
    own = own_rules(where) if mode == TASK else None
    if own is None and os.path.exists(rules_file.rules_path(where.git_dir)):
        return EXIT_OK  # the base guard, reached from a task worktree: its own hooks check it
    if hook == "pre-commit":
        return check_staged(own, where, started) if own is not None else guard(where)
    if hook == "post-commit":
        return audit_head(own, where) if own is not None else EXIT_OK
    if hook == "pre-merge-commit":
        first = check_staged(own, where) if own is not None else guard(where)
        return max(first, check_incoming(where, own))
    if hook == "pre-push":
        return check_pushed(where, own, stdin_data or b"")
    return EXIT_OK
