"""Commit-hook speed (DESIGN §10): 1,000 staged changes in a 200,000-file repository.

    python bench/hook.py [--files 200000] [--staged 1000] [--runs 25] [--keep DIR] [--dir DIR]

Prints the median wall time of the installed pre-commit shim (exactly what git runs) next to the
floor, `python -I -S -c pass` plus `git diff --cached --name-status -z` run back to back, and the
ratio; the budget is 1.25. Runs are interleaved so background load hits both alike. Then the same
check through `pre-commit run` (the framework's `git-parallel-boundaries`), for comparison.
The repository is built under --dir (default: /dev/shm when it exists, so that the figures are
the programs' and not this machine's disk).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from installed import cli_command
from synthetic import scratch_directory, storage

BUDGET = 1.25
DIRECTORIES = 100  # pkgNN/ folders of the synthetic repository
DECLARED = 25  # the task declares the first DECLARED folders


def git(cwd: Path, *args: str, input: bytes | None = None) -> bytes:
    return subprocess.run(
        ["git", *args], cwd=cwd, input=input, capture_output=True, check=True
    ).stdout


def build(root: Path, files: int, staged: int) -> Path:
    """The repository (one fast-import), a task worktree with hooks, `staged` changes staged."""
    repo = root / "repo"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    git(repo, "config", "user.name", "bench")
    git(repo, "config", "user.email", "bench@example.com")
    per_directory = files // DIRECTORIES
    owners = "".join(f"/pkg{n:02}/ @team{n % 7}\n" for n in range(DIRECTORIES))
    spec = (
        "---\nid: 1\ntitle: bench\nowner: team0\nfiles:\n"
        + "".join(f"  - pkg{n:02}/**\n" for n in range(DECLARED))
        + "---\n"
    )
    extra = {"CODEOWNERS": "* @team0\n" + owners.replace("@team", "@team0 @team"),
             "docs/SPEC-1-bench.md": spec}  # fmt: skip
    stream = [b"commit refs/heads/main\ncommitter b <b@e> 0 +0000\ndata 4\nbig\n"]
    for number in range(files):
        path = f"pkg{number // per_directory % DIRECTORIES:02}/module_{number}.py"
        body = f"value = {number}\n".encode()
        stream.append(f"M 644 inline {path}\ndata {len(body)}\n".encode() + body + b"\n")
    for path, text in extra.items():
        body = text.encode()
        stream.append(f"M 644 inline {path}\ndata {len(body)}\n".encode() + body + b"\n")
    git(repo, "fast-import", "--quiet", input=b"".join(stream))
    git(repo, "reset", "-q", "--hard", "main")
    worktree = root / "wt1"
    git(repo, "worktree", "add", "-q", "-b", "parallel/1", str(worktree))
    subprocess.run(
        [*cli_command(), "hooks", "install", "--task", "1"],
        cwd=worktree,
        check=True,
        capture_output=True,
    )
    # Changes in declared folders, a few outside: the hook must read all and report some.
    declared_files = per_directory * DECLARED
    for number in range(staged):
        index = number * declared_files // staged
        (worktree / f"pkg{index // per_directory:02}/module_{index}.py").write_text("changed\n")
    git(worktree, "add", "-A")
    return worktree


def timed(command: list[str], cwd: Path) -> float:
    started = time.perf_counter()
    subprocess.run(command, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=200_000)
    parser.add_argument("--staged", type=int, default=1_000)
    parser.add_argument("--runs", type=int, default=25)
    parser.add_argument("--framework-runs", type=int, default=5)
    parser.add_argument("--keep", type=Path, help="build in DIR and keep it")
    parser.add_argument("--dir", type=Path, default=scratch_directory(), help="build under DIR")
    parser.add_argument("--json", action="store_true", help="end with one line of JSON figures")
    args = parser.parse_args()
    root = args.keep or Path(tempfile.mkdtemp(prefix="gitwt-bench-hook-", dir=args.dir))
    root.mkdir(parents=True, exist_ok=True)
    try:
        started = time.perf_counter()
        worktree = build(root, args.files, args.staged)
        took = time.perf_counter() - started
        print(
            f"built {args.files} files with {args.staged} staged changes in {took:.1f}s"
            f" under {root} ({storage(root)})"
        )
        git_dir = git(worktree, "rev-parse", "--path-format=absolute", "--git-dir").decode().strip()
        shim = [os.path.join(git_dir, "parallel-hooks", "pre-commit")]
        python = [sys.executable, "-I", "-S", "-c", "pass"]
        diff = ["git", "diff", "--cached", "--name-status", "-z"]
        check = subprocess.run(shim, cwd=worktree, capture_output=True, text=True)
        assert check.returncode == 0, check.stderr
        hook_times, floor_times = [], []
        for _ in range(3):  # warm the page cache and .pyc files
            timed(shim, worktree)
            timed(diff, worktree)
        for _ in range(args.runs):
            hook_times.append(timed(shim, worktree))
            floor_times.append(timed(python, worktree) + timed(diff, worktree))
        hook, floor = statistics.median(hook_times), statistics.median(floor_times)
        print(f"hook  (pre-commit shim)        median {hook * 1000:7.1f} ms")
        print(f"floor (python -I -S + git diff) median {floor * 1000:7.1f} ms")
        verdict = "within" if hook / floor <= BUDGET else "OVER"
        print(f"ratio {hook / floor:.2f} ({verdict} the {BUDGET} budget)")
        figures = {"hook_ms": hook * 1000, "floor_ms": floor * 1000, "runs": args.runs,
                   "files": args.files, "staged": args.staged, "storage": storage(root),
                   "hook_runs_ms": [t * 1000 for t in hook_times],
                   "floor_runs_ms": [t * 1000 for t in floor_times]}  # fmt: skip

        script = Path(sys.executable).parent / "git-parallel-hook"  # the console script
        entry = (
            f"{script} boundaries"
            if script.exists()
            else f"{sys.executable} -m gitwt.hook boundaries"
        )
        hooks = [{"id": "git-parallel-boundaries", "name": "boundaries", "entry": entry,
                  "language": "system", "pass_filenames": False, "always_run": True}]  # fmt: skip
        import json

        config = {"repos": [{"repo": "local", "hooks": hooks}]}
        (worktree / ".pre-commit-config.yaml").write_text(json.dumps(config))
        git(worktree, "add", ".pre-commit-config.yaml")
        framework = [sys.executable, "-m", "pre_commit", "run", "git-parallel-boundaries"]
        env_home = root / "pre-commit-home"
        os.environ["PRE_COMMIT_HOME"] = str(env_home)
        timed(framework, worktree)
        runs = [timed(framework, worktree) for _ in range(args.framework_runs)]
        print(f"same check via 'pre-commit run'  median {statistics.median(runs) * 1000:7.1f} ms "
              f"({statistics.median(runs) / floor:.1f} x floor)")  # fmt: skip
        figures["framework_ms"] = statistics.median(runs) * 1000
        if args.json:
            print(json.dumps(figures))
    finally:
        if args.keep is None:
            shutil.rmtree(root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
