"""`git parallel hooks install|uninstall|status`: per-worktree hooks that restore what was there."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from gitwt.services.hooks import installer, task_install
from tests.conftest import Repo, api_error, git, run_cli
from tests.hook.test_commit_hooks import commit, task_worktree, write


def config_files(repo: Repo) -> dict[str, str]:
    """Every config file of the repository, by path, to compare before and after."""
    files = {}
    for path in [repo.path / ".git" / "config", *repo.path.glob(".git/**/config.worktree")]:
        files[str(path)] = path.read_text()
    return files


def hooks_path(cwd: Path) -> str | None:
    value = git(cwd, "config", "--get", "core.hooksPath", check=False).strip()
    return value or None


def test_install_touches_only_the_task_worktree(repo: Repo) -> None:
    other = repo.path.parent / "other"
    repo.git("worktree", "add", "-q", "-b", "feature", str(other))
    worktree = task_worktree(repo, "65", ["src/**"])
    git_dir = git(worktree, "rev-parse", "--path-format=absolute", "--git-dir").strip()
    assert hooks_path(worktree) == f"{git_dir}/parallel-hooks"
    assert hooks_path(repo.path) is None
    assert hooks_path(other) is None
    # Outside the task worktree, anything can still be committed.
    (other / "anything.txt").write_text("x\n")
    git(other, "add", "-A")
    assert commit(other).returncode == 0


def test_uninstall_restores_exactly_what_was_there(repo: Repo) -> None:
    before = config_files(repo)
    worktree = task_worktree(repo, "65", ["src/**"])
    git_dir = Path(git(worktree, "rev-parse", "--path-format=absolute", "--git-dir").strip())
    assert (git_dir / "parallel-rules.json").exists()
    assert installer.uninstall(str(worktree))  # `hooks uninstall` there: "removed ..."
    assert hooks_path(worktree) is None
    assert not (git_dir / "parallel-hooks").exists()
    assert not (git_dir / "parallel-rules.json").exists()  # `--task` saved them: gone too
    after = config_files(repo)
    assert after[str(repo.path / ".git" / "config")] == before[str(repo.path / ".git" / "config")]
    assert all(not text.strip() for path, text in after.items() if path.endswith(".worktree"))
    write(worktree, "outside.txt")
    git(worktree, "add", "-A")
    assert commit(worktree).returncode == 0  # no check any more
    assert repo.cli("hooks", "uninstall", cwd=worktree).out.startswith("no git parallel hooks")


def test_uninstall_restores_a_previous_per_worktree_hooks_path(repo: Repo) -> None:
    repo.git("config", "extensions.worktreeConfig", "true")
    worktree = repo.path.parent / "wt"
    repo.spec("65", ["src/**"])
    repo.commit_all("spec")
    repo.git("worktree", "add", "-q", "-b", "parallel/65", str(worktree))
    custom = repo.path.parent / "custom-hooks"
    custom.mkdir()
    (custom / "pre-commit").write_text('#!/bin/sh\necho custom >> "$HOME/custom.log"\n')
    (custom / "pre-commit").chmod(0o755)
    git(worktree, "config", "--worktree", "core.hooksPath", str(custom))
    task_install.install_for(str(worktree), "65")
    task_install.install_for(str(worktree))  # twice: still one "before"
    write(worktree, "src/a.py")
    git(worktree, "add", "-A")
    assert commit(worktree).returncode == 0
    assert (Path(os.environ["HOME"]) / "custom.log").read_text() == "custom\n"  # chained
    assert installer.uninstall(str(worktree))
    assert git(worktree, "config", "--worktree", "--get", "core.hooksPath").strip() == str(custom)
    # We did not turn extensions.worktreeConfig on, so we leave it on.
    assert repo.git("config", "--get", "extensions.worktreeConfig").strip() == "true"


def test_shims_chain_to_a_shared_core_hooks_path(repo: Repo) -> None:
    husky = repo.path / ".husky"
    husky.mkdir()
    (husky / "pre-commit").write_text('#!/bin/sh\necho "husky $(pwd)" >> "$HOME/husky.log"\n')
    (husky / "pre-commit").chmod(0o755)
    repo.git("config", "core.hooksPath", ".husky")  # relative: to each worktree's top
    repo.commit_all("husky")
    worktree = task_worktree(repo, "65", ["src/**"])
    write(worktree, "src/a.py")
    git(worktree, "add", "-A")
    assert commit(worktree).returncode == 0
    ran = (Path(os.environ["HOME"]) / "husky.log").read_text().splitlines()
    assert ran[-1] == f"husky {worktree}"  # the task worktree's own .husky, as git would
    assert installer.uninstall(str(worktree))
    assert hooks_path(worktree) == ".husky"


def test_shims_run_with_the_recorded_interpreter_without_a_venv_on_path(repo: Repo) -> None:
    worktree = task_worktree(repo, "65", ["src/**"])
    git_dir = Path(git(worktree, "rev-parse", "--path-format=absolute", "--git-dir").strip())
    first_line = (git_dir / "parallel-hooks" / "pre-commit").read_text().splitlines()[0]
    assert first_line == f"#!{sys.executable} -IS"
    write(worktree, "outside.txt")
    git(worktree, "add", "-A")
    git_binary = Path(subprocess.check_output(["which", "git"], text=True).strip()).parent
    bare_env = {**os.environ, "PATH": str(git_binary)}  # no python on PATH at all
    result = subprocess.run(
        ["git", "commit", "-q", "-m", "x"],
        cwd=worktree,
        capture_output=True,
        text=True,
        env=bare_env,
    )
    assert result.returncode == 1
    assert "outside.txt" in result.stderr


def test_an_interpreter_path_with_spaces_gets_a_shell_shim(repo: Repo, tmp_path: Path) -> None:
    # The whole environment (a venv, or the installation) appears under a path with spaces, so
    # the interpreter there still finds its site-packages, and with them this gitwt. (A symlink
    # to the interpreter alone leaves the venv behind: it only worked where gitwt was also
    # installed globally.)
    prefix = Path(sys.prefix)
    executable = Path(sys.executable)
    assert executable.is_relative_to(prefix), "the interpreter lives inside its environment"
    (tmp_path / "my tools").mkdir()
    (tmp_path / "my tools" / "env").symlink_to(prefix, target_is_directory=True)
    python = tmp_path / "my tools" / "env" / executable.relative_to(prefix)
    repo.spec("65", ["src/**"])
    repo.commit_all("spec")
    worktree = repo.path.parent / "wt65"
    repo.git("worktree", "add", "-q", "-b", "parallel/65", str(worktree))
    result = subprocess.run(
        [str(python), "-m", "gitwt", "hooks", "install", "--task", "65"],
        cwd=worktree,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    git_dir = Path(git(worktree, "rev-parse", "--path-format=absolute", "--git-dir").strip())
    shim = (git_dir / "parallel-hooks" / "pre-commit").read_text()
    assert shim.startswith("#!/bin/sh\n") and str(python) in shim
    write(worktree, "outside.txt")
    write(worktree, "src/in.py")
    git(worktree, "add", "-A")
    assert "outside.txt" in commit(worktree).stderr
    git(worktree, "rm", "-q", "--cached", "outside.txt")
    assert commit(worktree).returncode == 0


@pytest.mark.slow
def test_status_shows_what_is_installed_where(repo: Repo) -> None:
    worktree = task_worktree(repo, "65", ["src/**"])
    assert repo.cli("hooks", "install").code == 0  # the guard in the main worktree
    result = repo.cli("hooks", "status", "--json")
    assert result.code == 0, result.out
    data = result.json()
    assert data["schema"] == "git-parallel/hooks/1"
    by_path = {entry["path"]: entry for entry in data["worktrees"]}
    assert by_path[str(worktree)]["mode"] == "task"
    assert by_path[str(worktree)]["task"] == "65"
    assert by_path[str(worktree)]["chain"] == str(repo.path / ".git" / "hooks")
    assert by_path[str(repo.path)]["mode"] == "guard"
    text = repo.cli("hooks", "status").out
    assert "task" in text and "guard" in text and "65" in text
    # Someone repoints core.hooksPath: status says the checks no longer run, and exits 1.
    git(worktree, "config", "--worktree", "core.hooksPath", "/dev/null")
    result = repo.cli("hooks", "status")
    assert result.code == 1
    assert "the checks do not run" in result.out


def test_hooks_install_with_an_unknown_task_is_a_usage_error(repo: Repo) -> None:
    worktree = repo.path.parent / "wt"
    repo.git("worktree", "add", "-q", "-b", "x", str(worktree))
    error = api_error(task_install.install_for, str(worktree), "404")
    assert error.exit_code == 2
    assert hooks_path(worktree) is None


def test_an_install_killed_before_its_record_uninstalls_cleanly(repo: Repo) -> None:
    """Crash between setting core.hooksPath and writing the record: after reinstalling, the
    hooks still run, and uninstall must not leave core.hooksPath pointing at our removed shims
    (which would silently switch every hook off). With core.hooksPath set, the base guard is a
    per-worktree install in the main worktree."""
    (repo.path / "custom-hooks").mkdir()
    repo.git("config", "core.hooksPath", "custom-hooks")
    assert repo.cli("hooks", "install").code == 0
    git_dir = repo.git("rev-parse", "--path-format=absolute", "--git-dir").strip()
    os.unlink(os.path.join(git_dir, "parallel-hooks.json"))
    assert repo.cli("hooks", "install").code == 0
    repo.write("file.txt", "x\n")
    repo.git("add", "file.txt")
    result = subprocess.run(
        ["git", "commit", "-q", "-m", "after a crashed install"],
        cwd=repo.path,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 0, result.stderr
    assert repo.cli("hooks", "uninstall").code == 0
    left = repo.git("config", "--worktree", "--get", "core.hooksPath", check=False).strip()
    assert "parallel-hooks" not in left


def test_the_server_check_installs_reports_and_uninstalls_putting_back_the_servers_hook(
    tmp_path: Path,
) -> None:
    bare = tmp_path / "served.git"
    git(tmp_path, "init", "-q", "--bare", str(bare))
    own_hook = bare / "hooks" / "pre-receive"
    own_hook.write_text("#!/bin/sh\necho the server's own check\n")
    own_hook.chmod(0o755)
    hooks_before = sorted(path.name for path in (bare / "hooks").iterdir())

    assert "server check: none" in run_cli(bare, "hooks", "status", "--server").out
    assert run_cli(bare, "hooks", "install", "--server").code == 0
    report = run_cli(bare, "hooks", "status", "--server", "--json").json()
    assert report["installed"] is True
    assert report["hook"] == str(own_hook)
    assert report["chains_to"] == str(bare / "hooks" / "pre-receive.before-git-parallel")

    removed = run_cli(bare, "hooks", "uninstall", "--server")
    assert removed.code == 0 and "removed the server check" in removed.out
    assert own_hook.read_text() == "#!/bin/sh\necho the server's own check\n"
    assert os.access(own_hook, os.X_OK)
    assert sorted(path.name for path in (bare / "hooks").iterdir()) == hooks_before
    again = run_cli(bare, "hooks", "uninstall", "--server")
    assert again.code == 0 and "no server check here" in again.out
    assert own_hook.read_text() == "#!/bin/sh\necho the server's own check\n"


def test_the_server_check_is_refused_outside_a_bare_repository(repo: Repo) -> None:
    for command in ("install", "uninstall", "status"):
        result = repo.cli("hooks", command, "--server")
        assert result.code == 2, (command, result.err)
        assert (
            result.err.startswith("git parallel: error: ") and "not a bare repository" in result.err
        )
        assert "hint:" in result.err
