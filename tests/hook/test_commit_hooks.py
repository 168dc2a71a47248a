"""The commit hooks in task worktrees: real git, real commits, the shims `hooks install` writes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import git as gitpython
import pytest

from gitwt.infra import state
from tests.conftest import Repo, git

ROOT = str(Path(__file__).resolve().parents[2])


def task_worktree(repo: Repo, task_id: str, files: list[str], owner: str | None = None) -> Path:
    """A task worktree made by hand: spec on main, `git worktree add`, `hooks install --task`
    (the service, in-process: the hooks it writes run as processes all the same)."""
    from gitwt.services.hooks import task_install

    repo.spec(task_id, files, owner=owner)
    repo.commit_all(f"spec {task_id}")
    path = repo.path.parent / f"wt{task_id}"
    repo.git("worktree", "add", "-q", "-b", f"parallel/{task_id}", str(path))
    task_install.install_for(str(path), task_id)
    return path


def commit(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["git", "commit", "-q", "-m", "change", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
    )


def write(cwd: Path, relative: str, text: str = "content\n") -> None:
    target = cwd / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text)


def head(cwd: Path) -> str:
    return git(cwd, "rev-parse", "HEAD").strip()


def common_dir(repo: Repo) -> str:
    return str(repo.path / ".git")


def test_commit_inside_the_declaration_passes(repo: Repo) -> None:
    worktree = task_worktree(repo, "65", ["src/app/**", "tests/test_app.py"])
    write(worktree, "src/app/main.py")
    write(worktree, "tests/test_app.py")
    git(worktree, "add", "-A")
    before = head(worktree)
    result = commit(worktree)
    assert result.returncode == 0, result.stderr
    assert head(worktree) != before
    assert git(worktree, "show", "--name-only", "--format=", "HEAD").split() == [
        "src/app/main.py",
        "tests/test_app.py",
    ]


def test_commit_outside_is_refused_and_nothing_is_committed(repo: Repo) -> None:
    worktree = task_worktree(repo, "65", ["src/app/**"])
    write(worktree, "src/app/main.py")
    write(worktree, "src/other.py")
    git(worktree, "add", "-A")
    before = head(worktree)
    result = commit(worktree)
    assert result.returncode == 1
    assert head(worktree) == before
    assert "commit refused" in result.stderr and "task 65" in result.stderr
    line = next(line for line in result.stderr.splitlines() if "src/other.py" in line)
    assert "added" in line and "not declared by task 65" in line and "src/app/**" in line
    assert "git restore --staged -- src/other.py" in line
    assert "git parallel claim 65 -- src/other.py" in line
    assert "src/app/main.py" not in result.stderr
    # The index is left as it was, so the user can fix and retry.
    assert "src/other.py" in git(worktree, "diff", "--cached", "--name-only")


def test_rename_from_declared_to_undeclared_is_refused(repo: Repo) -> None:
    repo.write("src/app/old.py", "a\n" * 20)
    repo.commit_all("old")
    worktree = task_worktree(repo, "65", ["src/app/**"])
    git(worktree, "mv", "src/app/old.py", "src/moved.py")
    before = head(worktree)
    result = commit(worktree)
    assert result.returncode == 1
    assert head(worktree) == before
    line = next(line for line in result.stderr.splitlines() if "src/moved.py" in line)
    assert "renamed" in line


def test_rename_from_undeclared_into_the_declaration_is_refused(repo: Repo) -> None:
    repo.write("lib/util.py", "b\n" * 20)
    repo.commit_all("util")
    worktree = task_worktree(repo, "65", ["src/app/**"])
    (worktree / "src/app").mkdir(parents=True)
    git(worktree, "mv", "lib/util.py", "src/app/util.py")
    result = commit(worktree)
    assert result.returncode == 1
    assert "lib/util.py" in result.stderr  # the old side leaves lib/: that changes lib/ too


def test_deletion_outside_is_refused(repo: Repo) -> None:
    repo.write("docs/guide.md")
    repo.commit_all("guide")
    worktree = task_worktree(repo, "65", ["src/app/**"])
    git(worktree, "rm", "-q", "docs/guide.md")
    before = head(worktree)
    result = commit(worktree)
    assert result.returncode == 1
    assert head(worktree) == before
    line = next(line for line in result.stderr.splitlines() if "docs/guide.md" in line)
    assert "deleted" in line


def test_mode_change_outside_is_refused(repo: Repo) -> None:
    repo.write("tools/run.sh", "echo hi\n")
    repo.commit_all("tool")
    worktree = task_worktree(repo, "65", ["src/app/**"])
    os.chmod(worktree / "tools/run.sh", 0o755)
    git(worktree, "add", "tools/run.sh")
    result = commit(worktree)
    assert result.returncode == 1
    assert "tools/run.sh" in result.stderr


def test_ownership_violation_is_refused(repo: Repo) -> None:
    repo.write(".github/CODEOWNERS", "/src/ @backend\n/src/payments/ @payments-team\n")
    repo.commit_all("owners")
    worktree = task_worktree(repo, "65", ["src/**"], owner="backend")
    write(worktree, "src/api.py")
    git(worktree, "add", "-A")
    assert commit(worktree).returncode == 0
    write(worktree, "src/payments/charge.py")
    git(worktree, "add", "-A")
    before = head(worktree)
    result = commit(worktree)
    assert result.returncode == 1
    assert head(worktree) == before
    line = next(line for line in result.stderr.splitlines() if "src/payments/charge.py" in line)
    assert "does not own it" in line
    assert ".github/CODEOWNERS:2 → @payments-team" in line


def test_commit_all_and_partial_commits_check_the_index_git_commits(repo: Repo) -> None:
    repo.write("notes.txt", "one\n")
    repo.commit_all("notes")
    worktree = task_worktree(repo, "65", ["src/app/**"])
    (worktree / "notes.txt").write_text("two\n")  # modified, not staged
    write(worktree, "src/app/main.py")
    git(worktree, "add", "src/app/main.py")
    # `git commit -a` stages notes.txt into a temporary index: the hook must see it.
    result = commit(worktree, "-a")
    assert result.returncode == 1
    assert "notes.txt" in result.stderr
    # A partial commit of the declared path alone leaves notes.txt out: it passes.
    result = commit(worktree, "--", "src/app/main.py")
    assert result.returncode == 0, result.stderr
    assert git(worktree, "show", "--name-only", "--format=", "HEAD").split() == ["src/app/main.py"]


def test_no_verify_is_recorded_by_post_commit(repo: Repo) -> None:
    worktree = task_worktree(repo, "65", ["src/app/**"])
    write(worktree, "src/other.py")
    git(worktree, "add", "-A")
    result = commit(worktree, "--no-verify")
    assert result.returncode == 0  # git cannot be stopped after the fact...
    assert "WARNING" in result.stderr and "src/other.py" in result.stderr  # ...but it is loud
    oid = head(worktree)
    record = state.read_task(common_dir(repo), "65")
    assert record is not None
    assert record["state"] == "open"
    assert record["branch"] == "parallel/65"
    assert [(item["path"], item["commit"], item["kind"]) for item in record["violations"]] == [
        ("src/other.py", oid, "undeclared")
    ]
    events = [
        event for event in state.read_events(common_dir(repo)) if event["event"] == "violation"
    ]
    assert [(event["task"], event["commit"]) for event in events] == [("65", oid)]


def test_post_commit_keeps_earlier_violations_and_the_existing_record(repo: Repo) -> None:
    worktree = task_worktree(repo, "65", ["src/app/**"])
    with state.locked(common_dir(repo)):
        state.write_task(
            common_dir(repo),
            {"id": "65", "state": "running", "branch": "parallel/65", "pid": 4242},
        )
    for name in ("a.txt", "b.txt"):
        write(worktree, name)
        git(worktree, "add", name)
        assert commit(worktree, "--no-verify").returncode == 0
    record = state.read_task(common_dir(repo), "65")
    assert record["state"] == "running" and record["pid"] == 4242  # untouched fields
    assert [item["path"] for item in record["violations"]] == ["a.txt", "b.txt"]


def test_hooks_path_dev_null_records_nothing_so_merge_must_audit(repo: Repo) -> None:
    worktree = task_worktree(repo, "65", ["src/app/**"])
    write(worktree, "src/other.py")
    git(worktree, "add", "-A")
    git(worktree, "-c", "core.hooksPath=/dev/null", "commit", "-q", "-m", "sneaky")
    record = state.read_task(common_dir(repo), "65")
    assert record is None or not record.get("violations")
    assert not [e for e in state.read_events(common_dir(repo)) if e["event"] == "violation"]
    # What the merge audit relies on: the rules stay in the worktree's git dir, and checking
    # the branch's range against them finds the path no hook saw.
    git_dir = git(worktree, "rev-parse", "--path-format=absolute", "--git-dir").strip()
    assert json.loads((Path(git_dir) / "parallel-rules.json").read_text())["task"] == "65"
    result = repo.cli("check", "--range", "main..parallel/65", "--task", "65", "--json")
    assert result.code == 1
    assert [item["path"] for item in result.json()["violations"]] == ["src/other.py"]


def test_unreadable_rules_refuse_every_commit(repo: Repo) -> None:
    worktree = task_worktree(repo, "65", ["src/app/**"])
    git_dir = Path(git(worktree, "rev-parse", "--path-format=absolute", "--git-dir").strip())
    write(worktree, "src/app/main.py")
    git(worktree, "add", "-A")
    shim = git_dir / "parallel-hooks" / "pre-commit"
    (git_dir / "parallel-rules.json").write_text("{not json")
    result = commit(worktree)
    assert result.returncode == 1  # git reports any failing hook as 1...
    assert "unreadable" in result.stderr
    hook = subprocess.run([str(shim)], cwd=worktree, capture_output=True, text=True)
    assert hook.returncode == 2  # ...the hook itself fails closed with 2
    (git_dir / "parallel-rules.json").unlink()
    result = commit(worktree)
    assert result.returncode == 1
    assert "missing" in result.stderr
    hook = subprocess.run([str(shim)], cwd=worktree, capture_output=True, text=True)
    assert hook.returncode == 2
    assert git(worktree, "log", "--format=%s", "-1").strip() == "spec 65"


def test_odd_file_names(repo: Repo) -> None:
    names = ["src/app/with space.py", "src/app/ünïcødé.py", "src/app/new\nline.py", "src/app/-dash"]
    worktree = task_worktree(repo, "65", ["src/app/**"])
    for name in names:
        write(worktree, name)
    git(worktree, "add", "-A")
    result = commit(worktree)
    assert result.returncode == 0, result.stderr
    outside = ["with space.txt", "ünï.txt", "new\nline.txt", "-rf", "--help"]
    for name in outside:
        write(worktree, name)
    git(worktree, "add", "-A")
    result = commit(worktree)
    assert result.returncode == 1
    lines = result.stderr.splitlines()
    for shown in ["with space.txt", "ünï.txt", '"new\\nline.txt"', "-rf", "--help"]:
        assert any(line.strip().startswith(shown) for line in lines), (shown, lines)
    # Every violation stays on one line, and its fix can be pasted into a shell as is.
    assert "git restore --staged -- $'new\\nline.txt'" in result.stderr
    assert "git restore --staged -- -rf" in result.stderr
    subprocess.run(
        ["bash", "-c", "git restore --staged -- $'new\\nline.txt'"], cwd=worktree, check=True
    )
    assert "new\nline.txt" not in git(worktree, "diff", "--cached", "--name-only", "-z")


def test_user_hook_in_the_common_hooks_dir_still_runs(repo: Repo) -> None:
    worktree = task_worktree(repo, "65", ["src/app/**"])
    # Hooks added to the common dir after the install are chained too.
    hook = repo.path / ".git" / "hooks" / "pre-commit"
    hook.write_text('#!/bin/sh\necho "user hook ran in $(pwd)" >> "$HOME/user-hook.log"\n')
    hook.chmod(0o755)
    message = repo.path / ".git" / "hooks" / "commit-msg"
    message.write_text('#!/bin/sh\ngrep -q "JIRA-" "$1" || { echo "no ticket" >&2; exit 1; }\n')
    message.chmod(0o755)
    log = Path(os.environ["HOME"]) / "user-hook.log"
    write(worktree, "src/app/main.py")
    git(worktree, "add", "-A")
    result = commit(worktree)
    assert result.returncode == 1 and "no ticket" in result.stderr  # commit-msg chained too
    assert log.read_text().splitlines() == [f"user hook ran in {worktree}"]
    result = subprocess.run(
        ["git", "commit", "-q", "-m", "JIRA-1 main"], cwd=worktree, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    # When our check refuses, the chained hook does not run (git would stop there anyway).
    write(worktree, "outside.txt")
    git(worktree, "add", "-A")
    assert commit(worktree).returncode == 1
    assert len(log.read_text().splitlines()) == 2


def test_merging_base_into_a_task_branch_is_not_a_violation(repo: Repo) -> None:
    worktree = task_worktree(repo, "65", ["src/app/**"])
    write(worktree, "src/app/main.py")
    git(worktree, "add", "-A")
    assert commit(worktree).returncode == 0
    repo.write("docs/news.md")
    repo.commit_all("news on base")
    result = subprocess.run(
        ["git", "merge", "--no-ff", "-q", "-m", "update from main", "main"],
        cwd=worktree,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    record = state.read_task(common_dir(repo), "65")
    assert record is None or not record.get("violations")


def test_merging_another_task_branch_is_refused(repo: Repo) -> None:
    worktree = task_worktree(repo, "65", ["src/app/**"])
    other = task_worktree(repo, "66", ["src/lib/**"])
    write(other, "src/lib/x.py")
    git(other, "add", "-A")
    assert commit(other).returncode == 0
    result = subprocess.run(
        ["git", "merge", "--no-ff", "-q", "-m", "take 66", "parallel/66"],
        cwd=worktree,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 1
    assert "src/lib/x.py" in result.stderr and "task 65" in result.stderr
    assert len(git(worktree, "log", "--merges", "--format=%H").split()) == 0


def test_pre_merge_commit_refuses_a_task_branch_with_out_of_bounds_changes(repo: Repo) -> None:
    worktree = task_worktree(repo, "65", ["src/app/**"])
    write(worktree, "src/app/main.py")
    write(worktree, "config.yml")
    git(worktree, "add", "-A")
    assert commit(worktree, "--no-verify").returncode == 0
    result = subprocess.run(
        ["git", "merge", "--no-ff", "-q", "-m", "merge 65", "parallel/65"],
        cwd=repo.path,
        capture_output=True,
        text=True,
    )
    # The main worktree has no hooks of ours yet: git merges.
    assert result.returncode == 0
    repo.git("reset", "-q", "--hard", "HEAD^")
    assert repo.cli("hooks", "install").code == 0  # the guard in the main worktree
    result = subprocess.run(
        ["git", "merge", "--no-ff", "-q", "-m", "merge 65", "parallel/65"],
        cwd=repo.path,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 1
    assert "merge refused" in result.stderr and "config.yml" in result.stderr
    assert repo.git("log", "--merges", "--format=%H").strip() == ""


def test_the_base_guard_merges_a_task_commit_named_by_its_oid(repo: Repo) -> None:
    """Issue 9 item 6: `git merge --no-ff <oid>` of a live task's commit in the main worktree
    reached the lookup by `for-each-ref --points-at` and crashed with a TypeError."""
    repo.spec("65", ["src/**"])
    repo.commit_all("spec")
    assert repo.cli("start", "65").code == 0
    worktree = repo.path.parent / "repo-wt65"
    write(worktree, "src/app.py")
    git(worktree, "add", "-A")
    assert commit(worktree).returncode == 0
    inside = head(worktree)
    result = subprocess.run(
        ["git", "merge", "--no-ff", "-q", "-m", "take 65", inside],
        cwd=repo.path,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    merged = gitpython.Repo(repo.path).head.commit  # read independently of our git layer
    assert len(merged.parents) == 2 and merged.parents[1].hexsha == inside
    # An out-of-bounds commit of the same task, named by its oid, is refused, not a crash.
    write(worktree, "ops/deploy.sh")
    git(worktree, "add", "-A")
    assert commit(worktree, "--no-verify").returncode == 0
    before = head(repo.path)
    result = subprocess.run(
        ["git", "merge", "--no-ff", "-q", "-m", "take 65 again", head(worktree)],
        cwd=repo.path,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "merge refused" in result.stderr and "ops/deploy.sh" in result.stderr
    assert head(repo.path) == before


def test_pre_push_audits_the_pushed_range_of_a_task_branch(repo: Repo, tmp_path: Path) -> None:
    remote = tmp_path / "remote.git"
    git(tmp_path, "init", "-q", "--bare", str(remote))
    worktree = task_worktree(repo, "65", ["src/app/**"])
    repo.git("remote", "add", "origin", str(remote))
    repo.git("push", "-q", "origin", "main")
    write(worktree, "src/app/main.py")
    git(worktree, "add", "-A")
    assert commit(worktree).returncode == 0
    result = subprocess.run(
        ["git", "push", "-q", "origin", "parallel/65"], cwd=worktree, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    pushed = head(worktree)
    write(worktree, "Makefile")
    git(worktree, "add", "-A")
    assert commit(worktree, "--no-verify").returncode == 0
    result = subprocess.run(
        ["git", "push", "-q", "origin", "parallel/65"], cwd=worktree, capture_output=True, text=True
    )
    assert result.returncode == 1
    assert "push refused" in result.stderr and "Makefile" in result.stderr
    assert git(remote, "rev-parse", "parallel/65").strip() == pushed


def test_status_json_shows_a_no_verify_violation_of_a_started_task(repo: Repo) -> None:
    repo.spec("65", ["src/**"])
    repo.commit_all("spec")
    assert repo.cli("start", "65").code == 0
    worktree = repo.path.parent / "repo-wt65"
    write(worktree, "ops/deploy.sh")
    git(worktree, "add", "-A")
    assert commit(worktree).returncode == 1  # start installed the hooks
    assert commit(worktree, "--no-verify").returncode == 0
    task = repo.cli("status", "--json").json()["tasks"][0]
    assert [(item["path"], item["commit"]) for item in task["violations"]] == [
        ("ops/deploy.sh", head(worktree))
    ]


@pytest.mark.slow
def test_main_worktree_guard_refuses_until_the_task_is_merged_or_cleaned(repo: Repo) -> None:
    repo.spec("65", ["src/**"])
    repo.spec("66", ["lib/**"])
    repo.commit_all("specs")
    assert repo.cli("start", "65", "66").code == 0
    assert repo.cli("hooks", "install").code == 0  # the guard, in the main worktree
    repo.write("src/a.py")
    repo.write("lib/b.py")
    repo.write("top.txt")
    repo.git("add", "-A")
    before = head(repo.path)
    result = commit(repo.path)
    assert result.returncode == 1
    assert head(repo.path) == before
    assert "live tasks 65, 66" in result.stderr
    line = next(line for line in result.stderr.splitlines() if "src/a.py" in line)
    assert "declared by live task 65 (src/**)" in line and "repo-wt65" in line
    repo.git("rm", "-q", "--cached", "src/a.py", "lib/b.py")
    assert commit(repo.path).returncode == 0  # paths no live task declares: fine
    assert repo.cli("clean", "66").code == 0
    repo.git("add", "lib/b.py")
    assert commit(repo.path).returncode == 0  # 66 is cleaned
    worktree = repo.path.parent / "repo-wt65"
    write(worktree, "src/c.py")
    git(worktree, "add", "-A")
    assert commit(worktree).returncode == 0
    assert repo.cli("merge", "65").code == 0
    repo.git("add", "src/a.py")
    assert commit(repo.path).returncode == 0  # 65 is merged


def test_the_hook_imports_nothing_heavy() -> None:
    """DESIGN §10: the commit hook's imports are the stdlib's, and not even re or json."""
    code = (
        "import sys, gitwt.hook.entry as h; h.load_checker(); "
        "from gitwt.hook import rules_file; rules_file.parse_json('{}'); "
        "print(' '.join(sorted(sys.modules)))"
    )
    modules = subprocess.run(
        [sys.executable, "-I", "-S", "-c", f"import sys; sys.path.append({ROOT!r}); {code}"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    heavy = {"click", "psutil", "yaml", "pathspec", "unidiff", "git", "dataclasses", "typing"}
    assert not heavy & set(modules)
    assert "re" not in modules and "json" not in modules and "subprocess" not in modules


OWNERS = """\
* @all
/src/ @backend
src/ @floating
docs/ @docs
/docs/api/*.md @api
*.js @js
/README.md @readme
build/**/out @build
/pkg*/x @wild
**/tests/ @qa
/app/[id].tsx @brackets
/src/payments/ @pay
/empty/
foo @foo
/a/b/c/ @abc
"""


def test_the_hooks_ownership_index_agrees_with_the_ownership_map() -> None:
    from gitwt.core import boundaries, ownership

    full = ownership.parse(OWNERS, "CODEOWNERS")
    stored = boundaries.Rules.from_json(
        boundaries.Rules("1", "backend", None, full).to_json()
    ).ownership
    paths = [
        "src/a.py", "src/payments/x", "x/src/y", "docs/a", "x/docs/b", "docs/api/a.md",
        "docs/api/sub/a.md", "a.js", "lib/a.js", "README.md", "x/README.md", "build/a/out",
        "build/out", "pkg1/x", "pkgx", "t/tests/a", "tests/a", "app/[id].tsx", "app/i.tsx",
        "empty/a", "foo", "a/foo", "foo/bar", "a/b/c/d", "a/b/c", "src", "docs",
    ]  # fmt: skip
    for path in paths:
        expected, found = full.owners_of(path), stored.owners_of(path)
        assert (found.owners, found.rule and found.rule.line) == (
            expected.owners,
            expected.rule and expected.rule.line,
        ), path


def test_rules_written_by_another_python_still_enforce(repo: Repo) -> None:
    """The stored compiled regexes are for one interpreter; any other recompiles the text."""
    worktree = task_worktree(repo, "65", ["src/app/**"])
    git_dir = Path(git(worktree, "rev-parse", "--path-format=absolute", "--git-dir").strip())
    path = git_dir / "parallel-rules.json"
    data = json.loads(path.read_text())
    assert data["declared_compiled"]["magic"]  # this interpreter stored its form
    data["declared_compiled"]["magic"] = 1
    path.write_text(json.dumps(data))
    write(worktree, "src/app/ok.py")
    write(worktree, "elsewhere.py")
    git(worktree, "add", "-A")
    result = commit(worktree)
    assert result.returncode == 1 and "elsewhere.py" in result.stderr
    assert "src/app/ok.py" not in result.stderr
