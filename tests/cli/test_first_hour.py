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
