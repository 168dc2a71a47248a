"""Hostile spec input through the real CLI: YAML alias bombs and overlong task ids."""

from __future__ import annotations

import pytest

from tests.conftest import Repo


def alias_bomb(levels: int = 9) -> str:
    """Each level repeats the one before nine times: 9**levels values once expanded."""
    lines = ['l0: &l0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for level in range(1, levels + 1):
        previous = f"*l{level - 1}"
        lines.append(f"l{level}: &l{level} [{', '.join([previous] * 9)}]")
    return "\n".join(lines)


@pytest.mark.parametrize("key", ["title", "files", "owner"])
def test_an_alias_bomb_is_an_input_error_naming_the_spec(repo: Repo, key: str) -> None:
    repo.write(
        "docs/SPEC-1-bomb.md",
        f"---\nid: 1\n{alias_bomb()}\n{key}: *l9\n---\n# Bomb\n",
    )
    repo.spec("2", ["b.py"])
    repo.commit_all()
    # A generous timeout: an unbounded loader runs for minutes and gigabytes here.
    result = repo.cli("plan", "1", "2", timeout=30)
    assert result.code == 2, result
    assert "docs/SPEC-1-bomb.md" in result.err
    assert "expands to more than" in result.err
    assert "hint: " in result.err
    assert "Traceback" not in result.err


def test_deep_nesting_is_an_input_error(repo: Repo) -> None:
    repo.write("docs/SPEC-1-deep.md", "---\nid: 1\ntitle: " + "[" * 200 + "]" * 200 + "\n---\n")
    repo.commit_all()
    result = repo.cli("plan", "1", timeout=30)
    assert result.code == 2, result
    assert "docs/SPEC-1-deep.md" in result.err and "nests deeper" in result.err


def test_plain_anchors_and_aliases_still_work(repo: Repo) -> None:
    repo.write(
        "docs/SPEC-1-alias.md",
        "---\nid: 1\nshared: &shared [a.py, b.py]\nfiles: *shared\n---\n",
    )
    repo.commit_all()
    result = repo.cli("plan", "1", "--json")
    assert result.code == 0, result
    assert result.json()["task_file_map"] == {"1": ["a.py", "b.py"]}


@pytest.mark.parametrize("command", ["plan", "start"])
def test_an_overlong_task_id_is_refused_before_anything_is_created(
    repo: Repo, command: str
) -> None:
    long_id = "x" * 300
    before = repo.git("worktree", "list")
    result = repo.cli(command, long_id)
    assert result.code == 2, result
    assert "too long" in result.err and "at most 100 characters" in result.err
    assert "Traceback" not in result.err
    assert repo.git("worktree", "list") == before
    assert repo.git("branch", "--list", "parallel/*") == ""


def test_an_overlong_id_in_front_matter_is_refused(repo: Repo) -> None:
    repo.write("specs/long.md", f"---\nid: {'y' * 101}\nfiles: [a.py]\n---\n")
    repo.commit_all()
    result = repo.cli("plan", "y" * 101)
    assert result.code == 2 and "too long" in result.err


def test_a_hundred_character_id_starts(repo: Repo) -> None:
    task_id = "t" * 100
    repo.spec(task_id, ["a.py"], name="specs/hundred.md")
    repo.commit_all()
    result = repo.cli("start", task_id)
    assert result.code == 0, result
    assert repo.git("branch", "--list", f"parallel/{task_id}").strip().endswith(task_id)


@pytest.mark.parametrize("bad", ["a.lock", "a."])
def test_ids_git_refuses_as_branch_names_are_refused(repo: Repo, bad: str) -> None:
    result = repo.cli("plan", bad)
    assert result.code == 2 and "invalid task id" in result.err
