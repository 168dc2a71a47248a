"""Hostile agents (issue 9): each attack through the real CLI and real git, and what stops it."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from gitwt.hook import hook_modes
from gitwt.infra import failpoints
from tests.conftest import Repo, git


def start_open(repo: Repo, task_id: str, files: list[str]) -> Path:
    """Declare a task, commit its spec on main, start it without a command; its worktree."""
    repo.spec(task_id, files)
    repo.commit_all(f"spec {task_id}")
    result = repo.cli("start", task_id)
    assert result.code == 0, result.err
    record = next(t for t in repo.cli("status", "--json").json()["tasks"] if t["id"] == task_id)
    return Path(record["worktree"])


# --- replace refs and grafts -----------------------------------------------------------------


def forge_base(worktree: Path, relative: str, text: str) -> tuple[str, str]:
    """`git replace <base> <fake>`, fake's tree holding an out-of-bounds change; (base, fake)."""
    base = git(worktree, "rev-parse", "HEAD").strip()
    (worktree / relative).write_text(text)
    git(worktree, "add", relative)
    tree = git(worktree, "write-tree").strip()
    parents = git(worktree, "rev-list", "--parents", "-n", "1", base).split()[1:]
    args = [arg for parent in parents for arg in ("-p", parent)]
    fake = git(worktree, "commit-tree", tree, *args, "-m", "looks like base").strip()
    git(worktree, "reset", "-q", "--hard", base)
    git(worktree, "replace", base, fake)
    git(worktree, "reset", "-q", "--hard", "HEAD")  # the index now holds the fake tree
    return base, fake


@pytest.mark.slow
def test_a_replace_ref_on_base_cannot_smuggle_a_change_past_merge(repo: Repo) -> None:
    repo.write("src/a.py", "a = 1\n")
    repo.write("src/b.py", "b = 1\n")
    repo.commit_all("sources")
    worktree = start_open(repo, "1", ["src/a.py"])
    base, _fake = forge_base(worktree, "src/b.py", "b = 'not yours'\n")
    (worktree / "src/a.py").write_text("a = 2\n")
    git(worktree, "commit", "-q", "--no-verify", "-am", "in bounds, it seems")
    # Through the replaced objects the task changes only its own file:
    assert git(worktree, "diff", "--name-only", base, "HEAD") == "src/a.py\n"
    before = repo.git("rev-parse", "main").strip()
    status = next(t for t in repo.cli("status", "--json").json()["tasks"] if t["id"] == "1")
    assert {v["path"] for v in status["violations"]} >= {"src/b.py", f"refs/replace/{base}"}

    result = repo.cli("merge", "1", "--json")

    assert result.code == 1, result.err + result.out
    task = result.json()["results"][0]
    assert task["result"] == "rejected"
    assert "src/b.py" in task["paths"]
    replaced = [v for v in task["violations"] if v["kind"] == "replace-ref"]
    assert [v["path"] for v in replaced] == [f"refs/replace/{base}"]
    assert repo.git("rev-parse", "main").strip() == before
    assert repo.git("--no-replace-objects", "show", "main:src/b.py") == "b = 1\n"
    text = repo.cli("merge", "1")
    assert f"refs/replace/{base}" in text.out and "git replace -d" in text.out


def test_the_commit_hook_sees_through_a_replaced_head(repo: Repo) -> None:
    repo.write("src/a.py", "a = 1\n")
    repo.write("src/b.py", "b = 1\n")
    repo.commit_all("sources")
    worktree = start_open(repo, "1", ["src/a.py"])
    forge_base(worktree, "src/b.py", "b = 'not yours'\n")
    (worktree / "src/a.py").write_text("a = 2\n")
    git(worktree, "add", "src/a.py")

    refused = git(worktree, "commit", "-q", "-m", "in bounds, it seems", check=False)

    assert git(worktree, "rev-list", "--count", "HEAD", "^main") == "0\n", refused


@pytest.mark.slow
def test_a_graft_cannot_hide_commits_from_the_merge_audit(repo: Repo) -> None:
    repo.write("src/a.py", "a = 1\n")
    repo.write("src/b.py", "b = 1\n")
    repo.commit_all("sources")
    worktree = start_open(repo, "1", ["src/a.py"])
    base = git(worktree, "rev-parse", "HEAD").strip()
    (worktree / "src/b.py").write_text("b = 'not yours'\n")
    git(worktree, "commit", "-q", "--no-verify", "-am", "out of bounds")
    smuggled = git(worktree, "rev-parse", "HEAD").strip()
    (worktree / "src/a.py").write_text("a = 2\n")
    git(worktree, "commit", "-q", "--no-verify", "-am", "in bounds")
    tip = git(worktree, "rev-parse", "HEAD").strip()
    # The graft makes the tip's parent the base: the smuggling commit vanishes from history.
    grafts = Path(git(worktree, "rev-parse", "--git-common-dir").strip()) / "info" / "grafts"
    if not grafts.is_absolute():
        grafts = worktree / grafts
    grafts.parent.mkdir(exist_ok=True)
    grafts.write_text(f"{tip} {base}\n")
    assert smuggled not in git(worktree, "rev-list", "HEAD")
    before = repo.git("rev-parse", "main").strip()

    result = repo.cli("merge", "1", "--json")

    assert result.code == 1, result.err + result.out
    task = result.json()["results"][0]
    assert task["result"] == "rejected"
    assert smuggled in {v["commit"] for v in task["violations"]}
    assert repo.git("rev-parse", "main").strip() == before


# --- internal errors -------------------------------------------------------------------------


def crash_line(stderr: str) -> Path:
    """The one error line of an internal error, and the saved traceback it names."""
    lines = stderr.splitlines()
    assert "Traceback" not in stderr, stderr
    error = next(line for line in lines if line.startswith("git parallel: error:"))
    assert error.startswith("git parallel: error: internal error: InjectedFault: failpoint ")
    assert lines[lines.index(error) + 1].startswith("hint: "), stderr
    saved = Path(error.split("(traceback saved in ", 1)[1].removesuffix(")"))
    text = saved.read_text()
    assert "Traceback (most recent call last)" in text and "InjectedFault" in text
    return saved


@pytest.mark.slow
def test_an_unexpected_exception_in_a_command_exits_3_with_the_traceback_saved(
    repo: Repo,
) -> None:
    repo.write("src/a.py", "a = 1\n")
    repo.commit_all("sources")
    worktree = start_open(repo, "1", ["src/a.py"])
    (worktree / "src/a.py").write_text("a = 2\n")
    git(worktree, "commit", "-q", "-am", "work")
    before = repo.git("rev-parse", "main").strip()

    crashed = repo.cli("merge", "1", env={failpoints.RAISE_VARIABLE: "merge:candidate"})

    assert crashed.code == 3, crashed.err
    saved = crash_line(crashed.err)
    assert saved.parent == repo.path / ".git" / "parallel" / "crash"
    assert repo.git("rev-parse", "main").strip() == before
    merged = repo.cli("merge", "1")  # the lock was released, the state is usable
    assert merged.code == 0, merged.err + merged.out


@pytest.mark.slow
def test_a_crash_report_goes_to_a_temporary_folder_when_the_state_folder_refuses_it(
    repo: Repo, tmp_path: Path
) -> None:
    worktree = start_open(repo, "1", ["src/a.py"])
    (worktree / "src/a.py").parent.mkdir(exist_ok=True)
    (worktree / "src/a.py").write_text("a = 2\n")
    git(worktree, "add", "-A")
    git(worktree, "commit", "-q", "-m", "work")
    (repo.path / ".git" / "parallel" / "crash").write_text("not a folder\n")
    temporary = tmp_path / "tmp"
    temporary.mkdir()

    crashed = repo.cli(
        "merge", "1", env={failpoints.RAISE_VARIABLE: "merge:candidate", "TMPDIR": str(temporary)}
    )

    assert crashed.code == 3, crashed.err
    assert crash_line(crashed.err).parent.parent == temporary


@pytest.mark.slow
def test_an_unexpected_exception_in_the_commit_hook_blocks_the_commit_in_one_line(
    repo: Repo,
) -> None:
    worktree = start_open(repo, "1", ["src/a.py"])
    (worktree / "src").mkdir()
    (worktree / "src/a.py").write_text("a = 2\n")
    git(worktree, "add", "-A")
    env = {**os.environ, failpoints.RAISE_VARIABLE: "hook:check"}

    commit = subprocess.run(
        ["git", "commit", "-q", "-m", "work"],
        cwd=worktree,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )

    assert commit.returncode != 0
    assert crash_line(commit.stderr).parent == repo.path / ".git" / "parallel" / "crash"
    assert git(worktree, "rev-list", "--count", "HEAD", "^main") == "0\n"


def test_the_hook_names_the_raising_failpoint_variable_of_failpoints() -> None:
    assert hook_modes.RAISE_FAILPOINT == failpoints.RAISE_VARIABLE
    assert "hook:check" in failpoints.RAISE_ONLY_POINTS


# --- nested repositories and clean --force ---------------------------------------------------


def nested_repository(worktree: Path) -> dict[str, str]:
    """An agent's `git init` inside its worktree: two branches, an uncommitted file, and a
    second nested repository (inside the first) with no commit at all."""
    nested = worktree / "vendor" / "lib"
    nested.mkdir(parents=True)
    git(nested, "init", "-q", "-b", "main")
    (nested / "kept.txt").write_text("committed in the nested repository\n")
    git(nested, "add", "kept.txt")
    git(nested, "commit", "-q", "-m", "nested work")
    head = git(nested, "rev-parse", "HEAD").strip()
    git(nested, "switch", "-q", "-c", "side")
    (nested / "side.txt").write_text("on a side branch\n")
    git(nested, "add", "side.txt")
    git(nested, "commit", "-q", "-m", "side work")
    side = git(nested, "rev-parse", "HEAD").strip()
    git(nested, "switch", "-q", "main")
    (nested / "draft.txt").write_text("never committed\n")
    inner = nested / "inner"
    inner.mkdir()
    git(inner, "init", "-q")
    (inner / "note.txt").write_text("in a repository with no commit\n")
    return {"head": head, "side": side}


@pytest.mark.slow
def test_clean_force_keeps_a_nested_repositorys_commits_and_files(
    repo: Repo, tmp_path: Path
) -> None:
    worktree = start_open(repo, "1", ["vendor/**"])
    commits = nested_repository(worktree)
    refused = repo.cli("clean", "1")
    assert refused.code == 1 and worktree.exists(), refused.err

    cleaned = repo.cli("clean", "1", "--force", "--json")

    assert cleaned.code == 0, cleaned.err + cleaned.out
    removal = cleaned.json()["tasks"][0]["removal"]
    assert not worktree.exists()
    ref = removal["salvage_ref"]
    assert repo.git("for-each-ref", "--format=%(refname)", "refs/parallel/salvage/1/") == ref + "\n"
    # The files, committed or not, of both nested repositories are in the salvage tree:
    assert repo.git("show", f"{ref}:vendor/lib/draft.txt") == "never committed\n"
    assert repo.git("show", f"{ref}:vendor/lib/kept.txt") == "committed in the nested repository\n"
    inner = repo.git("show", f"{ref}:vendor/lib/inner/note.txt")
    assert inner == "in a repository with no commit\n"
    # The nested commits (both branches) are in this repository and reachable from the ref:
    for commit in commits.values():
        assert repo.git("merge-base", "--is-ancestor", commit, ref, check=False) == ""
    # and the nested repository comes back the way the report says:
    note = next(note for note in removal["notes"] if "vendor/lib" in note and "history" in note)
    history = note.split("history at ", 1)[1].split()[0].rstrip(";,)")
    restored = tmp_path / "restored"
    git(tmp_path, "init", "-q", str(restored))
    git(restored, "fetch", "-q", str(repo.path), repo.git("rev-parse", history).strip())
    assert git(restored, "show", f"{commits['side']}:side.txt") == "on a side branch\n"
    assert git(restored, "log", "--format=%s", commits["head"]) == "nested work\n"


@pytest.mark.slow
def test_clean_force_refuses_a_nested_repository_it_cannot_salvage(repo: Repo) -> None:
    worktree = start_open(repo, "1", ["vendor/**"])
    nested = worktree / "vendor" / "lib"
    nested.mkdir(parents=True)
    git(nested, "init", "-q")
    (nested / "kept.txt").write_text("committed\n")
    git(nested, "add", "kept.txt")
    git(nested, "commit", "-q", "-m", "nested work")
    head = git(nested, "rev-parse", "HEAD").strip()
    (nested / ".git" / "objects" / head[:2] / head[2:]).unlink()  # its history is damaged

    refused = repo.cli("clean", "1", "--force")

    assert refused.code == 1, refused.err + refused.out
    assert "cannot salvage the nested repository vendor/lib" in refused.err
    assert (nested / "kept.txt").read_text() == "committed\n"
    assert repo.git("for-each-ref", "refs/parallel/salvage/") == ""
    assert repo.git("branch", "--list", "parallel/1") != ""


# --- file names that are not UTF-8 -----------------------------------------------------------

ODD = os.fsdecode(b"app/\xff\xfe.py")  # the str Python and gitwt make of those bytes
SHOWN = '"app/\\377\\376.py"'  # how git (core.quotePath) and gitwt's text reports show it


def commit_odd_file(worktree: Path, *, verify: bool = False) -> subprocess.CompletedProcess[bytes]:
    (worktree / "app").mkdir(exist_ok=True)
    (worktree / ODD).write_bytes(b"x = 1\n")
    git(worktree, "add", "-A")
    return subprocess.run(
        ["git", "commit", "-q", "-m", "odd name", *([] if verify else ["--no-verify"])],
        cwd=worktree,
        capture_output=True,
        check=False,
    )


@pytest.mark.slow
def test_merge_rejects_a_non_utf8_path_and_state_stays_writable(repo: Repo) -> None:
    worktree = start_open(repo, "1", ["app/ok.py"])
    commit_odd_file(worktree)
    before = repo.git("rev-parse", "main").strip()

    result = repo.cli("merge", "1", "--json")

    assert result.code == 1, result.err + result.out
    task = result.json()["results"][0]
    assert task["result"] == "rejected"
    assert task["paths"] == [ODD]  # json.loads gives back the very str git's bytes decode to
    assert repo.git("rev-parse", "main").strip() == before
    status = repo.cli("status", "--json")
    assert status.code == 0, status.err
    assert next(t for t in status.json()["tasks"] if t["id"] == "1")["state"] == "rejected"
    text = repo.cli("merge", "1")
    assert text.code == 1 and SHOWN in text.out, text.err + text.out
    assert "Traceback" not in text.err + result.err


@pytest.mark.slow
def test_the_commit_hooks_refuse_and_record_a_non_utf8_path(repo: Repo) -> None:
    worktree = start_open(repo, "1", ["app/ok.py"])

    refused = commit_odd_file(worktree, verify=True)

    assert refused.returncode == 1
    assert SHOWN.encode() in refused.stderr
    skipped = commit_odd_file(worktree)  # --no-verify: post-commit records it
    assert skipped.returncode == 0
    assert b"could not record" not in skipped.stderr
    status = repo.cli("status", "--json")
    task = next(t for t in status.json()["tasks"] if t["id"] == "1")
    assert [v["path"] for v in task["violations"]] == [ODD]


@pytest.mark.slow
def test_claim_takes_or_refuses_a_non_utf8_path_like_any_other(repo: Repo) -> None:
    start_open(repo, "1", ["lib/one.py"])
    other = start_open(repo, "2", ["app/**"])
    refused = repo.cli("claim", "1", ODD)
    assert refused.code == 1, refused.err
    assert SHOWN in refused.err and "Traceback" not in refused.err
    odd_free = os.fsdecode(b"lib/\xff\xfe.py")
    taken = repo.cli("claim", "1", odd_free)
    assert taken.code == 0, taken.err
    worktree = Path(
        next(t for t in repo.cli("status", "--json").json()["tasks"] if t["id"] == "1")["worktree"]
    )
    (worktree / "lib").mkdir(exist_ok=True)
    (worktree / odd_free).write_bytes(b"y = 1\n")
    git(worktree, "add", "-A")
    assert subprocess.run(["git", "commit", "-qm", "claimed"], cwd=worktree).returncode == 0
    merged = repo.cli("merge", "1")
    assert merged.code == 0, merged.err + merged.out
    assert (repo.path / odd_free).read_bytes() == b"y = 1\n"
    assert other.exists()
