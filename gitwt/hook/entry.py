"""The commit hooks' entry point. Stdlib only, and as little of it as possible.

Every commit in a task worktree pays for this module, so the budget (DESIGN §10) is 1.25 × the
cost of starting Python and running `git diff --cached` once. That is why this module:

- reads the task's compiled rules (one small JSON file in the worktree's private git dir) and
  nothing else: no config, no spec, no CODEOWNERS parsing;
- runs git through its own runner, `hook.git_runner` (posix_spawn, and why), and finds the git
  dir by reading `.git` instead of asking git;
- starts `git diff --cached` before importing `re` and `json` (through `gitwt.core.boundaries`) and
  loading the rules, so git and Python work at the same time: `import re` alone costs about
  as much as starting Python.

Installed shims call `shim_main(hook, mode, chain, args)`: run the check, then chain to the hook
that would have run without us. The pre-commit framework calls `main()` through the
`git-parallel-hook` console script (`git-parallel-hook boundaries`).

Exit codes: 0 ok, 1 violations, 2 the rules cannot be read (fail closed).
"""

from __future__ import annotations

import os
import sys

from gitwt.hook.git_runner import (  # re-exported: the shims, agent hook and services use them
    Change as Change,
)
from gitwt.hook.git_runner import (
    HookError as HookError,
)
from gitwt.hook.git_runner import (
    Layout as Layout,
)
from gitwt.hook.git_runner import (
    common_dir_of as common_dir_of,
)
from gitwt.hook.git_runner import (
    current_branch as current_branch,
)
from gitwt.hook.git_runner import (
    diff as diff,
)
from gitwt.hook.git_runner import (
    diff_args as diff_args,
)
from gitwt.hook.git_runner import (
    finish_git as finish_git,
)
from gitwt.hook.git_runner import (
    git_dir_of as git_dir_of,
)
from gitwt.hook.git_runner import (
    layout as layout,
)
from gitwt.hook.git_runner import (
    merge_base as merge_base,
)
from gitwt.hook.git_runner import (
    merge_heads as merge_heads,
)
from gitwt.hook.git_runner import (
    parse_name_status as parse_name_status,
)
from gitwt.hook.git_runner import (
    rev as rev,
)
from gitwt.hook.git_runner import (
    run_git as run_git,
)
from gitwt.hook.git_runner import (
    start_git as start_git,
)

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from gitwt.core import boundaries
    from gitwt.hook import rules_file

EXIT_OK, EXIT_VIOLATION, EXIT_UNREADABLE = 0, 1, 2
NULL_OID = "0" * 40
BLOCKING_HOOKS = frozenset({"pre-commit", "pre-merge-commit", "pre-push"})
CHECKED_HOOKS = ("pre-commit", "post-commit", "pre-merge-commit", "pre-push")
TASK, GUARD = "task", "guard"
RAISE_FAILPOINT = "GIT_PARALLEL_FAILPOINT_RAISE"  # = failpoints.RAISE_VARIABLE, not imported
# The base guard in the common hooks folder says so in its first lines, and keeps the hook it
# displaced next to itself under this suffix (gitwt.services.base_guard).
BASE_GUARD_MARKER = b"git parallel: the base guard"
SAVED_SUFFIX = ".parallel-saved"
COLOURS = {"red": "31", "yellow": "33", "bold": "1"}


def load_checker() -> None:
    """Import the matching code (`re`, and `json` when rules are read): after git has started."""
    global boundaries, rules_file
    from gitwt.core import boundaries
    from gitwt.hook import rules_file


def saved_rules(where: Layout) -> boundaries.Rules | None:
    """This worktree's task rules, or None outside task worktrees; unreadable ones fail closed."""
    try:
        return rules_file.load_rules(where.git_dir)
    except (OSError, ValueError) as exc:
        path = rules_file.rules_path(where.git_dir)
        raise HookError(
            f"the task rules in {path} are unreadable ({exc})",
            "rewrite them with 'git parallel hooks install --task ID' in this worktree",
        ) from exc


def own_rules(where: Layout) -> boundaries.Rules:
    """This task worktree's rules; a missing or broken file refuses the commit (fail closed)."""
    path = rules_file.rules_path(where.git_dir)
    rules = saved_rules(where)
    if rules is None:
        raise HookError(
            f"this worktree's hooks check a task, but {path} is missing",
            "run 'git parallel hooks install --task ID' here, or 'git parallel hooks uninstall'",
        )
    return rules


def _display() -> Any:
    from gitwt.core import display  # only when there is something to show

    return display


def _failing_closed(error: Exception) -> HookError:
    hint = getattr(error, "hint", None) or ""
    return HookError(getattr(error, "message", str(error)), hint)


def live_task_records(common_dir: str) -> list[dict[str, Any]]:
    """Every live task's state record: `gitwt.infra.records`, the one reader and the one
    definition of live (it raises for an unreadable record, which fails the hook closed)."""
    from gitwt.errors import GitParallelError
    from gitwt.infra import records

    try:
        return [
            record for record in records.all_tasks(common_dir).values() if records.is_live(record)
        ]
    except GitParallelError as error:
        raise _failing_closed(error) from error


def record_rules(record: dict[str, Any]) -> boundaries.Rules:
    """The rules another task commits under: the one builder, from its worktree's snapshot and
    its state record (the hook has no ownership map of its own: a task whose snapshot is gone
    is checked against its declaration)."""
    from gitwt.core.declaration import task_rules
    from gitwt.errors import GitParallelError

    extra: dict[str, Any] = {
        key: record[key] for key in ("base", "branch", "worktree") if key in record
    }
    try:
        saved = rules_file.worktree_rules(record.get("worktree"))
        return task_rules(record, saved=saved, extra=extra)
    except GitParallelError as error:  # a malformed claim: name the task, refuse (fail closed)
        raise _failing_closed(error) from error


# --- messages --------------------------------------------------------------------------------


def _paint(text: str, colour: str) -> str:
    stream = sys.stderr
    if not stream.isatty() or "NO_COLOR" in os.environ or os.environ.get("TERM") == "dumb":
        return text
    return f"\033[{COLOURS[colour]}m{text}\033[0m"


def warn(text: str) -> None:
    sys.stderr.write(f"git parallel: warning: {text}\n")


def report(headline: str, found: list[boundaries.Violation], hints: list[str]) -> None:
    lines = [_paint(f"git parallel: {headline}", "red") + "\n"]
    lines += _display().violation_lines(found)
    lines += [f"hint: {hint}\n" for hint in hints]
    sys.stderr.write("".join(lines))
    sys.stderr.flush()


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


def _who(rules: boundaries.Rules) -> str:
    if rules.task_id is None:
        return f"role {rules.owner}"
    return f"task {rules.task_id}" + (f" (owner {rules.owner})" if rules.owner else "")


# --- the checks ------------------------------------------------------------------------------


def staged_changes(rules: boundaries.Rules | None, where: Layout) -> list[Change]:
    """What the commit being made changes, as the task's branch will carry it.

    While a merge is being committed, the index also holds what comes in from the other side;
    diffing against the fork point from base of (HEAD merged with MERGE_HEAD) leaves out what
    base already has, so merging base into a task branch is not a violation.
    """
    incoming = merge_heads(where.git_dir)
    base = rules.extra.get("base") if rules is not None else None
    if incoming and isinstance(base, str) and rev(base):
        fork = merge_base(base, "HEAD", *incoming.keys())
        if fork:
            return diff(fork, cached=True)
    return diff(cached=True)


def check_staged(
    rules: boundaries.Rules, where: Layout, started: tuple[int, int] | None = None
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
    if not found:
        return EXIT_OK
    report(
        f"commit refused: {_who(rules)} may not change {_count(len(found), 'path')}",
        found,
        [
            "unstage them (the 'fix:' of each line), or extend the declaration with "
            f"'git parallel claim {rules.task_id} -- PATH'",
            "--no-verify does not hide it: the commit is recorded and 'git parallel merge' "
            "audits the whole branch",
        ],
    )
    return EXIT_VIOLATION


def audit_head(rules: boundaries.Rules, where: Layout) -> int:
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
        raw = run_git(["diff-tree", "--root", "--no-commit-id", "-r", "-z", "--name-status", head])
        changes = parse_name_status(raw[1])
    found = boundaries.violations(changes, rules, commit=head)
    if not found:
        return EXIT_OK
    recorded = record_violations(where, rules, head, found)
    report(
        f"WARNING: commit {head[:10]} changes {_count(len(found), 'path')} {_who(rules)} "
        "may not change",
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
    where: Layout, rules: boundaries.Rules, commit: str, found: list[boundaries.Violation]
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
                record.setdefault("branch", current_branch(where.git_dir))
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
        warn(f"could not record the violation of task {task_id}: {exc}")
        return False
    return True


def live_tasks_on(branch: str | None, where: Layout) -> list[dict[str, Any]]:
    if branch is None:
        return []
    return [
        record for record in live_task_records(where.common_dir) if record.get("base") == branch
    ]


def guard(where: Layout) -> int:
    """Main-worktree guard: on a live task's base, refuse commits touching its declared paths."""
    branch = current_branch(where.git_dir)
    tasks = live_tasks_on(branch, where)
    if not tasks:
        return EXIT_OK
    incoming = merge_heads(where.git_dir)
    if incoming:
        # Merging a task's own branch into base is how a task lands: not a violation.
        tasks = [record for record in tasks if not _merges_branch_of(record, list(incoming))]
    guarded = []
    for record in tasks:
        rules = record_rules(record)
        if rules.declared:
            guarded.append((record, rules.declared, rules))
    found = []
    owners: list[str] = []
    for letter, path in boundaries.touched_paths(diff(cached=True)):
        for record, patterns, rules in guarded:
            if rules.declares(path):
                where_text = record.get("worktree") or "its worktree"
                found.append(
                    boundaries.Violation(
                        path,
                        letter,
                        "guarded",
                        f"declared by live task {record['id']} "
                        f"({', '.join(patterns[: boundaries.SHOWN_PATTERNS])}"
                        f"{', …' if len(patterns) > boundaries.SHOWN_PATTERNS else ''})",
                        f"git restore --staged -- {_display().shell_quote(path)}  and make the "
                        f"change in {where_text}",
                    )
                )
                owners.append(record["id"])
                break
    if not found:
        return EXIT_OK
    names = [record["id"] for record in tasks if record["id"] in owners]
    report(
        f"commit refused: {_count(len(found), 'path')} of this commit belong to live "
        f"task{'s' if len(names) > 1 else ''} {', '.join(names)} (based on {branch})",
        found,
        [
            "agents often edit the main checkout by mistake: commit in the task's worktree",
            "the guard lifts once the task is merged or cleaned ('git parallel merge ID')",
        ],
    )
    return EXIT_VIOLATION


def _merges_branch_of(record: dict[str, Any], incoming: list[str]) -> bool:
    branch = record.get("branch")
    if not isinstance(branch, str):
        return False
    for oid in incoming:
        code, _ = run_git(["merge-base", "--is-ancestor", oid, f"refs/heads/{branch}"], check=False)
        if code == 0:
            return True
    return False


def task_of_branch(
    ref: str, where: Layout, own: boundaries.Rules | None
) -> boundaries.Rules | None:
    """The rules of the task whose branch `ref` (refs/heads/... or a short name) is, if any."""
    branch = ref.removeprefix("refs/heads/")
    if own is not None and (ref == "HEAD" or branch == own.extra.get("branch")):
        return own
    if not branch or branch == "HEAD":
        return None
    # A live task's rules: its snapshot and its record, the same declaration `merge` audits...
    for record in live_task_records(where.common_dir):
        if record.get("branch") == branch:
            return record_rules(record)
    # ...and a worktree whose hooks were installed by hand (`hooks install --task`, no record).
    worktrees = os.path.join(where.common_dir, "worktrees")
    try:
        names = sorted(os.listdir(worktrees))
    except OSError:
        names = []
    for name in names:
        try:
            rules = rules_file.load_rules(os.path.join(worktrees, name))
        except (OSError, ValueError):
            continue
        if rules is not None and rules.extra.get("branch") == branch:
            return rules
    return None


def check_incoming(where: Layout, own: boundaries.Rules | None) -> int:
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
        if more:
            blamed.append(_who(rules))
            found += more
    if not found:
        return EXIT_OK
    report(
        f"merge refused: the incoming branch of {', '.join(blamed)} changes "
        f"{_count(len(found), 'path')} outside its task",
        found,
        ["'git parallel merge' audits and merges task branches; fix the task branch first"],
    )
    return EXIT_VIOLATION


def check_pushed(where: Layout, own: boundaries.Rules | None, lines: bytes) -> int:
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
        found += boundaries.violations(diff(fork, local_oid), rules, commit=local_oid)
    if not found:
        return EXIT_OK
    report(
        f"push refused: the pushed range changes {_count(len(found), 'path')} outside its task",
        found,
        ["remove those changes from the task branch, or claim the paths, then push again"],
    )
    return EXIT_VIOLATION


def run_hook(
    hook: str,
    mode: str,
    stdin_data: bytes | None,
    where: Layout,
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


# --- entry points ----------------------------------------------------------------------------


def chain_target(target: str, hook: str) -> str:
    """The hook file to run after our check: `target` is a hooks folder or the file itself.

    A task worktree's shims chain to the common hooks folder; when the base guard sits there,
    the task's own check already ran, so go straight to the hook the guard keeps.
    """
    path = os.path.join(target, hook) if os.path.isdir(target) else target
    try:
        with open(path, "rb") as handle:
            head = handle.read(512)
    except OSError:
        return path
    return path + SAVED_SUFFIX if BASE_GUARD_MARKER in head else path


def chain(target: str, hook: str, args: list[str], stdin_data: bytes | None) -> int:
    """Run the hook that would have run without us, with the same arguments and input."""
    if not target:
        return EXIT_OK
    path = chain_target(target, hook)
    if not (os.path.isfile(path) and os.access(path, os.X_OK)):
        return EXIT_OK
    sys.stdout.flush()
    sys.stderr.flush()
    if stdin_data is None:
        os.execv(path, [path, *args])  # the chained hook's exit code is ours
    read_end, write_end = os.pipe()
    pid = os.posix_spawn(
        path,
        [path, *args],
        os.environ,
        file_actions=[(os.POSIX_SPAWN_DUP2, read_end, 0), (os.POSIX_SPAWN_CLOSE, write_end)],
    )
    os.close(read_end)
    try:
        with os.fdopen(write_end, "wb") as pipe:
            pipe.write(stdin_data)
    except BrokenPipeError:
        pass  # the chained hook need not read its input
    return os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])


def shim_main(
    hook: str, mode: str, chain_dir: str, args: list[str], started: tuple[int, int] | None = None
) -> int:
    """What an installed shim runs: the check, then the chained hook.

    `started`: the pre-commit shim's `git diff --cached`, begun before gitwt was imported.
    """
    stdin_data = sys.stdin.buffer.read() if hook == "pre-push" else None
    try:
        where = layout()
        wanted = hook == "pre-commit" and mode == TASK and not merge_heads(where.git_dir)
        if started is not None and not wanted:
            finish_git(started)  # a merge is being committed: it diffs against the fork point
            started = None
        elif wanted and started is None:
            started = start_git(diff_args(cached=True))  # runs while Python loads the check
        load_checker()
        code = run_hook(hook, mode, stdin_data, where, started)
    except HookError as error:
        sys.stderr.write(f"git parallel: error: {error.message}\n")
        if error.hint:
            sys.stderr.write(f"hint: {error.hint}\n")
        code = EXIT_UNREADABLE
    except KeyboardInterrupt:
        return 130
    except Exception as error:  # a bug: blocks a blocking hook, never a traceback
        code = internal_error(error)
    if code != EXIT_OK and hook in BLOCKING_HOOKS:
        return code
    return chain(chain_dir, hook, args, stdin_data)


def framework_range() -> tuple[str, str] | None:
    """The pre-commit framework's range (pre-push, or `run --from-ref/--to-ref`): the one reader
    of PRE_COMMIT_FROM_REF/TO_REF, for this hook and for `git parallel check`."""
    old, new = os.environ.get("PRE_COMMIT_FROM_REF"), os.environ.get("PRE_COMMIT_TO_REF")
    return (old, new) if old and new else None


def framework_boundaries() -> int:
    """`git-parallel-boundaries` of the pre-commit framework: the task of this worktree, if any.

    Stages: pre-commit and pre-merge-commit check the index; pre-push and manual runs with
    --from-ref/--to-ref check PRE_COMMIT_FROM_REF..PRE_COMMIT_TO_REF.
    """
    where = layout()
    load_checker()
    rules = saved_rules(where)
    if rules is None:
        return EXIT_OK  # not a task worktree: nothing is declared here
    pushed = framework_range()
    if pushed is not None:
        old, new = pushed
        fork = merge_base(old, new) or old
        found = boundaries.violations(diff(fork, new), rules, commit=rev(new))
        scope = f"{old[:12]}..{new[:12]}"
    else:
        found = boundaries.violations(staged_changes(rules, where), rules)
        scope = "the staged change"
    if not found:
        return EXIT_OK
    report(
        f"{scope} touches {_count(len(found), 'path')} {_who(rules)} may not change",
        found,
        [f"unstage or revert them, or 'git parallel claim {rules.task_id} -- PATH'"],
    )
    return EXIT_VIOLATION


USAGE = """\
usage: git-parallel-hook boundaries          (the pre-commit framework's git-parallel-boundaries)
       git-parallel-hook agent < PAYLOAD     (an agent's pre-edit hook: Claude Code PreToolUse
                                             JSON, or paths one per line)
       git-parallel-hook HOOK [ARGS...]     (HOOK: pre-commit, post-commit, pre-merge-commit,
                                             pre-push; what the installed shims run)
"""


def internal_error(error: Exception) -> int:
    """A bug (exit 3): one line, the traceback saved under the state folder (gitwt.infra.crash)."""
    from gitwt.infra import crash

    try:
        common_dir: str | None = layout().common_dir
    except Exception:  # the repository itself may be what broke
        common_dir = None
    return crash.report(error, common_dir)


def main(argv: list[str] | None = None) -> int:
    """`git-parallel-hook`: every unexpected exception is an internal error (exit 3)."""
    try:
        return dispatch(sys.argv[1:] if argv is None else argv)
    except Exception as error:
        return internal_error(error)


def dispatch(args: list[str]) -> int:
    if not args or args[0] in ("-h", "--help"):
        sys.stdout.write(USAGE) if args else sys.stderr.write(USAGE)
        return EXIT_OK if args else EXIT_UNREADABLE
    what, rest = args[0], args[1:]
    if what == "agent":
        from gitwt.hook import agent

        return agent.main(sys.stdin.buffer.read(), os.getcwd())
    if what == "boundaries":
        try:
            return framework_boundaries()
        except HookError as error:
            sys.stderr.write(f"git parallel: error: {error.message}\nhint: {error.hint}\n")
            return EXIT_UNREADABLE
    if what in CHECKED_HOOKS:
        load_checker()
        where = layout()
        has_rules = os.path.exists(rules_file.rules_path(where.git_dir))
        return shim_main(what, TASK if has_rules else GUARD, "", rest)
    sys.stderr.write(f"git parallel: error: unknown hook {what!r}\n{USAGE}")
    return EXIT_UNREADABLE


if __name__ == "__main__":
    sys.exit(main())
