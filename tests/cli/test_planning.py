"""`git parallel plan` end to end: real repositories, the real CLI process."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.conftest import Repo, run_cli


def no_traceback(result) -> None:
    assert "Traceback" not in result.err
    assert "Traceback" not in result.out


def test_version_and_help(repo: Repo) -> None:
    assert repo.cli("--version").out.startswith("git parallel ")
    for flag in ("-h", "--help"):
        result = repo.cli(flag)
        assert result.code == 0
        assert "plan" in result.out


def test_independent_tasks_exit_0(repo: Repo) -> None:
    repo.write("src/a/x.py")
    repo.write("src/b/y.py")
    repo.spec("65", ["src/a/**"], title="Recipes")
    repo.spec("66", ["src/b/y.py"], title="Billing")
    repo.commit_all()
    result = repo.cli("plan", "65", "66")
    assert result.code == 0, result.err
    assert "valid" in result.out
    assert "Recipes" in result.out and "Billing" in result.out
    data = repo.cli("plan", "66", "65", "--json").json()
    assert data["schema"] == "git-parallel/plan/1"
    assert data["valid"] is True
    assert data["task_file_map"] == {"65": ["src/a/**"], "66": ["src/b/y.py"]}
    assert data["matched_files"] == {"65": ["src/a/x.py"], "66": ["src/b/y.py"]}
    assert data["independent_pairs"] == [["65", "66"]]
    assert data["waves"] == [["65", "66"]]


def test_conflicting_tasks_exit_1_with_paths_and_patterns(repo: Repo) -> None:
    repo.write("src/shared.py")
    repo.spec("65", ["src/**"])
    repo.spec("66", ["src/shared.py"])
    repo.spec("67", ["docs/new.md"])
    repo.commit_all()
    result = repo.cli("plan", "65", "66", "67")
    assert result.code == 1
    assert "65 ↔ 66" in result.out and "src/shared.py" in result.out
    data = repo.cli("plan", "65", "66", "67", "--json").json()
    assert data["valid"] is False
    assert data["conflicts"] == [
        {
            "tasks": ["65", "66"],
            "paths": ["src/shared.py"],
            "patterns": [["src/**", "src/shared.py"]],
            "examples": [],
            "declared": False,
        }
    ]
    assert data["waves"] == [["65", "67"], ["66"]]


def test_conflicting_tasks_in_order_are_told_the_start_that_runs_them(repo: Repo) -> None:
    """Two tasks that depend on each other and declare one file: plan says which command runs
    them one after the other (adding depends_on would not: they have it), and that command
    does: the first starts, the second waits in the queue for it."""
    repo.write("docs/ROADMAP.md")
    repo.write(".gitparallel.toml", "cpu_max = 100\nmemory_max = 100\n")
    repo.spec("101", ["docs/ROADMAP.md", "src/one.py"])
    repo.spec("102", ["docs/ROADMAP.md"], depends_on=["101"])
    repo.commit_all()
    result = repo.cli("plan", "101", "102")
    assert result.code == 1
    advice = "'git parallel start --queue 101 102'"
    assert result.out.rstrip().endswith(f"run them one after the other with {advice}")
    started = repo.cli("start", "--queue", "101", "102", "--json")
    assert started.code == 0, started.err
    states = {task["id"]: task["state"] for task in started.json()["tasks"]}
    assert states == {"101": "open", "102": "queued"}


def test_ownership_problem_exit_1(repo: Repo) -> None:
    repo.write(".github/CODEOWNERS", "* @lead\n/api/ agent:backend\n/web/ agent:frontend\n")
    repo.write("api/server.py")
    repo.write("web/app.ts")
    repo.spec("1", ["api/**", "web/app.ts"], owner="agent:backend")
    repo.commit_all()
    result = repo.cli("plan", "1", "--json")
    assert result.code == 1
    [problem] = result.json()["problems"]
    assert problem["task"] == "1" and problem["paths"] == ["web/app.ts"]


@pytest.mark.parametrize(
    "name",
    ["with space/file name.txt", "ünïcödé/файл.md", "-leading-dash.txt", "line\nbreak.txt"],
)
@pytest.mark.slow
def test_odd_file_names(repo: Repo, name: str) -> None:
    repo.write(name)
    repo.spec("1", [name])
    repo.spec("2", [name.split("/")[0] + ("/" if "/" in name else "")])
    repo.commit_all()
    result = repo.cli("plan", "1", "2", "--json")
    assert result.code == 1, result.err
    assert result.json()["conflicts"][0]["paths"] == [name]
    text = repo.cli("plan", "1", "2")
    assert text.code == 1
    no_traceback(text)


def test_dependency_cycle_exit_2(repo: Repo) -> None:
    repo.spec("1", ["a"], depends_on=["2"])
    repo.spec("2", ["b"], depends_on=["1"])
    result = repo.cli("plan", "1", "2")
    assert result.code == 2
    assert "dependency cycle" in result.err


BAD_INPUTS = [
    # (files to write, ids, message in the error)
    ({}, ["99"], "no spec found for task 99"),
    ({"docs/SPEC-1-a.md": "---\nfiles: [a\n---\n"}, ["1"], "malformed YAML front matter"),
    ({"docs/SPEC-1-a.md": "---\nfiles: []\n---\n"}, ["1"], "declares no files"),
    ({"docs/SPEC-1-a.md": "---\nfiles: ['../escape.py']\n---\n"}, ["1"], "escapes the repository"),
    ({"docs/SPEC-1-a.md": "---\nfiles: ['/etc/passwd']\n---\n"}, ["1"], "is absolute"),
    (
        {
            "docs/SPEC-1-a.md": "---\nfiles: [a]\n---\n",
            "specs/x.md": "---\nid: 1\nfiles: [b]\n---\n",
        },
        ["1"],
        "task 1 is ambiguous: 2 specs claim it: SPEC-1-a (docs/SPEC-1-a.md) and x (specs/x.md)",
    ),
    (
        {".gitparallel.toml": "bogus = 1\n"},
        ["1"],
        "unknown config key 'bogus' in .gitparallel.toml",
    ),
    ({".gitparallel.toml": "max_instances = 'x'\n"}, ["1"], "'max_instances'"),
    (
        {"CODEOWNERS": "!x @a\n", "docs/SPEC-1-a.md": "---\nfiles: [a]\nowner: a\n---\n"},
        ["1"],
        "CODEOWNERS:1",
    ),
    ({}, ["../etc"], "invalid task id"),
    ({}, ["--", "-rf"], "invalid task id"),
]


@pytest.mark.parametrize(("files", "ids", "message"), BAD_INPUTS)
def test_bad_input_is_one_line_a_hint_and_exit_2(
    repo: Repo, files: dict[str, str], ids: list[str], message: str
) -> None:
    for relative, text in files.items():
        repo.write(relative, text)
    repo.commit_all("bad input")  # the config is read as committed on base
    before = repo.git("status", "--porcelain", "--ignored")
    result = repo.cli("plan", *ids)
    assert result.code == 2, result
    lines = result.err.strip().splitlines()
    assert lines[0].startswith("git parallel: error: ")
    assert message in lines[0]
    assert lines[1].startswith("hint: ")
    no_traceback(result)
    assert repo.git("status", "--porcelain", "--ignored") == before  # nothing changed


def test_symlink_escaping_the_repository_is_refused(repo: Repo, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    os.symlink(outside, repo.path / "link")
    repo.spec("1", ["link/secret.txt"])
    result = repo.cli("plan", "1")
    assert result.code == 2
    assert "outside the repository" in result.err


def test_outside_a_repository(tmp_path: Path) -> None:
    result = run_cli(tmp_path, "plan", "1")
    assert result.code == 2
    assert result.err.splitlines() == [
        "git parallel: error: not inside a git repository",
        "hint: cd into a git worktree, or run 'git init' first",
    ]


def test_usage_errors_read_like_git(repo: Repo) -> None:
    result = repo.cli("plan")
    assert result.code == 2
    assert result.err.startswith("git parallel: error: ")
    assert "hint: see 'git parallel plan -h'" in result.err
    result = repo.cli("no-such-command")
    assert result.code == 2
    no_traceback(result)


def test_inline_config_tasks_and_pyproject(repo: Repo) -> None:
    repo.write(
        "pyproject.toml",
        '[tool.git-parallel]\n[tool.git-parallel.tasks.70]\nfiles = ["x/**"]\ntitle = "Inline"\n',
    )
    repo.commit_all("pyproject")
    result = repo.cli("plan", "70", "--json")
    assert result.code == 0, result.err
    assert result.json()["task_file_map"] == {"70": ["x/**"]}


def test_plan_works_from_a_subdirectory_and_empty_repo(tmp_path: Path) -> None:
    empty = Repo(tmp_path / "empty")
    empty.spec("1", ["a.py"])
    (empty.path / "docs" / "deeper").mkdir()
    result = run_cli(empty.path / "docs" / "deeper", "plan", "1", "--json")
    assert result.code == 0, result.err
    assert result.json()["matched_files"] == {"1": ["a.py"]}
