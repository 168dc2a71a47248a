"""`status`: the JSON contract, commits and files, violations, the forecast and --watch."""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from tests.conftest import Repo, api_error, git
from tests.services.tasks.test_supervisor import UNGATED, record, status_of, wait_until


def start_open(repo: Repo, layout: dict[str, list[str]]) -> dict[str, Path]:
    for task_id, files in layout.items():
        repo.spec(task_id, files)
    repo.write(".gitparallel.toml", UNGATED)
    repo.commit_all("specs")
    result = repo.api.start(list(layout))
    assert result.ok, result.to_json()
    return {task_id: repo.path.parent / f"repo-wt{task_id}" for task_id in layout}


def commit_file(worktree: Path, name: str, text: str) -> None:
    (worktree / name).parent.mkdir(parents=True, exist_ok=True)
    (worktree / name).write_text(text)
    git(worktree, "add", "--", name)
    git(worktree, "commit", "-q", "--no-verify", "-m", f"edit {name}")


def test_status_json_has_the_documented_fields(repo: Repo) -> None:
    trees = start_open(repo, {"1": ["a.txt", "b.txt"]})
    commit_file(trees["1"], "a.txt", "a\n")
    commit_file(trees["1"], "b.txt", "b\n")
    data = repo.api.status().to_json()
    assert data["schema"] == "git-parallel/status/1"
    (task,) = data["tasks"]
    for key in (
        "id",
        "state",
        "branch",
        "worktree",
        "pid",
        "exit_code",
        "ahead",
        "files",
        "violations",
        "conflicts_with",
    ):
        assert key in task
    assert task["id"] == "1" and task["state"] == "open"
    assert task["branch"] == "parallel/1" and task["worktree"] == str(trees["1"])
    assert task["ahead"] == 2 and task["files"] == ["a.txt", "b.txt"]
    assert task["conflicts_with"] == {}
    assert {"tasks_cpu_percent", "tasks_rss_bytes", "memory_percent"} <= set(data["resources"])
    assert "speedup" in data


@pytest.mark.slow
def test_violations_recorded_by_the_hooks_are_shown(repo: Repo) -> None:
    trees = start_open(repo, {"1": ["a.txt"]})
    (trees["1"] / "z.txt").write_text("outside\n")
    git(trees["1"], "add", "z.txt")
    git(trees["1"], "commit", "-q", "--no-verify", "-m", "sneak")
    commit = git(trees["1"], "rev-parse", "HEAD").strip()
    task = status_of(repo, "1")
    assert [(v["path"], v["kind"], v["commit"]) for v in task["violations"]] == [
        ("z.txt", "undeclared", commit)
    ]
    text = repo.cli("status").out
    assert "1 boundary violation(s)" in text


@pytest.mark.slow
def test_forecast_finds_conflicts_between_tasks_and_with_base(repo: Repo) -> None:
    repo.write("shared.txt", "line\n")
    # Declarations are separate, but task 2 strays into shared.txt with --no-verify, as a
    # careless agent might: the forecast is where that shows before merge.
    trees = start_open(repo, {"1": ["shared.txt"], "2": ["other.txt"], "3": ["third.txt"]})
    commit_file(trees["1"], "shared.txt", "from task 1\n")
    commit_file(trees["2"], "shared.txt", "from task 2\n")
    commit_file(trees["3"], "third.txt", "independent\n")
    repo.write("third.txt", "base moved\n")
    repo.git("add", "third.txt")
    repo.git("commit", "-q", "--no-verify", "-m", "base edits third.txt")
    data = repo.api.status().to_json()
    tasks = {task["id"]: task for task in data["tasks"]}
    assert tasks["1"]["conflicts_with"] == {"2": ["shared.txt"]}
    assert tasks["2"]["conflicts_with"] == {"1": ["shared.txt"]}
    assert tasks["3"]["conflicts_with"] == {"base": ["third.txt"]}
    assert data["forecast"]["merges"] == 2, "only pairs that touch the same paths are merged"
    text = repo.cli("status").out
    assert "would conflict with 2: shared.txt" in text


def test_status_of_an_unknown_task_is_an_error(repo: Repo) -> None:
    error = api_error(repo.api.status, ["9"])
    assert error.exit_code == 2
    assert "task 9 has not been started" in error.message


def test_no_tasks(repo: Repo) -> None:
    assert repo.api.status().to_json()["tasks"] == []


@pytest.mark.slow
def test_speedup_is_run_time_over_wall_time(repo: Repo) -> None:
    for task_id in ("1", "2"):
        repo.spec(task_id, [f"{task_id}.txt"])
    repo.write(".gitparallel.toml", UNGATED)
    repo.commit_all("specs")
    gate = repo.path.parent / "gate"  # both commands end only once both have been seen running
    # Half a second of work after the gate: a speedup is measured from one second of run time.
    command = f"sh -c 'until [ -e \"{gate}\" ]; do sleep 0.05; done; sleep 0.5'"
    assert repo.api.start(["1", "2"], run=command).ok
    wait_until(lambda: {status_of(repo, key)["state"] for key in "12"} == {"running"})
    gate.write_text("")
    wait_until(lambda: {status_of(repo, key)["state"] for key in "12"} == {"succeeded"})
    speedup = repo.api.status().to_json()["speedup"]
    spans = [(record(repo, key)["started_at"], record(repo, key)["ended_at"]) for key in "12"]
    wall = max(end for _, end in spans) - min(start for start, _ in spans)
    assert speedup == round(sum(end - start for start, end in spans) / wall, 2)
    assert max(start for start, _ in spans) < min(end for _, end in spans)  # they overlapped
    assert 1.0 < speedup <= 2.0


def test_watch_redraws_until_interrupted(repo: Repo) -> None:
    start_open(repo, {"1": ["a.txt"]})
    process = subprocess.Popen(
        [sys.executable, "-m", "gitwt", "status", "--watch"],
        cwd=repo.path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ},
        text=True,
        # Ctrl-C at a terminal: SIGINT at its default. A suite started in the background by a
        # non-interactive shell inherits SIGINT ignored, and the watch would never see it.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    lines: queue.Queue[str] = queue.Queue()
    assert process.stdout is not None
    reader = threading.Thread(target=lambda: [lines.put(line) for line in process.stdout or ()])
    reader.start()
    try:
        # Wait on the condition (two frames drawn), never longer than a generous deadline:
        # a blocking readline could wait forever, and one frame can hold every keyword.
        deadline = time.monotonic() + 60
        seen = ""
        while seen.count("tasks:") < 2:
            seen += lines.get(timeout=max(0.0, deadline - time.monotonic()))
    finally:
        process.send_signal(signal.SIGINT)
        code = process.wait(timeout=60)
        reader.join()
    errors = process.stderr.read() if process.stderr else ""
    assert code in (0, 130) and "Traceback" not in errors, errors


def test_forecast_without_merge_tree_stdin_gives_the_same_answer(repo: Repo) -> None:
    """git before 2.40 has no `merge-tree --stdin`: one merge-tree per pair must agree."""
    from gitwt.services.merging import forecast as status_service

    repo.write("shared.txt", "base\n")
    repo.commit_all("shared")
    tips = []
    for name in ("left", "right", "other"):
        repo.git("checkout", "-q", "-b", name, "main")
        repo.write("shared.txt" if name != "other" else "other.txt", f"{name}\n")
        tips.append(repo.commit_all(name))
        repo.git("checkout", "-q", "main")
    pairs = [(tips[0], tips[1]), (tips[0], tips[2])]
    cwd = str(repo.path)
    try:
        status_service._stdin_support["stdin"] = False
        per_pair, method = status_service.forecast(pairs, cwd)
        assert "2 processes" in method
    finally:
        status_service._stdin_support.clear()
    assert per_pair == [["shared.txt"], []]
    if status_service.supports_stdin(cwd):
        batched, method = status_service.forecast(pairs, cwd)
        assert method.startswith("merge-tree --stdin")
        assert batched == per_pair


@pytest.mark.slow
def test_a_violation_no_longer_counts_once_its_commit_is_gone(repo: Repo) -> None:
    """--no-verify is recorded; amending the commit away clears it from status."""
    from tests.conftest import git

    repo.write("src/a.py", "a = 1\n")
    repo.spec("1", ["src/a.py"])
    repo.commit_all("spec")
    assert repo.api.start(["1"]).ok
    worktree = Path(repo.api.status().to_json()["tasks"][0]["worktree"])
    (worktree / "stray.txt").write_text("outside\n")
    git(worktree, "add", "stray.txt")
    git(worktree, "commit", "-q", "--no-verify", "-m", "sneak")
    [task] = repo.api.status().to_json()["tasks"]
    assert [v["path"] for v in task["violations"]] == ["stray.txt"]
    git(worktree, "reset", "-q", "--soft", "HEAD~1")
    git(worktree, "rm", "-q", "--cached", "stray.txt")
    (worktree / "src/a.py").write_text("a = 2\n")
    git(worktree, "add", "src/a.py")
    git(worktree, "commit", "-q", "-m", "in bounds now")
    [task] = repo.api.status().to_json()["tasks"]
    assert task["violations"] == []


def git_calls(trace: Path, command: str) -> int:
    """How many `git COMMAND` processes the traced run started (GIT_TRACE's built-in lines)."""
    if not trace.exists():
        return 0
    return sum(f"built-in: git {command} " in line for line in trace.read_text().splitlines())


@pytest.mark.slow
def test_a_commit_made_with_the_hooks_off_shows_at_once(repo: Repo, tmp_path: Path) -> None:
    """No hook recorded anything (core.hooksPath=/dev/null): status audits the branch itself,
    with the audit merge runs, in one diff-tree for every branch, cached by tip."""
    trees = start_open(repo, {"1": ["a.txt"], "2": ["b.txt"], "3": ["c.txt"]})
    for task_id, tree in trees.items():
        (tree / f"x{task_id}.txt").write_text("outside\n")
        git(tree, "add", "-A")
        git(tree, "-c", "core.hooksPath=/dev/null", "commit", "-q", "-m", "hooks off")
    state = repo.path / ".git" / "parallel" / "tasks" / "1.json"
    assert "violations" not in state.read_text() or '"violations": []' in state.read_text()
    trace = tmp_path / "trace"
    result = repo.cli("status", "--json", env={"GIT_TRACE": str(trace)})
    assert result.code == 0, result.err
    by_id = {task["id"]: task for task in result.json()["tasks"]}
    for task_id, tree in trees.items():
        [violation] = by_id[task_id]["violations"]
        assert violation["path"] == f"x{task_id}.txt" and violation["kind"] == "undeclared"
        assert violation["commit"] == git(tree, "rev-parse", "HEAD").strip()
    assert git_calls(trace, "diff-tree") == 1  # all three branches in one process
    assert repo.cli("status").out.count("1 boundary violation(s)") == 3  # one per task
    trace.unlink()
    again = repo.cli("status", "--json", env={"GIT_TRACE": str(trace)})
    assert [t["violations"] for t in again.json()["tasks"]] == [
        t["violations"] for t in result.json()["tasks"]
    ]
    # Judged again though no tip moved: the cache is a file an agent can edit (DESIGN §13),
    # so it is only compared with the new verdict, in the same one process.
    assert git_calls(trace, "diff-tree") == 1
    # Take the change out of branch 2: only that branch is audited again, and it is clean.
    git(trees["2"], "reset", "-q", "--hard", "HEAD~1")
    trace.unlink(missing_ok=True)
    third = {
        t["id"]: t
        for t in repo.cli("status", "--json", env={"GIT_TRACE": str(trace)}).json()["tasks"]
    }
    assert third["2"]["violations"] == [] and len(third["1"]["violations"]) == 1
    assert git_calls(trace, "diff-tree") == 1  # branch 1 alone: branch 2 has no commits left


def test_status_and_merge_agree_on_a_bypassed_commit(repo: Repo) -> None:
    trees = start_open(repo, {"1": ["a.txt"]})
    (trees["1"] / "a.txt").write_text("in bounds\n")
    (trees["1"] / "ops.sh").write_text("outside\n")
    git(trees["1"], "add", "-A")
    git(trees["1"], "-c", "core.hooksPath=/dev/null", "commit", "-q", "-m", "mixed")
    [task] = repo.api.status().to_json()["tasks"]
    assert [v["path"] for v in task["violations"]] == ["ops.sh"]
    merged = repo.api.merge(["1"], dry_run=True)
    assert not merged.ok
    [result] = merged.to_json()["results"]
    assert [v["path"] for v in result["violations"]] == ["ops.sh"]


def test_the_audit_cache_forgets_a_task_once_it_is_gone(repo: Repo) -> None:
    trees = start_open(repo, {"1": ["one.txt"], "2": ["two.txt"]})
    commit_file(trees["1"], "one.txt", "one\n")
    commit_file(trees["2"], "two.txt", "two\n")
    repo.api.status()
    cache_file = Path(repo.git("rev-parse", "--git-common-dir").strip())
    cache_file = (repo.path / cache_file / "parallel" / "audit-cache.json").resolve()
    assert set(json.loads(cache_file.read_text())["tasks"]) == {"1", "2"}
    assert repo.api.clean(["1"], force=True).ok
    commit_file(trees["2"], "two.txt", "two, again\n")  # a moved tip: the cache is written
    repo.api.status()
    assert set(json.loads(cache_file.read_text())["tasks"]) == {"2"}
