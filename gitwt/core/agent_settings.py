"""The agents `start --agent` wires (DESIGN §5), as data, and the pure edits of their files.

Each agent reads hooks from a JSON settings file of the same shape, `{"hooks": {EVENT: [{"matcher":
REGEX, "hooks": [{"type": "command", "command": ...}]}]}}`, and instructions from a Markdown
file. What each one reads, and how, comes from its own hook reference:

- Claude Code: `PreToolUse` before `Edit|Write|MultiEdit|NotebookEdit` (the file in
  `tool_input.file_path`, `notebook_path` for NotebookEdit), `PostToolUse` after `Bash`; exit 2
  blocks and shows stderr to the model, every other code lets the call through; `timeout` in
  seconds. Local settings: `.claude/settings.local.json` (never
  committed); since 2.1.211 a session in a linked worktree also reads the one at the repository
  root, so that is where one registration serves every task. Instructions: `CLAUDE.local.md`.
- Gemini CLI: `BeforeTool` before `write_file|replace`, `AfterTool` after `run_shell_command`;
  exit 2 blocks (stderr is the reason), stdout must hold only JSON; `timeout` in milliseconds.
  Its one project settings file is `.gemini/settings.json` (no local variant), read only in a
  folder the user trusts. Instructions: `GEMINI.md` (`context.fileName` may name others).

Here: no files, no processes (core is pure). `services.tasks.agent_wiring` reads and writes them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from gitwt.core.display import quote_path

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import NotRequired, TypedDict

    from gitwt.infra.json_payload import JsonObject

    class HookHandler(TypedDict):
        """One handler we write into an agent's settings (the agent's own field names)."""

        type: str
        command: str
        timeout: int
        name: NotRequired[str]  # agents with named hooks (AgentFormat.named_hooks)
        description: NotRequired[str]


@dataclass(frozen=True)
class HookEntry:
    """One hook an agent gets: on `event`, for tools matching `matcher`, run `verb`."""

    event: str
    matcher: str
    verb: str  # the `git-parallel-hook` verb: "agent" (pre-edit) or "agent-shell"
    what: str  # said in the hook's description


@dataclass(frozen=True)
class AgentFormat:
    name: str  # as given to --agent
    title: str
    settings: str  # the worktree's settings file that takes the hooks
    root_settings: str | None  # a settings file at the main checkout read from every worktree
    note_file: str  # the instructions file the agent reads, in its local form
    hooks: tuple[HookEntry, ...]
    timeout: int  # in the unit the agent's `timeout` field uses
    needs_trust: bool  # the agent ignores a new folder's project hooks until it is trusted
    named_hooks: bool  # handlers carry `name` and `description`


PRE_EDIT, AFTER_SHELL = "agent", "agent-shell"
AGENTS: dict[str, AgentFormat] = {
    "claude": AgentFormat(
        name="claude",
        title="Claude Code",
        settings=".claude/settings.local.json",
        root_settings=".claude/settings.local.json",
        note_file="CLAUDE.local.md",
        hooks=(
            HookEntry("PreToolUse", "Edit|Write|MultiEdit|NotebookEdit", PRE_EDIT, "pre-edit"),
            HookEntry("PostToolUse", "Bash", AFTER_SHELL, "after-shell"),
        ),
        timeout=30,  # seconds
        needs_trust=False,
        named_hooks=False,
    ),
    "gemini": AgentFormat(
        name="gemini",
        title="Gemini CLI",
        settings=".gemini/settings.json",
        root_settings=None,
        note_file="GEMINI.md",
        hooks=(
            HookEntry("BeforeTool", "write_file|replace", PRE_EDIT, "pre-edit"),
            HookEntry("AfterTool", "run_shell_command", AFTER_SHELL, "after-shell"),
        ),
        timeout=30_000,  # milliseconds
        needs_trust=True,
        named_hooks=True,
    ),
}
NOTE_BEGIN = "<!-- git parallel: task note (start --agent); removed when the task is cleaned -->"
NOTE_END = "<!-- git parallel: end of task note -->"


def known_agents() -> str:
    return ", ".join(sorted(AGENTS))


def handler(agent: AgentFormat, entry: HookEntry, command: str) -> HookHandler:
    """The hook handler of one entry, in the agent's own fields."""
    found: HookHandler = {"type": "command", "command": command, "timeout": agent.timeout}
    if agent.named_hooks:
        found["name"] = f"git-parallel-{entry.what}"
        found["description"] = f"git parallel: the task's {entry.what} check"
    return found


def add_hooks(
    settings: Mapping[str, Any], agent: AgentFormat, commands: Mapping[str, str]
) -> JsonObject:
    """`settings` with our hooks added (a group per hook, after the user's); a hook already
    there (the same command on the same event) is not added twice. Raises ValueError when the
    file's `hooks` is not the shape the agent reads."""
    merged = dict(settings)
    hooks = merged.get("hooks", {})
    if not isinstance(hooks, dict):
        raise ValueError("its 'hooks' is not an object")
    hooks = dict(hooks)
    for entry in agent.hooks:
        groups = hooks.get(entry.event, [])
        if not isinstance(groups, list):
            raise ValueError(f"its 'hooks.{entry.event}' is not a list")
        command = commands[entry.verb]
        if command in _commands_in(groups):
            continue
        item = {"matcher": entry.matcher, "hooks": [handler(agent, entry, command)]}
        hooks[entry.event] = [*groups, item]
    merged["hooks"] = hooks
    return merged


def remove_hooks(settings: Mapping[str, Any], commands: Sequence[str]) -> JsonObject:
    """`settings` without the handlers running one of `commands`; a group, event or `hooks`
    left empty by that goes too."""
    result = dict(settings)
    hooks = result.get("hooks")
    if not isinstance(hooks, dict):
        return result
    kept_events: JsonObject = {}
    for event, groups in hooks.items():
        if not isinstance(groups, list):
            kept_events[event] = groups
            continue
        kept = []
        for group in groups:
            handlers = group.get("hooks") if isinstance(group, dict) else None
            if not isinstance(handlers, list):
                kept.append(group)
                continue
            left = [
                h for h in handlers if not (isinstance(h, dict) and h.get("command") in commands)
            ]
            if left or not handlers:
                kept.append({**group, "hooks": left} if len(left) != len(handlers) else group)
        if kept or not groups:
            kept_events[event] = kept
    if kept_events:
        result["hooks"] = kept_events
    else:
        result.pop("hooks")
    return result


def _commands_in(groups: list[Any]) -> set[str]:
    found = set()
    for group in groups:
        handlers = group.get("hooks") if isinstance(group, dict) else None
        for item in handlers if isinstance(handlers, list) else []:
            if isinstance(item, dict) and isinstance(item.get("command"), str):
                found.add(item["command"])
    return found


def note_text(task_id: str, title: str, declared: Sequence[str], agent: AgentFormat) -> str:
    """The task note: which task, its declared files, how to ask and how to claim. A title or
    pattern with control characters is shown escaped (it comes from a spec)."""
    files = "".join(f"- `{quote_path(pattern)}`\n" for pattern in declared) or "- (none)\n"
    return (
        f"{NOTE_BEGIN}\n"
        f"# Your task: {quote_path(task_id)} ({quote_path(title)})\n\n"
        "You work in a git parallel task worktree. Change only the files this task declares:\n\n"
        f"{files}\n"
        "Before you change any other file, ask: `git parallel check --path FILE` (exit 0: you "
        "may; 1: you may not, with the reason). To take on a file, claim it first: "
        f"`git parallel claim {quote_path(task_id)} -- FILE` (refused if another live task "
        "has it).\n\n"
        f"{agent.title} is wired for this task: an edit out of bounds is refused before it "
        "is written, and files a shell command changes out of bounds are reported right "
        "after the command. Undo those changes or claim the files: the commit hook refuses "
        "them, and so does the merge.\n"
        f"{NOTE_END}\n"
    )


def without_note(text: str) -> str:
    """`text` with our note taken out (what was there before it was appended)."""
    start = text.find(NOTE_BEGIN)
    end = text.find(NOTE_END, start)
    if start < 0 or end < 0:
        return text
    end += len(NOTE_END)
    if text[end : end + 1] == "\n":
        end += 1
    head = text[:start]
    if head.endswith("\n\n") and start > 0:
        head = head[:-1]  # the blank line added before the note
    return head + text[end:]


def with_note(text: str, note: str) -> str:
    """`text` (a user's own file, or empty) with the note appended after a blank line."""
    if not text:
        return note
    return text + ("\n" if text.endswith("\n") else "\n\n") + note
