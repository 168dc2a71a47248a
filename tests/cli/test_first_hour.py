"""The friction a new user met in the first hour (issue 21), each through the real CLI."""

from __future__ import annotations

import json
import subprocess
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


def test_no_speedup_is_shown_for_trivial_or_failed_tasks(repo: Repo) -> None:
    one_task(repo)
    repo.spec("2", ["src/two/**"])
    repo.commit_all("task 2")
    assert repo.cli("start", "1", "2", "--run", "true").code == 0
    finished(repo, "1")
    finished(repo, "2")
    status = repo.cli("status", "--json").json()
    assert [task["state"] for task in status["tasks"]] == ["succeeded", "succeeded"]
    assert status["speedup"] is None  # milliseconds of process start-up measure nothing
    assert "; speedup " not in repo.cli("status").out


def test_check_path_calls_a_file_the_task_does_not_have_added(repo: Repo) -> None:
    one_task(repo)
    assert repo.cli("start", "1").code == 0
    repo.write("notes/only-in-main.md", "not in the task's worktree\n")
    asked = repo.cli(
        "check", "--task", "1", "--path", "notes/only-in-main.md", "--path", "README.md"
    )
    assert asked.code == 1, asked
    rows = {line.split()[0]: line.split()[1] for line in asked.out.splitlines()[1:]}
    assert rows == {"notes/only-in-main.md": "added", "README.md": "modified"}
    inside = repo.cli("check", "--path", "docs/new.md", cwd=repo.path.parent / "repo-wt1")
    assert inside.code == 1 and "docs/new.md  added" in inside.out


def test_the_guards_refusal_agrees_in_number(repo: Repo) -> None:
    repo.write(".gitparallel.toml", UNGATED)
    repo.spec("1", ["src/a.py", "src/b.py"])
    repo.write("src/a.py", "a\n")
    repo.write("src/b.py", "b\n")
    repo.commit_all("task 1")
    assert repo.cli("start", "1").code == 0

    def commit_on_base(*paths: str) -> str:
        for path in paths:
            repo.write(path, "changed on base\n")
        repo.git("add", *paths)
        result = subprocess.run(
            ["git", "commit", "-qm", "on base"], cwd=repo.path, capture_output=True, text=True
        )
        assert result.returncode != 0, result
        return result.stderr

    one = commit_on_base("src/a.py")
    assert "commit refused: 1 path of this commit belongs to live task 1" in one
    two = commit_on_base("src/a.py", "src/b.py")
    assert "commit refused: 2 paths of this commit belong to live task 1" in two


def test_config_is_read_from_base_as_committed_in_every_checkout(repo: Repo) -> None:
    repo.write("docs/SPEC-1-legacy.md", "# Legacy\n\n**File**: `src/a.py`\n")
    repo.write("src/a.py", "a\n")
    repo.commit_all("a legacy spec, no owner")
    assert repo.cli("start", "1").code == 0
    task_worktree = repo.path.parent / "repo-wt1"

    def owner(where: Path) -> tuple[str | None, str]:
        result = repo.cli("specs", "1", "--json", cwd=where)
        assert result.code == 0, result
        return result.json()["specs"][0]["owner"], result.err

    repo.write(".gitparallel.toml", 'default_owner = "code_developer"\n')  # not committed yet
    for where in (repo.path, task_worktree):
        found, err = owner(where)
        assert found is None  # what base has, in both
        [warning] = err.splitlines()
        assert warning.startswith("git parallel: warning: .gitparallel.toml in the main checkout")
        assert "committed on main" in warning
    repo.commit_all("config")
    assert not (task_worktree / ".gitparallel.toml").exists()  # the task branched before it
    assert owner(repo.path) == ("code_developer", "")
    assert owner(task_worktree) == ("code_developer", "")
