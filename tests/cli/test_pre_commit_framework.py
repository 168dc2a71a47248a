"""The checks through the real pre-commit framework: `.pre-commit-hooks.yaml`, try-repo, stages."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.conftest import Repo, git
from tests.hook.test_commit_hooks import commit, task_worktree, write

PROJECT = Path(__file__).resolve().parents[2]
# Captured before the fixtures point HOME at a temporary folder: try-repo builds a fresh venv
# every time, and pip's cache keeps that to seconds.
PIP_CACHE = os.environ.get("PIP_CACHE_DIR") or os.path.expanduser("~/.cache/pip")


@pytest.fixture(scope="module")
def checkout(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """This working tree as a clean git repository: what try-repo installs the hooks from."""
    target = tmp_path_factory.mktemp("gitwt-checkout")
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=PROJECT,
        capture_output=True,
        check=True,
    ).stdout
    for name in filter(None, listed.decode().split("\0")):
        source = PROJECT / name
        if source.is_file() and not name.startswith(("tests/", "bench/", "docs/")):
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)
    env = {
        **os.environ,
        "GIT_CONFIG_GLOBAL": os.devnull,
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@example.com",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@example.com",
    }
    for args in (["init", "-q"], ["add", "-A"], ["commit", "-q", "-m", "snapshot"]):
        subprocess.run(["git", *args], cwd=target, env=env, check=True, capture_output=True)
    return target


def pre_commit(
    cwd: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "pre_commit", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        env={
            **os.environ,
            "PIP_CACHE_DIR": PIP_CACHE,
            "PIP_DISABLE_PIP_VERSION_CHECK": "1",
            # The console scripts of this environment, for the `language: system` configs.
            "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
            **(env or {}),
        },
        timeout=600,
        check=False,
    )


def test_manifest_declares_the_hooks_the_contract_names() -> None:
    hooks = {
        hook["id"]: hook
        for hook in yaml.safe_load((PROJECT / ".pre-commit-hooks.yaml").read_text())
    }
    assert set(hooks) == {
        "git-parallel-boundaries",
        "git-parallel-ownership",
        "git-parallel-claims",
    }
    claims = hooks.pop("git-parallel-claims")  # tests/cli/test_claims_hook.py
    assert claims["pass_filenames"] is True and "always_run" not in claims
    for hook in hooks.values():
        assert hook["language"] == "python"
        assert hook["pass_filenames"] is False
        assert hook["always_run"] is True
        assert hook["require_serial"] is True
        assert hook["stages"] == ["pre-commit", "pre-merge-commit", "pre-push", "manual"]
        assert hook["minimum_pre_commit_version"] == "3.2.0"


@pytest.mark.slow
def test_try_repo_boundaries_in_a_task_worktree(repo: Repo, checkout: Path) -> None:
    worktree = task_worktree(repo, "65", ["src/app/**"])
    write(worktree, "src/app/main.py")
    write(worktree, "setup.cfg")
    git(worktree, "add", "-A")
    result = pre_commit(worktree, "try-repo", str(checkout), "git-parallel-boundaries")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "git parallel boundaries" in result.stdout and "Failed" in result.stdout
    assert "setup.cfg" in result.stdout and "task 65" in result.stdout
    assert "src/app/main.py" not in result.stdout
    git(worktree, "rm", "-q", "--cached", "setup.cfg")
    result = pre_commit(worktree, "try-repo", str(checkout), "git-parallel-boundaries")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Passed" in result.stdout


@pytest.mark.slow
def test_try_repo_ownership_with_a_role(repo: Repo, checkout: Path) -> None:
    repo.write(".github/CODEOWNERS", "/src/ @backend\n/docs/ @writer\n")
    repo.commit_all("owners")
    repo.write("docs/guide.md")
    repo.git("add", "-A")
    role = {"GIT_PARALLEL_ROLE": "backend"}
    result = pre_commit(repo.path, "try-repo", str(checkout), "git-parallel-ownership", env=role)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "docs/guide.md" in result.stdout and ".github/CODEOWNERS:2 → @writer" in result.stdout
    repo.git("rm", "-q", "--cached", "docs/guide.md")
    repo.write("src/server.py")
    repo.git("add", "src/server.py")
    result = pre_commit(repo.path, "try-repo", str(checkout), "git-parallel-ownership", env=role)
    assert result.returncode == 0, result.stdout + result.stderr


def local_config(repo_path: Path) -> None:
    """The manifest's hooks as `repo: local` (`language: system`): no venv to build."""
    hooks = yaml.safe_load((PROJECT / ".pre-commit-hooks.yaml").read_text())
    for hook in hooks:
        hook["language"] = "system"
    (repo_path / ".pre-commit-config.yaml").write_text(
        yaml.safe_dump({"repos": [{"repo": "local", "hooks": hooks}]})
    )


@pytest.mark.slow
def test_deletion_only_commits_are_checked(repo: Repo) -> None:
    repo.write("docs/old.md")
    local_config(repo.path)
    repo.commit_all("old doc and config")
    worktree = task_worktree(repo, "65", ["src/**"])
    git(worktree, "rm", "-q", "docs/old.md")
    result = pre_commit(worktree, "run", "git-parallel-boundaries")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "docs/old.md" in result.stdout and "deleted" in result.stdout


@pytest.mark.slow
def test_pre_push_stage_checks_the_pushed_range(repo: Repo) -> None:
    local_config(repo.path)
    repo.commit_all("config")
    worktree = task_worktree(repo, "65", ["src/**"])
    write(worktree, "src/a.py")
    git(worktree, "add", "-A")
    assert commit(worktree).returncode == 0
    good = git(worktree, "rev-parse", "HEAD").strip()
    write(worktree, "package.json", "{}\n")
    git(worktree, "add", "-A")
    assert commit(worktree, "--no-verify").returncode == 0
    stage = ("run", "git-parallel-boundaries", "--hook-stage", "pre-push", "--from-ref", "main")
    result = pre_commit(worktree, *stage, "--to-ref", good)
    assert result.returncode == 0, result.stdout + result.stderr
    result = pre_commit(worktree, *stage, "--to-ref", "HEAD")
    assert result.returncode == 1
    assert "package.json" in result.stdout


@pytest.mark.slow
def test_framework_hooks_keep_working_in_task_worktrees(repo: Repo) -> None:
    """`pre-commit install` in the main checkout; a task worktree still runs those hooks."""
    config = {
        "repos": [
            {
                "repo": "local",
                "hooks": [
                    {
                        "id": "no-todo",
                        "name": "no TODO",
                        "entry": "TODO",
                        "language": "pygrep",
                        "types": ["text"],
                    }
                ],
            }
        ]
    }
    (repo.path / ".pre-commit-config.yaml").write_text(yaml.safe_dump(config))
    repo.commit_all("config")
    installed = pre_commit(repo.path, "install")
    assert installed.returncode == 0, installed.stdout + installed.stderr
    worktree = task_worktree(repo, "65", ["src/**"])
    write(worktree, "src/a.py", "x = 1  # TODO\n")
    git(worktree, "add", "-A")
    result = commit(worktree)
    assert result.returncode == 1
    assert "no TODO" in result.stdout + result.stderr  # the framework's hook ran, and refused
    write(worktree, "src/a.py", "x = 1\n")
    git(worktree, "add", "-A")
    result = commit(worktree)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no TODO" in result.stdout + result.stderr and "Passed" in result.stdout + result.stderr


@pytest.mark.slow
def test_ownership_hook_takes_the_role_from_user_email(repo: Repo) -> None:
    """A developer repository: nobody set a role, but CODEOWNERS names the committer's email."""
    repo.write(".github/CODEOWNERS", "/src/ dev@example.com\n/docs/ @writer\n")
    local_config(repo.path)
    repo.commit_all("owners and config")
    repo.git("config", "user.email", "dev@example.com")
    repo.write("src/server.py")
    repo.git("add", "-A")
    result = pre_commit(repo.path, "run", "git-parallel-ownership")
    assert result.returncode == 0, result.stdout + result.stderr
    repo.write("docs/guide.md")
    repo.git("add", "-A")
    result = pre_commit(repo.path, "run", "git-parallel-ownership")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "docs/guide.md" in result.stdout and ".github/CODEOWNERS:2 → @writer" in result.stdout
