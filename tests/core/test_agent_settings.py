"""The pure edits of agents' settings and instructions files (core.agent_settings)."""

from __future__ import annotations

import copy

import pytest

from gitwt.core import agent_settings
from gitwt.core.agent_settings import AGENTS

COMMANDS = {"agent": "/r/.git/parallel/agent-hooks/git-parallel-hook agent"}
COMMANDS["agent-shell"] = "/r/.git/parallel/agent-hooks/git-parallel-hook agent-shell"
USER = {
    "permissions": {"allow": ["Bash(make)"]},
    "hooks": {
        "PreToolUse": [{"matcher": "Bash", "hooks": [{"type": "command", "command": "guard"}]}],
        "Stop": [],
    },
}


@pytest.mark.parametrize("name", sorted(AGENTS))
def test_hooks_are_added_after_the_users_and_taken_out_exactly(name: str) -> None:
    agent = AGENTS[name]
    merged = agent_settings.add_hooks(USER, agent, COMMANDS)
    assert merged["permissions"] == USER["permissions"]
    for entry in agent.hooks:
        groups = merged["hooks"][entry.event]
        assert groups[-1]["matcher"] == entry.matcher
        assert groups[-1]["hooks"][0]["command"] == COMMANDS[entry.verb]
    assert merged["hooks"]["PreToolUse"][0] == USER["hooks"]["PreToolUse"][0]
    assert agent_settings.add_hooks(merged, agent, COMMANDS) == merged  # once only
    assert agent_settings.remove_hooks(merged, list(COMMANDS.values())) == USER
    assert (
        agent_settings.remove_hooks(
            agent_settings.add_hooks({}, agent, COMMANDS), list(COMMANDS.values())
        )
        == {}
    )


def test_the_users_file_is_never_changed_in_place() -> None:
    before = copy.deepcopy(USER)
    agent_settings.add_hooks(USER, AGENTS["claude"], COMMANDS)
    assert before == USER


@pytest.mark.parametrize("settings", [{"hooks": []}, {"hooks": {"PreToolUse": {"matcher": "x"}}}])
def test_hooks_of_another_shape_are_refused(settings: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        agent_settings.add_hooks(settings, AGENTS["claude"], COMMANDS)


def test_timeouts_and_names_follow_each_agent() -> None:
    claude = agent_settings.add_hooks({}, AGENTS["claude"], COMMANDS)["hooks"]
    gemini = agent_settings.add_hooks({}, AGENTS["gemini"], COMMANDS)["hooks"]
    assert claude["PreToolUse"][0]["hooks"][0] == {
        "type": "command",
        "command": COMMANDS["agent"],
        "timeout": 30,  # seconds
    }
    handler = gemini["BeforeTool"][0]["hooks"][0]
    assert handler["timeout"] == 30_000 and handler["name"] == "git-parallel-pre-edit"
    assert gemini["AfterTool"][0]["matcher"] == "run_shell_command"


def test_the_note_shows_spec_text_inert_and_comes_out_again() -> None:
    note = agent_settings.note_text("65", "Evil\x1b[2J title", ["src/**", "a\nb"], AGENTS["claude"])
    assert "\x1b" not in note and "\\033" in note
    assert "- `src/**`" in note and '"a\\nb"' in note
    user = "# My notes\n"
    assert agent_settings.without_note(agent_settings.with_note(user, note)) == user
    assert agent_settings.with_note("", note) == note
