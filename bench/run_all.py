"""Run every benchmark of bench/ and print one table against the budgets of DESIGN §10.

    python bench/run_all.py [--full] [--markdown] [--[no-]installed] [--source DIR]

Each benchmark runs as its own process (`python bench/<name>.py ... --json`); its human output
goes to stderr as it comes, and its last stdout line is the JSON figures this script reads.
By default the sizes are modest (a quick smoke run of about a minute: the verdicts are then only
indicative, since the budgets are stated for the full sizes); `--full` runs each benchmark at the
sizes of DESIGN §10 (several minutes; the rows at 1,000,000 files, `hook@1M`, `plan@1M` and the
second `start --sparse`, each build a repository of that size: `--only` picks benches). Run it
with `nice -n 5` on a shared machine. With `--installed` (the default with `--full`) every bench
times the `git-parallel` script of a wheel of `--source` installed into a new venv
(bench/installed.py), as a user runs it. Each bench's
load averages before and after, and the file system its repositories were on, are printed.

Columns: the figure, our time, the raw-git (or interpreter) figure it is compared with, the ratio
ours/raw, the budget, and the verdict. It asserts nothing and always exits 0 when every bench ran.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from installed import CLI_VARIABLE, install
from synthetic import conditions, scratch_directory

HERE = Path(__file__).resolve().parent

MILLION = "1000000"
# name -> (arguments at modest size, arguments at full size: the scripts' defaults); None: not
# at that size. A name with `@` runs the script named before it (`hook@1M`: bench/hook.py).
BENCHES: dict[str, tuple[list[str] | None, list[str] | None]] = {
    "hook": (["--files", "5000", "--staged", "200", "--runs", "9", "--framework-runs", "1"], []),
    "hook@1M": (None, ["--files", MILLION, "--runs", "15", "--framework-runs", "1"]),
    "agent_hooks": (["--files", "5000", "--changed", "50", "--runs", "9"], []),
    "plan": (["--files", "5000", "--tasks", "100", "--repeat", "1"], []),
    "plan@1M": (None, ["--files", MILLION, "--repeat", "1", "--single"]),
    "start": (["--files", "2000", "--repeat", "1", "--sparse-files", "0"], []),
    "merge": (["--files", "2000", "--repeat", "1"], []),
    "status": (["--files", "1000", "--tasks", "10,50", "--repeat", "3"], []),
    "team": (["--files", "500", "--repeat", "3"], []),
    "formats": (["--repeat", "3"], []),
    "hostile": (["--big-mb", "50"], []),
}


def run_bench(name: str, arguments: list[str]) -> tuple[dict[str, Any], float]:
    script = name.partition("@")[0]
    command = [sys.executable, str(HERE / f"{script}.py"), *arguments, "--json"]
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(HERE.parent), env.get("PYTHONPATH")]))
    sys.stderr.write(f"\n=== {' '.join(command[1:])}\n")
    sys.stderr.flush()
    before = conditions(scratch_directory())
    began = time.perf_counter()
    result = subprocess.run(command, stdout=subprocess.PIPE, text=True, env=env, check=False)
    took = time.perf_counter() - began
    after = conditions(scratch_directory())
    sys.stderr.write(f"=== {name}: load {before['load']} before, {after['load']} after, "
                     f"{after['cpus']} CPUs, {after['dir']} on {after['storage']}\n")  # fmt: skip
    lines = result.stdout.strip().splitlines()
    sys.stderr.write("\n".join(lines[:-1]) + "\n")
    if result.returncode != 0 or not lines:
        raise SystemExit(f"bench/{name}.py failed with exit {result.returncode}")
    figures: dict[str, Any] = json.loads(lines[-1])
    figures["run_conditions"] = {"before": before, "after": after}
    return figures, took


def spread(runs: list[float]) -> str:
    """How noisy a figure was: half its runs' min–max range, relative to the median."""
    if len(runs) < 2:
        return ""
    middle = statistics.median(runs)
    return f"±{100 * (max(runs) - min(runs)) / 2 / middle:.0f}%" if middle else ""


def paired(ours: list[float], raw: list[float]) -> str:
    """The ratio of each interleaved run pair: load that hit one run hits both of its sides."""
    if len(ours) < 2:
        return ""
    return "; per-run ratios " + ", ".join(f"{a / b:.2f}" for a, b in zip(ours, raw, strict=True))


def ms(value: float) -> str:
    return f"{value:.0f} ms" if value >= 10 else f"{value:.1f} ms"


class Table:
    """The rows of the printed table, one per budget of DESIGN §10."""

    def __init__(self) -> None:
        self.rows: list[dict[str, str]] = []

    def add(
        self,
        figure: str,
        ours: str,
        raw: str,
        ratio: str,
        budget: str,
        ok: bool,
        noise: str = "",
        git: str = "",
    ) -> None:
        verdict = "ok" if ok else "OVER"
        self.rows.append(
            {
                "figure": figure,
                "ours": ours,
                "raw": raw,
                "ratio": ratio,
                "budget": budget,
                "verdict": verdict,
                "git": git,
                "noise": noise,
            }
        )

    def ratio(
        self, figure: str, ours: float, raw: float, raw_name: str, limit: float, **extra: str
    ) -> None:
        """A row whose budget is `ours ≤ limit × raw`."""
        self.add(
            figure, ms(ours), f"{ms(raw)} {raw_name}", f"{ours / raw:.2f}×",
            f"≤ {limit:g}× raw", ours <= limit * raw, **extra,
        )  # fmt: skip


def git_counts(ours: int | None, raw: int | None, per_task: int = 0, tasks: int = 0) -> str:
    """`ours vs raw` git processes, and the budget `raw + per_task × tasks` when there is one."""
    if ours is None:
        return ""
    if raw is None:
        return f"{ours}"
    text = f"{ours} vs {raw}"
    if per_task:
        limit = raw + per_task * tasks
        text += f" (≤ {limit}: {'ok' if ours <= limit else 'OVER'})"
    return text


def hook_rows(table: Table, hook: dict[str, Any]) -> None:
    ratio = hook["hook_ms"] / hook["floor_ms"]
    pairs = zip(hook["hook_runs_ms"], hook["floor_runs_ms"], strict=True)
    pair_median = statistics.median(ours / floor for ours, floor in pairs)
    table.add(
        f"commit hook, {hook.get('staged', 1000)} staged of {hook.get('files', 200_000)} files",
        ms(hook["hook_ms"]),
        f"{ms(hook['floor_ms'])} python -I -S + git diff --cached",
        f"{ratio:.2f}×",
        "≤ 1.25× floor",
        ratio <= 1.25,
        spread(hook["hook_runs_ms"]) + f"; median of per-run ratios {pair_median:.2f}",
    )


def agent_hook_rows(table: Table, hook: dict[str, Any]) -> None:
    """The after-shell hook against `python -I -S` + `git status`; the pre-edit hook shown."""
    ratio = hook["hook_ms"] / hook["floor_ms"]
    pairs = zip(hook["hook_runs_ms"], hook["floor_runs_ms"], strict=True)
    pair_median = statistics.median(ours / floor for ours, floor in pairs)
    table.add(
        f"agent after-shell hook, {hook['changed']} changed of {hook['files']} files",
        ms(hook["hook_ms"]),
        f"{ms(hook['floor_ms'])} python -I -S + git status",
        f"{ratio:.2f}×",
        "≤ 1.25× floor",
        ratio <= 1.25,
        spread(hook["hook_runs_ms"]) + f"; median of per-run ratios {pair_median:.2f}",
    )
    pre = hook["pre_edit_ms"] / hook["floor_ms"]
    table.add(
        "agent pre-edit hook (no git process)", ms(hook["pre_edit_ms"]),
        f"{ms(hook['floor_ms'])} the same floor", f"{pre:.2f}×", "≤ 1.25× floor", pre <= 1.25,
        f"python -I -S alone {ms(hook['python_ms'])}",
    )  # fmt: skip


def plan_rows(table: Table, plan: dict[str, Any]) -> None:
    """DESIGN §10: < 1.5 s at 200,000 files, < 4 s and < 400 MB peak at 1,000,000."""
    sizes = sorted(plan["ms"], key=int)
    large = plan["ms"][sizes[-1]]
    ours, raw = large["git parallel plan --json"], large["git ls-files"]
    files = int(plan.get("files", 200_000))
    limit = 1500 if files <= 200_000 else 4000
    peak = (plan.get("peak_mb") or {}).get(sizes[-1])
    memory_ok = peak is None or files <= 200_000 or peak < 400
    table.add(
        f"plan, {sizes[-1]} tasks × 10 patterns over {files} files",
        ms(ours), f"{ms(raw)} git ls-files", f"{ours / raw:.1f}×",
        f"< {limit / 1000:g} s" + ("" if files <= 200_000 else ", < 400 MB"),
        ours < limit and memory_ok, f"peak {peak:.0f} MB" if peak is not None else "",
    )  # fmt: skip
    if len(sizes) == 2:
        growth = ours / plan["ms"][sizes[0]]["git parallel plan --json"]
        linear = int(sizes[-1]) / int(sizes[0])
        table.add(
            f"plan growth, {sizes[0]} → {sizes[-1]} tasks", f"{growth:.2f}× time",
            f"{linear:.1f}× tasks", f"{growth / linear:.2f}", "linear (≤ 1.0 of tasks' growth)",
            growth <= linear * 1.05,
        )  # fmt: skip


def start_rows(table: Table, start: dict[str, Any]) -> None:
    tasks = start.get("tasks", 3)
    table.ratio(
        f"start of {tasks} tasks, {start.get('files', '?')} files", start["start_ms"],
        start["raw_ms"],
        f"{tasks} × git worktree add", 1.10,
        noise=spread(start["start_runs_ms"]) + paired(start["start_runs_ms"], start["raw_runs_ms"]),
        git=git_counts(start.get("start_git"), start.get("raw_git"), 3, tasks),
    )  # fmt: skip
    if "raw_sparse_ms" in start:
        table.ratio(
            f"start --sparse of 1 task, {start.get('files', '?')} files", start["sparse_ms"],
            start["raw_sparse_ms"],
            "raw sparse worktree", 2.0,
            noise=spread(start["sparse_runs_ms"]) + with_sparse_index(start, ""),
            git=git_counts(start.get("sparse_git"), start.get("raw_sparse_git")),
        )  # fmt: skip
    if "big_sparse_ms" in start:
        table.ratio(
            f"start --sparse of 1 task, {start['sparse_files']} files", start["big_sparse_ms"],
            start["big_raw_sparse_ms"], "raw sparse worktree", 2.0,
            noise=spread(start["big_sparse_runs_ms"])
            + paired(start["big_sparse_runs_ms"], start["big_raw_sparse_runs_ms"])
            + with_sparse_index(start, "big_"),
        )  # fmt: skip


def with_sparse_index(start: dict[str, Any], size: str) -> str:
    """The ratio against git's fastest way to the same checkout (`--sparse-index`), for
    reference: the budget is against git's defaults."""
    fastest = start.get(f"{size}raw_sparse_index_ms")
    if not fastest:
        return ""
    ratio = start[f"{size}sparse_ms"] / fastest
    return f"; {ratio:.2f}× raw with --sparse-index ({fastest:.0f} ms)"


def merge_rows(table: Table, merge: dict[str, Any]) -> None:
    table.ratio(
        "merge of 10 clean branches (kept worktrees)", merge["ours_ms"], merge["raw_ms"],
        "loop of git merge --no-ff", 0.5,
        noise=spread(merge["ours_runs_ms"]) + paired(merge["ours_runs_ms"], merge["raw_runs_ms"]),
        git=git_counts(merge.get("ours_git"), merge.get("raw_git")),
    )  # fmt: skip
    if "cleanup_ours_ms" in merge:
        table.ratio(
            "merge of 10 clean branches with clean-up", merge["cleanup_ours_ms"],
            merge["cleanup_raw_ms"], "loop + worktree remove + branch -d", 0.6,
            noise=spread(merge.get("cleanup_ours_runs_ms", [])),
            git=git_counts(merge.get("cleanup_ours_git"), merge.get("cleanup_raw_git")),
        )  # fmt: skip
    if "cleanup_trash_done_ms" in merge:  # from the merge's start until the trash is empty
        table.ratio(
            "merge's deferred deletion, done (detached, after merge --all)",
            merge["cleanup_trash_done_ms"], merge["cleanup_raw_ms"],
            "loop + worktree remove + branch -d", 1.0,
            noise="from the start of the merge until parallel/trash/ is empty",
        )  # fmt: skip


def status_rows(table: Table, status: dict[str, Any]) -> None:
    limits = {"10": 200.0, "50": 400.0, "200": 800.0}  # DESIGN §10
    by_tasks = status.get("by_tasks") or {"10": status}
    for tasks, figures in sorted(by_tasks.items(), key=lambda item: int(item[0])):
        limit = limits.get(tasks, 800.0)
        python = figures.get("python_ms", status.get("python_ms", 0.0))
        cpu = f"; CPU {ms(figures['status_cpu_ms'])}" if "status_cpu_ms" in figures else ""
        table.add(
            f"status --json of {tasks} tasks, with forecast", ms(figures["status_ms"]),
            f"{ms(python)} python -c pass", f"{figures['status_ms'] / python:.1f}×",
            f"< {limit:.0f} ms", figures["status_ms"] < limit,
            spread(figures["status_runs_ms"]) + cpu, git=str(figures.get("status_git", "")),
        )  # fmt: skip
    table.add(
        "pairwise forecast of the tasks", f"{status['forecast_merges']} merge(s)", "—", "—",
        "one merge-tree --stdin", status["forecast_method"].startswith("merge-tree --stdin (1"),
        f"via {status['forecast_method']}",
    )  # fmt: skip
    cpu = status["idle_shim_cpu_percent"]
    table.add(
        "supervising (idle task runner)", f"{cpu:.3f}% of a core", "—", "—", "< 1% of a core",
        cpu < 1,
    )  # fmt: skip


def team_rows(table: Table, team: dict[str, Any]) -> None:
    """Team mode against --local, in round trips to the daemon (DESIGN §10: `start` and `merge`
    ≤ --local + 2; `status` is shown against the same line)."""
    trip = team.get("round_trip_ms")
    for command in ("start", "merge", "status"):
        if f"{command}_ms" not in team:
            continue
        ours, local = team[f"{command}_ms"], team[f"{command}_local_ms"]
        trips = (ours - local) / trip if trip else None
        table.add(
            f"team-mode {command} (git daemon on 127.0.0.1)", ms(ours), f"{ms(local)} --local",
            f"{ours / local:.2f}×", "≤ --local + 2 round trips" if trip else "— (shown)",
            trips is None or trips <= 2,
            f"+{trips:.1f} round trips of {ms(trip)} (ls-remote)" if trip else "",
            git=git_counts(
                team[f"{command}_git_processes"], team[f"{command}_local_git_processes"]
            ),
        )  # fmt: skip


def formats_rows(table: Table, formats: dict[str, Any]) -> None:
    """`specs` and `plan` over about 100 units of other tools' plans against one spec."""
    figures, units = formats["ms"], formats.get("units", 100)
    for command in ("specs", "plan"):
        table.ratio(
            f"{command} over {units} plan units (6 formats)", figures[command],
            figures[f"{command}_one"], "one spec", 3.0,
        )  # fmt: skip
    if "claims" in figures:
        table.ratio(
            "claims pre-commit hook (check --claims --staged, one tasks.md)", figures["claims"],
            figures["claims_one"], "the same with no plan staged", 1.25,
        )  # fmt: skip


def hostile_rows(table: Table, hostile: dict[str, Any]) -> None:
    """Each hostile shape: CPU seconds per MB and peak memory against the §10 row."""
    for shape in hostile["shapes"]:
        if "error" in shape:
            table.add(shape["name"], "failed", "", "", "", False, " ".join(shape["error"]))
            continue
        refused = "problem" in shape["outcome"]
        table.add(
            f"reading, hostile: {shape['name']}",
            f"{shape['seconds']:.2f} s",
            f"{shape['bytes'] / 1024 / 1024:.2f} MB",
            f"{shape['per_mb']:.2f} s/MB",
            f"≤ {hostile['budget_s_per_mb']:g} s/MB, ≤ {hostile['peak_mb']} MB",
            shape["ok"],
            f"peak {shape['peak_mb']:.0f} MB; "
            + ("refused: " if refused else "")
            + shape["outcome"],
        )


ROWS = {"hook": hook_rows, "hook@1M": hook_rows, "agent_hooks": agent_hook_rows,
        "plan": plan_rows, "plan@1M": plan_rows, "start": start_rows, "merge": merge_rows,
        "status": status_rows, "team": team_rows, "formats": formats_rows,
        "hostile": hostile_rows}  # fmt: skip


def rows(figures: dict[str, dict[str, Any]]) -> list[dict[str, str]]:
    """One row per budget of DESIGN §10, for the benchmarks that ran."""
    table = Table()
    for name, add_rows in ROWS.items():
        if figures.get(name):
            add_rows(table, figures[name])
    return table.rows


COLUMNS = [
    ("figure", "figure"),
    ("ours", "ours (median)"),
    ("raw", "raw git / floor (median)"),
    ("ratio", "ratio"),
    ("budget", "budget"),
    ("verdict", "verdict"),
    ("git", "git processes (ours vs raw)"),
    ("noise", "noise"),
]


def render(table: list[dict[str, str]], markdown: bool) -> str:
    if markdown:
        lines = ["| " + " | ".join(title for _, title in COLUMNS) + " |"]
        lines.append("|" + "|".join("---" for _ in COLUMNS) + "|")
        lines += ["| " + " | ".join(row[key] for key, _ in COLUMNS) + " |" for row in table]
        return "\n".join(lines)
    widths = {key: max(len(title), *(len(row[key]) for row in table)) for key, title in COLUMNS}
    lines = ["  ".join(title.ljust(widths[key]) for key, title in COLUMNS).rstrip()]
    lines.append("  ".join("-" * widths[key] for key, _ in COLUMNS))
    lines += [
        "  ".join(row[key].ljust(widths[key]) for key, _ in COLUMNS).rstrip() for row in table
    ]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--full", action="store_true", help="the sizes of DESIGN §10 (minutes)")
    parser.add_argument("--markdown", action="store_true", help="print the table as Markdown")
    parser.add_argument("--only", action="append", choices=sorted(BENCHES), help="run only these")
    parser.add_argument("--json", action="store_true", help="print the raw figures as JSON too")
    parser.add_argument("--from-json", type=Path, help="render the table from a saved --json line")
    parser.add_argument(
        "--installed", action=argparse.BooleanOptionalAction, default=None,
        help="time gitwt installed from a wheel in a new venv, as a user runs it (default with "
        "--full; about a minute to build)",
    )  # fmt: skip
    parser.add_argument("--source", type=Path, default=HERE.parent, help="the tree to install")
    args = parser.parse_args()
    installed = args.full if args.installed is None else args.installed
    if installed and not args.from_json:
        into = Path(tempfile.mkdtemp(prefix="gitwt-installed-", dir=scratch_directory()))
        os.environ[CLI_VARIABLE] = str(install(args.source.resolve(), into))
        sys.stderr.write(f"=== timing {os.environ[CLI_VARIABLE]} (a wheel of {args.source})\n")
    figures: dict[str, dict[str, Any]] = {}
    durations: dict[str, float] = {}
    if args.from_json:
        figures = json.loads(args.from_json.read_text())
    for name, (modest, full) in BENCHES.items():
        arguments = full if args.full else modest
        if args.from_json or arguments is None or (args.only and name not in args.only):
            continue
        figures[name], durations[name] = run_bench(name, arguments)
    size = "full sizes (DESIGN §10)" if args.full else "modest sizes (indicative only; see --full)"
    how = "installed from a wheel" if os.environ.get(CLI_VARIABLE) else "python -m gitwt"
    python = sys.version.split()[0]
    print(f"\ngitwt benchmarks, {size}, {how}; {os.cpu_count()} CPUs, python {python}")
    for name, seen in ((name, found.get("run_conditions")) for name, found in figures.items()):
        if seen:
            print(f"  {name}: load {seen['before']['load']} → {seen['after']['load']}, "
                  f"{seen['after']['storage']}")  # fmt: skip
    print(render(rows(figures), args.markdown))
    if durations:
        print("took " + ", ".join(f"{name} {seconds:.0f} s" for name, seconds in durations.items()))
    if args.json:
        print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
