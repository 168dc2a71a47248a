"""Benchmark `git parallel merge` against a loop of `git merge --no-ff` (DESIGN §10).

    python bench/merge.py [--files 20000] [--tasks 10] [--repeat 3]

Builds a repository of --files tracked files with `git fast-import`, starts --tasks open tasks
with `git parallel start` (each declares its own package), and makes one commit in each task
worktree changing five files. Two identical copies are made per run; in the same run it times:
  * raw git: `git merge --no-ff` of each task branch in turn, in the checkout of main;
  * ours: `git parallel merge --keep` of all tasks (audit, forecast, commit-tree, CAS publish
    and fast-forward of the checkout of main for each task).
Budget: ours at most half of the raw loop. It prints; it asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from synthetic import fast_import, spec

BUDGET_RATIO = 0.5


def git(cwd: Path, *args: str, input: bytes | None = None) -> bytes:
    return subprocess.run(
        ["git", *args], cwd=cwd, input=input, capture_output=True, check=True
    ).stdout


def gitwt(cwd: Path, *args: str) -> None:
    subprocess.run([sys.executable, "-m", "gitwt", *args], cwd=cwd, check=True, capture_output=True)


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


def time_raw(repo: Path, tasks: int) -> float:
    began = time.perf_counter()
    for task in range(1, tasks + 1):
        git(repo, "merge", "--no-ff", "-q", "-m", f"Merge task {task}", f"parallel/{task}")
    return time.perf_counter() - began


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=20_000)
    parser.add_argument("--tasks", type=int, default=10)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--json", action="store_true", help="end with one line of JSON figures")
    args = parser.parse_args()
    raw_times: list[float] = []
    our_times: list[float] = []
    for _ in range(args.repeat):
        with tempfile.TemporaryDirectory(prefix="gitwt-bench-merge-") as folder:
            ours_repo = build(Path(folder) / "ours", args.files, args.tasks)
            raw_repo = build(Path(folder) / "raw", args.files, args.tasks)
            # Tasks must be 'succeeded' or named; open tasks merge only when named: name them all.
            began = time.perf_counter()
            gitwt(ours_repo, "merge", "--keep", *[str(t) for t in range(1, args.tasks + 1)])
            our_times.append(time.perf_counter() - began)
            raw_times.append(time_raw(raw_repo, args.tasks))
            shutil.rmtree(folder, ignore_errors=True)
    raw, ours = statistics.median(raw_times), statistics.median(our_times)
    ratio = ours / raw
    print(f"merge of {args.tasks} clean task branches, {args.files} files, median of {args.repeat}")
    print(f"  {'raw: git merge --no-ff loop':<44} {raw * 1000:8.0f} ms")
    print(f"  {'ours: git parallel merge (audit, forecast)':<44} {ours * 1000:8.0f} ms")
    verdict = "within" if ratio <= BUDGET_RATIO else "OVER"
    print(f"  ratio ours/raw {ratio:.2f} (budget ≤ {BUDGET_RATIO}) {verdict}")
    if args.json:
        runs = {"ours_runs_ms": [t * 1000 for t in our_times],
                "raw_runs_ms": [t * 1000 for t in raw_times]}  # fmt: skip
        print(json.dumps({"ours_ms": ours * 1000, "raw_ms": raw * 1000, **runs}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
