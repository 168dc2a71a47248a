"""Tampering with gitwt's own state (issue 20, class 1; DESIGN §13): an agent runs as the same
user and can rewrite every file under `.git`. Whatever it writes there, `merge` and `status`
take the declaration from the spec as committed at base plus claims re-checked now, so a forged
record, rules file or cache is a `tampered` finding that rejects the task, and a task whose
record is deleted stays live (`orphaned`)."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

from tests.conftest import Repo, git
from tests.services.merging.test_merge import start_open


def two_tasks(repo: Repo) -> tuple[Path, Path]:
    repo.write("src/a.py", "a = 1\n")
    repo.write("lib/b.py", "b = 1\n")
    repo.commit_all("sources")
    return start_open(repo, "1", ["src/**"]), start_open(repo, "2", ["lib/**"])


def record_file(repo: Repo, task_id: str) -> Path:
    return repo.path / ".git" / "parallel" / "tasks" / f"{task_id}.json"


def edit_record(repo: Repo, task_id: str, **changes: object) -> None:
    path = record_file(repo, task_id)
    record = json.loads(path.read_text())
    record.update(changes)
    path.write_text(json.dumps(record))


def rules_file(worktree: Path) -> Path:
    git_dir = git(worktree, "rev-parse", "--absolute-git-dir").strip()
    return Path(git_dir) / "parallel-rules.json"


def smuggle(worktree: Path, relative: str, text: str) -> str:
    """Commit an out-of-bounds change with the hooks off; the commit."""
    target = worktree / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text)
    git(worktree, "add", relative)
    git(worktree, "-c", "core.hooksPath=/dev/null", "commit", "-q", "-m", "smuggled")
    return git(worktree, "rev-parse", "HEAD").strip()


def status_of(repo: Repo, task_id: str) -> dict:
    result = repo.cli("status", "--json")
    assert result.code == 0, result.err
    return next(t for t in result.json()["tasks"] if t["id"] == task_id)


def assert_rejected_as_tampered(repo: Repo, task_id: str, base: str) -> dict:
    status = status_of(repo, task_id)
    assert "tampered" in {v["kind"] for v in status["violations"]}, status["violations"]
    result = repo.cli("merge", task_id, "--json")
    assert result.code == 1, result.err + result.out
    task = result.json()["results"][0]
    assert task["result"] == "rejected", task
    assert "tampered" in {v["kind"] for v in task["violations"]}
    assert repo.git("rev-parse", "main").strip() == base
    text = repo.cli("merge", task_id)
    assert text.code == 1 and "tampered" in text.out, text.out + text.err
    return task


def test_a_claim_appended_by_hand_over_another_live_task_is_tampered(repo: Repo) -> None:
    one, _two = two_tasks(repo)
    base = repo.git("rev-parse", "main").strip()
    record = json.loads(record_file(repo, "1").read_text())
    edit_record(repo, "1", claims=[*record["claims"], {"paths": ["lib/b.py"], "time": 1.0}])
    tip = smuggle(one, "lib/b.py", "b = 'mine now'\n")

    task = assert_rejected_as_tampered(repo, "1", base)

    assert "lib/b.py" in task["paths"]
    assert repo.git("show", "main:lib/b.py") == "b = 1\n"
    assert repo.git("rev-parse", "parallel/1").strip() == tip  # the work is still there


def test_a_widened_record_files_entry_is_tampered(repo: Repo) -> None:
    one, _two = two_tasks(repo)
    base = repo.git("rev-parse", "main").strip()
    edit_record(repo, "1", files=["src/**", "README.md"])
    smuggle(one, "README.md", "rewritten\n")

    task = assert_rejected_as_tampered(repo, "1", base)

    assert "README.md" in task["paths"]


def test_a_rules_file_copied_from_another_task_and_relabelled_is_tampered(repo: Repo) -> None:
    one, two = two_tasks(repo)
    base = repo.git("rev-parse", "main").strip()
    copied = json.loads(rules_file(two).read_text())
    copied["task"] = "1"
    copied["declared"] += json.loads(rules_file(one).read_text())["declared"]
    rules_file(one).write_text(json.dumps(copied))
    (one / "lib").mkdir(exist_ok=True)
    (one / "lib/b.py").write_text("b = 'from task 1'\n")
    git(one, "add", "lib/b.py")
    git(one, "commit", "-q", "-m", "the hook reads the forged rules")  # the fast path is fooled

    task = assert_rejected_as_tampered(repo, "1", base)

    assert "lib/b.py" in task["paths"]
    assert repo.git("show", "main:lib/b.py") == "b = 1\n"


def test_an_edited_audit_cache_does_not_hide_a_violation(repo: Repo) -> None:
    one, _two = two_tasks(repo)
    smuggle(one, "lib/b.py", "b = 'mine'\n")
    assert {v["path"] for v in status_of(repo, "1")["violations"]} == {"lib/b.py"}
    cache = repo.path / ".git" / "parallel" / "audit-cache.json"
    data = json.loads(cache.read_text())
    for entry in data["tasks"].values():
        entry["violations"] = []
    cache.write_text(json.dumps(data))
    edit_record(repo, "1", violations=[])

    violations = status_of(repo, "1")["violations"]

    assert "lib/b.py" in {v["path"] for v in violations}
    assert "tampered" in {v["kind"] for v in violations}


def test_a_deleted_record_leaves_its_task_orphaned_and_its_paths_taken(repo: Repo) -> None:
    _one, two = two_tasks(repo)
    record_file(repo, "2").unlink()

    refused = repo.cli("claim", "1", "lib/b.py")

    assert refused.code == 1, refused.err + refused.out
    assert "2" in refused.err and "orphaned" in refused.err
    assert "lib/b.py" not in json.dumps(json.loads(record_file(repo, "1").read_text())["claims"])
    row = status_of(repo, "2")
    assert row["state"] == "orphaned"
    assert row["worktree"] == str(two)
    repo.spec("3", ["lib/**"])
    repo.commit_all("spec 3")
    started = repo.cli("start", "3")
    assert started.code == 1 and "orphaned" in started.err, started.err
    assert two.is_dir() and repo.git("branch", "--list", "parallel/2") != ""
    cleaned = repo.cli("clean")
    assert two.is_dir() and repo.git("branch", "--list", "parallel/2") != "", cleaned.out


def test_a_branch_alone_keeps_a_task_without_its_record_live(repo: Repo) -> None:
    """Deleting the record, then unlocking and removing the worktree, does not free the task
    either: its branch keeps it live."""
    _one, two = two_tasks(repo)
    record_file(repo, "2").unlink()
    git(repo.path, "worktree", "unlock", str(two))
    shutil.move(str(rules_file(two)), str(two.parent / "rules-aside.json"))
    subprocess.run(["git", "worktree", "remove", "--force", str(two)], cwd=repo.path, check=True)

    refused = repo.cli("claim", "1", "lib/b.py")

    assert refused.code == 1 and "orphaned" in refused.err, refused.err + refused.out
    assert status_of(repo, "2")["state"] == "orphaned"
