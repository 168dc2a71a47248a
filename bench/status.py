"""Benchmark `git parallel status` with the forecast, and the cost of an idle shim (DESIGN §10).

    python bench/status.py [--files 5000] [--tasks 10,50,200] [--repeat 9] [--keep] [--json]

For each task count in --tasks, builds a repository on /dev/shm (tmpfs, when there is one) with
`git fast-import`, starts that many open tasks (one package each), gives each task branch two
commits, and two of them a commit to one shared file, so the forecast has real merges to
simulate (the others are proven conflict-free by their disjoint change sets). Then prints the
median of --repeat runs of:
  * `git parallel status --json` as a subprocess (what a user waits for; budget DESIGN §10:
    10 tasks < 200 ms, 50 tasks < 400 ms, 200 tasks < 800 ms), and the git processes one run
    starts (trace2: a constant, whatever the number of tasks),
  * the same with --no-forecast, and `python -c pass` (the interpreter floor), the three in turn,
    each with its CPU time (user + system, its git included: load inflates it far less),
and, once, the CPU an idle shim uses while its command sleeps (budget: under 1 % of a core).
The CLI runs with its bytecode cached, as pip installs it (this machine sets
PYTHONDONTWRITEBYTECODE, which would add ~15-45 ms of compiling to every run).
No assertion: it prints. Run it with `nice -n 5` on a shared machine.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil
from git_processes import git_processes, traced_environment
from installed import cli_command
from synthetic import UNGATED_CONFIG, conditions, fast_import, spec

PACKAGES = 50
BUDGET_MS = {10: 200.0, 50: 400.0, 200: 800.0}  # DESIGN §10
TMPFS = "/dev/shm"
CLI_ENV = {name: value for name, value in os.environ.items() if name != "PYTHONDONTWRITEBYTECODE"}


def git(cwd: Path, *args: str, input: bytes | None = None) -> str:
    return subprocess.run(
        ["git", *args], cwd=cwd, input=input, check=True, capture_output=True
    ).stdout.decode()


def build(root: Path, file_count: int, tasks: int) -> Path:
    repo = root / "repo"
    paths = (f"src/pkg{n % PACKAGES:02d}/file{n}.txt" for n in range(file_count))
    files = {
        f"docs/SPEC-{task}-bench.md": spec(task, f"src/pkg{task:02d}/")
        for task in range(1, tasks + 1)
    }
    files |= {".gitparallel.toml": UNGATED_CONFIG, "shared.txt": "base\n"}
    fast_import(repo, paths, files)
    git(repo, "config", "user.name", "Bench")
    git(repo, "config", "user.email", "bench@example.com")
    return repo


def commit(worktree: Path, name: str, text: str) -> None:
    (worktree / name).parent.mkdir(parents=True, exist_ok=True)
    (worktree / name).write_text(text)
    git(worktree, "add", "--", name)
    git(worktree, "commit", "-q", "--no-verify", "-m", f"edit {name}")


def run_once(action: list[str], cwd: Path) -> tuple[float, float]:
    """Wall and CPU milliseconds of one run (CPU: user + system of it and the git it waited for,
    which load inflates far less than wall time: the figure a quiet machine's wall time nears)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    began = time.perf_counter()
    subprocess.run(action, cwd=cwd, check=True, capture_output=True, env=CLI_ENV)
    wall = (time.perf_counter() - began) * 1000
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime) * 1000
    return wall, cpu


def alternating(actions: dict[str, list[str]], cwd: Path, repeat: int) -> dict[str, object]:
    """`repeat` rounds of every action in turn (load hits each alike): medians and runs."""
    walls: dict[str, list[float]] = {key: [] for key in actions}
    cpus: dict[str, list[float]] = {key: [] for key in actions}
    for _ in range(repeat):
        for key, action in actions.items():
            wall, cpu = run_once(action, cwd)
            walls[key].append(wall)
            cpus[key].append(cpu)
    figures: dict[str, object] = {}
    for key in actions:
        figures |= {f"{key}_ms": statistics.median(walls[key]), f"{key}_runs_ms": walls[key],
                    f"{key}_cpu_ms": statistics.median(cpus[key])}  # fmt: skip
    return figures


def idle_shim_cpu(repo: Path, cli: list[str], seconds: float) -> float:
    """CPU % of one core used by a shim whose command sleeps, over `seconds`."""
    subprocess.run(
        [*cli, "start", "idle", "--run", "sleep 600"], cwd=repo, check=True, capture_output=True
    )
    record = json.loads((repo / ".git/parallel/tasks/idle.json").read_text())
    shim = psutil.Process(record["shim"]["pid"])
    time.sleep(0.5)  # past its start-up
    before = shim.cpu_times()
    time.sleep(seconds)
    after = shim.cpu_times()
    subprocess.run([*cli, "stop", "idle", "--timeout", "2"], cwd=repo, capture_output=True)
    used = (after.user + after.system) - (before.user + before.system)
    return 100 * used / seconds


def prepare(root: Path, cli: list[str], file_count: int, tasks: int) -> Path:
    """A repository with `tasks` open tasks, each two commits ahead, two of them also on
    shared.txt (real merges for the forecast)."""
    repo = build(root, file_count, tasks)
    ids = [str(task) for task in range(1, tasks + 1)]
    subprocess.run([*cli, "start", *ids], cwd=repo, check=True, capture_output=True)
    for task in ids:
        worktree = root / f"repo-wt{task}"
        commit(worktree, f"src/pkg{int(task) % PACKAGES:02d}/new{task}.txt", "one\n")
        commit(worktree, f"src/pkg{int(task) % PACKAGES:02d}/file{task}.txt", "two\n")
    for task in ids[:2]:
        commit(root / f"repo-wt{task}", "shared.txt", f"task {task}\n")
    return repo


def traced_git(repo: Path, cli: list[str], log: Path) -> dict[str, int]:
    """The git processes one `status --json` starts, by command (top-level only)."""
    log.unlink(missing_ok=True)
    env = traced_environment(log, CLI_ENV)
    subprocess.run([*cli, "status", "--json"], cwd=repo, check=True, capture_output=True, env=env)
    return dict(git_processes(log).most_common())


def measure(repo: Path, cli: list[str], tasks: int, repeat: int, root: Path) -> dict[str, object]:
    status = json.loads(
        subprocess.run(
            [*cli, "status", "--json"], cwd=repo, check=True, capture_output=True, env=CLI_ENV
        ).stdout
    )  # also fills the audit and path caches (and bytecode), as any later status finds them
    by_command = traced_git(repo, cli, root / f"trace-{tasks}.json")
    timed = alternating(
        {"python": [sys.executable, "-c", "pass"], "status": [*cli, "status", "--json"],
         "no_forecast": [*cli, "status", "--json", "--no-forecast"]}, repo, repeat,
    )  # fmt: skip
    return {**timed, "status_git": sum(by_command.values()), "status_git_by_command": by_command,
            "forecast_merges": status["forecast"]["merges"],
            "forecast_method": status["forecast"]["method"]}  # fmt: skip


def report(tasks: int, file_count: int, figures: dict[str, object], repeat: int) -> None:
    runs = ", ".join(f"{run:.0f}" for run in figures["status_runs_ms"])  # type: ignore[attr-defined]
    budget = BUDGET_MS.get(tasks)
    seen = figures["conditions"]
    print(
        f"{tasks} tasks, {file_count} files, median of {repeat} runs; load {seen['load']}"
        f" on {seen['cpus']} CPUs, {seen['storage']}"
    )  # type: ignore[index]
    print(f"  forecast: {figures['forecast_merges']} merge(s) via {figures['forecast_method']}")
    rows = (("python -c pass", "python"), ("status --no-forecast", "no_forecast"),
            ("status (with forecast)", "status"))  # fmt: skip
    for label, key in rows:
        line = (
            f"  {label:22s}  {figures[f'{key}_ms']:7.1f} ms   CPU {figures[f'{key}_cpu_ms']:.0f} ms"
        )
        if key == "status":
            line += f"   runs: {runs}" + (f"   (budget {budget:.0f} ms)" if budget else "")
        print(line)
    print(f"  git processes: {figures['status_git']}  {figures['status_git_by_command']}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=5000)
    parser.add_argument("--tasks", default="10,50,200", help="task counts, comma-separated")
    parser.add_argument("--repeat", type=int, default=9)
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--json", action="store_true", help="end with one line of JSON figures")
    args = parser.parse_args()
    counts = [int(count) for count in str(args.tasks).split(",") if count.strip()]
    cli = cli_command()
    storage = TMPFS if Path(TMPFS).is_dir() else None
    by_tasks: dict[str, dict[str, object]] = {}
    cpu = 0.0
    for tasks in counts:
        root = Path(tempfile.mkdtemp(prefix=f"bench-status-{tasks}-", dir=storage))
        try:
            repo = prepare(root, cli, args.files, tasks)
            if not by_tasks:
                print(f"repositories in {storage or 'temp dir'}")
            by_tasks[str(tasks)] = measure(repo, cli, tasks, args.repeat, root)
            by_tasks[str(tasks)]["conditions"] = conditions(root)
            report(tasks, args.files, by_tasks[str(tasks)], args.repeat)
            if len(by_tasks) == 1:
                spec_text = "---\nid: idle\nfiles: [idle.txt]\n---\n"
                (repo / "docs/SPEC-idle-bench.md").write_text(spec_text)
                cpu = idle_shim_cpu(repo, cli, 5.0)
                print(f"  idle shim: {cpu:.3f}% of one core (budget 1%)")
        finally:
            if args.keep:
                print(f"kept {root}")
            else:
                stop = [*cli, "stop", "--timeout", "1"]
                subprocess.run(stop, cwd=root / "repo", capture_output=True)
                shutil.rmtree(root, ignore_errors=True)
    if args.json and by_tasks:
        first = next(iter(by_tasks.values()))  # the old top-level keys: the first task count
        figures = {**first, "idle_shim_cpu_percent": cpu, "by_tasks": by_tasks}
        print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
