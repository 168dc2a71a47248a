"""Benchmark `git parallel merge` against a loop of `git merge --no-ff` (DESIGN §10).

    python bench/merge.py [--files 20000] [--tasks 10] [--repeat 3] [--dir /dev/shm] [--json]

Builds a repository of --files tracked files with `git fast-import`, starts --tasks open tasks
with `git parallel start` (each declares its own package), and makes one commit in each task
worktree changing five files. Four identical copies are made per run; in the same run it times:
  * kept, raw: `git merge --no-ff` of each task branch in turn, in the checkout of main;
  * kept, ours: `git parallel merge --keep` of all tasks (audit, forecast, commit-tree, CAS
    publish and fast-forward of the checkout of main);
  * clean-up, raw: the same loop, each merge followed by `git worktree remove` of the task's
    worktree and `git branch -d` of its branch (the worktrees are unlocked beforehand, untimed:
    a plain user's worktrees are not locked);
  * clean-up, ours: `git parallel merge --all` (which also removes the worktrees and branches).
    Timed until the command returns: the removed checkouts' files are deleted afterwards, in
    the background; the bench waits (untimed) until that is done before timing anything else,
    and reports how long it took.
Each command runs with git's trace2 event log on, so the git processes it starts are counted
(bench/git_processes.py: top-level ones only). Repositories go under --dir (tmpfs by default:
the disk here is slow and noisy). Budgets: kept ≤ 0.5 × raw; clean-up ≤ 0.6 × raw. It prints;
it asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from git_processes import git_processes, total, traced_environment
from installed import cli_command
from synthetic import fast_import, spec

KEPT_BUDGET = 0.5
CLEANUP_BUDGET = 0.6
TRASH_WAIT_S = 120.0


def git(cwd: Path, *args: str, env: dict[str, str] | None = None) -> bytes:
    return subprocess.run(["git", *args], cwd=cwd, capture_output=True, check=True, env=env).stdout


def gitwt(cwd: Path, *args: str, env: dict[str, str] | None = None) -> None:
    command = [*cli_command(), *args]
    subprocess.run(command, cwd=cwd, check=True, capture_output=True, env=env)


def build(root: Path, files: int, tasks: int) -> Path:
    repo = root / "repo"
    paths = (f"src/pkg{n % tasks:02}/module_{n}.py" for n in range(files))
    specs = {
        f"docs/SPEC-{task}-bench.md": spec(task, f"src/pkg{task - 1:02}/")
        for task in range(1, tasks + 1)
    }
    fast_import(repo, paths, specs)
    git(repo, "config", "user.name", "bench")
    git(repo, "config", "user.email", "bench@example.com")
    ids = [str(task) for task in range(1, tasks + 1)]
    gitwt(repo, "start", *ids, "--max", str(tasks))
    for task in ids:
        worktree = root / f"repo-wt{task}"
        for number in range(5):
            path = (
                worktree / f"src/pkg{int(task) - 1:02}/module_{int(task) - 1 + number * tasks}.py"
            )
            path.write_text(f"changed by task {task}\n")
        git(worktree, "commit", "-q", "-am", f"task {task}")
    return repo


@dataclass
class Side:
    """One side of one case: its times (s) and the git processes of its first run."""

    times: list[float] = field(default_factory=list)
    git: int | None = None

    def add(self, seconds: float, log: Path) -> None:
        self.times.append(seconds)
        if self.git is None:
            self.git = total(git_processes(log))

    @property
    def median_ms(self) -> float:
        return statistics.median(self.times) * 1000


def run_raw(repo: Path, tasks: int, env: dict[str, str], *, cleanup: bool) -> float:
    began = time.perf_counter()
    for task in range(1, tasks + 1):
        git(repo, "merge", "--no-ff", "-q", "-m", f"Merge task {task}", f"parallel/{task}", env=env)
        if cleanup:
            git(repo, "worktree", "remove", str(repo.parent / f"repo-wt{task}"), env=env)
            git(repo, "branch", "-d", "-q", f"parallel/{task}", env=env)
    return time.perf_counter() - began


def run_ours(repo: Path, tasks: int, env: dict[str, str], *, cleanup: bool) -> float:
    # Open tasks merge only when named (or with --all): the clean-up case takes --all.
    args = ["merge", "--all"] if cleanup else ["merge", "--keep", *map(str, range(1, tasks + 1))]
    began = time.perf_counter()
    gitwt(repo, *args, env=env)
    return time.perf_counter() - began


def wait_for_trash(repo: Path, began: float) -> float:
    """Seconds from `began` until the removed checkouts' files are gone (polls, untimed)."""
    trash = repo / ".git" / "parallel" / "trash"
    deadline = time.monotonic() + TRASH_WAIT_S
    while time.monotonic() < deadline:
        if not trash.is_dir() or not [n for n in os.listdir(trash) if not n.startswith(".")]:
            return time.perf_counter() - began
        time.sleep(0.01)
    raise SystemExit(f"the trash under {trash} was not emptied in {TRASH_WAIT_S:.0f} s")


def one_run(folder: Path, args: argparse.Namespace, sides: dict[str, Side]) -> float:
    """Build four copies, time the four commands; return the trash deletion's finishing time."""
    repos = {name: build(folder / name, args.files, args.tasks) for name in sides}
    for task in range(1, args.tasks + 1):
        git(
            repos["cleanup_raw"],
            "worktree",
            "unlock",
            str(folder / "cleanup_raw" / f"repo-wt{task}"),
        )
    trash_s = 0.0
    for name, side in sides.items():
        log = folder / f"{name}.trace"
        env = traced_environment(log)
        cleanup = name.startswith("cleanup")
        runner = run_ours if name.endswith("ours") else run_raw
        began = time.perf_counter()
        side.add(runner(repos[name], args.tasks, env, cleanup=cleanup), log)
        if name == "cleanup_ours":
            trash_s = wait_for_trash(repos[name], began)
    return trash_s


def report(args: argparse.Namespace, sides: dict[str, Side], trash_ms: list[float]) -> None:
    print(f"merge of {args.tasks} clean task branches, {args.files} files, median of {args.repeat}")
    rows = (
        ("ours", "ours: git parallel merge --keep", "raw", "raw: git merge --no-ff loop",
         KEPT_BUDGET),
        ("cleanup_ours", "ours: git parallel merge --all (clean-up)", "cleanup_raw",
         "raw: loop + worktree remove + branch -d", CLEANUP_BUDGET),
    )  # fmt: skip
    for ours, ours_label, raw, raw_label, budget in rows:
        for name, label in ((raw, raw_label), (ours, ours_label)):
            print(f"  {label:<44} {sides[name].median_ms:8.0f} ms  {sides[name].git:4} git")
        ratio = sides[ours].median_ms / sides[raw].median_ms
        verdict = "within" if ratio <= budget else "OVER"
        print(f"  ratio ours/raw {ratio:.2f} (budget ≤ {budget}) {verdict}")
    print(f"  clean-up's files deleted (background) by {statistics.median(trash_ms):.0f} ms")
    if args.json:
        figures: dict[str, object] = {}
        for name, side in sides.items():
            figures[f"{name}_ms"] = side.median_ms
            figures[f"{name}_runs_ms"] = [t * 1000 for t in side.times]
        figures.update({f"{name}_git": side.git for name, side in sides.items()})
        figures["cleanup_trash_done_ms"] = statistics.median(trash_ms)
        print(json.dumps(figures))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=20_000)
    parser.add_argument("--tasks", type=int, default=10)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--dir", default="/dev/shm" if os.path.isdir("/dev/shm") else None,
                        help="where the repositories are made (default /dev/shm)")  # fmt: skip
    parser.add_argument("--json", action="store_true", help="end with one line of JSON figures")
    args = parser.parse_args()
    # Alternating in one run, so that machine load hits every side alike.
    sides = {name: Side() for name in ("raw", "ours", "cleanup_raw", "cleanup_ours")}
    trash_ms: list[float] = []
    for _ in range(args.repeat):
        folder = tempfile.mkdtemp(prefix="gitwt-bench-merge-", dir=args.dir)
        try:
            trash_ms.append(one_run(Path(folder), args, sides) * 1000)
        finally:
            shutil.rmtree(folder, ignore_errors=True)
    report(args, sides, trash_ms)
    return 0


if __name__ == "__main__":
    sys.exit(main())
