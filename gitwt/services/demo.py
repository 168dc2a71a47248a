"""`git parallel demo`: the whole workflow in a scratch repository, with real git and processes.

Every step runs the real `git parallel` command as a separate process and prints it first, so
the demo doubles as a transcript a newcomer can replay by hand.
"""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from gitwt.core.display import shell_quote
from gitwt.errors import GitParallelError
from gitwt.services.json_reports import schema

if TYPE_CHECKING:
    from gitwt.services.json_reports import StatusJson

SPECS: dict[str, tuple[str, str, list[str], list[str]]] = {
    "101": ("Recipe catalogue", "@agent-a", ["app/recipes.py", "tests/test_recipes.py"], []),
    "102": ("Billing", "@agent-b", ["app/billing.py", "tests/test_billing.py"], []),
    "103": ("Recipe search", "@agent-a", ["app/recipes.py", "app/search.py"], []),
}
CODEOWNERS = "* @lead\n/app/ @agent-a @agent-b\n/tests/ @agent-a @agent-b\n"


def _environment() -> dict[str, str]:
    from gitwt.infra.processes import child_environment

    env = child_environment()
    env.setdefault("NO_COLOR", "1")
    return env


class Narrator:
    def __init__(self, repository: str) -> None:
        self.repository = repository
        self.step = 0

    def say(self, text: str) -> None:
        self.step += 1
        print(f"\n== {self.step}. {text}", flush=True)

    def run(
        self,
        words: Sequence[str],
        *,
        expect: Sequence[int] = (0,),
        show: bool = True,
        cwd: str | None = None,
    ) -> subprocess.CompletedProcess[str]:
        """Run `git parallel WORDS` (or plain git) as the user would, and show its output."""
        if words[0] == "git":
            argv, shown = list(words), shlex.join(words)
        else:
            argv = [sys.executable, "-m", "gitwt", *words]
            shown = "git parallel " + shlex.join(words)
        if show:
            print(f"$ {shown}", flush=True)
        if words[0] == "git":  # plain git goes through the one git runner
            from gitwt.infra import git as git_runner

            raw = git_runner.run(words[1:], cwd or self.repository, check=False)
            result = subprocess.CompletedProcess(
                argv, raw.returncode, raw.stdout.decode(errors="replace"), raw.stderr.decode()
            )
        else:
            result = subprocess.run(
                argv,
                cwd=cwd or self.repository,
                capture_output=True,
                text=True,
                env=_environment(),
                check=False,
            )
        if show:
            sys.stdout.write(result.stdout)
            sys.stdout.write(result.stderr)
            sys.stdout.flush()
        if result.returncode not in expect:
            raise GitParallelError(
                f"demo step '{shown}' exited {result.returncode}: "
                f"{(result.stderr or result.stdout).strip()[:300]}",
                "report this as a bug, with the scratch repository left in place",
            )
        return result

    def status(self) -> StatusJson:
        # The report of the command the demo just ran: typed once its schema is the one we know.
        report: StatusJson = json.loads(self.run(["status", "--json"], show=False).stdout)
        if not isinstance(report, dict) or report.get("schema") != schema("status"):
            raise GitParallelError(
                "demo step 'status --json' printed no status report",
                "report this as a bug, with the scratch repository left in place",
            )
        return report

    def wait_for(self, ids: Sequence[str], timeout: float = 120) -> StatusJson:
        """`git parallel wait IDS` (exit 1 is a task that failed: the demo shows it), then the
        status report for the figures the summary prints."""
        self.run(["wait", "--timeout", f"{timeout:.0f}", *ids], show=False, expect=(0, 1))
        data = self.status()
        states = {task["id"]: task["state"] for task in data["tasks"]}
        if any(states.get(task_id) in ("queued", "running") for task_id in ids):
            raise GitParallelError(
                f"demo tasks still running after {timeout:.0f}s: {states}",
                "inspect them with 'git parallel status' in the scratch repo",
            )
        return data


def _write(root: str, relative: str, text: str) -> None:
    path = os.path.join(root, relative)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(text)


def create_repository(root: str) -> None:
    def git(*args: str) -> None:
        from gitwt.infra import git as git_runner

        git_runner.run(args, root)

    git("init", "-q", "-b", "main")
    git("config", "user.name", "gitwt demo")
    git("config", "user.email", "demo@gitwt.invalid")
    git("config", "commit.gpgsign", "false")
    _write(root, "README.md", "# Coffee maker\n\nA scratch repository made by git parallel demo.\n")
    _write(root, ".github/CODEOWNERS", CODEOWNERS)
    _write(root, "app/__init__.py", "")
    _write(root, "app/recipes.py", "RECIPES = ['espresso']\n")
    _write(root, "app/billing.py", "PRICES = {'espresso': 2}\n")
    _write(root, "tests/test_smoke.py", "def test_smoke():\n    assert True\n")
    # The resource gate would hold the demo's tasks on a busy machine; the demo shows the rest.
    _write(root, ".gitparallel.toml", "max_instances = 2\ncpu_max = 100\nmemory_max = 100\n")
    for task_id, (title, owner, files, depends_on) in SPECS.items():
        lines = ["---", f"id: {task_id}", f"title: {title}", f"owner: '{owner}'", "files:"]
        lines += [f"  - {path}" for path in files]
        if depends_on:
            lines.append(f"depends_on: {depends_on}")
        lines += ["---", "", f"# {title}", ""]
        _write(
            root,
            f"docs/specs/SPEC-{task_id}-{title.lower().replace(' ', '-')}.md",
            "\n".join(lines),
        )
    git("add", "-A")
    git("commit", "-q", "-m", "Coffee maker: the starting point")


def _demo_folder(directory: str | None) -> str:
    """The new or empty folder (made here) that holds the demo repository and its worktrees."""
    if directory:
        folder = os.path.abspath(directory)
        if os.path.exists(folder) and os.listdir(folder):
            raise GitParallelError(
                f"{folder} is not empty", "name a new or empty folder for the demo"
            )
        os.makedirs(folder, exist_ok=True)
        return folder
    return tempfile.mkdtemp(prefix="git-parallel-demo-")


def _print_summary(speedup: Any, elapsed: float, root: str) -> None:
    print("\n== summary")
    print("  3 tasks, 2 run in parallel, 1 conflicting task held back until it was safe.")
    if speedup:
        print(
            f"  measured speedup of the parallel batch: {speedup:.2f}x "
            "(sum of task run times / wall time)"
        )
    print(f"  demo took {elapsed:.1f}s; scratch repository: {root}")
    print(f"  look around: cd {shell_quote(root)} && git parallel status")


def run_demo(directory: str | None) -> str:
    # The repository and its task worktrees (../coffee-maker-wt<id>) all live in one folder.
    root = os.path.join(_demo_folder(directory), "coffee-maker")
    os.makedirs(root)
    started = time.monotonic()
    print(f"git parallel demo: a scratch repository at {root}")
    print("(your current repository is not touched)")
    create_repository(root)
    show = Narrator(root)
    agent = f"{shell_quote(sys.executable)} -m gitwt.services.demo_agent {{id}}"

    show.say("Three task specs. Each declares the files it will touch and its owner.")
    show.run(["git", "ls-files", "docs", ".github"])
    show.say("Plan: which tasks can run together? 101 and 103 both declare app/recipes.py.")
    show.run(["plan", "101", "102", "103"], expect=(1,))

    show.say(
        "Start the independent pair, 101 and 102, each in its own worktree, with a "
        "scripted agent that edits its declared files and commits."
    )
    show.run(["start", "101", "--run", agent])
    show.run(["start", "102", "--run", agent + " --stray README.md"])
    time.sleep(0.5)
    show.say(
        "Status while the agents work (agent 102 first tries README.md, which it did not "
        "declare: the commit hook refuses it)."
    )
    show.run(["status"])
    batch = show.wait_for(["101", "102"])
    show.say("Both agents finished. Their logs:")
    for task_id in ("101", "102"):
        show.run(["logs", task_id])
    show.run(["status"])

    show.say(
        "Merge: audit every commit again, forecast conflicts in memory, then move main "
        "atomically. Worktrees and merged branches are cleaned up."
    )
    show.run(["merge"])

    show.say("Now 103 no longer conflicts with a running task: start it on the new main.")
    show.run(["plan", "103"])
    show.run(["start", "103", "--run", agent])
    show.wait_for(["103"])
    show.run(["merge", "103"])

    show.say("The history: every task arrived as its own merge commit.")
    show.run(["git", "log", "--graph", "--oneline", "--decorate", "main"])
    elapsed = time.monotonic() - started
    _print_summary(batch.get("speedup"), elapsed, root)
    return root
