"""`start --agent NAME`: wire an agent into each task worktree, and take the wiring away again.

What a task worktree gets (`core.agent_settings` says which files, per agent):
- the agent's hooks in its settings file: the pre-edit hook and the after-shell hook, both
  running `git-parallel-hook` by an absolute path (`hook_script`); a user's own file there
  (copied by `.worktreeinclude`) is merged into, never overwritten; a tracked one is never
  touched, and the report says what that leaves undone;
- the task note in the agent's instructions file, appended to a user's untracked copy, never
  written into a tracked one;
- a per-worktree excludes file (`core.excludesFile` in the worktree's own config) listing
  those files, so nothing shows in `git status` or reaches a commit. It starts as a copy of
  the user's own excludes file (a worktree's `core.excludesFile` replaces it).
Claude Code also reads the local settings at the repository root from a linked worktree: one
registration there serves every task (the hooks find the task from the payload's `cwd`, and
answer 0 at once outside a task worktree). It is added at the first wired start, its file
listed in `info/exclude` if gitwt created it, and the file is put back byte for byte once no
live task is wired (`lift_if_idle`, after merge and clean).

What was written is recorded (`<git-dir>/parallel-agent.json`, `parallel/agent-root.json`)
with a digest of each file as written: `clean` leaves a file that is still exactly that out of
its check for lost work, and removes it or puts the user's version back (`unwire`).
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from typing import TypedDict

import gitwt
from gitwt.core import agent_settings
from gitwt.core.agent_settings import AgentFormat
from gitwt.core.display import shell_quote
from gitwt.errors import GitParallelError
from gitwt.infra import git, state
from gitwt.infra.task_record import TaskRecord, WiringReport
from gitwt.services.tasks.agent_files import (
    EXCLUDES,
    RECORD,
    digest,
    merged_settings,
    read,
    register_root,
    settings_json,
    text_of,
    tracked,
    worktree_record,
    write,
)

SCRIPT_DIR = "agent-hooks"  # in parallel/: the hook script the settings run
SCRIPT = "git-parallel-hook"
EXCLUDE_MARK = "# git parallel: the agent wiring of this task worktree"
SHEBANG_LIMIT = 120


class WrittenFile(TypedDict):
    """A file `wire` wrote, in the worktree's record: what clean and refresh_note compare."""

    original: str | None  # the user's own text it was merged into; None: gitwt created it
    written: str  # digest of the bytes as written


@dataclass
class Wiring:
    """What `wire` did for one task: wired only when the agent will run the hooks as written."""

    agent: str
    wired: bool
    files: list[str] = field(default_factory=list)  # what was written (absolute paths)
    notes: list[str] = field(default_factory=list)  # what is left to the user, and why

    def to_json(self) -> WiringReport:
        return {"agent": self.agent, "wired": self.wired, "files": self.files, "notes": self.notes}


def agent_format(name: str) -> AgentFormat:
    """The agent called `name`; an unknown name is a usage error (exit 2) naming the known."""
    found = agent_settings.AGENTS.get(name.strip().lower())
    if found is None:
        raise GitParallelError(
            f"unknown agent {name!r}",
            f"known agents: {agent_settings.known_agents()}; for any other agent see "
            "docs/agents.md (its hooks can call 'git-parallel-hook agent' by hand)",
        )
    return found


# --- the hook script -------------------------------------------------------------------------


def hook_script(common_dir: str) -> str:
    """The command prefix the settings run: a script in `parallel/agent-hooks/` that starts this
    Python without site (`-I -S`) and runs the hook, as the commit shims do. The console script
    would cost site's start-up and `import re` on every tool call."""
    folder = os.path.join(state.state_dir(common_dir), SCRIPT_DIR)
    os.makedirs(folder, exist_ok=True)
    path = os.path.join(folder, SCRIPT)
    python = sys.executable
    package_root = os.path.dirname(os.path.dirname(os.path.abspath(gitwt.__file__)))
    shebang = f"#!{python} -IS"
    plain = python.isascii() and not any(c.isspace() for c in python)
    usable = plain and len(shebang) < SHEBANG_LIMIT
    text = (
        f"{shebang if usable else '#!/bin/sh'}\n"
        "# git parallel: the agents' hooks, written by 'git parallel start --agent'.\n"
        "import os, sys\n"
        f"sys.path.append({package_root!r})\n"
        "try:\n"
        "    from gitwt.hook.console import main\n"
        "except Exception as error:  # fail closed: exit 2 is a refusal to the agent\n"
        "    sys.stderr.write(f'git parallel: error: cannot load the hook: {error!r}\\n')\n"
        "    os._exit(2)\n"
        "code = main(sys.argv[1:])\n"
        "sys.stdout.flush()\n"
        "sys.stderr.flush()\n"
        "os._exit(code)\n"
    )
    if read(path) != text.encode():
        write(path, text.encode(), 0o755)
    quoted = shell_quote(path)
    return quoted if usable else f"{shell_quote(python)} -IS {quoted}"


def hook_commands(common_dir: str) -> dict[str, str]:
    prefix = hook_script(common_dir)
    return {
        verb: f"{prefix} {verb}" for verb in (agent_settings.PRE_EDIT, agent_settings.AFTER_SHELL)
    }


# --- one task worktree -----------------------------------------------------------------------


def wire(
    common_dir: str,
    main: str,
    worktree: str,
    git_dir: str,
    record: TaskRecord,
    config: list[git.ConfigEntry],
) -> Wiring:
    """Wire `record["agent"]` into the new task worktree; returns what it did and did not."""
    agent = agent_format(str(record["agent"]))
    commands = hook_commands(common_dir)
    wiring = Wiring(agent.name, wired=True)
    written: dict[str, WrittenFile] = {}
    candidates = [agent.settings, agent.note_file]
    has = tracked(worktree, candidates)
    settings_path = os.path.join(worktree, agent.settings)
    reached = False  # will the agent read our hooks at all?
    if agent.settings in has:
        wiring.notes.append(
            f"{agent.settings} is tracked: gitwt does not change tracked files, so the "
            "hooks are not in it"
        )
    else:
        try:
            before, after = merged_settings(settings_path, agent, commands)
        except ValueError as error:
            wiring.notes.append(f"cannot add the hooks: {error}; fix or remove the file")
        else:
            write(settings_path, after)
            written[agent.settings] = {"original": text_of(before), "written": digest(after)}
            wiring.files.append(settings_path)
            reached = True
    if agent.root_settings is not None:
        problem = register_root(common_dir, main, agent, commands)
        if problem is None:
            wiring.files.append(os.path.join(main, agent.root_settings))
            reached = True
        else:
            wiring.notes.append(problem)
    _write_note(worktree, agent, record, has, written, wiring)
    if written:
        _exclude(worktree, git_dir, sorted(written), config)
    state.write_json_atomic(
        os.path.join(git_dir, RECORD),
        {
            "schema": "git-parallel/agent-wiring/1",
            "agent": agent.name,
            "files": written,
            "commands": sorted(commands.values()),
        },
    )
    wiring.wired = reached and not agent.needs_trust
    if reached and agent.needs_trust:
        wiring.notes.append(
            f"{agent.title} runs a folder's project hooks only once you trust the folder: "
            f"trust {os.path.dirname(worktree)} as a parent folder when it asks (or run it "
            "with --skip-trust); until then nothing stops its edits before the commit"
        )
    if not reached:
        wiring.notes.append(
            f"{agent.title} is not wired: add the hooks to your user settings by hand "
            "(docs/agents.md)"
        )
    return wiring


def _note_name(worktree: str, agent: AgentFormat) -> str:
    """Gemini CLI's `context.fileName` (a name or a list) in the worktree's settings, if set."""
    if agent.name != "gemini":
        return agent.note_file
    try:
        settings = settings_json(read(os.path.join(worktree, agent.settings)), agent.settings)
    except ValueError:
        return agent.note_file
    context = settings.get("context")
    named = context.get("fileName") if isinstance(context, dict) else None
    names = [named] if isinstance(named, str) else named if isinstance(named, list) else []
    usable = [n for n in names if isinstance(n, str) and n and "/" not in n and n != ".."]
    return usable[0] if usable else agent.note_file


def _write_note(
    worktree: str,
    agent: AgentFormat,
    record: TaskRecord,
    has: set[str],
    written: dict[str, WrittenFile],
    wiring: Wiring,
) -> None:
    name = _note_name(worktree, agent)
    if name in has or (name != agent.note_file and tracked(worktree, [name])):
        wiring.notes.append(f"{name} is tracked: the task note is not written into it")
        return
    path = os.path.join(worktree, name)
    before = read(path)
    after = _with_note(text_of(before), agent, record)
    write(path, after)
    written[name] = {"original": text_of(before), "written": digest(after)}
    wiring.files.append(path)


def _with_note(original: str | None, agent: AgentFormat, record: TaskRecord) -> bytes:
    """The note file: the user's own text (if any), then the note of the task as it is now."""
    from gitwt.core.declaration import declared_by

    title = str(record.get("title") or record["id"])
    note = agent_settings.note_text(str(record["id"]), title, declared_by(record), agent)
    return agent_settings.with_note(original or "", note).encode("utf-8", "surrogateescape")


def refresh_note(worktree: str, git_dir: str, record: TaskRecord) -> None:
    """After a claim: the task note lists the declaration as it is now. A note file someone
    changed since gitwt wrote it is left as it is."""
    manifest = worktree_record(git_dir)
    agent = agent_settings.AGENTS.get(str(manifest.get("agent")))
    files = manifest.get("files")
    if agent is None or not isinstance(files, dict):
        return
    for relative, entry in files.items():
        path = os.path.join(worktree, relative)
        current = read(path) if relative != agent.settings else None
        if current is None or digest(current) != entry.get("written"):
            continue
        after = _with_note(entry.get("original"), agent, record)
        write(path, after)
        entry["written"] = digest(after)
    state.write_json_atomic(os.path.join(git_dir, RECORD), manifest)


def _exclude(worktree: str, git_dir: str, paths: list[str], config: list[git.ConfigEntry]) -> None:
    """List `paths` in the worktree's own excludes file, which starts as a copy of the user's
    (a worktree's `core.excludesFile` takes the place of theirs)."""
    values = git.config_values(config, "core.excludesFile")
    own = values[-1] if values else None
    if own:
        user_file = os.path.expanduser(own)
    else:
        base = os.environ.get("XDG_CONFIG_HOME") or os.path.expanduser("~/.config")
        user_file = os.path.join(base, "git", "ignore")
    copied = read(user_file) or b""
    if copied and not copied.endswith(b"\n"):
        copied += b"\n"
    lines = "".join(f"/{path}\n" for path in paths)
    path = os.path.join(git_dir, EXCLUDES)
    write(path, copied + f"{EXCLUDE_MARK}\n{lines}".encode("utf-8", "surrogateescape"))
    git.config_set("core.excludesFile", path, worktree, "--worktree")
