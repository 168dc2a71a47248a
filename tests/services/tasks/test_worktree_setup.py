"""A new task worktree gets the `.worktreeinclude` files of the main worktree and runs `setup`
before the task's command, as the worktree tools do. Real repositories, real task processes."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.conftest import Repo, api_error
from tests.services.tasks.test_supervisor import status_of, wait_until

UNGATED = "cpu_max = 100\nmemory_max = 100\npoll_interval = 0.2\n"


def trusted(repo: Repo, tmp_path: Path, config: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Commit `config` and trust it, in a trust file of this test's own (set for the test: the
    in-process calls and the CLI read it from the environment)."""
    repo.spec("1", ["src/one.txt"])
    repo.write(".gitparallel.toml", UNGATED + config)
    repo.commit_all("spec and config")
    monkeypatch.setenv("GIT_PARALLEL_TRUST_FILE", str(tmp_path / "trust.json"))
    granted = repo.cli("trust")
    assert granted.code == 0
    assert "trusted setup in .gitparallel.toml" in granted.out, granted.out


def test_worktreeinclude_copies_untracked_and_ignored_files(repo: Repo) -> None:
    repo.spec("1", ["src/one.txt"])
    repo.write(".gitignore", ".env\nconfig/local.toml\n")
    repo.write(".gitparallel.toml", UNGATED)
    repo.write("tracked.txt", "as committed\n")
    repo.commit_all("spec")
    repo.write(
        ".worktreeinclude", "# as gtr and worktrunk read it\n.env\nconfig/\nbin/tool\nlink\n"
    )
    repo.write(".env", "SECRET=1\n")
    repo.write("config/local.toml", "debug = true\n")
    tool = repo.write("bin/tool", "#!/bin/sh\necho tool\n")
    tool.chmod(0o755)
    os.symlink(".env", repo.path / "link")
    repo.write("notes.txt", "not listed\n")
    repo.write("nested/README", "a repository of its own\n")
    repo.git("-C", str(repo.path / "nested"), "init", "-q")
    with (repo.path / ".worktreeinclude").open("a") as include:
        include.write("nested/\n")
    repo.write("tracked.txt", "changed in the main worktree\n")

    assert repo.api.start(["1"]).ok
    worktree = repo.path.parent / "repo-wt1"
    assert (worktree / ".env").read_text() == "SECRET=1\n"
    assert (worktree / "config/local.toml").read_text() == "debug = true\n"
    assert os.access(worktree / "bin/tool", os.X_OK), "the mode is kept"
    assert os.readlink(worktree / "link") == ".env", "a symbolic link stays one"
    assert not (worktree / "notes.txt").exists(), "only what .worktreeinclude lists"
    assert not (worktree / "nested").exists(), "a nested repository is not a file to copy"
    assert (worktree / "tracked.txt").read_text() == "as committed\n", "tracked files: checkout"
    # The copies are ignored or untracked there too: nothing to commit by accident.
    assert repo.git("-C", str(worktree), "status", "--porcelain", "--", ".env", "config") == ""


def test_setup_runs_in_the_worktree_before_the_command(
    repo: Repo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    trusted(
        repo,
        tmp_path,
        'setup = ["sh", "-c", "echo installing for $GIT_PARALLEL_TASK; touch .setup-done"]\n',
        monkeypatch,
    )
    started = repo.api.start(["1"], run="test -e .setup-done")
    assert started.ok, started.to_json()
    wait_until(lambda: status_of(repo, "1")["state"] == "succeeded")
    log = repo.cli("logs", "1").out
    assert "installing for 1" in log
    assert log.index("setup done") < log.index("running ['test'")


def test_a_failing_setup_fails_the_task_with_its_output(
    repo: Repo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    setup = "setup = \"sh -c 'echo cannot install >&2; exit 7'\"\n"
    trusted(repo, tmp_path, setup, monkeypatch)
    marker = tmp_path / "command-ran"
    assert repo.api.start(["1"], run=f"touch {marker}").ok
    wait_until(lambda: status_of(repo, "1")["state"] == "failed")
    assert status_of(repo, "1")["exit_code"] == 7
    log = repo.cli("logs", "1").out
    assert "cannot install" in log
    assert "failed (exit 7); the task did not run" in log
    assert not marker.exists()


def test_an_untrusted_setup_is_refused_before_anything_is_created(
    repo: Repo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo.spec("1", ["src/one.txt"])
    repo.write(".gitparallel.toml", UNGATED + 'setup = "make deps"\n')
    repo.commit_all("config")
    monkeypatch.setenv("GIT_PARALLEL_TRUST_FILE", str(tmp_path / "trust.json"))
    refused = api_error(repo.api.start, ["1"], run="true")
    assert refused.exit_code == 1
    assert "'setup' in .gitparallel.toml" in refused.message
    assert refused.hint and "git parallel trust" in refused.hint
    assert not (repo.path.parent / "repo-wt1").exists()
    assert repo.git("branch", "--list", "parallel/*") == ""
