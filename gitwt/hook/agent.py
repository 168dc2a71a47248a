"""`git-parallel-hook agent`: refuse an agent's out-of-bounds edit before it is written.

An agent that can run a command before it edits a file (Claude Code's PreToolUse hook, or any
agent given a plain list of paths) pipes its payload here:

- Claude Code PreToolUse JSON: `tool_name` and `tool_input` (`file_path` for Edit, Write and
  MultiEdit, also any `file_path` inside MultiEdit's `edits`; `notebook_path` for
  NotebookEdit); `cwd` is where the agent works. Other tools pass.
- anything else: one path per line, relative to the current directory.

The agent's task is the task of the worktree it works in (its saved rules, as the commit hook
reads them). A path in that worktree is checked against the task's rules; a path in another
worktree of the same repository (the main checkout, by mistake) is refused; paths outside the
repository pass. An agent in the main checkout gets the base guard's verdict: on a live task's
base branch, a path that task declares is refused, as a commit of it would be.

Exit codes follow what the agent expects: Claude Code blocks on exit 2 and shows stderr to the
model; for a plain list, 1 means refused. Unreadable input or rules block (2): fail closed.
Stdlib only, like the rest of the hook path.
"""

from __future__ import annotations

import os
import sys

from gitwt.hook import entry, messages, rules_file, rules_lookup

TYPE_CHECKING = False
if TYPE_CHECKING:
    from gitwt.core import boundaries

EDIT_TOOLS = frozenset({"Edit", "Write", "MultiEdit", "NotebookEdit"})
BLOCK_CLAUDE, REFUSED_PLAIN, PASS = 2, 1, 0


class Edits:
    """What the agent is about to write: paths as given, where it works, and who asked."""

    __slots__ = ("claude", "cwd", "paths")

    def __init__(self, paths: list[str], cwd: str, claude: bool) -> None:
        self.paths = paths
        self.cwd = cwd
        self.claude = claude


def parse_payload(data: bytes, cwd: str) -> Edits:
    """The payload on stdin -> the edits; a JSON object is Claude Code's PreToolUse input."""
    text = data.decode("utf-8", "surrogateescape")
    if not text.lstrip().startswith("{"):
        return Edits([line for line in text.splitlines() if line.strip()], cwd, claude=False)
    import json

    try:
        payload = json.loads(text)
    except ValueError as exc:
        raise entry.HookError(f"the agent's hook payload is not valid JSON: {exc}") from exc
    if not isinstance(payload, dict):
        raise entry.HookError("the agent's hook payload is not a JSON object")
    given = payload.get("cwd")
    where = given if isinstance(given, str) and given else cwd
    if payload.get("tool_name") not in EDIT_TOOLS:
        return Edits([], where, claude=True)
    tool_input = payload.get("tool_input")
    tool_input = tool_input if isinstance(tool_input, dict) else {}
    paths = [tool_input.get(key) for key in ("file_path", "notebook_path")]
    for edit in tool_input.get("edits") or []:
        if isinstance(edit, dict):
            paths.append(edit.get("file_path"))
    return Edits([path for path in paths if isinstance(path, str) and path], where, claude=True)


def worktree_of(path: str) -> str | None:
    """The top of the worktree holding `path` (which need not exist yet), or None."""
    folder = path
    while True:
        if os.path.lexists(os.path.join(folder, ".git")):
            return folder
        parent = os.path.dirname(folder)
        if parent == folder:
            return None
        folder = parent


def _common_dir(top: str) -> str | None:
    git_dir = rules_file.git_dir_of(top)
    return entry.common_dir_of(git_dir) if git_dir is not None else None


def _absolute(path: str, cwd: str) -> str:
    full = os.path.normpath(os.path.join(cwd, path))
    return os.path.join(os.path.realpath(os.path.dirname(full)), os.path.basename(full))


def verdicts(edits: Edits) -> tuple[boundaries.Rules | None, list[boundaries.Violation]]:
    """The rules of the agent's task, and every edit they refuse."""
    top = worktree_of(os.path.realpath(edits.cwd))
    git_dir = rules_file.git_dir_of(top) if top is not None else None
    if top is None or git_dir is None or not edits.paths:
        return None, []
    entry.load_checker()
    from gitwt.core import boundaries  # after load_checker: `re` and `json` only now

    rules = rules_lookup.saved_rules(entry.Layout(git_dir, entry.common_dir_of(git_dir)))
    if rules is None:
        return None, []  # not a task worktree: the main checkout's guard is `guarded_edits`
    ours = entry.common_dir_of(git_dir)
    changes: list[entry.Change] = []
    elsewhere: list[boundaries.Violation] = []
    for given in edits.paths:
        path = _absolute(given, edits.cwd)
        holder = worktree_of(path)
        if holder is None or _common_dir(holder) != ours:
            continue  # outside the repository: not ours to judge
        if holder != top:
            elsewhere.append(_other_worktree(rules, path, holder, top))
            continue
        relative = os.path.relpath(path, top)
        if relative.split(os.sep)[0] == ".git":
            continue
        changes.append(entry.Change("M" if os.path.lexists(path) else "A", relative))
    found = boundaries.violations(changes, rules)
    return rules, elsewhere + boundaries.before_the_edit(found, rules)


def guarded_edits(edits: Edits) -> tuple[list[boundaries.Violation], list[str], str | None]:
    """In a worktree that is no task's (the main checkout): the base guard's verdict on the
    edits, as `hook.checks.guarded` gives it for a commit there (one rule for both)."""
    top = worktree_of(os.path.realpath(edits.cwd))
    git_dir = rules_file.git_dir_of(top) if top is not None else None
    if top is None or git_dir is None or not edits.paths:
        return [], [], None
    entry.load_checker()
    from gitwt.hook import checks

    changes = []
    for given in edits.paths:
        path = _absolute(given, edits.cwd)
        if worktree_of(path) != top:
            continue  # another worktree or outside the repository: its own hooks judge it
        relative = os.path.relpath(path, top)
        if relative.split(os.sep)[0] != ".git":
            changes.append(entry.Change("M" if os.path.lexists(path) else "A", relative))
    if not changes:
        return [], [], None
    where = entry.Layout(git_dir, entry.common_dir_of(git_dir))
    return checks.guarded(where, lambda: changes, editing=True)


def _other_worktree(
    rules: boundaries.Rules, path: str, holder: str, top: str
) -> boundaries.Violation:
    from gitwt.core import boundaries

    return boundaries.Violation(
        path,
        "M" if os.path.lexists(path) else "A",
        "other-worktree",
        f"in another worktree of this repository ({holder}), not task {rules.task_id}'s",
        f"edit it in the task's worktree: {os.path.join(top, os.path.relpath(path, holder))}",
    )


def main(stdin: bytes, cwd: str) -> int:
    """Read the payload, judge the edits, answer the way the agent expects."""
    claude = stdin.lstrip().startswith(b"{")
    try:
        edits = parse_payload(stdin, cwd)
        rules, found = verdicts(edits)
        if rules is None:
            guarded, owners, branch = guarded_edits(edits)
    except entry.HookError as error:
        sys.stderr.write(f"git parallel: error: {error.message}\n")
        if error.hint:
            sys.stderr.write(f"hint: {error.hint}\n")
        return BLOCK_CLAUDE  # fail closed, in a way every agent treats as a refusal
    if rules is None:
        if not guarded:
            return PASS
        messages.report(
            f"edit refused: {messages.count(len(guarded), 'path')} belong to live "
            f"task{'s' if len(owners) > 1 else ''} {', '.join(owners)} (based on {branch}); "
            "nothing was written",
            guarded,
            ["agents often edit the main checkout by mistake: edit in the task's worktree"],
        )
        return BLOCK_CLAUDE if claude else REFUSED_PLAIN
    if not found:
        return PASS
    messages.report(
        f"edit refused: {messages.who(rules)} may not change "
        f"{messages.count(len(found), 'path')} (nothing was written)",
        found,
        [
            f"claim a path first with 'git parallel claim {rules.task_id} -- PATH' "
            "(refused if another live task has it), or leave it alone",
        ],
    )
    return BLOCK_CLAUDE if claude else REFUSED_PLAIN
