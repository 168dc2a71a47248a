"""`claim` extends a live task's declaration, under the lock, and refreshes its hook snapshot."""

from __future__ import annotations

import concurrent.futures
import json
from pathlib import Path

import pytest

from tests.conftest import Repo, git
from tests.services.tasks.test_supervisor import UNGATED, record


def two_open_tasks(repo: Repo) -> None:
    repo.spec("1", ["src/one/"])
    repo.spec("2", ["src/two/"])
    repo.write(".gitparallel.toml", UNGATED)
    repo.commit_all("specs")
    assert repo.cli("start", "1", "2").code == 0


def rules_of(worktree: Path) -> list[str]:
    git_dir = git(worktree, "rev-parse", "--path-format=absolute", "--git-dir").strip()
    rules = json.loads((Path(git_dir) / "parallel-rules.json").read_text())
    return [entry["pattern"] for entry in rules["declared"]]


@pytest.mark.slow
def test_claim_extends_the_declaration_and_the_hook_snapshot(repo: Repo) -> None:
    two_open_tasks(repo)
    result = repo.cli("claim", "1", "docs/one.md", "src/shared/util.py", "--json")
    assert result.code == 0, result.err
    assert result.json()["added"] == ["docs/one.md", "src/shared/util.py"]
    saved = record(repo, "1")
    assert saved["files"] == ["src/one/"]
    assert saved["claims"][0]["paths"] == ["docs/one.md", "src/shared/util.py"]
    assert rules_of(repo.path.parent / "repo-wt1") == [
        "src/one/",
        "docs/one.md",
        "src/shared/util.py",
    ]
    again = repo.cli("claim", "1", "src/shared/util.py")
    assert again.code == 0
    assert "already declares" in again.out


def test_claim_is_refused_when_another_live_task_declares_it(repo: Repo) -> None:
    two_open_tasks(repo)
    result = repo.cli("claim", "1", "src/two/x.py")
    assert result.code == 1
    assert "task 2" in result.err
    assert "src/two/x.py" in result.err
    assert record(repo, "1")["claims"] == []
    assert rules_of(repo.path.parent / "repo-wt1") == ["src/one/"]


def test_claim_is_refused_when_another_task_claimed_it_first(repo: Repo) -> None:
    two_open_tasks(repo)
    assert repo.cli("claim", "2", "shared/**").code == 0
    result = repo.cli("claim", "1", "shared/config.py")
    assert result.code == 1
    assert "task 2" in result.err


def test_racing_claims_cannot_both_win(repo: Repo) -> None:
    two_open_tasks(repo)
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        results = list(pool.map(lambda task: repo.cli("claim", task, "common.txt"), ["1", "2"]))
    assert sorted(result.code for result in results) == [0, 1]
    owners = [task for task in "12" if record(repo, task)["claims"]]
    assert len(owners) == 1


@pytest.mark.slow
def test_claim_respects_the_ownership_map(repo: Repo) -> None:
    repo.write("CODEOWNERS", "* @alice\nsecret/ @bob\n")
    repo.spec("1", ["src/"], owner="alice")
    repo.write(".gitparallel.toml", UNGATED)
    repo.commit_all("specs")
    assert repo.cli("start", "1").code == 0
    result = repo.cli("claim", "1", "secret/key.txt")
    assert result.code == 1
    assert "does not own" in result.err
    assert repo.cli("claim", "1", "lib/").code == 0


@pytest.mark.slow
def test_claim_of_a_finished_or_unknown_task(repo: Repo) -> None:
    repo.spec("1", ["a.txt"])
    repo.write(".gitparallel.toml", UNGATED)
    repo.commit_all("specs")
    unknown = repo.cli("claim", "1", "b.txt")
    assert unknown.code == 2
    assert "has not been started" in unknown.err
    assert repo.cli("start", "1").code == 0
    assert repo.cli("clean", "1").code == 0
    finished = repo.cli("claim", "1", "b.txt")
    assert finished.code == 1
    assert "cleaned" in finished.err


def test_claim_rejects_paths_outside_the_repository(repo: Repo) -> None:
    two_open_tasks(repo)
    result = repo.cli("claim", "1", "../elsewhere.txt")
    assert result.code == 2
    assert "escapes the repository" in result.err
