"""Benchmark `git parallel start` against raw `git worktree add` (DESIGN §10).

    python bench/start.py [--files 20000] [--repeat 3] [--keep]

Builds a repository in a temporary folder with `git fast-import` (N small files in 50 packages,
one commit on `main`, checked out) and three specs, each declaring one package. Then, alternating
so that disk caches and machine load hit both sides alike, the median of --repeat runs of:
  * raw:    three `git worktree add -b … <path> HEAD` run back to back,
  * start:  `git parallel start 1 2 3` (open tasks: worktree, lock, rules, hooks, state),
  * full:   `git parallel start 1` (one full checkout),
  * sparse: `git parallel start 1 --sparse` (the declared package and top-level files only).
Everything is removed between runs. Budgets: start ≤ 1.15 × raw; sparse ≥ 20 × faster than
full. No assertion: it prints the ratios. Run it with `nice -n 10` on a shared machine.
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
from pathlib import Path

from synthetic import UNGATED_CONFIG, fast_import, spec

PACKAGES = 50


def git(cwd: Path, *args: str, input: bytes | None = None) -> None:
    subprocess.run(["git", *args], cwd=cwd, input=input, check=True, capture_output=True)


def build(root: Path, file_count: int) -> Path:
    repo = root / "repo"
    paths = (f"src/pkg{n % PACKAGES:02d}/dir{n % 7}/file{n}.txt" for n in range(file_count))
    files = {f"docs/SPEC-{task}-bench.md": spec(task, f"src/pkg{task:02d}/") for task in (1, 2, 3)}
    files |= {".gitparallel.toml": UNGATED_CONFIG, "README.md": "bench\n"}
    fast_import(repo, paths, files)
    return repo


def timed(action: list[str], cwd: Path, env: dict[str, str]) -> float:
    began = time.perf_counter()
    subprocess.run(action, cwd=cwd, check=True, capture_output=True, env=env)
    return time.perf_counter() - began


def remove_all(repo: Path) -> None:
    """Drop every worktree, task branch and task state between runs."""
    for line in subprocess.run(
        ["git", "worktree", "list", "--porcelain"], cwd=repo, capture_output=True, text=True
    ).stdout.splitlines():
        if line.startswith("worktree ") and line[9:] != str(repo):
            subprocess.run(["git", "worktree", "unlock", line[9:]], cwd=repo, capture_output=True)
            git(repo, "worktree", "remove", "--force", line[9:])
    for ref in subprocess.run(
        ["git", "for-each-ref", "--format=%(refname)", "refs/heads/"],
        cwd=repo,
        capture_output=True,
        text=True,
    ).stdout.split():
        if ref != "refs/heads/main":
            git(repo, "update-ref", "-d", ref)
    shutil.rmtree(repo / ".git" / "parallel", ignore_errors=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=20000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--json", action="store_true", help="end with one line of JSON figures")
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="bench-start-"))
    env = {**os.environ, "NO_COLOR": "1"}
    cli = [sys.executable, "-m", "gitwt"]
    try:
        repo = build(root, args.files)
        times: dict[str, list[float]] = {"raw": [], "start": [], "full": [], "sparse": []}
        for _ in range(args.repeat):
            began = time.perf_counter()
            for task in (1, 2, 3):
                git(repo, "worktree", "add", "-q", "-b", f"raw{task}", f"../raw{task}", "HEAD")
            times["raw"].append(time.perf_counter() - began)
            remove_all(repo)
            times["start"].append(timed([*cli, "start", "1", "2", "3"], repo, env))
            remove_all(repo)
            times["full"].append(timed([*cli, "start", "1"], repo, env))
            remove_all(repo)
            times["sparse"].append(timed([*cli, "start", "1", "--sparse"], repo, env))
            remove_all(repo)
        median = {key: statistics.median(values) for key, values in times.items()}
        print(f"repository: {args.files} files, median of {args.repeat} runs")
        for key, value in median.items():
            print(
                f"  {key:7s} {value * 1000:8.1f} ms   runs: "
                + ", ".join(f"{v * 1000:.0f}" for v in times[key])
            )
        overhead = median["start"] / median["raw"] - 1
        speed = median["full"] / median["sparse"]
        print(f"start of 3 tasks vs 3 raw worktree adds: {overhead:+.1%} (budget +15%)")
        print(f"--sparse vs full checkout: {speed:.1f}x faster (budget 20x)")
        if args.json:
            figures = {f"{key}_ms": value * 1000 for key, value in median.items()}
            runs = {f"{key}_runs_ms": [v * 1000 for v in values] for key, values in times.items()}
            print(json.dumps({**figures, **runs}))
    finally:
        if args.keep:
            print(f"kept {root}")
        else:
            shutil.rmtree(root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
