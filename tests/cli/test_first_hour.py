"""The friction a new user met in the first hour (issue 21), each through the real CLI."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import Repo

UNGATED = "cpu_max = 100\nmemory_max = 100\npoll_interval = 0.2\n"


def one_task(repo: Repo, config: str = "") -> None:
    repo.write(".gitparallel.toml", UNGATED + config)
    repo.spec("1", ["src/one/**"])
    repo.commit_all("task 1")


def finished(repo: Repo, task_id: str) -> None:
    waited = repo.cli("wait", task_id, "--timeout", "60")
    assert waited.code == 0, waited


def test_run_is_split_as_a_posix_shell_splits_it(repo: Repo) -> None:
    one_task(repo)
    command = 'sh -c "for f in a b; do echo item \\$f; done"'
    assert repo.cli("start", "1", "--run", command).code == 0
    finished(repo, "1")
    out = repo.cli("logs", "1").out
    assert "item a\nitem b\n" in out  # sh saw '$f', not '\$f'
    assert "\\$f" not in out


def test_each_run_has_its_own_log_and_earlier_runs_are_kept(repo: Repo) -> None:
    one_task(repo)
    assert repo.cli("start", "1", "--run", "echo first run").code == 0
    finished(repo, "1")
    assert repo.cli("clean", "1").code == 0
    assert repo.cli("start", "1", "--run", "echo second run").code == 0
    finished(repo, "1")
    current = repo.cli("logs", "1")
    assert "second run" in current.out and "first run" not in current.out
    assert "(run 2; 'git parallel logs 1 --run 1' shows the first)" in current.out
    first = repo.cli("logs", "1", "--run", "1")
    assert "first run" in first.out and "second run" not in first.out
    assert repo.cli("logs", "1", "--run", "2").out == current.out
    missing = repo.cli("logs", "1", "--run", "3")
    assert missing.code == 2 and "task 1 has no run 3" in missing.err
    logs = Path(repo.git("rev-parse", "--git-common-dir").strip())
    folder = (repo.path / logs if not logs.is_absolute() else logs) / "parallel" / "logs"
    assert sorted(path.name for path in folder.iterdir()) == ["1.log", "1.log.1"]
    assert json.loads((folder.parent / "tasks" / "1.json").read_text())["state"] == "succeeded"


def with_included_files(repo: Repo) -> Path:
    repo.write(".gitignore", ".env\n")
    repo.write(".worktreeinclude", ".env\nconfig/local.toml\n")
    one_task(repo)
    repo.write(".env", "TOKEN=main\n")
    repo.write("config/local.toml", "debug = true\n")
    work = "mkdir -p src/one && echo done > src/one/a.txt && git add -A src && git commit -qm one"
    assert repo.cli("start", "1", "--run", f"sh -c '{work}'").code == 0
    finished(repo, "1")
    return repo.path.parent / "repo-wt1"


def salvage_refs(repo: Repo) -> str:
    return repo.git("for-each-ref", "refs/parallel/salvage/")


def test_worktreeinclude_copies_never_block_the_clean_up_of_a_merged_task(repo: Repo) -> None:
    worktree = with_included_files(repo)
    assert (worktree / ".env").read_text() == "TOKEN=main\n"  # start copied them
    merged = repo.cli("merge", "1")
    assert merged.code == 0, merged
    assert not worktree.exists(), merged.out
    assert repo.cli("status", "1", "--json").json()["tasks"][0]["state"] == "merged"
    assert salvage_refs(repo) == ""
    assert (repo.path / ".env").read_text() == "TOKEN=main\n"  # the main worktree's are kept


def test_a_changed_copy_and_a_new_file_are_the_users_work(repo: Repo) -> None:
    worktree = with_included_files(repo)
    (worktree / ".env").write_text("TOKEN=changed in the task\n")
    (worktree / "notes.txt").write_text("my own notes\n")
    assert repo.cli("merge", "1", "--keep").code == 0
    refused = repo.cli("clean", "1")
    assert refused.code == 1, refused
    error, hint = refused.err.strip().splitlines()[:2]
    assert "notes.txt" in error and ".env" in error and "config/local.toml" not in error
    assert hint.startswith("hint: the task is merged: move those files out of")
    assert salvage_refs(repo) == "" and worktree.exists()
    forced = repo.cli("clean", "1", "--force")
    assert forced.code == 0, forced
    assert salvage_refs(repo) != "" and not worktree.exists()
