"""`git-parallel-hook agent-shell`: after an agent's shell command, report at once every file of
the task worktree that is out of the task's bounds.

The pre-edit hook (`hook.agent`) sees the agent's own file tools; a shell command (`sed -i`,
`cat > f`, a code generator) writes without asking. Claude Code runs this after its `Bash` tool
(PostToolUse), Gemini CLI after `run_shell_command` (AfterTool). The payload names the folder
the agent works in (`cwd`); outside a task worktree the answer is 0 at once, without git.

In a task worktree it reads the worktree's state once, `git status --porcelain -z` (tracked
changes, staged or not, and untracked files that are not ignored: what `git add -A` would
commit), and checks every path with the commit hook's rules. It cannot tell which command
made a change, so a change still there from an earlier command is reported again until it is
undone or claimed; ignored files, and changes a command already committed, are the commit
hooks' and `merge`'s to see.

Exit codes: 0 nothing out of bounds; 2 the paths on stderr (both agents show it to the model:
the command has run, the file is written, the report says how to undo or claim it), and 2 for
an unreadable payload or rules or any internal error (fail closed, DESIGN §13). Gemini CLI
reads stdout as JSON: a clean answer prints `{}`. Stdlib only, like the rest of the hook path.
"""

from __future__ import annotations

import os
import sys

from gitwt.hook import agent, entry, git_runner, rules_file

TYPE_CHECKING = False
if TYPE_CHECKING:
    from gitwt.core import boundaries
    from gitwt.hook import plan_contents

PASS, REPORTED = 0, 2
HINT = (
    "the hook expects an agent's after-shell JSON on stdin (Claude Code PostToolUse or Gemini "
    "CLI AfterTool: cwd, tool_name, tool_input); the command has run, its changes were not "
    "checked"
)
# What `git add -A` would commit, file by file (-uall: a new folder is not one entry); no
# renames, so every entry is `XY path`. No optional locks:
# the agent may be running git itself, and the hook must not take the index lock from it.
STATUS_ARGS = ["--no-optional-locks", "status", "--porcelain=v1", "-z", "--no-renames", "-uall"]


def parse_status(data: bytes) -> list[git_runner.StagedEntry]:
    """`git status --porcelain=v1 -z --no-renames` -> a change per path (A new, D gone, else M)."""
    changes = []
    for item in data.decode("utf-8", "surrogateescape").split("\0"):
        if len(item) < 4:
            continue
        code, path = item[:2], item[3:]
        letter = "A" if code == "??" or "A" in code else "D" if "D" in code else "M"
        changes.append(git_runner.StagedEntry(letter, path))
    return changes


def task_layout(cwd: str) -> tuple[str, str] | None:
    """(worktree top, private git dir) of the task worktree holding `cwd`, or None."""
    top = agent.worktree_of(os.path.realpath(cwd))
    git_dir = rules_file.git_dir_of(top) if top is not None else None
    if top is None or git_dir is None:
        return None
    if os.path.exists(rules_file.rules_path(git_dir)):
        return top, git_dir
    try:  # a worktree gitwt locked for a task, without its rules: fail closed
        with open(os.path.join(git_dir, "locked"), encoding="utf-8") as handle:
            locked = handle.read().startswith("git parallel ")
    except (OSError, ValueError):
        locked = False
    return (top, git_dir) if locked else None  # elsewhere: no task, nothing to report


def out_of_bounds(top: str, git_dir: str) -> tuple[boundaries.Rules, list[boundaries.Violation]]:
    """The task's rules and every path of the worktree's state they refuse."""
    started = git_runner.start_git(
        STATUS_ARGS, folder=top
    )  # git reads while Python loads the rules
    try:
        entry.load_checker()
        from gitwt.core import boundaries
        from gitwt.hook import rules_lookup

        rules = rules_lookup.saved_rules(
            git_runner.GitDirs(git_dir, git_runner.common_dir_of(git_dir))
        )
    finally:
        code, out = git_runner.finish_git(started)
    if code != 0:
        raise git_runner.HookError(
            f"git status failed in {top} (exit {code})", "see git's message above"
        )
    if rules is None:
        raise git_runner.HookError(
            f"{top} is a task worktree, but its rules file is missing",
            "run 'git parallel hooks install --task ID' there, or 'git parallel hooks uninstall'",
        )
    changes = parse_status(out)
    found = boundaries.violations(changes, rules)
    if found:  # a plan file's status marks: the file on disk against HEAD's, on content
        from gitwt.hook import plan_contents

        found = plan_contents.judged(found, rules, _on_disk(top))
    return rules, boundaries.after_the_command(found, rules)


def _on_disk(top: str) -> plan_contents.Contents:
    from gitwt.hook import plan_contents

    def contents(path: str) -> tuple[list[str | None], str | None]:
        try:
            with open(os.path.join(top, path), "rb") as handle:
                now: str | None = handle.read().decode("utf-8", "surrogateescape")
        except OSError:
            now = None
        return [plan_contents.blob_text(f"HEAD:{path}", top)], now

    return contents


def main(stdin: bytes, cwd: str) -> int:
    """Read the payload, check the worktree's state, answer the way the agent expects."""
    gemini = False
    try:
        payload = agent.read_payload(stdin.decode("utf-8", "surrogateescape"), HINT)
        gemini = agent.is_gemini(payload)
        where = payload.get("cwd", cwd)
        if not isinstance(where, str) or not where:
            raise git_runner.HookError(
                f"the agent's hook payload has a 'cwd' that is not a folder name: {where!r}",
                HINT,
            )
        found_where = task_layout(where)
        if found_where is None:
            return _clean(gemini)
        rules, found = out_of_bounds(*found_where)
    except git_runner.HookError as error:
        return agent.fail_closed(error.message, error.hint)
    except Exception as error:  # a bug: say so rather than let the change pass unseen
        return agent.fail_closed(
            f"the agent's after-shell hook failed: {error!r}",
            "the command's changes were not checked; run 'git parallel check --staged' after "
            "'git add -A', and report this bug",
        )
    if not found:
        return _clean(gemini)
    from gitwt.hook import messages

    messages.report(
        f"the command left {messages.count(len(found), 'path')} in this worktree that "
        f"{messages.who(rules)} may not change (the commit hook will refuse them)",
        found,
        [
            "undo each change as its fix says, or claim the path with "
            f"'git parallel claim {rules.task_id} -- PATH' (refused if another live task has it)",
        ],
    )
    return REPORTED


def _clean(gemini: bool) -> int:
    if gemini:
        sys.stdout.write("{}\n")  # Gemini CLI parses stdout as JSON: nothing to add
    return PASS
