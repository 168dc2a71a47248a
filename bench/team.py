"""Benchmark team mode (DESIGN §11): `start` and `status` against a local `git daemon`, against
the same commands on one machine (`--local`).

    python bench/team.py [--files 2000] [--tasks 3] [--repeat 9] [--json]

Builds a repository with `git fast-import` (N small files, one package per task, config with
`remote = "origin"`), serves a bare clone of it with `git daemon` on 127.0.0.1 and clones it.
Then, alternating so that load hits both sides alike, the median of --repeat runs of:
  * start:        `git parallel start 1` in team mode (check on the clone's copy of the
                  registry, push leased on it, then local; a fetch only when the lease is lost),
  * start_local:  `git parallel start 1 --local` (no registry),
  * status:       `git parallel status --json --no-forecast` with --tasks tasks live (team
                  mode: one fetch, the registry read, the other machines' rows),
  * status_local: the same with --local,
  * merge:        `git parallel merge 1` of a started task with one commit, in team mode (the
                  merge onto the copy of the remote's base, then base and the release in one
                  atomic push leased on both copies),
  * merge_local:  the same task, started and merged with --local,
  * round trip:   `git ls-remote origin refs/parallel/registry`, one connection to the daemon
                  (a process, the connection, the ref advertisement): the unit of DESIGN §10's
                  budget, team mode ≤ --local + 2 round trips (fetch + push).
The median is the steady state, where each command finds the copy of the registry (and of base)
that its clone's last push wrote: only the first timed start and merge after the clone fetch
(there is no copy yet). Nothing else writes to the remote here, so no lease is lost; when one
is (another machine wrote since), the command pays a fetch and a second push on top.
Each started task is cleaned between runs (in team mode that releases it). Outside the timed
runs, each command runs once more with git's trace2 log on, to count the git processes it starts
(load does not change that count). No assertion: it prints the ratios (team / one machine).
Run it with `nice -n 10` on a shared machine.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

from git_processes import git_processes, total, traced_environment
from installed import cli_command
from synthetic import UNGATED_CONFIG, conditions, fast_import, scratch_directory, spec


def git(cwd: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True)


def serve(root: Path) -> tuple[subprocess.Popen[bytes], int]:
    """`git daemon` on a free port; returns once it accepts connections."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    command = ["git", "daemon", "--reuseaddr", "--export-all", "--enable=receive-pack"]
    command += [f"--base-path={root}", "--listen=127.0.0.1", f"--port={port}", str(root)]
    daemon = subprocess.Popen(
        command,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return daemon, port
        except OSError:
            time.sleep(0.02)
    daemon.kill()
    raise SystemExit("git daemon did not start")


def build(root: Path, file_count: int, tasks: int) -> Path:
    source = root / "source"
    packages = max(tasks, 10)
    paths = (f"src/pkg{n % packages:02d}/file{n}.txt" for n in range(file_count))
    files = {
        f"docs/SPEC-{task}-bench.md": spec(task, f"src/pkg{task:02d}/")
        for task in range(1, tasks + 1)
    }
    files |= {".gitparallel.toml": UNGATED_CONFIG + 'remote = "origin"\n', "README.md": "bench\n"}
    fast_import(source, paths, files)
    served = root / "served"
    served.mkdir()
    git(root, "clone", "-q", "--bare", str(source), str(served / "project.git"))
    return served


def count(action: list[str], cwd: Path, env: dict[str, str], log: Path) -> int:
    """The git processes `action` runs itself (bench/git_processes.py)."""
    log.unlink(missing_ok=True)
    subprocess.run(action, cwd=cwd, check=True, capture_output=True, env=env)
    return total(git_processes(log))


def started_with_commit(cli: list[str], repo: Path, name: str, local: list[str]) -> None:
    """Task 1 started (in team mode unless `local`) with one commit in its package."""
    subprocess.run([*cli, "start", "1", *local], cwd=repo, check=True, capture_output=True)
    worktree = repo.parent / f"{repo.name}-wt1"
    (worktree / "src/pkg01" / f"{name}.txt").write_text(f"{name}\n")
    git(worktree, "add", "--", f"src/pkg01/{name}.txt")
    git(worktree, "-c", "user.name=Bench", "-c", "user.email=b@example.com", "commit", "-qm", name)


def timed(action: list[str], cwd: Path, env: dict[str, str]) -> float:
    began = time.perf_counter()
    subprocess.run(action, cwd=cwd, check=True, capture_output=True, env=env)
    return time.perf_counter() - began


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=2000)
    parser.add_argument("--tasks", type=int, default=3)
    parser.add_argument("--repeat", type=int, default=9)
    parser.add_argument("--json", action="store_true", help="end with one line of JSON figures")
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="bench-team-", dir=scratch_directory()))
    env = {**os.environ, "NO_COLOR": "1"}
    cli = cli_command()
    daemon = None
    try:
        served = build(root, args.files, args.tasks)
        daemon, port = serve(served)
        repo = root / "clone"
        git(root, "clone", "-q", f"git://127.0.0.1:{port}/project.git", str(repo))
        times: dict[str, list[float]] = {key: [] for key in ("start", "start_local")}
        times |= {"status": [], "status_local": []}
        times |= {"merge": [], "merge_local": [], "round_trip": []}
        round_trip = ["git", "ls-remote", "origin", "refs/parallel/registry"]
        for run in range(args.repeat):
            times["start"].append(timed([*cli, "start", "1"], repo, env))
            subprocess.run([*cli, "clean", "1"], cwd=repo, check=True, capture_output=True)
            times["start_local"].append(timed([*cli, "start", "1", "--local"], repo, env))
            subprocess.run([*cli, "clean", "1"], cwd=repo, check=True, capture_output=True)
            times["round_trip"].append(timed(round_trip, repo, env))
            for key, local in (("merge", []), ("merge_local", ["--local"])):
                started_with_commit(cli, repo, f"{key}-{run}", local)
                times[key].append(timed([*cli, "merge", "1", *local], repo, env))
        log = root / "trace2.log"
        counting = traced_environment(log, env)
        processes = {
            "start": count([*cli, "start", "1"], repo, counting, log),
            "clean": count([*cli, "clean", "1"], repo, counting, log),
            "start_local": count([*cli, "start", "1", "--local"], repo, counting, log),
        }
        subprocess.run([*cli, "clean", "1"], cwd=repo, check=True, capture_output=True)
        for key, local in (("merge", []), ("merge_local", ["--local"])):
            started_with_commit(cli, repo, f"{key}-counted", local)
            processes[key] = count([*cli, "merge", "1", *local], repo, counting, log)
        ids = [str(task) for task in range(1, args.tasks + 1)]
        subprocess.run([*cli, "start", *ids], cwd=repo, check=True, capture_output=True)
        status = [*cli, "status", "--json", "--no-forecast"]
        processes["status"] = count(status, repo, counting, log)
        processes["status_local"] = count([*status, "--local"], repo, counting, log)
        for _ in range(args.repeat):
            times["status"].append(timed(status, repo, env))
            times["status_local"].append(timed([*status, "--local"], repo, env))
        median = {key: statistics.median(values) for key, values in times.items()}
        seen = conditions(root)
        print(
            f"repository: {args.files} files, {args.tasks} tasks, median of {args.repeat} runs; "
            f"load {seen['load']} on {seen['cpus']} CPUs, {seen['storage']}"
        )
        for key, value in median.items():
            runs = ", ".join(f"{v * 1000:.0f}" for v in times[key])
            print(f"  {key:13s} {value * 1000:8.1f} ms   runs: {runs}")
        for command in ("start", "status", "merge"):
            ratio = median[command] / median[f"{command}_local"]
            extra = (median[command] - median[f"{command}_local"]) * 1000
            trips = extra / 1000 / median["round_trip"]
            more = processes[command] - processes[f"{command}_local"]
            print(
                f"{command} team / one machine: {ratio:.2f}x ({extra:+.0f} ms = {trips:.1f} round "
                f"trips; budget 2); git processes {processes[command]} vs "
                f"{processes[f'{command}_local']} ({more:+d})"
            )
        if args.json:
            figures = {f"{key}_ms": value * 1000 for key, value in median.items()}
            figures |= {f"{key}_git_processes": value for key, value in processes.items()}
            figures |= {f"{key}_runs_ms": [v * 1000 for v in vs] for key, vs in times.items()}
            figures["conditions"] = seen
            print(json.dumps(figures))
    finally:
        if daemon is not None:
            daemon.terminate()
            daemon.wait(timeout=20)
        shutil.rmtree(root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
