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
that would have run without us (`checks` holds the checks, `rules_lookup` which rules apply,
`messages` the reports, imported only when there is something to report). The pre-commit
framework calls `main()` through the `git-parallel-hook` console script
(`git-parallel-hook boundaries`).

Exit codes: 0 ok, 1 violations, 2 the rules cannot be read (fail closed).
"""

from __future__ import annotations

import os
import sys

from gitwt.hook.git_runner import (
    GitDirs as GitDirs,
)
from gitwt.hook.git_runner import (
    HookError as HookError,
)
from gitwt.hook.git_runner import (  # re-exported: the shims, agent hook and services use them
    StagedEntry as StagedEntry,
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
from gitwt.hook.hook_modes import (  # the checks run here
    BASE_GUARD_MARKER,
    BLOCKING_HOOKS,
    EXIT_OK,
    EXIT_UNREADABLE,
    EXIT_VIOLATION,
    SAVED_SUFFIX,
    TASK,
)

TYPE_CHECKING = False
if TYPE_CHECKING:
    from gitwt.core import boundaries
    from gitwt.hook import checks, rules_lookup


def load_checker() -> None:
    """Import the checks (`re`, and `json` when rules are read): after git has started."""
    global boundaries, checks, rules_file, rules_lookup
    from gitwt.core import boundaries
    from gitwt.hook import checks, rules_file, rules_lookup


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
        code = checks.run_hook(hook, mode, stdin_data, where, started)
    except HookError as error:
        from gitwt.core.display import inert

        sys.stderr.write(inert(error.render(), lines=True) + "\n")
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
    from gitwt.hook import plan_contents

    rules = rules_lookup.saved_rules(where)
    if rules is None:
        return EXIT_OK  # not a task worktree: nothing is declared here
    pushed = framework_range()
    if pushed is not None:
        old, new = pushed
        fork = merge_base(old, new) or old
        found = boundaries.violations(diff(fork, new), rules, commit=rev(new))
        found = plan_contents.judged(found, rules, plan_contents.between([fork], new))
        scope = f"{old[:12]}..{new[:12]}"
    else:
        found = boundaries.violations(checks.staged_changes(rules, where), rules)
        if found:
            olds = ["HEAD", *merge_heads(where.git_dir)]
            found = plan_contents.judged(found, rules, plan_contents.between(olds, None))
        scope = "the staged change"
    if not found:
        return EXIT_OK
    from gitwt.hook import messages

    messages.report(
        f"{scope} touches {messages.count(len(found), 'path')} {messages.who(rules)} "
        "may not change",
        found,
        [f"unstage or revert them, or 'git parallel claim {rules.task_id} -- PATH'"],
    )
    return EXIT_VIOLATION


def internal_error(error: Exception) -> int:
    """A bug (exit 3): one line, the traceback saved under the state folder (gitwt.infra.crash)."""
    from gitwt.infra import crash

    try:
        common_dir: str | None = layout().common_dir
    except Exception:  # the repository itself may be what broke
        common_dir = None
    return crash.report(error, common_dir)
