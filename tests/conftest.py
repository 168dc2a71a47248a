"""Shared fixtures: real repositories with real git in temporary folders, and the real CLI."""

from __future__ import annotations

import functools
import json
import os
import subprocess
import sys
import textwrap
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest


@pytest.fixture(autouse=True)
def isolated_git(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """No user or system git config leaks in; every test has the same identity."""
    home = tmp_path_factory.mktemp("home")
    config = home / ".gitconfig"
    config.write_text(
        "[user]\n\tname = Test User\n\temail = test@example.com\n"
        "[init]\n\tdefaultBranch = main\n[advice]\n\tdetachedHead = false\n"
    )
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(config))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    monkeypatch.setenv("NO_COLOR", "1")
    # COLUMNS/LINES: pytest-xdist's workers inherit a width; a report in a pipe must not fold
    # unless the test asks for a width itself.
    # The CLI and hooks run as a user's do: their bytecode is cached after the first run (pip
    # compiles it; Python writes it). With PYTHONDONTWRITEBYTECODE inherited from the caller,
    # every process would compile gitwt from source again (a third of a command's start-up).
    for name in (
        "PYTHONDONTWRITEBYTECODE",
        "GIT_DIR",
        "GIT_WORK_TREE",
        "GIT_INDEX_FILE",
        "GIT_PARALLEL_ROLE",
        "COLUMNS",
        "LINES",
    ):
        monkeypatch.delenv(name, raising=False)


def git(cwd: Path | str, *args: str, check: bool = True) -> str:
    result = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=False)
    if check and result.returncode != 0:
        raise AssertionError(f"git {' '.join(args)} failed: {result.stderr}")
    return result.stdout


@dataclass
class Result:
    code: int
    out: str
    err: str

    def json(self) -> dict:
        return json.loads(self.out)


def run_cli(
    cwd: Path | str, *args: str, env: dict[str, str] | None = None, timeout: float = 120
) -> Result:
    """Run `git parallel ARGS` as a real process, the way a user does."""
    result = subprocess.run(
        [sys.executable, "-m", "gitwt", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        timeout=timeout,
        check=False,
    )
    return Result(result.returncode, result.stdout, result.stderr)


def api_error(call: Callable[..., object], *args: Any, **kwargs: Any) -> Any:
    """The GitParallelError an in-process API call raises: the CLI would print its `message`
    and `hint` and exit with its `exit_code` (2: bad input; 1: Refused, to keep work safe)."""
    from gitwt.errors import GitParallelError

    with pytest.raises(GitParallelError) as raised:
        call(*args, **kwargs)
    return raised.value


class RepoApi:
    """`gitwt.api` called in-process on one repository: `repo.api.status().to_json()` asks what
    `git parallel status --json` answers, without a process start-up (about 130 ms of imports).
    For tests whose subject is not the process boundary (exit codes, text, detached processes)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def context(self) -> Any:
        """What a command starts from (`services.context.Context`), for a service `api` lacks."""
        from gitwt.services.context import Context

        return Context.discover(str(self.path))

    def __getattr__(self, name: str) -> Any:
        from gitwt import api

        return functools.partial(getattr(api, name), repo=self.path)


class Repo:
    """A real repository in a temporary folder, with helpers to write and commit files."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.api = RepoApi(path)
        path.mkdir(parents=True, exist_ok=True)
        git(path, "init", "-q", "-b", "main")

    def write(self, relative: str, text: str = "content\n") -> Path:
        target = self.path / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(textwrap.dedent(text) if text.startswith("\n") else text)
        return target

    def spec(
        self,
        task_id: str,
        files: list[str],
        owner: str | None = None,
        title: str | None = None,
        depends_on: list[str] | None = None,
        run: str | None = None,
        name: str | None = None,
    ) -> Path:
        """Write docs/SPEC-<id>-task.md with YAML front matter."""
        lines = [
            "---",
            f"id: {json.dumps(task_id)}",
            f"title: {json.dumps(title or 'Task ' + task_id)}",
        ]
        if owner is not None:
            lines.append(f"owner: {json.dumps(owner)}")
        lines.append("files:")
        lines += [f"  - {json.dumps(path)}" for path in files]
        if depends_on:
            lines.append(f"depends_on: {json.dumps(depends_on)}")
        if run is not None:
            lines.append(f"run: {json.dumps(run)}")
        lines += ["---", "", f"# {title or 'Task ' + task_id}", ""]
        return self.write(name or f"docs/SPEC-{task_id}-task.md", "\n".join(lines))

    def git(self, *args: str, check: bool = True) -> str:
        return git(self.path, *args, check=check)

    def commit_all(self, message: str = "commit") -> str:
        self.git("add", "-A")
        self.git("commit", "-q", "-m", message, "--allow-empty")
        return self.git("rev-parse", "HEAD").strip()

    def cli(
        self,
        *args: str,
        env: dict[str, str] | None = None,
        cwd: Path | None = None,
        timeout: float = 120,
    ) -> Result:
        return run_cli(cwd or self.path, *args, env=env, timeout=timeout)


@pytest.fixture
def repo(tmp_path: Path) -> Iterator[Repo]:
    """An empty repository on branch main with one commit, inside tmp_path/'repo'."""
    created = Repo(tmp_path / "repo")
    created.write("README.md", "scratch\n")
    created.commit_all("initial")
    yield created
    end_leftover_processes(tmp_path)


def end_leftover_processes(folder: Path) -> None:
    """Kill what a test left running in its folder (task commands, shims, a queue waiter that
    waits for a partner nobody will merge), so it cannot load the machine for later tests."""
    import psutil

    marker = str(folder)
    for process in psutil.process_iter(["cmdline", "cwd"]):
        try:
            cmdline = " ".join(process.info["cmdline"] or [])
            if marker in cmdline or (process.info["cwd"] or "").startswith(marker):
                process.kill()
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
