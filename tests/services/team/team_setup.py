"""A real team remote for the team-mode tests: a bare repository served by `git daemon` on
127.0.0.1, and clones that act as separate machines (own HOME, own git identity)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.conftest import RepoApi, Result, end_leftover_processes, run_cli

REGISTRY = "refs/parallel/registry"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Daemon:
    """`git daemon` serving every repository under `root`; start() returns once it accepts."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.port = 0
        self.process: subprocess.Popen[bytes] | None = None

    def url(self, name: str) -> str:
        return f"git://127.0.0.1:{self.port}/{name}"

    def start(self) -> None:
        for _ in range(5):  # a free port can be taken between probing and binding
            self.port = free_port()
            self.process = subprocess.Popen(
                [
                    "git",
                    "daemon",
                    "--reuseaddr",
                    "--export-all",
                    "--enable=receive-pack",
                    "--informative-errors",
                    f"--base-path={self.root}",
                    "--listen=127.0.0.1",
                    f"--port={self.port}",
                    str(self.root),
                ],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            if self._accepting():
                return
            self.stop()
        raise AssertionError("git daemon did not start")

    def _accepting(self) -> bool:
        """Wait until the daemon accepts a connection, or has exited (port taken)."""
        assert self.process is not None
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                return False
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return True
            except OSError:
                time.sleep(0.02)  # polling the condition, not a fixed wait
        return False

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=20)
        self.process = None


def git_as(
    env: dict[str, str], cwd: Path, *args: str, check: bool = True, input_text: str | None = None
) -> str:
    result = subprocess.run(
        ["git", *args],
        cwd=cwd,
        input=input_text,
        capture_output=True,
        text=True,
        env={**os.environ, **env},
        check=False,
    )
    if check and result.returncode != 0:
        raise AssertionError(f"git {' '.join(args)} failed: {result.stderr}")
    return result.stdout


class MachineApi(RepoApi):
    """RepoApi with one machine's environment set for the length of each call."""

    def __init__(self, path: Path, env: dict[str, str]) -> None:
        super().__init__(path)
        self.env = env

    def run(self, call: Callable[[], Any]) -> Any:
        """call() with this machine's environment (a service `api` lacks, say)."""
        saved = {key: os.environ.get(key) for key in self.env}
        os.environ.update(self.env)
        try:
            return call()
        finally:
            for key, value in saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value

    def __getattr__(self, name: str) -> Any:
        call = super().__getattr__(name)
        return lambda *args, **kwargs: self.run(lambda: call(*args, **kwargs))


class Machine:
    """One clone of the team repository with its own HOME and identity."""

    def __init__(self, root: Path, name: str, url: str) -> None:
        self.name = name
        home = root / f"home-{name}"
        home.mkdir(parents=True)
        config = home / ".gitconfig"
        config.write_text(
            f"[user]\n\tname = {name}\n\temail = {name}@example.com\n"
            f"[parallel]\n\tmachine = {name}\n"
            "[init]\n\tdefaultBranch = main\n[advice]\n\tdetachedHead = false\n"
        )
        self.env = {"HOME": str(home), "GIT_CONFIG_GLOBAL": str(config)}
        self.path = root / name / "project"
        self.path.parent.mkdir(parents=True)
        git_as(self.env, self.path.parent, "clone", "-q", url, str(self.path))

    def git(
        self, *args: str, check: bool = True, cwd: Path | None = None, input_text: str | None = None
    ) -> str:
        return git_as(self.env, cwd or self.path, *args, check=check, input_text=input_text)

    def cli(self, *args: str, cwd: Path | None = None, env: dict[str, str] | None = None) -> Result:
        return run_cli(cwd or self.path, *args, env={**self.env, **(env or {})})

    @property
    def api(self) -> MachineApi:
        """`gitwt.api` in-process on this clone, as this machine (its HOME and git identity)."""
        return MachineApi(self.path, self.env)

    def popen(self, *args: str) -> subprocess.Popen[str]:
        import sys

        return subprocess.Popen(
            [sys.executable, "-m", "gitwt", *args],
            cwd=self.path,
            env={**os.environ, **self.env},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    def work(self, worktree: Path, relative: str, text: str, *extra: str) -> str:
        target = worktree / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
        self.git("add", "-A", cwd=worktree)
        self.git("commit", "-q", *extra, "-m", f"change {relative}", cwd=worktree)
        return self.git("rev-parse", "HEAD", cwd=worktree).strip()


def registry(bare: Path) -> dict[str, dict]:
    """The registry's entries as the remote holds them, read straight from the bare repo."""
    listed = subprocess.run(
        ["git", "ls-tree", "--name-only", REGISTRY], cwd=bare, capture_output=True, text=True
    )
    if listed.returncode != 0:
        return {}
    entries = {}
    for name in listed.stdout.split():
        raw = subprocess.run(
            ["git", "cat-file", "blob", f"{REGISTRY}:{name}"],
            cwd=bare,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        entries[name.removesuffix(".json")] = json.loads(raw)
    return entries


SPEC = """---
id: {id}
title: Task {id}
files:
{files}
---
"""


def seed(root: Path, bare: Path, url: str, specs: dict[str, list[str]]) -> None:
    """Create the served repository: config with remote = origin, sources and specs."""
    subprocess.run(["git", "init", "-q", "--bare", "-b", "main", str(bare)], check=True)
    work = root / "seed"
    subprocess.run(["git", "clone", "-q", url, str(work)], check=True, capture_output=True)
    (work / ".gitparallel.toml").write_text('remote = "origin"\n')
    for relative in ("src/shared/x.py", "src/shared/y.py", "src/c.py", "README.md"):
        (work / relative).parent.mkdir(parents=True, exist_ok=True)
        (work / relative).write_text(f"# {relative}\n")
    (work / "docs").mkdir()
    for task_id, files in specs.items():
        listing = "\n".join(f"  - {path}" for path in files)
        (work / "docs" / f"SPEC-{task_id}-task.md").write_text(
            SPEC.format(id=task_id, files=listing)
        )
    for args in (["add", "-A"], ["commit", "-q", "-m", "seed"], ["push", "-q", "origin", "main"]):
        subprocess.run(["git", *args], cwd=work, check=True, capture_output=True)


@dataclass
class Team:
    daemon: Daemon
    bare: Path
    alice: Machine
    bob: Machine


@contextmanager
def serving(tmp_path: Path, specs: dict[str, list[str]]) -> Iterator[Team]:
    """A served team repository with two machines; the daemon and leftovers end after."""
    served = tmp_path / "served"
    served.mkdir()
    daemon = Daemon(served)
    daemon.start()
    try:
        url = daemon.url("project.git")
        seed(tmp_path, served / "project.git", url, specs)
        yield Team(
            daemon,
            served / "project.git",
            Machine(tmp_path, "alice", url),
            Machine(tmp_path, "bob", url),
        )
    finally:
        daemon.stop()
        end_leftover_processes(tmp_path)


# A pre-receive hook that holds each push while the gate is armed until `count` pushes wait
# there together, so racing pushes are all decided on the same registry: the race happens on
# every round instead of when the scheduler happens to interleave them.
GATE = """#!{python}
import os, sys, time
gate = {gate!r}
if not os.path.exists(os.path.join(gate, "armed")):
    sys.exit(0)
os.makedirs(os.path.join(gate, "waiting"), exist_ok=True)
open(os.path.join(gate, "waiting", str(os.getpid())), "w").close()
deadline = time.monotonic() + 60
while len(os.listdir(os.path.join(gate, "waiting"))) < {count}:
    if time.monotonic() > deadline:
        sys.stderr.write("gate: the other push never came\\n")
        sys.exit(1)
    time.sleep(0.01)  # polling the condition, not a fixed wait
"""


class Gate:
    """Arm before a race, disarm after it: see GATE."""

    def __init__(self, bare: Path, folder: Path, count: int = 2) -> None:
        import sys

        self.folder = folder
        folder.mkdir()
        hook = bare / "hooks" / "pre-receive"
        hook.write_text(GATE.format(python=sys.executable, gate=str(folder), count=count))
        hook.chmod(0o755)

    def arm(self) -> None:
        import shutil

        shutil.rmtree(self.folder / "waiting", ignore_errors=True)
        (self.folder / "armed").touch()

    def disarm(self) -> None:
        (self.folder / "armed").unlink()

    def race(self, starts: dict[str, tuple[Machine, str]]) -> dict[str, tuple[int, str]]:
        """Run each `git parallel start ID` (by key: its machine and id) at once through the
        armed gate; each one's exit code and stderr."""
        self.arm()
        racing = {key: who.popen("start", task_id) for key, (who, task_id) in starts.items()}
        codes = {}
        for key, process in racing.items():
            _, err = process.communicate(timeout=120)
            codes[key] = (process.returncode, err)
        self.disarm()
        return codes
