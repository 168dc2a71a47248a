"""`git parallel check`: the hooks' check for CI and scripts, against a task or a role."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from gitwt.cli import check_report
from gitwt.services.context import Context
from gitwt.services.specs import boundary_check
from tests.conftest import Repo, api_error, git
from tests.hook.test_commit_hooks import commit, task_worktree, write

OWNERS = "/src/ @backend\n/docs/ @writer\n/src/payments/ @payments\n"


def check(where: Repo | Path, **options: Any) -> Any:
    """`git parallel check [--range R] [--task ID] [--role R] [--ownership]` run in `where`,
    in-process: the CheckResult the CLI prints (exit 1 when not `ok`)."""
    path = where.path if isinstance(where, Repo) else where
    return boundary_check.check(Context.discover(str(path)), **options)


def as_json(result: Any) -> Any:
    """What `check --json` prints of it."""
    return check_report.check_json(result)


def test_staged_against_a_task(repo: Repo) -> None:
    repo.spec("65", ["src/app/**"])
    repo.commit_all("spec")
    repo.write("src/app/a.py")
    repo.git("add", "-A")
    result = check(repo, task_id="65")
    assert result.ok, as_json(result)
    assert (result.scope, result.rules.task_id) == ("staged", "65")
    repo.write("Dockerfile")
    repo.git("add", "-A")
    result = check(repo, task_id="65")
    assert not result.ok
    data = as_json(result)
    assert data["schema"] == "git-parallel/check/1"
    assert data["ok"] is False and data["task"] == "65" and data["scope"] == "staged"
    assert data["declared"] == ["src/app/**"]
    assert [(item["path"], item["change"], item["kind"]) for item in data["violations"]] == [
        ("Dockerfile", "added", "undeclared")
    ]


def test_a_range_checks_what_the_branch_adds_since_the_fork_point(repo: Repo) -> None:
    repo.spec("65", ["src/**"])
    repo.commit_all("spec")
    repo.git("switch", "-q", "-c", "feature")
    repo.write("src/a.py")
    repo.write("README.md", "changed\n")
    repo.commit_all("feature work")
    repo.git("switch", "-q", "main")
    repo.write("unrelated.txt")  # on main after the fork: not the branch's doing
    repo.commit_all("main moves on")
    result = check(repo, range_spec="main..feature", task_id="65")
    assert not result.ok
    data = as_json(result)
    assert data["scope"] == "main..feature"
    assert [item["path"] for item in data["violations"]] == ["README.md"]
    assert data["violations"][0]["commit"] == repo.git("rev-parse", "feature").strip()
    assert "unrelated.txt" not in str(data)


@pytest.mark.slow
def test_role_from_flag_environment_and_git_config(repo: Repo) -> None:
    repo.write(".github/CODEOWNERS", OWNERS)
    repo.commit_all("owners")
    repo.write("src/payments/charge.py")
    repo.write("src/api.py")
    repo.git("add", "-A")
    result = repo.cli("check", "--role", "backend", "--json")
    assert result.code == 1
    violation = result.json()["violations"][0]
    assert violation["path"] == "src/payments/charge.py" and violation["kind"] == "not-owned"
    assert ".github/CODEOWNERS:3 → @payments" in violation["rule"]
    assert repo.cli("check", env={"GIT_PARALLEL_ROLE": "@payments"}).code == 1  # src/api.py
    repo.git("rm", "-q", "--cached", "src/api.py")
    assert repo.cli("check", env={"GIT_PARALLEL_ROLE": "payments"}).code == 0
    repo.git("config", "parallel.role", "writer")
    result = repo.cli("check")
    assert result.code == 1 and "role writer" in result.out


def test_in_a_task_worktree_the_task_is_the_default(repo: Repo) -> None:
    worktree = task_worktree(repo, "65", ["src/**"])
    write(worktree, "src/a.py")
    write(worktree, "notes.txt")
    git(worktree, "add", "-A")
    result = check(worktree)
    assert not result.ok and result.rules.task_id == "65"
    assert [violation.to_json()["path"] for violation in result.violations] == ["notes.txt"]
    git(worktree, "rm", "-q", "--cached", "notes.txt")
    assert check(worktree).ok
    assert commit(worktree).returncode == 0


def test_nothing_to_check_against_is_a_usage_error(repo: Repo) -> None:
    result = repo.cli("check")
    assert result.code == 2
    assert result.err.startswith("git parallel: error: nothing to check against")
    assert "hint: pass --task ID or --role ROLE" in result.err
    result = repo.cli("check", "--role", "backend")
    assert result.code == 2 and "no ownership map" in result.err


def test_bad_ranges_and_flag_clashes_are_usage_errors(repo: Repo) -> None:
    repo.spec("65", ["src/**"])
    repo.commit_all("spec")
    error = api_error(check, repo, range_spec="main..nope", task_id="65")
    assert error.exit_code == 2 and "'nope'" in error.render()
    assert api_error(check, repo, task_id="404").exit_code == 2
    # The flag clashes are the command line's own usage errors.
    assert repo.cli("check", "--staged", "--range", "main..main", "--task", "65").code == 2
    assert repo.cli("check", "--task", "65", "--role", "x").code == 2


@pytest.mark.slow
def test_role_from_user_email_when_the_ownership_map_names_it(repo: Repo) -> None:
    repo.write(".github/CODEOWNERS", "/src/ Alice@Example.com\n/docs/ @writer\n")
    repo.commit_all("owners")
    repo.git("config", "user.email", "alice@example.com")
    repo.write("src/api.py")
    repo.git("add", "-A")
    result = repo.cli("check", "--ownership")
    assert result.code == 0, result.err
    assert "role Alice@Example.com" in result.out
    repo.write("docs/guide.md")
    repo.git("add", "-A")
    result = repo.cli("check", "--json")
    assert result.code == 1
    assert [item["path"] for item in result.json()["violations"]] == ["docs/guide.md"]
    # An explicit role still wins over the email.
    assert repo.cli("check", env={"GIT_PARALLEL_ROLE": "writer"}).code == 1  # src/api.py
    repo.git("config", "parallel.role", "writer")
    result = repo.cli("check")
    assert result.code == 1 and "role writer" in result.out and "src/api.py" in result.out


def test_an_email_the_map_does_not_name_is_still_the_usage_error(repo: Repo) -> None:
    repo.write(".github/CODEOWNERS", "/src/ alice@example.com\n")
    repo.commit_all("owners")
    repo.git("config", "user.email", "bob@example.com")
    repo.write("src/api.py")
    repo.git("add", "-A")
    result = repo.cli("check")
    assert result.code == 2
    lines = result.err.splitlines()
    assert lines[0].startswith("git parallel: error: nothing to check against")
    assert lines[1].startswith("hint: ") and "user.email" in lines[1]


def test_escaped_brackets_in_codeowners_own_the_bracketed_file(repo: Repo) -> None:
    """Issue 9 item 7: `/app/\\[id\\].tsx @web` owns `app/[id].tsx`, for `check` and the hook."""
    repo.write(".github/CODEOWNERS", "* @core\n/app/\\[id\\].tsx @web\n")
    repo.commit_all("owners")
    repo.write("app/[id].tsx")
    repo.git("add", "-A")
    assert check(repo, role="web").ok
    result = check(repo, role="core")
    assert not result.ok
    (violation,) = as_json(result)["violations"]
    assert (
        violation["path"] == "app/[id].tsx" and ".github/CODEOWNERS:2 → @web" in violation["rule"]
    )
