"""`git-parallel-hook agent`: refuse an agent's out-of-bounds edit before it is written.

An agent that can run a command before it edits a file (Claude Code's PreToolUse hook, Gemini
CLI's BeforeTool hook, or any agent given a plain list of paths) pipes its payload here:

- Claude Code PreToolUse JSON: `tool_name` and `tool_input` (`file_path` for Edit, Write and
  MultiEdit, also any `file_path` inside MultiEdit's `edits`; `notebook_path` for
  NotebookEdit); `cwd` is where the agent works. Other tools pass.
- Gemini CLI BeforeTool JSON: the same fields; its file-writing tools `write_file` and
  `replace` name the file in `tool_input.file_path`. Gemini reads stdout as JSON: an edit it
  may make is answered with `{}`.
- anything else: one path per line, relative to the current directory.

The agent's task is the task of the worktree it works in (its saved rules, as the commit hook
reads them). A path in that worktree is checked against the task's rules; a path in another
worktree of the same repository (the main checkout, by mistake) is refused; paths outside the
repository pass. An agent in the main checkout gets the base guard's verdict: on a live task's
base branch, a path that task declares is refused, as a commit of it would be.

A path is judged where the write lands: every symbolic link on the way is followed, and a link
inside the worktree that leads out of it is refused (DESIGN §13).

A plan file that holds the task's bookkeeping is judged on content, as the commit hook judges
it: the text the edit leaves (`hook.edit_contents`: Write's `content`, Edit's and replace's
replacement in the file on disk, MultiEdit's edits in order) against HEAD's; an edit beyond the
task's own status marks is refused, naming the line. Where the payload gives no text, or the
tool could not apply the edit (it then fails by itself), the edit is allowed and judged at the
commit.

Exit codes follow what the agent expects: Claude Code and Gemini CLI block on exit 2 and show
stderr to the model, and let every other code through; for a plain list, 1 means refused. So
whatever the hook cannot judge blocks with 2 (fail closed): a payload that is not JSON or nests
too deep, an edit tool's input without a file name string, a path no file can have (NUL, a lone
surrogate), a task worktree whose rules file is missing or unreadable, any internal error.
Stdlib only, like the rest of the hook path.
"""

from __future__ import annotations

import os
import sys

from gitwt.hook import git_runner, messages, rules_file, rules_lookup

TYPE_CHECKING = False
if TYPE_CHECKING:
    from gitwt.core import boundaries

# Claude Code's file-editing tools, then Gemini CLI's.
EDIT_TOOLS = frozenset({"Edit", "Write", "MultiEdit", "NotebookEdit", "write_file", "replace"})
GEMINI_EVENTS = frozenset({"BeforeTool", "AfterTool"})  # Claude Code's: PreToolUse, PostToolUse
BLOCK_CLAUDE, REFUSED_PLAIN, PASS = 2, 1, 0


class Edits:
    """What the agent is about to write: paths as given, where it works, and who asked."""

    __slots__ = ("claude", "cwd", "gemini", "paths", "tool", "tool_input")

    def __init__(
        self,
        paths: list[str],
        cwd: str,
        claude: bool,
        gemini: bool = False,
        tool: tuple[str, dict[str, object]] | None = None,
    ) -> None:
        self.paths = paths
        self.cwd = cwd
        self.claude = claude  # an agent's JSON payload (Claude Code's or Gemini CLI's)
        self.gemini = gemini  # Gemini CLI: stdout must hold JSON
        # The edit tool and its input, which give the file's new text (`hook.edit_contents`)
        self.tool = tool


_HINT = (
    "the hook expects an agent's pre-edit JSON (tool_name, tool_input with a file_path or "
    "notebook_path string) or paths one per line; nothing was written"
)


def _malformed(what: str) -> git_runner.HookError:
    return git_runner.HookError(f"the agent's hook payload {what}", _HINT)


def parse_payload(data: bytes, cwd: str) -> Edits:
    """The payload on stdin -> the edits; a JSON object is Claude Code's PreToolUse input.

    Anything that is not the shape an edit tool sends is refused (HookError, exit 2): a
    payload the hook cannot read must never let the edit through (DESIGN §13).
    """
    text = data.decode("utf-8", "surrogateescape")  # a file name's bytes stay as they are
    if not text.lstrip().startswith("{"):
        lines = [line for line in text.splitlines() if line.strip()]
        return Edits([_file_name(line) for line in lines], cwd, claude=False)
    payload = read_payload(text)
    given = payload.get("cwd", cwd)
    if not isinstance(given, str) or not given:
        raise _malformed(f"has a 'cwd' that is not a folder name: {_shown(given)}")
    tool = payload.get("tool_name")
    if not isinstance(tool, str):
        raise _malformed(f"has no tool name ('tool_name' is {_shown(tool)})")
    gemini = is_gemini(payload)
    if tool not in EDIT_TOOLS:
        return Edits([], given, claude=True, gemini=gemini)
    tool_input = payload.get("tool_input")
    paths = _edited_paths(tool, tool_input)
    assert isinstance(tool_input, dict)  # _edited_paths refuses anything else
    return Edits(paths, _file_name(given), claude=True, gemini=gemini, tool=(tool, tool_input))


def read_payload(text: str, hint: str = _HINT) -> dict[str, object]:
    """An agent hook's JSON payload (one object), or the HookError that refuses it. Read with
    the C scanner where it can (`import json` costs the hook as much as its own work)."""
    try:
        payload = rules_file.parse_json(text)
    except ValueError as exc:
        raise git_runner.HookError(
            f"the agent's hook payload is not valid JSON: {exc}", hint
        ) from exc
    except RecursionError as exc:  # nesting deeper than the C scanner goes
        raise git_runner.HookError(
            "the agent's hook payload is nested too deeply to read", hint
        ) from exc
    if not isinstance(payload, dict):
        raise git_runner.HookError("the agent's hook payload is not a JSON object", hint)
    return payload


def is_gemini(payload: dict[str, object]) -> bool:
    return payload.get("hook_event_name") in GEMINI_EVENTS


def _edited_paths(tool: str, tool_input: object) -> list[str]:
    """Every path an edit tool's input names; each must be a usable file name."""
    if not isinstance(tool_input, dict):
        raise _malformed(f"has a {tool} 'tool_input' that is not an object: {_shown(tool_input)}")
    named = [key for key in ("file_path", "notebook_path") if key in tool_input]
    if not named:
        raise _malformed(f"names no file for {tool} (no 'file_path' or 'notebook_path')")
    paths = [_path_value(tool_input[key], key) for key in named]
    edits = tool_input.get("edits")
    if edits is not None and not isinstance(edits, list):
        raise _malformed(f"has 'edits' that are not a list: {_shown(edits)}")
    for number, edit in enumerate(edits or [], start=1):
        if not isinstance(edit, dict):
            raise _malformed(f"has edit {number} that is not an object: {_shown(edit)}")
        if "file_path" in edit:
            paths.append(_path_value(edit["file_path"], f"edit {number}'s file_path"))
    return paths


def _path_value(value: object, key: str) -> str:
    if not isinstance(value, str) or not value:
        raise _malformed(f"has a '{key}' that is not a file name: {_shown(value)}")
    return _file_name(value)


def _file_name(path: str) -> str:
    """`path`, if the system can name a file with it (no NUL, no lone surrogate from JSON)."""
    try:
        encoded = os.fsencode(path)
    except UnicodeError:
        encoded = b"\0"
    if b"\0" in encoded:
        raise _malformed(f"has a path that cannot be a file name: {_shown(path)}")
    return path


def _shown(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


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
    return git_runner.common_dir_of(git_dir) if git_dir is not None else None


def _landing(path: str, cwd: str, top: str) -> tuple[str, str | None]:
    """Where a write to `path` lands (every symbolic link on the way followed), and the link
    inside the worktree `top` that led out of it, if one did."""
    # Component by component, as the system resolves it: `link/..` is the link target's parent.
    current = os.path.realpath(cwd)
    escaped: str | None = None
    parts = path.split(os.sep)
    if os.path.isabs(path):
        current = os.sep
    for part in parts:
        if part in ("", "."):
            continue
        if part == "..":
            current = os.path.dirname(current)
            continue
        step = os.path.join(current, part)
        current = os.path.realpath(step) if os.path.islink(step) else step
        if escaped is None and _inside(step, top) and not _inside(current, top):
            escaped = step
    return current, escaped


def _inside(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip(os.sep) + os.sep)


def _task_rules(git_dir: str, top: str) -> boundaries.Rules | None:
    """This worktree's task rules; None only where no task claims the worktree. A task
    worktree (locked by gitwt, or a live record's) without its rules file fails closed."""
    where = git_runner.GitDirs(git_dir, git_runner.common_dir_of(git_dir))
    rules = rules_lookup.saved_rules(where)
    if rules is not None or not _task_worktree(where, top):
        return rules
    return rules_lookup.own_rules(where)  # raises: the rules file is missing


def _task_worktree(where: git_runner.GitDirs, top: str) -> bool:
    try:
        with open(os.path.join(where.git_dir, "locked"), encoding="utf-8") as handle:
            if handle.read().startswith("git parallel "):
                return True
    except (OSError, ValueError):
        pass
    records = rules_lookup.live_task_records(where.common_dir)
    return any(
        isinstance(record.get("worktree"), str) and os.path.realpath(record["worktree"]) == top
        for record in records
    )


def verdicts(edits: Edits) -> tuple[boundaries.Rules | None, list[boundaries.Violation]]:
    """The rules of the agent's task, and every edit they refuse."""
    top = worktree_of(os.path.realpath(edits.cwd))
    git_dir = rules_file.git_dir_of(top) if top is not None else None
    if top is None or git_dir is None or not edits.paths:
        return None, []
    from gitwt.core import boundaries  # `re` and `json` load only now

    rules = _task_rules(git_dir, top)
    if rules is None:
        return None, []  # not a task worktree: the main checkout's guard is `guarded_edits`
    ours = git_runner.common_dir_of(git_dir)
    changes: list[git_runner.StagedEntry] = []
    elsewhere: list[boundaries.Violation] = []
    landed: dict[str, str] = {}  # the edited file (the tool input's own) -> where it lands
    for number, given in enumerate(edits.paths):
        path, escaped = _landing(given, edits.cwd, top)
        if escaped is not None and not _inside(path, top):
            elsewhere.append(_through_link(rules, escaped, path, top))
            continue
        holder = worktree_of(path)
        if holder is None or _common_dir(holder) != ours:
            continue  # outside the repository: not ours to judge
        if holder != top:
            elsewhere.append(_other_worktree(rules, path, holder, top))
            continue
        relative = os.path.relpath(path, top)
        if relative.split(os.sep)[0] == ".git":
            continue
        if number == 0:
            landed[relative] = path
        changes.append(git_runner.StagedEntry("M" if os.path.lexists(path) else "A", relative))
    found = boundaries.violations(changes, rules)
    if found:  # a plan file holding the task's bookkeeping: the text the edit leaves, judged
        from gitwt.core.bookkeeping import settle
        from gitwt.hook.edit_contents import judged_as_edited

        found = settle(found, rules, judged_as_edited(edits.tool, landed, top))
    return rules, elsewhere + boundaries.before_the_edit(found, rules)


def guarded_edits(edits: Edits) -> tuple[list[boundaries.Violation], list[str], str | None]:
    """In a worktree that is no task's (the main checkout): the base guard's verdict on the
    edits, as `hook.checks.guarded` gives it for a commit there (one rule for both)."""
    top = worktree_of(os.path.realpath(edits.cwd))
    git_dir = rules_file.git_dir_of(top) if top is not None else None
    if top is None or git_dir is None or not edits.paths:
        return [], [], None
    from gitwt.hook import checks

    changes = []
    for given in edits.paths:
        path = _landing(given, edits.cwd, top)[0]
        if worktree_of(path) != top:
            continue  # another worktree or outside the repository: its own hooks judge it
        relative = os.path.relpath(path, top)
        if relative.split(os.sep)[0] != ".git":
            changes.append(git_runner.StagedEntry("M" if os.path.lexists(path) else "A", relative))
    if not changes:
        return [], [], None
    where = git_runner.GitDirs(git_dir, git_runner.common_dir_of(git_dir))
    return checks.guarded(where, lambda: changes, editing=True)


def _through_link(rules: boundaries.Rules, link: str, path: str, top: str) -> boundaries.Violation:
    from gitwt.core import boundaries

    return boundaries.Violation(
        os.path.relpath(link, top),
        "M" if os.path.lexists(path) else "A",
        "symlink",
        f"a symbolic link: the write would land in {path}, outside task {rules.task_id}'s worktree",
        "edit the file itself in the task's worktree, or leave it alone",
    )


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
    """Read the payload, judge the edits, answer the way the agent expects; whatever fails
    blocks (exit 2, what Claude Code and Gemini CLI both take as a refusal: DESIGN §13)."""
    try:
        edits = parse_payload(stdin, cwd)
        code = _answer(edits)
    except git_runner.HookError as error:
        return fail_closed(error.message, error.hint)
    except Exception as error:  # a bug: the edit must not go through unjudged
        return fail_closed(
            f"the agent hook failed: {error!r}",
            "the edit was refused because the hook could not judge it; report this bug",
        )
    if code == PASS and edits.gemini:
        sys.stdout.write("{}\n")  # Gemini CLI parses stdout as JSON: nothing to decide
    return code


def fail_closed(message: str, hint: str) -> int:
    from gitwt.core.display import inert  # the payload's paths are an agent's text

    sys.stderr.write(f"git parallel: error: {inert(message)}\n")
    if hint:
        sys.stderr.write(f"hint: {inert(hint)}\n")
    return BLOCK_CLAUDE  # fail closed, in a way every agent treats as a refusal


def _answer(edits: Edits) -> int:
    rules, found = verdicts(edits)
    if rules is None:
        guarded, owners, branch = guarded_edits(edits)
        if not guarded:
            return PASS
        messages.report(
            f"edit refused: {messages.count(len(guarded), 'path')} "
            f"{messages.belong(len(guarded))} to live "
            f"task{'s' if len(owners) > 1 else ''} {', '.join(owners)} (based on {branch}); "
            "nothing was written",
            guarded,
            ["agents often edit the main checkout by mistake: edit in the task's worktree"],
        )
        return BLOCK_CLAUDE if edits.claude else REFUSED_PLAIN
    if not found:
        return PASS
    paths = len({violation.path for violation in found})  # a plan file: one line per change
    # A plan file's lines or a shared progress file: no claim makes them the task's.
    claimable = any(v.kind not in ("not-bookkeeping", "shared-progress") for v in found)
    messages.report(
        f"edit refused: {messages.who(rules)} may not change "
        f"{messages.count(paths, 'path')} (nothing was written)",
        found,
        [
            f"claim a path first with 'git parallel claim {rules.task_id} -- PATH' "
            "(refused if another live task has it), or leave it alone",
        ]
        if claimable
        else [],
    )
    return BLOCK_CLAUDE if edits.claude else REFUSED_PLAIN
