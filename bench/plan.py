"""Benchmark `git parallel plan` on a synthetic repository (DESIGN §10).

    python bench/plan.py [--files 200000] [--tasks 500] [--repeat 3] [--inline] [--keep]

Builds a repository in a temporary folder (on /dev/shm when there is one: tmpfs, as the disk
here is slow and noisy) with `git fast-import` (one blob, N tracked paths, one commit on `main`,
checked out), a CODEOWNERS file with one line per package, and one spec per task
(`docs/specs/SPEC-<n>-task.md`, or inline `[tasks.<n>]` tables with `--inline`). Each task has
10 patterns over its own package: literal files, a literal path that does not exist yet,
`dir/*.py`, `dir/**`, `dir/sub/`, `dir?/...`, a literal directory, and `dir/**/name`. A handful of
tasks also conflict: some share `shared/settings.py`, some reach into the next task's package, and
two declare a root-level `**/name` pattern (which can overlap every `dir/**` of every task).

Times, in the same run, the median of --repeat runs of:
  * `git ls-files` (the raw git floor),
  * `git parallel plan <all ids> --json` as a subprocess (what a user waits for),
  * `planning.make_plan` in-process (config, specs, ls-tree, separation, ownership),
  * `git parallel next --json` as a subprocess (every spec read, the open ones separated),
for the requested task count and for half of it, to show the growth is linear.
Budget: plan (and next, issue 27) under 1.5 s for 500 tasks × 10 patterns over 200,000 files.
No assertion: it prints.
Run it with `nice -n 10` on a shared machine.
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
from collections.abc import Callable
from pathlib import Path

from installed import CLI_VARIABLE, cli_command

BUDGET_SECONDS = 1.5
FILES_PER_PACKAGE = 100
TEAMS = 20
SHARED = "shared/settings.py"


def package_files(package: str) -> list[str]:
    """100 files: 20 modules, 20 in sub/, 20 data files, 20 tests, 20 docs."""
    files = [f"{package}/mod{n}.py" for n in range(20)]
    files += [f"{package}/sub/file{n}.py" for n in range(19)] + [f"{package}/sub/__init__.py"]
    files += [f"{package}/data/{n % 4}/d{n}.json" for n in range(20)]
    files += [f"{package}/tests/test_{n}.py" for n in range(20)]
    files += [f"{package}/docs/readme{n}.md" for n in range(20)]
    return files


def package_name(number: int) -> str:
    return f"src/pkg{number:04d}"


def tracked_paths(file_count: int) -> list[str]:
    packages = max(1, file_count // FILES_PER_PACKAGE)
    paths = [SHARED, "README.md", "Makefile"]
    for number in range(packages):
        paths.extend(package_files(package_name(number)))
    return paths[:file_count] if len(paths) > file_count else paths


def task_patterns(number: int, packages: int, tasks: int) -> list[str]:
    package = package_name(number % packages)
    files = [
        f"{package}/mod0.py",  # literal file
        f"{package}/mod1.py",  # literal file
        f"{package}/new_feature.py",  # literal, not tracked yet
        f"{package}/sub/*.py",  # dir/*.py
        f"{package}/data/**",  # dir/**
        f"{package}/tests/",  # dir/sub/ (trailing slash)
        f"{package}/docs/readme?.md",  # ? wildcard
        f"{package}/docs/extra",  # literal directory (covers what is below)
        f"{package}/**/__init__.py",  # **/name inside the package
        f"{package}/mod1[0-9].py",  # brackets are literal
    ]
    # A handful of conflicts.
    if number % 125 == 0:
        files[2] = SHARED  # four tasks share one file
    if number % 100 == 7 and number + 1 < tasks:
        files[3] = f"{package_name((number + 1) % packages)}/sub/*.py"  # reaches next package
    if number in (tasks // 3, 2 * tasks // 3):
        files[9] = "**/Makefile.vendor"  # root-level **/name: overlaps every dir/**
    return files


def spec_text(number: int, files: list[str], owner: str) -> str:
    listed = "\n".join(f"  - {json.dumps(path)}" for path in files)
    return (
        f"---\nid: {number}\ntitle: Synthetic task {number}\nowner: {json.dumps(owner)}\n"
        f"files:\n{listed}\n"
        f"---\n\n# Synthetic task {number}\n\nBenchmark task.\n"
    )


def owner_of(number: int, packages: int) -> str:
    return f"@team{(number % packages) % TEAMS}"


def build_repo(root: Path, file_count: int, tasks: int, inline: bool) -> list[str]:
    env = bench_env(root)
    subprocess.run(["git", "init", "-q", "-b", "main", str(root)], check=True, env=env)
    paths = tracked_paths(file_count)
    packages = max(1, file_count // FILES_PER_PACKAGE)
    codeowners = ["# synthetic ownership map", "*  @architects", f"/{SHARED} @architects"]
    codeowners += [
        f"/{package_name(number)}/ {owner_of(number, packages)} @architects"
        for number in range(packages)
    ]
    codeowners.append("/README.md")  # owner-less line: unowned
    extra: dict[str, str] = {".github/CODEOWNERS": "\n".join(codeowners) + "\n"}
    ids = [str(number) for number in range(1, tasks + 1)]
    config = ['specs = ["docs/**/SPEC-*.md"]', "max_instances = 8"]
    for task_id in ids:
        number = int(task_id)
        files = task_patterns(number, packages, tasks)
        owner = owner_of(number, packages)
        if number % 125 == 0:
            owner = "@architects"
        if inline:
            config.append(
                f"\n[tasks.{task_id}]\ntitle = 'Synthetic task {task_id}'\nowner = '{owner}'\n"
                f"files = {json.dumps(files)}"
            )
        else:
            extra[f"docs/specs/SPEC-{task_id}-task.md"] = spec_text(number, files, owner)
    extra[".gitparallel.toml"] = "\n".join(config) + "\n"

    stream = bytearray()
    blob = b"synthetic\n"
    stream += b"blob\nmark :1\ndata %d\n%s\n" % (len(blob), blob)
    marks: dict[str, int] = {}
    for number, (name, text) in enumerate(extra.items(), start=2):
        data = text.encode()
        stream += b"blob\nmark :%d\ndata %d\n%s\n" % (number, len(data), data)
        marks[name] = number
    message = b"synthetic base"
    stream += b"commit refs/heads/main\ncommitter Bench <bench@example.com> 1700000000 +0000\n"
    stream += b"data %d\n%s\n" % (len(message), message)
    for path in paths:
        stream += b"M 100644 :1 %s\n" % path.encode()
    for name, mark in marks.items():
        stream += b"M 100644 :%d %s\n" % (mark, name.encode())
    stream += b"\n"
    subprocess.run(
        ["git", "fast-import", "--quiet"], input=bytes(stream), cwd=root, check=True, env=env
    )
    subprocess.run(["git", "checkout", "-q", "-f", "main"], cwd=root, check=True, env=env)
    return ids


def bench_env(root: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        GIT_CONFIG_NOSYSTEM="1",
        GIT_CONFIG_GLOBAL=os.devnull,
        GIT_AUTHOR_NAME="Bench",
        GIT_AUTHOR_EMAIL="bench@example.com",
        GIT_COMMITTER_NAME="Bench",
        GIT_COMMITTER_EMAIL="bench@example.com",
        NO_COLOR="1",
    )
    return env


def scratch_dir() -> str | None:
    """/dev/shm (tmpfs) when there is one, else the usual temporary folder ($TMPDIR)."""
    shm = Path("/dev/shm")
    return str(shm) if shm.is_dir() and os.access(shm, os.W_OK) else None


def median_time(action: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def plan_command() -> list[str]:
    """run_all's installed script, else `git parallel` when the extension is on PATH, else the
    same entry point via python -m."""
    if os.environ.get(CLI_VARIABLE):
        return cli_command()
    if shutil.which("git-parallel"):
        return ["git", "parallel"]
    return [sys.executable, "-m", "gitwt"]


IN_PROCESS = """
import sys, time
from gitwt.services.specs import planning
from gitwt.services.context import Context
ids = sys.argv[1:]
start = time.perf_counter()
planning.make_plan(ids, Context.discover("."))
print(time.perf_counter() - start)
"""


def measure(root: Path, ids: list[str], repeat: int) -> dict[str, float]:
    env = bench_env(root)
    env["PYTHONPATH"] = os.pathsep.join(
        filter(None, [str(Path(__file__).resolve().parent.parent), env.get("PYTHONPATH")])
    )

    def ls_files() -> None:
        subprocess.run(["git", "ls-files", "-z"], cwd=root, env=env, capture_output=True)

    peak_kb = [0]

    def plan_subprocess() -> None:
        # os.wait4: the plan's own peak memory (DESIGN §10: < 400 MB at 1,000,000 files).
        process = subprocess.Popen(
            [*plan_command(), "plan", *ids, "--json"], cwd=root, env=env,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        _, status, usage = os.wait4(process.pid, 0)
        process.returncode = code = os.waitstatus_to_exitcode(status)
        peak_kb[0] = max(peak_kb[0], usage.ru_maxrss)  # kilobytes on Linux
        if code not in (0, 1):
            raise SystemExit(f"plan failed ({code}): run it by hand in {root}")

    def next_subprocess() -> None:
        # `next` reads every spec and runs the same separation check over the open ones.
        result = subprocess.run(
            [*plan_command(), "next", "--json"], cwd=root, env=env, capture_output=True
        )
        if result.returncode != 0:
            raise SystemExit(f"next failed ({result.returncode}): {result.stderr.decode()}")

    def plan_in_process() -> float:
        # A fresh interpreter each time, so no cache survives from the previous run; the timer
        # starts after the imports and covers config, specs, ls-tree, CODEOWNERS and separation.
        result = subprocess.run(
            [sys.executable, "-c", IN_PROCESS, *ids], cwd=root, env=env, capture_output=True
        )
        if result.returncode != 0:
            raise SystemExit(f"make_plan failed: {result.stderr.decode()}")
        return float(result.stdout)

    ls_files()  # warm the caches once, like every other run after the first
    return {
        "git ls-files": median_time(ls_files, repeat),
        "git parallel plan --json": median_time(plan_subprocess, repeat),
        "planning.make_plan": statistics.median(plan_in_process() for _ in range(repeat)),
        "git parallel next --json": median_time(next_subprocess, repeat),
        "peak MB": peak_kb[0] / 1024,
    }


def summary(root: Path, ids: list[str]) -> str:
    result = subprocess.run(
        [*plan_command(), "plan", *ids, "--json"],
        cwd=root,
        env=bench_env(root),
        capture_output=True,
    )
    data = json.loads(result.stdout)
    matched = sum(len(paths) for paths in data["matched_files"].values())
    return (
        f"{len(ids)} tasks: {matched} matched files, {len(data['conflicts'])} conflicting pairs, "
        f"{len(data['independent_pairs'])} independent pairs, {len(data['problems'])} problems, "
        f"{len(data['waves'])} waves"
    )


def print_table(title: str, times: dict[str, float], budget: bool) -> None:
    floor = times["git ls-files"]
    print(f"\n{title}")
    print(f"  {'figure':<28}{'median':>10}{'× ls-files':>12}  budget")
    print(f"  plan's peak memory: {times['peak MB']:.0f} MB")
    for name, seconds in times.items():
        if name == "peak MB":
            continue
        verdict = ""
        if budget and name != "git ls-files":
            verdict = f"< {BUDGET_SECONDS} s: " + ("ok" if seconds < BUDGET_SECONDS else "OVER")
        print(f"  {name:<28}{seconds * 1000:>8.0f}ms{seconds / floor:>11.1f}×  {verdict}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--files", type=int, default=200_000, help="tracked files (200,000)")
    parser.add_argument("--tasks", type=int, default=500, help="tasks of 10 patterns (500)")
    parser.add_argument("--repeat", type=int, default=3, help="runs per figure, median (3)")
    parser.add_argument("--inline", action="store_true", help="[tasks.N] in config, no specs")
    parser.add_argument("--single", action="store_true", help="only --tasks (no growth figure)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary repositories")
    parser.add_argument("--json", action="store_true", help="end with one line of JSON figures")
    args = parser.parse_args()

    print(
        f"plan benchmark: {args.files} files, {args.tasks} tasks × 10 patterns, "
        f"{'inline [tasks.N]' if args.inline else 'spec files'}, median of {args.repeat}, "
        f"{os.cpu_count()} CPUs, python {sys.version.split()[0]}"
    )
    results: list[tuple[int, dict[str, float]]] = []
    sizes = {args.tasks} if args.single else {max(1, args.tasks // 2), args.tasks}
    for tasks in sorted(sizes):
        root = Path(tempfile.mkdtemp(prefix=f"gitwt-bench-plan-{tasks}-", dir=scratch_dir()))
        try:
            start = time.perf_counter()
            ids = build_repo(root, args.files, tasks, args.inline)
            print(f"\nbuilt {root} in {time.perf_counter() - start:.1f} s; {summary(root, ids)}")
            times = measure(root, ids, args.repeat)
            results.append((tasks, times))
            print_table(f"{tasks} tasks × 10 patterns, {args.files} files", times, True)
        finally:
            if args.keep:
                print(f"kept {root}")
            else:
                shutil.rmtree(root, ignore_errors=True)
    if len(results) == 2:
        (small, small_times), (large, large_times) = results
        print(f"\ngrowth from {small} to {large} tasks (linear would be {large / small:.1f}×):")
        for name in ("git parallel plan --json", "planning.make_plan", "git parallel next --json"):
            print(f"  {name:<28}{large_times[name] / small_times[name]:>8.2f}×")
    if args.json:
        figures = {str(tasks): {name: seconds * 1000 for name, seconds in times.items()
                                if name != "peak MB"} for tasks, times in results}  # fmt: skip
        peaks = {str(tasks): times["peak MB"] for tasks, times in results}
        print(json.dumps({"files": args.files, "ms": figures, "peak_mb": peaks}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
