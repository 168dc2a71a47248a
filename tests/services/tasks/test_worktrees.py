"""`start` with real git: worktrees, branches, rules snapshots, refusals, odd paths, sparse."""

from __future__ import annotations

import concurrent.futures
import json
from pathlib import Path

import pytest

from gitwt.services.specs import claiming
from tests.conftest import Repo, api_error, git
from tests.services.tasks.test_supervisor import UNGATED, record, status_of, wait_until


def specs(repo: Repo, layout: dict[str, list[str]], **extra: dict) -> None:
    for task_id, files in layout.items():
        repo.spec(task_id, files, **extra.get(task_id, {}))
    repo.write(".gitparallel.toml", UNGATED)
    repo.commit_all("specs")


def state_dir(repo: Repo) -> Path:
    return repo.path / ".git" / "parallel"


def test_open_task_gets_a_locked_worktree_branch_and_rules(repo: Repo) -> None:
    specs(repo, {"7": ["src/a.py", "tests/"]})
    base = repo.git("rev-parse", "HEAD").strip()
    result = repo.api.start(["7"])
    assert result.ok, result.to_json()
    worktree = repo.path.parent / "repo-wt7"
    assert [(t["id"], t["state"], t["worktree"]) for t in result.tasks] == [
        ("7", "open", str(worktree))
    ]
    assert repo.git("rev-parse", "parallel/7").strip() == base
    listing = repo.git("worktree", "list", "--porcelain")
    assert f"worktree {worktree}\n" in listing
    assert "locked git parallel 7" in listing
    git_dir = git(worktree, "rev-parse", "--path-format=absolute", "--git-dir").strip()
    rules = json.loads((Path(git_dir) / "parallel-rules.json").read_text())
    assert rules["task"] == "7"
    assert [entry["pattern"] for entry in rules["declared"]] == ["src/a.py", "tests/"]
    assert rules["branch"] == "parallel/7" and rules["base"] == "main"
    saved = record(repo, "7")
    assert saved["state"] == "open" and saved["base_oid"] == base
    assert saved["files"] == ["src/a.py", "tests/"] and saved["command"] is None
    assert status_of(repo, "7")["state"] == "open"


def test_conflicting_start_creates_nothing(repo: Repo) -> None:
    specs(repo, {"1": ["src/shared.py", "src/one.py"], "2": ["src/shared.py"]})
    refused = api_error(repo.api.start, ["1", "2"], run="true")
    assert refused.exit_code == 1
    assert "1 and 2 both declare src/shared.py" in refused.message
    assert refused.hint
    assert repo.git("branch", "--list", "parallel/*") == ""
    assert len(repo.git("worktree", "list").splitlines()) == 1
    assert not (repo.path.parent / "repo-wt1").exists()
    assert not list(state_dir(repo).glob("tasks/*.json"))


def test_ownership_problem_creates_nothing(repo: Repo) -> None:
    repo.write("CODEOWNERS", "src/ @alice\n")
    specs(repo, {"1": ["src/a.py"]}, **{"1": {"owner": "bob"}})
    refused = api_error(repo.api.start, ["1"])
    assert refused.exit_code == 1
    assert "does not own" in refused.render()
    assert repo.git("branch", "--list", "parallel/*") == ""


def test_start_refuses_overlap_with_a_live_task(repo: Repo) -> None:
    specs(repo, {"1": ["src/"], "2": ["src/deep/x.py"]})
    assert repo.api.start(["1"]).ok
    refused = api_error(repo.api.start, ["2"])
    assert refused.exit_code == 1
    assert "task 1 is live" in refused.render()
    assert "--queue" in refused.render()
    assert repo.git("branch", "--list", "parallel/2") == ""


def test_existing_branch_or_path_is_an_error_never_reused(repo: Repo) -> None:
    specs(repo, {"1": ["a.txt"], "2": ["b.txt"]})
    repo.git("branch", "parallel/1")
    error = api_error(repo.api.start, ["1"])
    assert error.exit_code == 2
    assert "branch parallel/1 for task 1 already exists" in error.message
    (repo.path.parent / "repo-wt2").mkdir()
    (repo.path.parent / "repo-wt2" / "keep.txt").write_text("mine")
    error = api_error(repo.api.start, ["2"])
    assert error.exit_code == 2
    assert "already exists" in error.message and error.hint
    assert (repo.path.parent / "repo-wt2" / "keep.txt").read_text() == "mine"
    assert repo.git("branch", "--list", "parallel/2") == ""


def test_restarting_a_live_task_is_refused(repo: Repo) -> None:
    specs(repo, {"1": ["a.txt"]})
    assert repo.api.start(["1"]).ok
    again = api_error(repo.api.start, ["1"])
    assert again.exit_code == 2
    assert "already started (open)" in again.message


@pytest.mark.slow
def test_dependent_task_needs_queue_then_waits_for_the_merge(repo: Repo) -> None:
    specs(repo, {"1": ["1.txt"], "2": ["2.txt"]}, **{"2": {"depends_on": ["1"]}})
    refused = api_error(repo.api.start, ["1", "2"], run="true")
    assert refused.exit_code == 1
    assert "depends on 1" in refused.render() and "--queue" in refused.render()
    assert repo.git("branch", "--list", "parallel/*") == ""

    command = "sh -c 'echo {id} > {id}.txt && git add {id}.txt && git commit -qm {id}'"
    result = repo.api.start(["1", "2"], queue=True, run=command)
    assert result.ok, result.to_json()
    tasks = {task["id"]: task for task in result.tasks}
    assert tasks["2"]["state"] == "queued"
    assert tasks["2"]["waits_for"] == [{"reason": "depends", "text": "depends on 1", "task": "1"}]
    assert not (repo.path.parent / "repo-wt2").exists(), "a waiting task has no worktree yet"
    wait_until(lambda: status_of(repo, "1")["state"] == "succeeded")
    assert status_of(repo, "2")["state"] == "queued"

    merged = repo.api.merge(["1"])
    assert merged.ok, merged.to_json()
    wait_until(lambda: status_of(repo, "2")["state"] == "succeeded")
    # Task 2 started from base after task 1 was merged, so it has task 1's work.
    assert repo.git("show", "parallel/2:1.txt").strip() == "1"


def test_conflicting_tasks_with_queue_run_one_after_the_other(repo: Repo) -> None:
    specs(repo, {"1": ["shared.txt"], "2": ["shared.txt"]})
    result = repo.api.start(["1", "2"], queue=True, run="true")
    assert result.ok, result.to_json()
    states = {task["id"]: task["state"] for task in result.tasks}
    assert states["2"] == "queued"


@pytest.mark.slow
def test_paths_with_spaces_and_unicode(tmp_path: Path) -> None:
    repo = Repo(tmp_path / "my repo ü")
    repo.write("README.md", "x\n")
    repo.spec("1", ["docs dir/notes ü.md", "src/[id] file.txt"])
    repo.write(".gitparallel.toml", UNGATED + 'worktree = "../work trees/wt {id} é"\n')
    repo.commit_all("init")
    command = (
        'sh -c \'mkdir -p "docs dir" src && echo hi > "docs dir/notes ü.md" && '
        'echo x > "src/[id] file.txt" && git add -A && git commit -qm unicode\''
    )
    result = repo.api.start(["1"], run=command)
    assert result.ok, result.to_json()
    worktree = tmp_path / "work trees" / "wt 1 é"
    assert worktree.is_dir()
    wait_until(lambda: status_of(repo, "1")["state"] == "succeeded")
    task = status_of(repo, "1")
    assert task["worktree"] == str(worktree)
    assert sorted(task["files"]) == ["docs dir/notes ü.md", "src/[id] file.txt"]
    assert "wt 1 é" in repo.cli("status").out
    refused = repo.api.clean(["1"])
    assert not refused.ok, "its commit is not merged"
    assert "1 commit(s) not merged into main" in refused.to_json()["tasks"][0]["refused"]
    cleaned = repo.api.clean(["1"], force=True)
    assert cleaned.ok, cleaned.to_json()
    assert not worktree.exists()
    salvage = repo.git("for-each-ref", "--format=%(refname)", "refs/parallel/salvage/1/").split()
    assert len(salvage) == 1
    assert repo.git("show", f"{salvage[0]}:docs dir/notes ü.md").strip() == "hi"


def test_sparse_checks_out_declared_paths_and_top_level_files(repo: Repo) -> None:
    for folder in ("src/app", "src/other", "vendor"):
        repo.write(f"{folder}/file.txt")
    repo.write("Makefile")
    specs(repo, {"1": ["src/app/"]})
    assert repo.api.start(["1"], sparse=True).ok
    worktree = repo.path.parent / "repo-wt1"
    assert (worktree / "src/app/file.txt").exists()
    assert (worktree / "Makefile").exists() and (worktree / "README.md").exists()
    assert (worktree / "docs/SPEC-1-task.md").exists(), "the task's own spec comes along"
    assert not (worktree / "src/other").exists()
    assert not (worktree / "vendor").exists()
    assert git(worktree, "status", "--porcelain") == ""
    # A claim widens the sparse checkout too.
    claiming.claim(repo.api.context(), "1", ["vendor/"])
    assert (worktree / "vendor/file.txt").exists()


def test_sparse_declared_folders_get_gits_cone_and_a_sparse_index(repo: Repo) -> None:
    for folder in ("src/app/deep", "src/other", "vendor/lib"):
        repo.write(f"{folder}/file.txt")
    specs(repo, {"1": ["src/app/", "vendor/lib/file.txt"]})
    assert repo.api.start(["1"], sparse=True).ok
    worktree = repo.path.parent / "repo-wt1"
    git_dir = Path(git(worktree, "rev-parse", "--absolute-git-dir").strip())
    ours = (git_dir / "info/sparse-checkout").read_text()
    # git's own `sparse-checkout set --cone` writes the same file for the same folders
    assert git(worktree, "sparse-checkout", "list").split() == ["docs", "src/app", "vendor/lib"]
    git(
        worktree,
        "sparse-checkout",
        "set",
        "--cone",
        "--sparse-index",
        "docs",
        "src/app",
        "vendor/lib",
    )
    assert (git_dir / "info/sparse-checkout").read_text() == ours
    assert git(worktree, "config", "--worktree", "index.sparse").strip() == "true"
    # the index holds the cone's files and one entry per folder outside it
    assert "src/other/" in git(worktree, "ls-files", "--sparse").splitlines()
    assert (worktree / "src/app/deep/file.txt").exists()
    assert (worktree / "vendor/lib/file.txt").exists()
    assert not (worktree / "src/other").exists()
    assert git(worktree, "status", "--porcelain") == ""


def test_sparse_with_a_top_level_path_selects_exactly_without_a_cone(repo: Repo) -> None:
    repo.write("src/app/file.txt")
    repo.write("src/app/other.txt")
    specs(repo, {"1": ["src/app/file.txt", "tool.cfg"]})
    assert repo.api.start(["1"], sparse=True).ok
    worktree = repo.path.parent / "repo-wt1"
    assert git(worktree, "config", "--worktree", "core.sparseCheckoutCone").strip() == "false"
    assert (worktree / "src/app/file.txt").exists()
    assert not (worktree / "src/app/other.txt").exists()


@pytest.mark.slow
def test_two_concurrent_starts_never_share_a_branch(repo: Repo) -> None:
    specs(repo, {str(n): [f"f{n}.txt"] for n in range(1, 5)})
    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        results = list(
            pool.map(
                lambda ids: repo.cli("start", *ids),
                [["1", "2"], ["3", "4"], ["1", "3"], ["2", "4"]],
            )
        )
    assert sum(result.code == 0 for result in results) == 2
    assert all("already started" in r.err for r in results if r.code)
    branches = repo.git("for-each-ref", "--format=%(refname:short)", "refs/heads/parallel/").split()
    assert sorted(branches) == ["parallel/1", "parallel/2", "parallel/3", "parallel/4"]
    for task_id in "1234":
        saved = record(repo, task_id)
        assert saved["state"] == "open"
        assert saved["branch"] == f"parallel/{task_id}"
    assert len(repo.git("worktree", "list").splitlines()) == 5
