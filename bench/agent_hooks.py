"""The agents' hooks (DESIGN §10): `start --agent claude`, then the two hook commands exactly as
written into the settings Claude Code reads, timed against their floor.

    python bench/agent_hooks.py [--files 200000] [--changed 100] [--runs 25] [--dir DIR] [--json]

The after-shell hook reads the worktree once (`git status`), so its floor is `python -I -S -c
pass` plus `git status --porcelain -z` run back to back; the budget is 1.25. The worktree holds
`--changed` modified files, a few of them out of bounds, so the hook reads, checks and reports
(exit 2) as after a real command. The pre-edit hook starts no git: it is shown against `python
-I -S -c pass` alone, and against the same floor. Runs are interleaved so background load hits
both alike. The repository is built under --dir (default: /dev/shm when it exists).
"""

from __future__ import annotations

import argparse
import json
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from installed import cli_command
from synthetic import fast_import, scratch_directory, storage

BUDGET = 1.25
DIRECTORIES = 100  # pkgNN/ folders; the task declares the first DECLARED of them
DECLARED = 25


def build(root: Path, files: int, changed: int) -> tuple[Path, dict[str, str]]:
    """The repository, a task started with `--agent claude`, `changed` files modified in its
    worktree; the worktree and the hook commands of the root's settings."""
    repo = root / "repo"
    per_directory = files // DIRECTORIES
    paths = [f"pkg{n // per_directory % DIRECTORIES:02}/module_{n}.py" for n in range(files)]
    spec = "---\nid: 1\ntitle: bench\nfiles:\n" + "".join(
        f"  - pkg{n:02}/**\n" for n in range(DECLARED)
    )
    fast_import(repo, paths, {"docs/SPEC-1-bench.md": spec + "---\n"})
    for key, value in (("user.name", "bench"), ("user.email", "bench@example.com")):
        subprocess.run(["git", "config", key, value], cwd=repo, check=True)
    started = subprocess.run(
        [*cli_command(), "start", "1", "--agent", "claude"],
        cwd=repo,
        capture_output=True,
        text=True,
        check=False,
    )
    assert started.returncode == 0, started.stderr
    worktree = root / "repo-wt1"
    for number in range(changed):
        index = number * (per_directory * DECLARED) // changed
        if number % 20 == 19:  # one change in twenty out of bounds: the hook reports them
            index = files - 1 - number
        (worktree / paths[index]).write_text("changed\n")
    settings = json.loads((repo / ".claude" / "settings.local.json").read_text())
    commands = {
        event: group["hooks"][0]["command"]
        for event, groups in settings["hooks"].items()
        for group in groups
    }
    return worktree, commands


def timed(command: list[str], cwd: Path, data: bytes = b"") -> float:
    started = time.perf_counter()
    subprocess.run(
        command, cwd=cwd, input=data, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    return time.perf_counter() - started


def payload(worktree: Path, event: str, tool: str, tool_input: dict[str, str]) -> bytes:
    fields = {"cwd": str(worktree), "hook_event_name": event, "tool_name": tool}
    return json.dumps({**fields, "tool_input": tool_input}).encode()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=200_000)
    parser.add_argument("--changed", type=int, default=100)
    parser.add_argument("--runs", type=int, default=25)
    parser.add_argument("--dir", type=Path, default=scratch_directory(), help="build under DIR")
    parser.add_argument("--json", action="store_true", help="end with one line of JSON figures")
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="gitwt-bench-agent-", dir=args.dir))
    try:
        began = time.perf_counter()
        worktree, commands = build(root, args.files, args.changed)
        print(
            f"built {args.files} files, {args.changed} changed, under {root} ({storage(root)})"
            f" in {time.perf_counter() - began:.1f}s"
        )
        after = shlex.split(commands["PostToolUse"])  # as the agent's shell splits it
        edit = shlex.split(commands["PreToolUse"])
        shell = payload(worktree, "PostToolUse", "Bash", {"command": "make"})
        write = payload(worktree, "PreToolUse", "Write", {"file_path": f"{worktree}/pkg00/new.py"})
        python = [sys.executable, "-I", "-S", "-c", "pass"]
        status = ["git", "status", "--porcelain", "-z"]
        check = subprocess.run(after, cwd=worktree, input=shell, capture_output=True)
        assert check.returncode == 2 and b"may not change" in check.stderr, check.stderr
        allowed = subprocess.run(edit, cwd=worktree, input=write, capture_output=True)
        assert allowed.returncode == 0, allowed.stderr
        for _ in range(3):  # warm the page cache and .pyc files
            timed(after, worktree, shell)
            timed(status, worktree)
        after_times, edit_times, floor_times, python_times = [], [], [], []
        for _ in range(args.runs):
            after_times.append(timed(after, worktree, shell))
            edit_times.append(timed(edit, worktree, write))
            python_alone = timed(python, worktree)
            python_times.append(python_alone)
            floor_times.append(python_alone + timed(status, worktree))
        hook, floor = statistics.median(after_times), statistics.median(floor_times)
        pre, bare = statistics.median(edit_times), statistics.median(python_times)
        print(f"after-shell hook (exit 2, reports)   median {hook * 1000:7.1f} ms")
        print(f"floor (python -I -S + git status)    median {floor * 1000:7.1f} ms")
        verdict = "within" if hook / floor <= BUDGET else "OVER"
        print(f"ratio {hook / floor:.2f} ({verdict} the {BUDGET} budget)")
        print(f"pre-edit hook (exit 0)               median {pre * 1000:7.1f} ms "
              f"({pre / bare:.2f} x python -I -S, {pre / floor:.2f} x the floor)")  # fmt: skip
        if args.json:
            figures = {"hook_ms": hook * 1000, "floor_ms": floor * 1000, "runs": args.runs,
                       "files": args.files, "changed": args.changed, "storage": storage(root),
                       "pre_edit_ms": pre * 1000, "python_ms": bare * 1000,
                       "hook_runs_ms": [t * 1000 for t in after_times],
                       "floor_runs_ms": [t * 1000 for t in floor_times]}  # fmt: skip
            print(json.dumps(figures))
    finally:
        shutil.rmtree(root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
