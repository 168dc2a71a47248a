"""`start --agent claude|gemini` (issue 22, DESIGN §5): through the real CLI, per agent.

Each test starts a task with `--agent`, reads the settings file the agent itself would read,
runs the exact hook commands found there through a shell (as the agents do) with payloads of
the agent's own shape, then checks that nothing shows in `git status` and that `merge` and
`clean` need no `--force`; a user's own settings are kept.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

from tests.conftest import Repo, git

PAYLOADS = Path(__file__).resolve().parents[1] / "fixtures" / "agent-payloads"
USER_CLAUDE_LOCAL = '{\n  "permissions": {"allow": ["Bash(make test)"]}\n}\n'
USER_CLAUDE_SHARED = (
    '{"hooks": {"PreToolUse": [{"matcher": "Bash", '
    '"hooks": [{"type": "command", "command": "true"}]}]}}\n'
)


def payload(name: str, worktree: Path, path: str = "", command: str = "") -> bytes:
    text = (PAYLOADS / name).read_text()
    for key, value in (("@WORKTREE@", str(worktree)), ("@PATH@", path), ("@COMMAND@", command)):
        text = text.replace(key, value)
    return text.encode()


def run_hook(command: str, data: bytes, cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run a hook command string as the agents do: through a shell, the payload on stdin."""
    return subprocess.run(
        ["/bin/sh", "-c", command],
        input=data.decode(),
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def hook_command(settings: dict[str, Any], event: str, tool: str) -> str:
    """The one command our settings run on `event` for `tool` (the matcher is a regex)."""
    import re

    found = [
        handler["command"]
        for group in settings["hooks"][event]
        if re.fullmatch(group["matcher"], tool)
        for handler in group["hooks"]
        if "git-parallel-hook" in handler["command"]
    ]
    assert len(found) == 1, found
    return found[0]


def status(cwd: Path) -> str:
    return git(cwd, "status", "--porcelain", "--untracked-files=all")


def declare(repo: Repo, task_id: str, files: list[str], title: str) -> None:
    repo.spec(task_id, files, title=title)
    repo.commit_all(f"spec {task_id}")


def test_claude_code_is_wired_through_the_settings_it_reads(repo: Repo) -> None:
    # The user's own settings: a shared file (tracked) and a local one at the root (ignored).
    repo.write(".gitignore", ".claude/settings.local.json\n")
    repo.write(".claude/settings.json", USER_CLAUDE_SHARED)
    declare(repo, "65", ["src/**"], "Recipes API")
    repo.write(".claude/settings.local.json", USER_CLAUDE_LOCAL)
    exclude_before = (repo.path / ".git" / "info" / "exclude").read_bytes()

    started = repo.cli("start", "65", "--agent", "claude")
    assert started.code == 0, started.err
    assert "agent claude: wired" in started.out
    worktree = repo.path.parent / "repo-wt65"

    # Claude Code 2.1.211+ reads the root's local settings from a linked worktree; older
    # versions the worktree's own. Both hold the same commands, and the user's settings.
    root = json.loads((repo.path / ".claude" / "settings.local.json").read_text())
    local = json.loads((worktree / ".claude" / "settings.local.json").read_text())
    assert root["permissions"] == {"allow": ["Bash(make test)"]}
    edit = hook_command(root, "PreToolUse", "NotebookEdit")
    after = hook_command(root, "PostToolUse", "Bash")
    assert hook_command(local, "PreToolUse", "Edit") == edit
    assert hook_command(local, "PostToolUse", "Bash") == after
    assert (worktree / ".claude" / "settings.json").read_text() == USER_CLAUDE_SHARED
    note = (worktree / "CLAUDE.local.md").read_text()
    assert "task: 65 (Recipes API)" in note and "- `src/**`" in note
    assert "git parallel check --path" in note and "git parallel claim 65 -- FILE" in note
    claimed = repo.cli("claim", "65", "docs/api.md", cwd=worktree)
    assert claimed.code == 0, claimed.err
    note = (worktree / "CLAUDE.local.md").read_text()
    assert "- `src/**`" in note and "- `docs/api.md`" in note  # the note follows the claim

    inside = run_hook(edit, payload("claude-write.json", worktree, "src/api.py"), worktree)
    assert inside.returncode == 0, inside.stderr
    outside = run_hook(edit, payload("claude-edit.json", worktree, "README.md"), worktree)
    assert outside.returncode == 2  # Claude Code blocks on 2 only
    assert "README.md" in outside.stderr and "not declared by task 65" in outside.stderr
    notebook = payload("claude-notebookedit.json", worktree, "notes/a.ipynb")
    assert run_hook(edit, notebook, worktree).returncode == 2

    subprocess.run(["/bin/sh", "-c", "echo x > notes.txt"], cwd=worktree, check=True)
    wrote = run_hook(after, payload("claude-bash-after.json", worktree, command="echo"), worktree)
    assert wrote.returncode == 2
    assert "notes.txt" in wrote.stderr and "rm -- notes.txt" in wrote.stderr
    (worktree / "notes.txt").unlink()
    quiet = run_hook(after, payload("claude-bash-after.json", worktree, command="ls"), worktree)
    assert quiet.returncode == 0 and quiet.stderr == ""
    in_main = run_hook(after, payload("claude-bash-after.json", repo.path, command="ls"), worktree)
    assert in_main.returncode == 0  # outside any task worktree: nothing to say

    assert status(worktree) == "" and status(repo.path) == ""
    (worktree / "src").mkdir()
    (worktree / "src" / "api.py").write_text("ROUTES = []\n")
    git(worktree, "add", "-A")
    git(worktree, "commit", "-q", "-m", "api")
    assert git(worktree, "show", "--name-only", "--format=", "HEAD") == "src/api.py\n"
    merged = repo.cli("merge", "65")
    assert merged.code == 0, merged.err + merged.out
    assert not worktree.exists()
    # No task is wired any more: the root's file is the user's again, byte for byte.
    assert (repo.path / ".claude" / "settings.local.json").read_text() == USER_CLAUDE_LOCAL
    assert (repo.path / ".git" / "info" / "exclude").read_bytes() == exclude_before
    assert git(repo.path, "for-each-ref", "refs/parallel/salvage") == ""
    assert status(repo.path) == ""


def test_a_root_settings_file_gitwt_created_goes_once_no_task_is_wired(repo: Repo) -> None:
    declare(repo, "1", ["a/**"], "One")
    declare(repo, "2", ["b/**"], "Two")
    exclude_before = (repo.path / ".git" / "info" / "exclude").read_bytes()
    assert repo.cli("start", "1", "2", "--agent", "claude").code == 0
    assert (repo.path / ".claude" / "settings.local.json").exists()
    assert status(repo.path) == ""  # listed in info/exclude while it is there
    cleaned = repo.cli("clean", "1")
    assert cleaned.code == 0, cleaned.err + cleaned.out
    assert (repo.path / ".claude" / "settings.local.json").exists()  # task 2 is live
    cleaned = repo.cli("clean", "2")
    assert cleaned.code == 0, cleaned.err + cleaned.out
    assert not (repo.path / ".claude").exists()
    assert (repo.path / ".git" / "info" / "exclude").read_bytes() == exclude_before
    assert git(repo.path, "for-each-ref", "refs/parallel/salvage") == ""


def test_a_broken_record_of_the_root_settings_never_stops_a_clean(repo: Repo) -> None:
    """Anyone can write under .git (DESIGN §13): gitwt then leaves the root's file alone."""
    declare(repo, "4", ["d/**"], "Four")
    assert repo.cli("start", "4", "--agent", "claude").code == 0
    root = repo.path / ".claude" / "settings.local.json"
    wired = root.read_text()
    (repo.path / ".git" / "parallel" / "agent-root.json").write_text("{broken")
    cleaned = repo.cli("clean", "4")
    assert cleaned.code == 0, cleaned.err + cleaned.out
    assert root.read_text() == wired  # its hooks still answer: 0, outside any task worktree
    command = hook_command(json.loads(wired), "PostToolUse", "Bash")
    quiet = run_hook(command, payload("claude-bash-after.json", repo.path, command="ls"), repo.path)
    assert quiet.returncode == 0, quiet.stderr


def test_gemini_cli_gets_hooks_it_runs_once_the_folder_is_trusted(repo: Repo) -> None:
    declare(repo, "7", ["lib/**"], "Parser")
    started = repo.cli("start", "7", "--agent", "gemini")
    assert started.code == 0, started.err
    # Gemini CLI reads project hooks only in a trusted folder: never reported as wired.
    assert "agent gemini: NOT wired" in started.out and "trust" in started.out
    worktree = repo.path.parent / "repo-wt7"
    settings = json.loads((worktree / ".gemini" / "settings.json").read_text())
    edit = hook_command(settings, "BeforeTool", "replace")
    assert hook_command(settings, "BeforeTool", "write_file") == edit
    after = hook_command(settings, "AfterTool", "run_shell_command")
    timeouts = {h["timeout"] for g in settings["hooks"]["BeforeTool"] for h in g["hooks"]}
    assert timeouts == {30000}  # milliseconds
    assert "task: 7 (Parser)" in (worktree / "GEMINI.md").read_text()

    inside = run_hook(edit, payload("gemini-write-file.json", worktree, "lib/p.py"), worktree)
    assert inside.returncode == 0, inside.stderr
    assert json.loads(inside.stdout) == {}  # Gemini CLI parses stdout as JSON
    outside = run_hook(edit, payload("gemini-replace.json", worktree, "setup.py"), worktree)
    assert outside.returncode == 2 and "setup.py" in outside.stderr
    (worktree / "README.md").write_text("changed by sed\n")
    wrote = run_hook(after, payload("gemini-shell.json", worktree, command="sed"), worktree)
    assert wrote.returncode == 2 and "README.md" in wrote.stderr
    assert "git restore --source=HEAD --staged --worktree -- README.md" in wrote.stderr
    git(worktree, "checkout", "--", "README.md")
    quiet = run_hook(after, payload("gemini-shell.json", worktree, command="ls"), worktree)
    assert quiet.returncode == 0 and json.loads(quiet.stdout) == {}

    assert status(worktree) == "" and status(repo.path) == ""
    (worktree / "lib").mkdir()
    (worktree / "lib" / "p.py").write_text("def parse(): ...\n")
    git(worktree, "add", "-A")  # what an agent runs: the wiring stays out of the commit
    git(worktree, "commit", "-q", "-m", "parser")
    assert git(worktree, "show", "--name-only", "--format=", "HEAD") == "lib/p.py\n"
    merged = repo.cli("merge", "7")
    assert merged.code == 0, merged.err + merged.out
    assert not worktree.exists()
    assert git(repo.path, "for-each-ref", "refs/parallel/salvage") == ""
    assert not (repo.path / ".git" / "parallel" / "agent-hooks").exists()


def test_gemini_settings_that_are_tracked_are_left_alone_and_said_so(repo: Repo) -> None:
    user = '{"ui": {"theme": "GitHub"}}\n'
    repo.write(".gemini/settings.json", user)
    repo.write("GEMINI.md", "# Project notes\n")
    declare(repo, "8", ["lib/**"], "Tracked")
    started = repo.cli("start", "8", "--agent", "gemini", "--json")
    assert started.code == 0, started.err
    [task] = started.json()["tasks"]
    wiring = task["agent_wiring"]
    assert wiring["agent"] == "gemini" and wiring["wired"] is False
    assert any(".gemini/settings.json is tracked" in note for note in wiring["notes"])
    assert any("GEMINI.md is tracked" in note for note in wiring["notes"])
    worktree = repo.path.parent / "repo-wt8"
    assert (worktree / ".gemini" / "settings.json").read_text() == user
    assert (worktree / "GEMINI.md").read_text() == "# Project notes\n"
    assert status(worktree) == ""
    assert repo.cli("clean", "8").code == 0


def test_a_users_copied_gemini_settings_are_merged_and_read_for_the_note(repo: Repo) -> None:
    """`.worktreeinclude` copies the user's own (ignored) settings: merged into, never
    overwritten; its `context.fileName` says where the note goes."""
    repo.write(".gitignore", ".gemini/\n")
    repo.write(".worktreeinclude", ".gemini/settings.json\n")
    declare(repo, "9", ["lib/**"], "Copied")
    user = {
        "context": {"fileName": ["AGENTS.md"]},
        "hooks": {"AfterTool": [{"matcher": "*", "hooks": [{"type": "command", "command": "x"}]}]},
    }
    repo.write(".gemini/settings.json", json.dumps(user))
    assert repo.cli("start", "9", "--agent", "gemini").code == 0
    worktree = repo.path.parent / "repo-wt9"
    settings = json.loads((worktree / ".gemini" / "settings.json").read_text())
    assert settings["context"] == user["context"]
    assert settings["hooks"]["AfterTool"][0] == user["hooks"]["AfterTool"][0]
    assert (
        "git-parallel-hook agent-shell" in settings["hooks"]["AfterTool"][1]["hooks"][0]["command"]
    )
    assert "task: 9 (Copied)" in (worktree / "AGENTS.md").read_text()
    assert not (worktree / "GEMINI.md").exists()
    assert status(worktree) == ""


def test_an_unknown_agent_is_refused_and_creates_nothing(repo: Repo) -> None:
    declare(repo, "3", ["c/**"], "Three")
    result = repo.cli("start", "3", "--agent", "cursor")
    assert result.code == 2
    assert result.err.splitlines()[0] == "git parallel: error: unknown agent 'cursor'"
    assert "hint: known agents: claude, gemini" in result.err
    assert not (repo.path.parent / "repo-wt3").exists()
    assert git(repo.path, "branch", "--list", "parallel/*") == ""
    assert repo.cli("status", "--json").json()["tasks"] == []
    repo.write(".gitparallel.toml", 'agent = "codex"\n')
    repo.commit_all("config")
    configured = repo.cli("start", "3")
    assert configured.code == 2 and "unknown agent 'codex'" in configured.err
    assert not (repo.path.parent / "repo-wt3").exists()
