"""Benchmark the spec and plan readers on hostile input (DESIGN §10, issue 26).

    python bench/hostile.py [--mb 1] [--big-mb 50] [--only NAME] [--json]

Each shape runs in its own process (so its peak memory is its own), reading text that anyone who
can push a branch could commit:
  * a 1 MB line: `**Files**:` followed by `` `x`x`x… ``, by distinct paths, by distinct code
    spans; the same in each plan format's task line (spec-kit, Kiro, ccpm, OpenSpec, GSD) and in
    a Task Master task's details;
  * a file past the size limit (`--big-mb`, 50 MB): read through discovery, which refuses it;
  * 100,000-deep nesting: YAML front matter (`[[[…`) and Task Master's JSON;
  * a YAML alias bomb (nine levels of nine aliases: 9**9 values once expanded);
  * 20,000 tasks in one Task Master plan; a legacy spec of 20,000 file lines.
Prints, per shape: the input's size, CPU seconds, seconds per MB, peak memory (max RSS of the
process, Python's own ~20 MB included), what the reader made of it, and the verdict against the
budget: linear, at most 1 s per MB (or refused as too large or too deep, quickly), at most
300 MB. Times are CPU time (process_time), so a loaded machine inflates them less. No
assertion: it prints. Run it with `nice -n 10` on a shared machine.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

SECONDS_PER_MB = 1.0
PEAK_MB = 300
MB = 1024 * 1024


def _line(unit: str, size: int) -> str:
    return (unit * (size // len(unit) + 1))[:size]


def _distinct(template: str, size: int) -> str:
    pieces: list[str] = []
    total = 0
    number = 0
    while total < size:
        piece = template.format(number)
        pieces.append(piece)
        total += len(piece)
        number += 1
    return "".join(pieces)


def legacy(body: str) -> Callable[[], str]:
    def read() -> str:
        from gitwt.core.legacy_tokens import TrackedIndex
        from gitwt.core.specs import parse_spec
        from gitwt.errors import GitParallelError

        index = TrackedIndex.build(["app/x.py", "docs/a.md"])
        try:
            parsed = parse_spec(body, "docs/SPEC-1-x.md", "1", index=lambda: index)
        except GitParallelError as error:
            return f"problem: {error.message[:70]}"
        return f"{len(parsed.task.files)} declared, {len(parsed.ignored)} reported"

    return read


def plan(name: str, files: dict[str, str]) -> Callable[[], str]:
    def read() -> str:
        from gitwt.core.formats import FORMATS

        [reader] = [found for found in FORMATS if found.name == name]
        reading = reader.read(files)
        problems = [problem.message[:60] for problem in reading.problems][:1]
        return f"{len(reading.units)} units" + (f"; problem: {problems[0]}" if problems else "")

    return read


def through_discovery(size: int) -> Callable[[], str]:
    """A spec file of `size` bytes read as `specs` reads it: refused past the size limit."""

    def read() -> str:
        from gitwt.services.specs import repo_files

        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder, "SPEC-1-big.md")
            with path.open("w") as handle:
                line = "- `app/x.py` (NEW)\n"
                handle.write(line * (size // len(line)))
            started = time.process_time()
            data, problem = repo_files.read_inside(folder, "SPEC-1-big.md")
            took = time.process_time() - started
            if problem is None:
                return legacy(data.decode())() + f" (read {took:.2f} s)"
            return f"problem: {problem[-60:]}"

    return read


def alias_bomb() -> str:
    lines = ['l0: &l0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for level in range(1, 10):
        lines.append(f"l{level}: &l{level} [{', '.join([f'*l{level - 1}'] * 9)}]")
    return "---\nid: 1\n" + "\n".join(lines) + "\ntitle: *l9\n---\n"


def taskmaster_tasks(count: int) -> str:
    tasks = [
        {"id": n, "title": f"Task {n}", "description": "Work.", "status": "pending",
         "details": f"Change src/pkg{n}/mod.py.", "dependencies": [n - 1] if n > 1 else [],
         "subtasks": []}
        for n in range(1, count + 1)
    ]  # fmt: skip
    return json.dumps({"master": {"tasks": tasks}}, indent=2)


Shape = Callable[[], tuple[int, Callable[[], str]]]


def _text_shape(text: Callable[[], str], read: Callable[[str], Callable[[], str]]) -> Shape:
    def build() -> tuple[int, Callable[[], str]]:
        built = text()
        return len(built.encode()), read(built)

    return build


def shapes(mb: float, big_mb: float) -> dict[str, Shape]:
    """Each shape's name and how to build it (only the shape a process runs is built)."""
    size = int(mb * MB)

    def paths() -> str:
        return _distinct("`app/m{}.py` ", size)

    found: dict[str, Shape] = {}
    lines = {
        "`x`x`x": lambda: _line("`x", size),
        "distinct paths": paths,
        "distinct spans": lambda: _distinct("`x{}` ", size),
    }
    for label, line in lines.items():
        found[f"legacy: a 1 MB line of {label}"] = _text_shape(
            lambda line=line: f"# Spec\n\n**Files**: {line()}\n", legacy
        )
    found["legacy: 20,000 file lines"] = _text_shape(
        lambda: "## Files to Create\n" + "".join(f"- `app/f{n}.py`\n" for n in range(20_000)),
        legacy,
    )
    found["front matter: 100,000-deep YAML"] = _text_shape(
        lambda: "---\nid: 1\ntitle: " + "[" * 100_000 + "\n---\n", legacy
    )
    found["front matter: YAML alias bomb"] = _text_shape(alias_bomb, legacy)
    big = int(big_mb * MB)
    found[f"discovery: a {big_mb:g} MB spec file"] = lambda: (big, through_discovery(big))
    layouts = {
        "spec-kit": (
            "specs/001-x/tasks.md",
            "# Tasks\n\n## Phase 3: User Story 1\n\n- [ ] T001 {}\n",
        ),
        "kiro": (".kiro/specs/x/tasks.md", "- [ ] 1. Work\n  - {}\n"),
        "ccpm": (".claude/epics/x/1.md", "---\nname: x\n---\n\n## Files Affected\n- {}\n"),
        "openspec": ("openspec/changes/x/tasks.md", "## 1. Work\n\n- [ ] 1.1 {}\n"),
        "gsd": (
            ".planning/phases/01-x/01-01-PLAN.md",
            "---\nphase: 01-x\nplan: 01\nfiles_modified: []\n---\n\n{}\n",
        ),
    }
    for name, (path, template) in layouts.items():
        found[f"{name}: a 1 MB line of distinct paths"] = _text_shape(
            lambda template=template: template.format(paths()),
            lambda text, name=name, path=path: plan(name, {path: text}),
        )
    tasks_json = ".taskmaster/tasks/tasks.json"

    def taskmaster(text: str) -> Callable[[], str]:
        return plan("taskmaster", {tasks_json: text})

    found["taskmaster: 1 MB of details"] = _text_shape(
        lambda: json.dumps({"tasks": [{"id": 1, "title": "x", "details": paths()}]}), taskmaster
    )
    found["taskmaster: 100,000-deep JSON"] = _text_shape(
        lambda: '{"tasks": ' + "[" * 100_000 + "]" * 100_000 + "}", taskmaster
    )
    found["taskmaster: 20,000 tasks"] = _text_shape(lambda: taskmaster_tasks(20_000), taskmaster)
    found["gsd: YAML alias bomb"] = _text_shape(
        lambda: alias_bomb().replace("---\nid: 1\n", "---\nphase: 01-x\nplan: 01\n"),
        lambda text: plan("gsd", {".planning/phases/01-x/01-01-PLAN.md": text}),
    )
    return found


def run_one(name: str, mb: float, big_mb: float) -> dict[str, object]:
    size, read = shapes(mb, big_mb)[name]()
    started = time.process_time()
    outcome = read()
    seconds = time.process_time() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"name": name, "bytes": size, "seconds": seconds, "peak_mb": peak, "outcome": outcome}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mb", type=float, default=1.0, help="size of the long lines (1 MB)")
    parser.add_argument("--big-mb", type=float, default=50.0, help="the big file (50 MB)")
    parser.add_argument("--only", help="run the shapes whose name contains this")
    parser.add_argument("--case", help=argparse.SUPPRESS)  # one shape, in this process
    parser.add_argument("--json", action="store_true", help="end with one line of JSON figures")
    args = parser.parse_args()
    if args.case:
        print(json.dumps(run_one(args.case, args.mb, args.big_mb)))
        return 0
    env = dict(os.environ)
    root = str(Path(__file__).resolve().parent.parent)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [root, env.get("PYTHONPATH")]))
    rows = []
    names = [name for name in shapes(args.mb, args.big_mb) if not args.only or args.only in name]
    for name in names:
        command = [sys.executable, __file__, "--case", name, "--mb", str(args.mb)]
        command += ["--big-mb", str(args.big_mb)]
        result = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
        if result.returncode != 0:
            rows.append({"name": name, "error": result.stderr.strip().splitlines()[-1:]})
            print(f"{name}: FAILED {rows[-1]['error']}", file=sys.stderr)
            continue
        row = json.loads(result.stdout.strip().splitlines()[-1])
        row["per_mb"] = row["seconds"] / max(row["bytes"] / MB, 1e-9)
        refused = "problem" in str(row["outcome"])
        row["ok"] = (row["per_mb"] <= SECONDS_PER_MB or row["seconds"] < 1) and (
            row["peak_mb"] <= PEAK_MB
        )
        rows.append(row)
        verdict = "ok" if row["ok"] else "OVER"
        print(
            f"{name:44} {row['bytes'] / MB:7.2f} MB {row['seconds']:7.2f} s "
            f"{row['per_mb']:6.2f} s/MB {row['peak_mb']:6.0f} MB peak  {verdict:4} "
            f"{'refused: ' if refused else ''}{row['outcome']}",
            file=sys.stderr,
        )
    if args.json:
        print(json.dumps({"shapes": rows, "budget_s_per_mb": SECONDS_PER_MB, "peak_mb": PEAK_MB}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
