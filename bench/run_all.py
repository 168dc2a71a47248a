"""Run every benchmark of bench/ and print one table against the budgets of DESIGN §10.

    python bench/run_all.py [--full] [--markdown] [--keep-output DIR]

Each benchmark runs as its own process (`python bench/<name>.py ... --json`); its human output
goes to stderr as it comes, and its last stdout line is the JSON figures this script reads.
By default the sizes are modest (a quick smoke run of about a minute: the verdicts are then only
indicative, since the budgets are stated for the full sizes); `--full` runs each benchmark at the
sizes of DESIGN §10 (several minutes). Run it with `nice -n 5` on a shared machine.

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
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent

# name -> (arguments at modest size, arguments at full size: the scripts' defaults)
BENCHES: dict[str, tuple[list[str], list[str]]] = {
    "hook": (["--files", "5000", "--staged", "200", "--runs", "9", "--framework-runs", "1"], []),
    "plan": (["--files", "5000", "--tasks", "100", "--repeat", "1"], []),
    "start": (["--files", "2000", "--repeat", "1"], []),
    "merge": (["--files", "2000", "--repeat", "1"], []),
    "status": (["--files", "1000", "--repeat", "3"], []),
}


def run_bench(name: str, arguments: list[str]) -> tuple[dict[str, Any], float]:
    command = [sys.executable, str(HERE / f"{name}.py"), *arguments, "--json"]
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(HERE.parent), env.get("PYTHONPATH")]))
    sys.stderr.write(f"\n=== {' '.join(command[1:])}\n")
    sys.stderr.flush()
    began = time.perf_counter()
    result = subprocess.run(command, stdout=subprocess.PIPE, text=True, env=env, check=False)
    took = time.perf_counter() - began
    lines = result.stdout.strip().splitlines()
    sys.stderr.write("\n".join(lines[:-1]) + "\n")
    if result.returncode != 0 or not lines:
        raise SystemExit(f"bench/{name}.py failed with exit {result.returncode}")
    return json.loads(lines[-1]), took


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


def rows(figures: dict[str, dict[str, Any]]) -> list[dict[str, str]]:
    """One row per budget of DESIGN §10."""
    table: list[dict[str, str]] = []

    def add(
        figure: str, ours: str, raw: str, ratio: str, budget: str, ok: bool, noise: str = ""
    ) -> None:
        table.append(
            {
                "figure": figure,
                "ours": ours,
                "raw": raw,
                "ratio": ratio,
                "budget": budget,
                "verdict": "ok" if ok else "OVER",
                "noise": noise,
            }
        )

    def ms(value: float) -> str:
        return f"{value:.0f} ms" if value >= 10 else f"{value:.1f} ms"

    hook = figures.get("hook")
    if hook:
        ratio = hook["hook_ms"] / hook["floor_ms"]
        pairs = zip(hook["hook_runs_ms"], hook["floor_runs_ms"], strict=True)
        pair_median = statistics.median(ours / floor for ours, floor in pairs)
        add(
            "commit hook (pre-commit shim)",
            ms(hook["hook_ms"]),
            f"{ms(hook['floor_ms'])} python -I -S + git diff --cached",
            f"{ratio:.2f}×",
            "≤ 1.25× floor",
            ratio <= 1.25,
            spread(hook["hook_runs_ms"]) + f"; median of per-run ratios {pair_median:.2f}",
        )
    plan = figures.get("plan")
    if plan:
        sizes = sorted(plan["ms"], key=int)
        large = plan["ms"][sizes[-1]]
        ours = large["git parallel plan --json"]
        raw = large["git ls-files"]
        add(
            f"plan, {sizes[-1]} tasks × 10 patterns",
            ms(ours),
            f"{ms(raw)} git ls-files",
            f"{ours / raw:.1f}×",
            "< 1.5 s",
            ours < 1500,
        )
        if len(sizes) == 2:
            small = plan["ms"][sizes[0]]["git parallel plan --json"]
            growth = ours / small
            linear = int(sizes[-1]) / int(sizes[0])
            add(
                f"plan growth, {sizes[0]} → {sizes[-1]} tasks",
                f"{growth:.2f}× time",
                f"{linear:.1f}× tasks",
                f"{growth / linear:.2f}",
                "linear (≤ 1.0 of tasks' growth)",
                growth <= linear * 1.05,
            )
    start = figures.get("start")
    if start:
        ratio = start["start_ms"] / start["raw_ms"]
        add(
            "start of 3 tasks",
            ms(start["start_ms"]),
            f"{ms(start['raw_ms'])} 3 × git worktree add",
            f"{ratio:.2f}×",
            "≤ 1.15× raw",
            ratio <= 1.15,
            spread(start["start_runs_ms"]) + paired(start["start_runs_ms"], start["raw_runs_ms"]),
        )
        speed = start["full_ms"] / start["sparse_ms"]
        add(
            "start --sparse vs full checkout",
            ms(start["sparse_ms"]),
            f"{ms(start['full_ms'])} start (full checkout)",
            f"{speed:.1f}× faster",
            "≥ 20× faster",
            speed >= 20,
            spread(start["sparse_runs_ms"]),
        )
    merge = figures.get("merge")
    if merge:
        ratio = merge["ours_ms"] / merge["raw_ms"]
        add(
            "merge of 10 clean branches",
            ms(merge["ours_ms"]),
            f"{ms(merge['raw_ms'])} loop of git merge --no-ff",
            f"{ratio:.2f}×",
            "≤ 0.5× raw",
            ratio <= 0.5,
            spread(merge["ours_runs_ms"]) + paired(merge["ours_runs_ms"], merge["raw_runs_ms"]),
        )
    status = figures.get("status")
    if status:
        add(
            "status of 10 tasks, with forecast",
            ms(status["status_ms"]),
            f"{ms(status['python_ms'])} python -c pass",
            f"{status['status_ms'] / status['python_ms']:.1f}×",
            "< 300 ms",
            status["status_ms"] < 300,
            spread(status["status_runs_ms"]),
        )
        add(
            "pairwise forecast of the tasks",
            f"{status['forecast_merges']} merge(s)",
            "—",
            "—",
            "one merge-tree --stdin",
            status["forecast_method"].startswith("merge-tree --stdin (1 process)"),
            f"via {status['forecast_method']}",
        )
        cpu = status["idle_shim_cpu_percent"]
        add(
            "supervising (idle shim)",
            f"{cpu:.3f}% of a core",
            "—",
            "—",
            "< 1% of a core",
            cpu < 1,
        )
    return table


COLUMNS = [
    ("figure", "figure"),
    ("ours", "ours (median)"),
    ("raw", "raw git / floor (median)"),
    ("ratio", "ratio"),
    ("budget", "budget"),
    ("verdict", "verdict"),
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
    args = parser.parse_args()
    figures: dict[str, dict[str, Any]] = {}
    durations: dict[str, float] = {}
    if args.from_json:
        figures = json.loads(args.from_json.read_text())
    for name, (modest, full) in BENCHES.items():
        if args.from_json or (args.only and name not in args.only):
            continue
        figures[name], durations[name] = run_bench(name, full if args.full else modest)
    size = "full sizes (DESIGN §10)" if args.full else "modest sizes (indicative only; see --full)"
    print(f"\ngitwt benchmarks, {size}; {os.cpu_count()} CPUs, python {sys.version.split()[0]}")
    print(render(rows(figures), args.markdown))
    if durations:
        print("took " + ", ".join(f"{name} {seconds:.0f} s" for name, seconds in durations.items()))
    if args.json:
        print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
