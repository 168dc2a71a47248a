"""Count the git processes a command runs, from git's own trace2 event log.

    env = traced_environment(log)      # GIT_TRACE2_EVENT=<log> on top of os.environ
    subprocess.run([...], env=env)
    counts = git_processes(log)        # Counter: {"worktree add": 10, "rev-parse": 3, ...}

git appends one `start` event per process to the file named by GIT_TRACE2_EVENT, from every
process that inherits it. Only the processes a command runs itself are counted: a child that git
spawns (the `reset --hard` inside `worktree add`, a hook) carries its parent's session id before
a `/`, and is git's work, not ours. Used by bench/ (the budgets' git-process counts) and by the
tests that bound how many git processes a command runs; no timing is involved.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from pathlib import Path

# The first argument that names the work, for the subcommands whose cost depends on it.
_WITH_SUBCOMMAND = {"worktree", "sparse-checkout", "config", "merge-base", "stash", "hook"}


def traced_environment(log: Path, base: dict[str, str] | None = None) -> dict[str, str]:
    """`base` (os.environ by default) with git's trace2 event log going to `log`."""
    env = dict(os.environ if base is None else base)
    env["GIT_TRACE2_EVENT"] = str(log)
    env.pop("GIT_TRACE2_PARENT_SID", None)
    return env


def git_processes(log: Path) -> Counter[str]:
    """How many git processes of each kind ran, top-level ones only (see the module's text)."""
    counts: Counter[str] = Counter()
    if not log.exists():
        return counts
    for line in log.read_text(errors="replace").splitlines():
        event = json.loads(line)
        if event.get("event") != "start" or "/" in event.get("sid", ""):
            continue
        argv = list(event["argv"][1:])
        while argv and argv[0].startswith("-"):  # git -C dir, --no-pager, ...
            argv = argv[2:] if argv[0] in ("-C", "-c") else argv[1:]
        name = argv[0] if argv else "git"
        if name in _WITH_SUBCOMMAND and len(argv) > 1 and not argv[1].startswith("-"):
            name += " " + argv[1]
        counts[name] += 1
    return counts


def total(counts: Counter[str]) -> int:
    return sum(counts.values())
