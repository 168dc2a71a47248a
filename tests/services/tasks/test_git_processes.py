"""How many git processes `start` runs, against raw git doing the same job (DESIGN §10).

The budget: `start` of N open tasks runs at most raw's count (N `git worktree add -b`) plus 3
per task; `start --sparse` of one task at most raw's sparse worktree (`worktree add
--no-checkout`, `sparse-checkout set`, `read-tree -mu`) plus 5: reading the repository (where
it is, base's specs, the branches, the worktrees, the config) and turning on per-worktree config
the first time; the sparse patterns and the worktree's own config are written as files, not by
`sparse-checkout set` and `config --worktree`. Counted from git's trace2 event log, top-level
processes only.
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

from bench.git_processes import git_processes, total, traced_environment
from tests.conftest import Repo, run_cli
from tests.services.tasks.test_supervisor import UNGATED

TASKS = 4


def repo_with_tasks(repo: Repo, count: int) -> None:
    for task in range(1, count + 1):
        repo.write(f"src/pkg{task}/module.py", f"# package {task}\n")
        repo.spec(str(task), [f"src/pkg{task}/"])
    repo.write(".gitparallel.toml", UNGATED)
    repo.commit_all("packages and specs")


def counted(log: Path, action: Callable[[dict[str, str]], None]) -> int:
    """The top-level git processes `action` runs, given an environment that traces them."""
    action(traced_environment(log))
    return total(git_processes(log))


def test_start_of_open_tasks_runs_at_most_raw_plus_3_per_task(repo: Repo, tmp_path: Path) -> None:
    repo_with_tasks(repo, TASKS)

    def raw(env: dict[str, str]) -> None:
        for task in range(1, TASKS + 1):
            run_git(repo.path, env, "worktree", "add", "-q", "-b", f"raw{task}", f"../raw{task}")

    raw_count = counted(tmp_path / "raw.json", raw)
    ids = [str(task) for task in range(1, TASKS + 1)]

    def start(env: dict[str, str]) -> None:
        result = run_cli(repo.path, "start", *ids, env=env)
        assert result.code == 0, result.err

    ours = counted(tmp_path / "start.json", start)
    assert raw_count == TASKS
    assert ours <= raw_count + 3 * TASKS, git_processes(tmp_path / "start.json")


def test_sparse_start_of_one_task_runs_few_more_than_raw(repo: Repo, tmp_path: Path) -> None:
    repo_with_tasks(repo, 2)

    def raw(env: dict[str, str]) -> None:
        path = repo.path.parent / "raw-sparse"
        run_git(repo.path, env, "worktree", "add", "-q", "--no-checkout", "-b", "raw", str(path))
        run_git(path, env, "sparse-checkout", "set", "--stdin", input="src/pkg1\ndocs\n")
        run_git(path, env, "read-tree", "-mu", "HEAD")

    raw_count = counted(tmp_path / "raw.json", raw)

    def start(env: dict[str, str]) -> None:
        result = run_cli(repo.path, "start", "1", "--sparse", env=env)
        assert result.code == 0, result.err

    ours = counted(tmp_path / "sparse.json", start)
    assert raw_count == 3
    assert ours <= raw_count + 5, git_processes(tmp_path / "sparse.json")
    assert git_processes(tmp_path / "sparse.json")["sparse-checkout set"] == 0
    assert (repo.path.parent / "repo-wt1" / "src" / "pkg1" / "module.py").exists()
    assert not (repo.path.parent / "repo-wt1" / "src" / "pkg2").exists()


def test_start_lists_base_tree_only_when_files_decide_and_then_once(
    repo: Repo, tmp_path: Path
) -> None:
    """One task and no ownership map: no file can make it conflict, so `start` does not list
    base's tree (seconds at 1,000,000 files). Beside a live task it must: the plan and the check
    against the live task share one listing, and a file both match is still a conflict."""
    repo_with_tasks(repo, 3)
    repo.spec("4", ["**/module.py"])
    repo.commit_all("a task matching a file of every package")

    def start(*ids: str) -> Callable[[dict[str, str]], None]:
        def action(env: dict[str, str]) -> None:
            result = run_cli(repo.path, "start", *ids, env=env)
            assert result.code == 0, result.err

        return action

    counted(tmp_path / "one.json", start("1"))
    assert git_processes(tmp_path / "one.json")["ls-tree"] == 0
    assert (repo.path.parent / "repo-wt1" / "src" / "pkg1" / "module.py").exists()
    counted(tmp_path / "two.json", start("2", "3"))
    assert git_processes(tmp_path / "two.json")["ls-tree"] == 1
    refused = run_cli(repo.path, "start", "4")
    assert refused.code == 1, refused.out + refused.err
    assert "module.py" in refused.err, refused.err
    assert not (repo.path.parent / "repo-wt4").exists()


def run_git(cwd: Path, env: dict[str, str], *args: str, input: str | None = None) -> None:
    subprocess.run(["git", *args], cwd=cwd, env=env, input=input, text=True, check=True,
                   capture_output=True)  # fmt: skip
