"""Benchmark `specs` and `plan` over 100 units of other tools' plans (DESIGN §10).

    python bench/formats.py [--files 2000] [--units 100] [--repeat 5] [--keep] [--json]

Builds two repositories in a temporary folder (on /dev/shm when there is one) with the same
tracked files: one holding plans of every format gitwt reads (spec-kit features, Kiro features,
ccpm epics, OpenSpec changes, Task Master tasks, GSD phases: about --units units in all, each
naming a few files, some by bare name, some with parallel claims), and one holding a single
legacy spec with front matter. Times, the median of --repeat interleaved runs, of:
  * `git parallel specs --json` in each repository,
  * `git parallel plan <every unit> --json` against `plan <the one spec> --json`,
  * the claims pre-commit hook (`check --claims --staged FILE`, as .pre-commit-hooks.yaml runs
    it) with one spec-kit tasks.md staged (a task line added), against the same command with
    the one-spec repository's spec staged (no plan to read: the command's own start), shown
    against the hooks' 1.25 × floor.
Budget: each ≤ 3 × the same command on the one-spec repository. No assertion: it prints.
Run it with `nice -n 10` on a shared machine.
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
from pathlib import Path

from plan import bench_env, plan_command, scratch_dir

BUDGET = 3.0
FORMATS = ("spec-kit", "kiro", "ccpm", "openspec", "taskmaster", "gsd")


def package(number: int) -> str:
    return f"src/pkg{number:03d}"


def tracked(files: int) -> list[str]:
    paths = ["README.md"]
    number = 0
    while len(paths) < files:
        paths += [f"{package(number)}/mod{n}.py" for n in range(9)]
        paths.append(f"{package(number)}/helper_{number}.py")  # a name no other file has
        number += 1
    return paths[:files]


def speckit(feature: int, first: int) -> dict[str, str]:
    """One feature of 5 phases: setup, two stories claimed parallel, a third story, polish."""
    lines = [f"# Tasks: Feature {feature}", ""]
    task = 1
    titles = ["Setup", "User Story 1 - A (Priority: P1)", "User Story 2 - B (Priority: P2)",
              "User Story 3 - C (Priority: P3)", "Polish"]  # fmt: skip
    for phase, title in enumerate(titles, start=1):
        story = f" [US{phase - 1}]" if 1 < phase < 5 else ""
        lines += [f"## Phase {phase}: {title}", ""]
        for n in range(3):
            pkg = package(first + phase)
            bare = f"helper_{first + phase}.py"  # a bare name: resolved against base
            lines.append(f"- [ ] T{task:03d} [P]{story} Change {pkg}/mod{n}.py and {bare}")
            task += 1
        lines.append("")
    lines += ["## Dependencies & Execution Order", "",
              "- User Story 1 and User Story 2 can run in parallel.", ""]  # fmt: skip
    return {f"specs/{feature:03d}-feature/tasks.md": "\n".join(lines)}


def kiro(feature: int, first: int) -> dict[str, str]:
    lines = ["# Implementation Plan", ""]
    for number in range(1, 6):
        pkg = package(first + number)
        lines += [
            f"- [ ] {number}. (P) Part {number}",
            f"- [ ] {number}.1 (P) Change the module",
            f"  - Update `{pkg}/mod1.py` and `{pkg}/mod2.py`",
            f"  - _Requirements: {number}.1_",
            "",
        ]
    return {f".kiro/specs/feature-{feature}/tasks.md": "\n".join(lines)}


def ccpm(epic: int, first: int) -> dict[str, str]:
    found = {}
    for number in range(1, 6):
        pkg = package(first + number)
        depends = "[]" if number < 5 else "[1, 2]"
        found[f".claude/epics/epic-{epic}/{number}.md"] = (
            f"---\nname: Task {number}\nstatus: open\ndepends_on: {depends}\n"
            f"parallel: true\nconflicts_with: []\n---\n\n# Task: Task {number}\n\n"
            f"### Files Affected\n- `{pkg}/mod4.py`\n- `{pkg}/mod5.py` (new)\n"
        )
    return found


def openspec(change: int, first: int) -> dict[str, str]:
    pkg = package(first)
    return {
        f"openspec/changes/change-{change}/tasks.md": (
            f"## 1. Work\n\n- [ ] 1.1 Update `{pkg}/mod6.py`\n- [ ] 1.2 Add `{pkg}/new.py`\n"
        ),
        f"openspec/changes/change-{change}/proposal.md": (
            f"# Change\n\n## Impact\n\n- Affected code: `{pkg}/mod7.py`\n"
        ),
    }


def taskmaster(count: int, first: int) -> dict[str, str]:
    tasks = [
        {
            "id": number,
            "title": f"Task {number}",
            "description": "Work.",
            "details": f"Change {package(first + number)}/mod8.py and helper_{first + number}.py.",
            "testStrategy": "",
            "priority": "medium",
            "dependencies": [number - 1] if number % 4 == 0 else [],
            "status": "pending",
            "subtasks": [],
        }
        for number in range(1, count + 1)
    ]
    return {".taskmaster/tasks/tasks.json": json.dumps({"master": {"tasks": tasks}}, indent=2)}


def gsd(phase: int, first: int) -> dict[str, str]:
    found = {}
    for plan in range(1, 6):
        pkg = package(first + plan)
        found[f".planning/phases/{phase:02d}-phase/{phase:02d}-{plan:02d}-PLAN.md"] = (
            f"---\nphase: {phase:02d}-phase\nplan: {plan:02d}\ntype: execute\n"
            f"wave: {1 if plan < 5 else 2}\ndepends_on: []\nfiles_modified:\n"
            f'  - {pkg}/mod0.py\n  - {pkg}/mod3.py\n---\n\n<tasks>\n<task type="auto">\n'
            f"  <name>Task 1</name>\n  <files>{pkg}/mod0.py</files>\n  <action>Do.</action>\n"
            "</task>\n</tasks>\n"
        )
    return found


def plans(units: int) -> dict[str, str]:
    """About `units` units, spread over the six formats (5 units per plan folder)."""
    found: dict[str, str] = {}
    per_format = max(5, units // len(FORMATS))
    folders = max(1, per_format // 5)
    first = 0
    for number in range(folders):
        for build in (speckit, kiro, ccpm, gsd):
            found.update(build(number + 1, first))
            first += 6
    for number in range(per_format):
        found.update(openspec(number + 1, first))
        first += 1
    found.update(taskmaster(per_format, first))
    return found


ONE_SPEC = (
    "---\nid: 1\ntitle: One task\nfiles:\n  - src/pkg000/mod0.py\n  - src/pkg000/mod1.py\n---\n"
)


def build(root: Path, files: int, extra: dict[str, str]) -> None:
    env = bench_env(root)
    subprocess.run(["git", "init", "-q", "-b", "main", str(root)], check=True, env=env)
    for path in tracked(files):
        target = root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text("x\n")
    for path, text in extra.items():
        target = root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
    subprocess.run(["git", "add", "-A"], cwd=root, check=True, env=env)
    subprocess.run(["git", "commit", "-q", "-m", "base"], cwd=root, check=True, env=env)


def stage_a_plan_edit(root: Path, path: str | None = None) -> str:
    """Stage an added task line in a plan file (the first spec-kit tasks.md), or in `path`."""
    if path is None:
        path = sorted(p.relative_to(root).as_posix() for p in root.glob("specs/*/tasks.md"))[0]
    with open(root / path, "a", encoding="utf-8") as handle:
        handle.write("- [ ] T999 [P] A task added in the staged edit\n")
    subprocess.run(["git", "add", path], cwd=root, check=True, env=bench_env(root))
    return path


def run(root: Path, *args: str) -> float:
    env = bench_env(root)
    env["PYTHONPATH"] = os.pathsep.join(
        filter(None, [str(Path(__file__).resolve().parent.parent), env.get("PYTHONPATH")])
    )
    start = time.perf_counter()
    result = subprocess.run([*plan_command(), *args], cwd=root, env=env, capture_output=True)
    took = time.perf_counter() - start
    if result.returncode not in (0, 1):
        raise SystemExit(f"{' '.join(args[:2])} failed: {result.stderr.decode()[:500]}")
    return took


def unit_ids(root: Path) -> list[str]:
    env = bench_env(root)
    result = subprocess.run(
        [*plan_command(), "specs", "--json"], cwd=root, env=env, capture_output=True, check=True
    )
    return [entry["id"] for entry in json.loads(result.stdout)["specs"] if entry["format"]]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--files", type=int, default=2000, help="tracked files (2,000)")
    parser.add_argument("--units", type=int, default=100, help="plan units, about (100)")
    parser.add_argument("--repeat", type=int, default=5, help="runs per figure, median (5)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary repositories")
    parser.add_argument("--json", action="store_true", help="end with one line of JSON figures")
    args = parser.parse_args()

    top = Path(tempfile.mkdtemp(prefix="gitwt-bench-formats-", dir=scratch_dir()))
    try:
        many, one = top / "plans", top / "one-spec"
        build(many, args.files, plans(args.units))
        build(one, args.files, {"docs/SPEC-1-one.md": ONE_SPEC})
        ids = unit_ids(many)
        print(f"{len(ids)} units of {len(FORMATS)} formats over {args.files} files; 1 spec beside")
        staged = stage_a_plan_edit(many)
        stage_a_plan_edit(one, "docs/SPEC-1-one.md")
        figures: dict[str, list[float]] = {
            name: [] for name in ("specs", "specs_one", "plan", "plan_one", "claims", "claims_one")
        }
        for _ in range(args.repeat):  # interleaved: load that hits one run hits its pair
            figures["specs"].append(run(many, "specs", "--json"))
            figures["specs_one"].append(run(one, "specs", "--json"))
            figures["plan"].append(run(many, "plan", *ids, "--json"))
            figures["plan_one"].append(run(one, "plan", "1", "--json"))
            figures["claims"].append(run(many, "check", "--claims", "--staged", staged))
            figures["claims_one"].append(
                run(one, "check", "--claims", "--staged", "docs/SPEC-1-one.md")
            )
        medians = {name: statistics.median(runs) * 1000 for name, runs in figures.items()}
        for name in ("specs", "plan"):
            ratio = medians[name] / medians[f"{name}_one"]
            verdict = "ok" if ratio <= BUDGET else "OVER"
            print(
                f"  {name} --json: {medians[name]:.0f} ms over {len(ids)} units, "
                f"{medians[name + '_one']:.0f} ms over one spec: {ratio:.2f}× "
                f"(≤ {BUDGET:g}×: {verdict})"
            )
        claims = medians["claims"] / medians["claims_one"]
        print(
            f"  check --claims --staged {staged}: {medians['claims']:.0f} ms, "
            f"{medians['claims_one']:.0f} ms with no plan staged: {claims:.2f}× (hooks: ≤ 1.25×)"
        )
        if args.json:
            print(json.dumps({"units": len(ids), "files": args.files, "ms": medians}))
    finally:
        if args.keep:
            print(f"kept {top}")
        else:
            shutil.rmtree(top, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
