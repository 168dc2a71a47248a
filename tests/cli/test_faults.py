"""Faults: SIGKILL at every crash point of `start`, `claim`, `merge` and `clean` (DESIGN §7).

Each case builds a repository with real work in flight (commits, uncommitted changes and
untracked files in task worktrees and in the main checkout), runs one command with
GIT_PARALLEL_FAILPOINT naming one point, and checks after the crash and after a rerun:
`git fsck` is clean, base is the old or the new commit, no file or commit is lost (it is where it
was or in a salvage ref), `status --json` explains every task with a documented state, and the
same command run again finishes the job.
"""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from gitwt.infra import failpoints
from tests.conftest import Repo, git
from tests.services.tasks.test_supervisor import UNGATED, record, wait_until

DOCUMENTED_STATES = {
    "queued",
    "running",
    "succeeded",
    "failed",
    "stopped",
    "lost",
    "open",
    "merged",
    "conflicted",
    "rejected",
    "cleaned",
}
COMMIT_ID = "sh -c 'echo {id} > {id}.txt && git add {id}.txt && git commit -qm task-{id}'"


@dataclass
class World:
    repo: Repo
    old_base: str
    files: list[tuple[Path, str, str]] = field(default_factory=list)  # (worktree, path, text)
    commits: list[str] = field(default_factory=list)  # must stay reachable from some ref

    def worktree(self, task_id: str) -> Path:
        return self.repo.path.parent / f"repo-wt{task_id}"

    def keep(self, worktree: Path, relative: str, text: str) -> None:
        """Write a file that is not committed and must survive."""
        target = worktree / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
        self.files.append((worktree, relative, text))

    def commit(self, worktree: Path, relative: str, text: str) -> str:
        target = worktree / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
        git(worktree, "add", relative)
        git(worktree, "commit", "-q", "-m", f"work on {relative}")
        oid = git(worktree, "rev-parse", "HEAD").strip()
        self.commits.append(oid)
        return oid

    def base(self) -> str:
        return self.repo.git("rev-parse", "refs/heads/main").strip()


def build(repo: Repo) -> World:
    """Specs 0, 1, 2 with separate folders; task 0 open with all kinds of work in flight;
    an untracked file in the main checkout."""
    for task_id, folder in (("0", "zero"), ("1", "one"), ("2", "two")):
        repo.write(f"{folder}/base.txt", f"{folder}\n")
        repo.spec(task_id, [f"{folder}/", f"{task_id}.txt"])
    repo.write("extra/e.txt", "extra\n")
    repo.write(".gitparallel.toml", UNGATED)
    repo.commit_all("specs")
    world = World(repo, repo.git("rev-parse", "HEAD").strip())
    assert repo.cli("start", "0").code == 0
    zero = world.worktree("0")
    world.commit(zero, "zero/committed.txt", "committed in 0\n")
    world.keep(zero, "zero/base.txt", "uncommitted in 0\n")
    world.keep(zero, "zero/untracked.txt", "untracked in 0\n")
    world.keep(repo.path, "main-notes.txt", "untracked in main\n")
    return world


def work_in_task(world: World, task_id: str, *, untracked: bool = True, dirty: bool = True) -> None:
    folder = {"1": "one", "2": "two"}[task_id]
    worktree = world.worktree(task_id)
    world.commit(worktree, f"{folder}/committed.txt", f"committed in {task_id}\n")
    if dirty:
        world.keep(worktree, f"{folder}/base.txt", f"uncommitted in {task_id}\n")
    if untracked:
        world.keep(worktree, f"{folder}/untracked.txt", f"untracked in {task_id}\n")


# --- the invariants --------------------------------------------------------------------------


def salvaged(repo: Repo, relative: str) -> list[str]:
    refs = repo.git("for-each-ref", "--format=%(refname)", "refs/parallel/salvage/").split()
    texts = []
    for ref in refs:
        shown = repo.git("show", f"{ref}:{relative}", check=False)
        if shown:
            texts.append(shown)
    return texts


def assert_nothing_lost(world: World) -> None:
    repo = world.repo
    for worktree, relative, text in world.files:
        path = worktree / relative
        here = path.read_text() if path.is_file() else None
        assert here == text or text in salvaged(repo, relative), (
            f"{relative} of {worktree.name} is lost (on disk: {here!r})"
        )
    for oid in world.commits:
        holders = repo.git("for-each-ref", "--contains", oid, "--format=%(refname)").split()
        assert holders, f"commit {oid} is reachable from no ref"


def assert_fsck_clean(repo: Repo) -> None:
    result = git(repo.path, "fsck", "--no-progress", "--no-dangling")
    assert not any(word in result for word in ("error", "missing", "broken")), result


def assert_status_explains(repo: Repo) -> list[dict]:
    result = repo.cli("status", "--json")
    assert result.code == 0, result.err
    tasks = result.json()["tasks"]
    for task in tasks:
        assert task["state"] in DOCUMENTED_STATES, task
    return tasks


def assert_consistent(world: World, new_base_ok) -> None:
    assert_fsck_clean(world.repo)
    base = world.base()
    assert base == world.old_base or new_base_ok(base), f"base is neither old nor new: {base}"
    assert_nothing_lost(world)
    assert_status_explains(world.repo)


def states(repo: Repo, *ids: str) -> dict[str, str]:
    result = repo.cli("status", *ids, "--json", "--no-forecast")
    assert result.code == 0, result.err
    return {task["id"]: task["state"] for task in result.json()["tasks"]}


def only_old(_base: str) -> bool:
    return False


def is_ancestor(repo: Repo, ancestor: str, descendant: str) -> bool:
    result = subprocess.run(
        ["git", "merge-base", "--is-ancestor", ancestor, descendant], cwd=repo.path, check=False
    )
    return result.returncode == 0


# --- the scenarios ---------------------------------------------------------------------------


def run_start(
    repo: Repo, world: World, point: str | None, sparse: bool, after: str | None = None
) -> None:
    args = ["start", "1", "2", "--run", COMMIT_ID, *(["--sparse"] if sparse else [])]
    env = {failpoints.VARIABLE: point} if point else None
    result = repo.cli(*args, env=env)
    if point:
        assert result.code == -9, result.out + result.err
        assert_consistent(world, only_old)
        return
    if after == "start:running" and result.code == 2:
        # Killed after the last step of task 1: task 1's shim, when its command ended, started
        # task 2 in its scheduling step. Nothing is left to finish, and start never starts a
        # task twice; it says so and names the command that shows it.
        assert "already started" in result.err and "git parallel status" in result.err
    else:
        assert result.code == 0, result.out + result.err
    wait_until(lambda: states(repo, "1", "2") == {"1": "succeeded", "2": "succeeded"})
    assert_consistent(world, only_old)
    for task_id in ("1", "2"):
        saved = record(repo, task_id)
        assert saved["base_oid"] == world.old_base
        assert repo.git("show", f"parallel/{task_id}:{task_id}.txt") == f"{task_id}\n"
        assert repo.git("rev-parse", f"parallel/{task_id}~1").strip() == world.old_base
        listing = repo.git("worktree", "list", "--porcelain")
        assert f"locked git parallel {task_id}\n" in listing
        git_dir = git(world.worktree(task_id), "rev-parse", "--absolute-git-dir").strip()
        rules = json.loads((Path(git_dir) / "parallel-rules.json").read_text())
        assert rules["task"] == task_id
        hooks = git(world.worktree(task_id), "config", "--worktree", "core.hooksPath").strip()
        assert Path(hooks).is_dir()
        if sparse:
            assert not (world.worktree(task_id) / "zero").exists()
            assert (world.worktree(task_id) / "README.md").exists()
        assert git(world.worktree(task_id), "status", "--porcelain") == ""
    assert states(repo, "0") == {"0": "open"}


def run_claim(repo: Repo, world: World, point: str | None) -> None:
    env = {failpoints.VARIABLE: point} if point else None
    result = repo.cli("claim", "1", "extra/", env=env)
    if point:
        assert result.code == -9, result.out + result.err
        assert_consistent(world, only_old)
        return
    assert result.code == 0, result.out + result.err
    assert_consistent(world, only_old)
    saved = record(repo, "1")
    assert [claim["paths"] for claim in saved["claims"]] == [["extra/"]]
    git_dir = git(world.worktree("1"), "rev-parse", "--absolute-git-dir").strip()
    rules = json.loads((Path(git_dir) / "parallel-rules.json").read_text())
    assert "extra/" in [entry["pattern"] for entry in rules["declared"]]
    assert (world.worktree("1") / "extra/e.txt").read_text() == "extra\n", "sparse not widened"
    assert not (world.worktree("1") / "two").exists()
    events = (repo.path / ".git/parallel/events.jsonl").read_text().splitlines()
    assert sum(json.loads(line)["event"] == "claimed" for line in events) <= 1


def run_merge(repo: Repo, world: World, point: str | None, tips: list[str]) -> None:
    def landed(base: str) -> bool:
        return all(is_ancestor(repo, tip, base) for tip in tips)

    env = {failpoints.VARIABLE: point} if point else None
    result = repo.cli("merge", "1", "2", env=env)
    if point:
        assert result.code == -9, result.out + result.err
        assert_consistent(world, landed)
        return
    assert result.code == 0, result.out + result.err
    assert_consistent(world, landed)
    assert world.base() != world.old_base
    assert states(repo, "1") == {"1": "merged"}
    assert record(repo, "2")["state"] == "merged"
    assert repo.git("show", "main:one/committed.txt") == "committed in 1\n"
    assert repo.git("show", "main:two/committed.txt") == "committed in 2\n"
    assert world.worktree("1").is_dir(), "its untracked file keeps the worktree"
    assert not world.worktree("2").exists()
    assert repo.git("branch", "--list", "parallel/2") == ""
    assert repo.git("log", "--merges", "--format=%s").count("Merge task 1") == 1
    assert repo.git("log", "--merges", "--format=%s").count("Merge task 2") == 1
    assert git(repo.path, "status", "--porcelain", "--untracked-files=no") == ""


def run_clean(repo: Repo, world: World, point: str | None) -> None:
    env = {failpoints.VARIABLE: point} if point else None
    result = repo.cli("clean", "1", "--force", env=env)
    if point:
        assert result.code == -9, result.out + result.err
        assert_consistent(world, only_old)
        return
    assert result.code == 0, result.out + result.err
    assert_consistent(world, only_old)
    assert record(repo, "1")["state"] == "cleaned"
    assert not world.worktree("1").exists()
    assert repo.git("branch", "--list", "parallel/1") == ""
    assert "repo-wt1" not in repo.git("worktree", "list")
    assert salvaged(repo, "one/untracked.txt"), "the salvage ref holds the worktree"


START = [point for point in failpoints.POINTS if point.startswith("start:")]
SPARSE_MATTERS = ("start:worktree-added", "start:sparse-set", "start:rules-saved")
CASES = [
    *[
        pytest.param(point, False, id=point)
        for point in START
        if point != "start:sparse-set"  # only --sparse passes it
    ],
    *[pytest.param(point, True, id=f"{point}-sparse") for point in SPARSE_MATTERS],
    *[
        pytest.param(point, None, id=point)
        for point in failpoints.POINTS
        if not point.startswith("start:")
    ],
]
COVERED = sorted({case.values[0] for case in CASES})


@pytest.mark.parametrize(("point", "sparse"), CASES)
@pytest.mark.slow
def test_crash_then_rerun_finishes(repo: Repo, point: str, sparse: bool | None) -> None:
    world = build(repo)
    command = point.split(":")[0]
    if command == "start":
        run_start(repo, world, point, bool(sparse))
        run_start(repo, world, None, bool(sparse), after=point)
    elif command == "claim":
        assert repo.cli("start", "1", "--sparse").code == 0
        work_in_task(world, "1")
        run_claim(repo, world, point)
        run_claim(repo, world, None)
    elif command == "merge":
        assert repo.cli("start", "1", "2").code == 0
        work_in_task(world, "1", dirty=False)
        work_in_task(world, "2", dirty=False, untracked=False)
        tips = [world.commits[-2], world.commits[-1]]
        run_merge(repo, world, point, tips)
        run_merge(repo, world, None, tips)
    elif command == "clean":
        assert repo.cli("start", "1").code == 0
        work_in_task(world, "1")
        run_clean(repo, world, point)
        run_clean(repo, world, None)
    else:
        raise AssertionError(f"no scenario for {point}")


@pytest.mark.parametrize("count", [len(COVERED)], ids=[f"{len(COVERED)}-crash-points-covered"])
def test_every_crash_point_is_covered(count: int) -> None:
    assert len(set(failpoints.POINTS)) == len(failpoints.POINTS), "duplicate point names"
    assert len(failpoints.POINTS) >= count
    assert sorted(failpoints.POINTS) == COVERED, (
        f"{count} of {len(failpoints.POINTS)} crash points covered; "
        f"missing {sorted(set(failpoints.POINTS) - set(COVERED))}"
    )
