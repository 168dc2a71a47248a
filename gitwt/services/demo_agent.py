"""The demo's scripted agent: edits its task's declared files and commits, one by one.

Run by `git parallel demo` as a task command inside a task worktree. With --stray PATH it first
tries to commit a file outside its declaration, to show the commit hook refusing it.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

from gitwt.hook.rules_file import load_rules
from gitwt.infra import git


def say(task_id: str, text: str) -> None:
    print(f"[agent {task_id}] {text}", flush=True)


def commit(paths: list[str], message: str) -> tuple[bool, str]:
    git.run(["add", "--", *paths])
    result = git.run(["commit", "-q", "-m", message], check=False)
    return result.returncode == 0, (result.stderr + result.stdout).decode(errors="replace")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m gitwt.services.demo_agent")
    parser.add_argument("task_id")
    parser.add_argument("--stray", help="first try to commit this undeclared path")
    parser.add_argument("--pause", type=float, default=0.4, help="seconds between commits")
    args = parser.parse_args(argv)
    git_dir = git.out(["rev-parse", "--path-format=absolute", "--git-dir"])
    rules = load_rules(git_dir)
    if rules is None or not rules.declared:
        say(args.task_id, "no task rules in this worktree; is it a task worktree?")
        return 2
    if args.stray:
        say(
            args.task_id,
            f"trying to change {args.stray}, which task {args.task_id} did not declare...",
        )
        with open(args.stray, "a", encoding="utf-8") as handle:
            handle.write(f"edited by task {args.task_id}\n")
        ok, output = commit([args.stray], f"task {args.task_id}: touch {args.stray}")
        if ok:
            say(args.task_id, "the commit went through (no hook installed?)")
            return 1
        first = next((line for line in output.splitlines() if line.strip()), "")
        say(args.task_id, f"refused by the commit hook: {first.strip()}")
        git.run(["restore", "--staged", "--", args.stray])
        git.run(["restore", "--", args.stray])
        say(args.task_id, f"reverted {args.stray}; back to the declared files")
    for pattern in rules.declared:
        if any(char in pattern for char in "*?") or pattern.endswith("/"):
            continue
        directory = os.path.dirname(pattern)
        if directory:
            os.makedirs(directory, exist_ok=True)
        time.sleep(args.pause)
        with open(pattern, "a", encoding="utf-8") as handle:
            handle.write(
                f"# work of task {args.task_id}\ndef task_{args.task_id.replace('-', '_')}"
                f"_{len(pattern)}():\n    return {len(pattern)}\n"
            )
        ok, output = commit([pattern], f"task {args.task_id}: update {pattern}")
        if not ok:
            say(args.task_id, f"commit of {pattern} failed: {output.strip()}")
            return 1
        say(args.task_id, f"committed {pattern}")
    say(args.task_id, "done")
    return 0


if __name__ == "__main__":
    sys.exit(main())
