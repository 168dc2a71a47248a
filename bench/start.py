"""Benchmark `git parallel start` against raw git (DESIGN §10): time and git processes.

    python bench/start.py [--files 20000] [--tasks 10] [--repeat 3] [--sparse-files 1000000]
                          [--dir /dev/shm] [--keep]

Builds a repository with `git fast-import` (N small files in 50 packages, one commit on `main`,
checked out) and one spec per task, each declaring its own package. Then, alternating so that
caches and machine load hit both sides alike, the median of --repeat runs of:
  * raw:        --tasks `git worktree add -b … <path> HEAD` run back to back,
  * start:      `git parallel start 1 … N` (open tasks: worktree, lock, rules, hooks, state),
  * raw sparse: `git worktree add --no-checkout -b`, `git sparse-checkout set --stdin` of the
                folders start's cone holds (package 1 and docs/), `git read-tree -mu HEAD`: what
                a sparse worktree of one package costs git with its defaults (cone mode, a full
                index),
  * sparse:     `git parallel start 1 --sparse` (cone mode with a sparse index),
  * raw sparse index: raw sparse with `--sparse-index`, git's fastest way to the same checkout
                (printed for reference; the budget is against raw sparse).
Then, with --sparse-files (DESIGN §10's second size; 0 skips it), raw sparse and sparse again,
alternating, in a repository of that many files whose main worktree is itself sparse (the
top-level files and docs/: its checkout is not what is measured). Everything is removed between
runs. Each side's top-level git processes are counted from git's
trace2 event log (bench/git_processes.py) on the first run. Budgets: start ≤ 1.10 × raw, git
processes ≤ raw's + 3 per task; sparse ≤ 2.0 × raw sparse. No assertion: it prints the ratios.
Repositories go to /dev/shm when it exists (tmpfs: the disk is slow and noisy); run it with
`nice -n 5` on a shared machine.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from git_processes import git_processes, total, traced_environment
from installed import cli_command
from synthetic import UNGATED_CONFIG, conditions, fast_import, spec

PACKAGES = 50


def git(
    cwd: Path, *args: str, env: dict[str, str] | None = None, input: bytes | None = None
) -> None:
    subprocess.run(["git", *args], cwd=cwd, input=input, env=env, check=True, capture_output=True)


def build(root: Path, file_count: int, tasks: int, sparse_main: bool = False) -> Path:
    repo = root / "big" / "repo" if sparse_main else root / "repo"
    paths = (f"src/pkg{n % PACKAGES:02d}/dir{n % 7}/file{n}.txt" for n in range(file_count))
    files = {
        f"docs/SPEC-{task}-bench.md": spec(task, f"src/pkg{task % PACKAGES:02d}/")
        for task in range(1, tasks + 1)
    }
    files |= {".gitparallel.toml": UNGATED_CONFIG, "README.md": "bench\n"}
    fast_import(repo, paths, files, ["/*", "!/*/", "/docs/"] if sparse_main else None)
    return repo


def raw_adds(repo: Path, tasks: int, env: dict[str, str]) -> None:
    for task in range(1, tasks + 1):
        git(repo, "worktree", "add", "-q", "-b", f"raw{task}", f"../raw{task}", "HEAD", env=env)


def raw_sparse(repo: Path, env: dict[str, str], *options: str) -> None:
    """A sparse worktree of package 1, the spec's folder and the top-level files: the checkout
    start --sparse makes, by git's own commands (its defaults, unless `options`)."""
    path = repo.parent / "raw-sparse"
    git(repo, "worktree", "add", "-q", "--no-checkout", "-b", "raw-sparse", str(path), env=env)
    folders = b"src/pkg01\ndocs\n"
    git(path, "sparse-checkout", "set", *options, "--stdin", env=env, input=folders)
    git(path, "read-tree", "-mu", "HEAD", env=env)


def raw_sparse_index(repo: Path, env: dict[str, str]) -> None:
    raw_sparse(repo, env, "--sparse-index")


def ours(cli: list[str], *arguments: str) -> Callable[[Path, dict[str, str]], None]:
    def action(repo: Path, env: dict[str, str]) -> None:
        subprocess.run([*cli, *arguments], cwd=repo, env=env, check=True, capture_output=True)

    return action


def remove_all(repo: Path) -> None:
    """Drop every worktree, task branch and task state between runs."""
    listed = subprocess.run(
        ["git", "worktree", "list", "--porcelain"], cwd=repo, capture_output=True, text=True
    ).stdout
    for line in listed.splitlines():
        if line.startswith("worktree ") and line[9:] != str(repo):
            subprocess.run(["git", "worktree", "unlock", line[9:]], cwd=repo, capture_output=True)
            git(repo, "worktree", "remove", "--force", line[9:])
    refs = subprocess.run(
        ["git", "for-each-ref", "--format=%(refname)", "refs/heads/"],
        cwd=repo,
        capture_output=True,
        text=True,
    ).stdout.split()
    for ref in refs:
        if ref != "refs/heads/main":
            git(repo, "update-ref", "-d", ref)
    shutil.rmtree(repo / ".git" / "parallel", ignore_errors=True)


def measure(
    action: Callable[[Path, dict[str, str]], None],
    repo: Path,
    env: dict[str, str],
    log: Path | None,
) -> tuple[float, int | None]:
    """One timed run (traced into `log` when given: its git-process count), then clean up."""
    run_env = traced_environment(log, env) if log is not None else env
    began = time.perf_counter()
    action(repo, run_env)
    took = time.perf_counter() - began
    remove_all(repo)
    return took, total(git_processes(log)) if log is not None else None


def parse_arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=20000)
    parser.add_argument("--tasks", type=int, default=10)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--sparse-files", type=int, default=1_000_000, help="0: skip")
    default_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None
    parser.add_argument("--dir", default=default_dir, help="where the repositories go")
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--json", action="store_true", help="end with one line of JSON figures")
    return parser.parse_args()


def report(args: argparse.Namespace, times: dict[str, list[float]], counts: dict[str, int]) -> None:
    median = {key: statistics.median(values) * 1000 for key, values in times.items()}
    seen = conditions(Path(args.dir) if args.dir else None)
    print(f"repository: {args.files} files, {args.tasks} tasks, median of {args.repeat} runs; "
          f"load {seen['load']} on {seen['cpus']} CPUs, {seen['storage']}")  # fmt: skip
    for key, value in median.items():
        runs = ", ".join(f"{v * 1000:.0f}" for v in times[key])
        print(f"  {key:11s} {value:8.1f} ms  {counts[key]:4d} git processes   runs: {runs}")
    print(
        f"start of {args.tasks} tasks vs {args.tasks} raw worktree adds: "
        f"{median['start'] / median['raw']:.2f}x (budget 1.10x); git processes "
        f"{counts['start']} vs {counts['raw']} (budget {counts['raw'] + 3 * args.tasks})"
    )
    print(
        f"start --sparse vs raw sparse worktree: {median['sparse'] / median['raw_sparse']:.2f}x "
        f"(budget 2.0x); git processes {counts['sparse']} vs {counts['raw_sparse']}; against "
        f"raw with --sparse-index {median['sparse'] / median['raw_sparse_index']:.2f}x"
    )
    if "big_sparse" in median:
        print(
            f"start --sparse vs raw sparse worktree at {args.sparse_files} files: "
            f"{median['big_sparse'] / median['big_raw_sparse']:.2f}x (budget 2.0x); against "
            f"raw with --sparse-index {median['big_sparse'] / median['big_raw_sparse_index']:.2f}x"
        )
    if args.json:
        figures: dict[str, object] = {f"{key}_ms": value for key, value in median.items()}
        figures |= {f"{key}_runs_ms": [v * 1000 for v in vs] for key, vs in times.items()}
        figures |= {f"{key}_git": count for key, count in counts.items()}
        extra = {"files": args.files, "sparse_files": args.sparse_files}
        print(json.dumps({**figures, **extra, "tasks": args.tasks, "conditions": seen}))


def main() -> int:
    args = parse_arguments()
    root = Path(tempfile.mkdtemp(prefix="bench-start-", dir=args.dir))
    print(f"repositories in {root}")
    env = {**os.environ, "NO_COLOR": "1"}
    # An installed gitwt runs from bytecode (pip compiles it); without this a shell that sets
    # PYTHONDONTWRITEBYTECODE would have every run compile ~70 modules again (~0.05 s).
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    cli = cli_command()
    ids = [str(task) for task in range(1, args.tasks + 1)]
    actions: dict[str, Callable[[Path, dict[str, str]], None]] = {
        "raw": lambda repo, run_env: raw_adds(repo, args.tasks, run_env),
        "start": ours(cli, "start", *ids),
        "raw_sparse": raw_sparse,
        "sparse": ours(cli, "start", "1", "--sparse"),
        "raw_sparse_index": raw_sparse_index,
    }
    try:
        repo = build(root, args.files, args.tasks)
        times: dict[str, list[float]] = {key: [] for key in actions}
        counts: dict[str, int] = {}
        for key, action in actions.items():  # a traced warm-up run: the git-process counts
            counts[key] = measure(action, repo, env, root / f"trace-{key}.json")[1] or 0
        for _ in range(args.repeat):
            for key, action in actions.items():
                times[key].append(measure(action, repo, env, None)[0])
        if args.sparse_files:
            big = build(root, args.sparse_files, 1, sparse_main=True)
            pair = {"big_raw_sparse": raw_sparse, "big_sparse": actions["sparse"]}
            pair["big_raw_sparse_index"] = raw_sparse_index
            times |= {key: [] for key in pair}
            for key, action in pair.items():
                counts[key] = measure(action, big, env, root / f"trace-{key}.json")[1] or 0
            for _ in range(args.repeat):
                for key, action in pair.items():
                    times[key].append(measure(action, big, env, None)[0])
        report(args, times, counts)
    finally:
        if args.keep:
            print(f"kept {root}")
        else:
            shutil.rmtree(root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
