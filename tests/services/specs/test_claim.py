"""`claim` extends a live task's declaration, under the lock, and refreshes its hook snapshot."""

from __future__ import annotations

import concurrent.futures
import json
from pathlib import Path

import pytest

from gitwt.services.specs import claiming
from tests.conftest import Repo, api_error, git
from tests.services.tasks.test_supervisor import UNGATED, record


def two_open_tasks(repo: Repo) -> None:
    repo.spec("1", ["src/one/"])
    repo.spec("2", ["src/two/"])
    repo.write(".gitparallel.toml", UNGATED)
    repo.commit_all("specs")
    assert repo.api.start(["1", "2"]).ok


def claim(repo: Repo, task_id: str, *paths: str) -> list[str]:
    """`claim ID PATHS`, in-process: the paths it added (a refusal raises, as the CLI exits)."""
    return claiming.claim(repo.api.context(), task_id, list(paths)).added


def rules_of(worktree: Path) -> list[str]:
    git_dir = git(worktree, "rev-parse", "--path-format=absolute", "--git-dir").strip()
    rules = json.loads((Path(git_dir) / "parallel-rules.json").read_text())
    return [entry["pattern"] for entry in rules["declared"]]


@pytest.mark.slow
def test_claim_extends_the_declaration_and_the_hook_snapshot(repo: Repo) -> None:
    two_open_tasks(repo)
    assert claim(repo, "1", "docs/one.md", "src/shared/util.py") == [
        "docs/one.md",
        "src/shared/util.py",
    ]
    saved = record(repo, "1")
    assert saved["files"] == ["src/one/"]
    assert saved["claims"][0]["paths"] == ["docs/one.md", "src/shared/util.py"]
    assert rules_of(repo.path.parent / "repo-wt1") == [
        "src/one/",
        "docs/one.md",
        "src/shared/util.py",
    ]
    assert claim(repo, "1", "src/shared/util.py") == []  # "already declares all of these"


def test_claim_is_refused_when_another_live_task_declares_it(repo: Repo) -> None:
    two_open_tasks(repo)
    refused = api_error(claim, repo, "1", "src/two/x.py")
    assert refused.exit_code == 1
    assert "task 2" in refused.render()
    assert "src/two/x.py" in refused.render()
    assert record(repo, "1")["claims"] == []
    assert rules_of(repo.path.parent / "repo-wt1") == ["src/one/"]


def test_claim_is_refused_when_another_task_claimed_it_first(repo: Repo) -> None:
    two_open_tasks(repo)
    assert claim(repo, "2", "shared/**") == ["shared/**"]
    refused = api_error(claim, repo, "1", "shared/config.py")
    assert refused.exit_code == 1
    assert "task 2" in refused.render()


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
    assert repo.api.start(["1"]).ok
    refused = api_error(claim, repo, "1", "secret/key.txt")
    assert refused.exit_code == 1
    assert "does not own" in refused.render()
    assert claim(repo, "1", "lib/") == ["lib/"]


@pytest.mark.slow
def test_claim_of_a_finished_or_unknown_task(repo: Repo) -> None:
    repo.spec("1", ["a.txt"])
    repo.write(".gitparallel.toml", UNGATED)
    repo.commit_all("specs")
    unknown = api_error(claim, repo, "1", "b.txt")
    assert unknown.exit_code == 2
    assert "has not been started" in unknown.render()
    assert repo.api.start(["1"]).ok
    assert repo.api.clean(["1"]).ok
    finished = api_error(claim, repo, "1", "b.txt")
    assert finished.exit_code == 1
    assert "cleaned" in finished.render()


def test_claim_rejects_paths_outside_the_repository(repo: Repo) -> None:
    two_open_tasks(repo)
    error = api_error(claim, repo, "1", "../elsewhere.txt")
    assert error.exit_code == 2
    assert "escapes the repository" in error.render()
