"""The commit hook and the merge audit are one rule: for any change set, the paths the hook
refuses before the commit are the paths `merge` rejects after it (issue 10).

Each example stages a random change set (adds, edits, deletes, renames, files with odd names)
in a real task worktree made by `git parallel start`; the hook's check runs on the index as the
installed pre-commit hook runs it (its own git runner, the compiled rules file); the change is
then committed with --no-verify and `merge`'s audit reads the branch (infra.git, the task's
declaration from state). GitPython reads what was committed, independently of both.
"""

from __future__ import annotations

import os
from pathlib import Path

import git as gitpython
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gitwt.core import boundaries
from gitwt.hook import checks, entry, rules_lookup
from gitwt.services.context import Context
from gitwt.services.merging import audit
from tests.conftest import Repo, git

DECLARED = ["src/**", "docs/guide.md", "app/[id].tsx"]
OWNERS = "* @web\n/src/secret/ @security\n/docs/ @docs @web\n"
POOL = [
    "src/a.py",
    "src/secret/key.py",
    "src/deep/b c.py",
    "docs/guide.md",
    "docs/other.md",
    "app/[id].tsx",
    "app/x.tsx",
    "README.md",
    "top.txt",
    "src/ü.py",
]
EXISTING = ["src/a.py", "docs/guide.md", "docs/other.md", "README.md"]

actions = st.lists(
    st.tuples(
        st.sampled_from(["write", "delete", "rename"]), st.sampled_from(POOL), st.integers(0, 9)
    ),
    min_size=1,
    max_size=6,
)


@pytest.fixture(scope="module")
def task(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, str]:
    root = tmp_path_factory.mktemp("agree")
    repo = Repo(root / "repo")
    for path in EXISTING:
        repo.write(path, f"{path}\n")
    repo.write(".github/CODEOWNERS", OWNERS)
    repo.spec("65", DECLARED, owner="@web")
    base = repo.commit_all("base")
    result = repo.cli("start", "65")
    assert result.code == 0, result.err
    return repo.path, root / "repo-wt65", base


def stage(worktree: Path, steps: list[tuple[str, str, int]]) -> None:
    for action, path, other in steps:
        target = worktree / path
        if action == "write":
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(f"{path} {other}\n")
        elif action == "delete" and target.exists():
            target.unlink()
        elif action == "rename" and target.exists():
            destination = worktree / POOL[other]
            if destination != target and not destination.exists():
                destination.parent.mkdir(parents=True, exist_ok=True)
                target.rename(destination)
    git(worktree, "add", "-A")


def hook_verdict(worktree: Path) -> set[str]:
    """The installed pre-commit hook's check, in process: its layout, rules file and runner."""
    before = os.getcwd()
    os.chdir(worktree)
    try:
        where = entry.layout()
        rules = rules_lookup.own_rules(where)
        return {v.path for v in boundaries.violations(checks.staged_changes(rules, where), rules)}
    finally:
        os.chdir(before)


@pytest.mark.slow
@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=actions)
def test_the_hook_and_the_merge_audit_refuse_the_same_paths(
    task: tuple[Path, Path, str], steps: list[tuple[str, str, int]]
) -> None:
    main, worktree, base = task
    git(worktree, "reset", "-q", "--hard", base)
    git(worktree, "clean", "-qfd")
    stage(worktree, steps)
    refused = hook_verdict(worktree)
    git(worktree, "commit", "-q", "--no-verify", "--allow-empty", "-m", "random change")
    committed = gitpython.Repo(worktree).head.commit
    assert [parent.hexsha for parent in committed.parents] == [base]
    changed = {
        path
        for diff in committed.parents[0].diff(committed)
        for path in (diff.a_path, diff.b_path)
        if path
    }
    context = Context.discover(str(main))
    record = next(r for r in context_records(context) if r["id"] == "65")
    audited = {v.path for v in audit.audit(context, record, base, committed.hexsha, base)}
    assert audited == refused
    assert refused <= changed  # both judge only what the change set touches


def context_records(context: Context) -> list[dict]:
    from gitwt.infra import state

    return list(state.all_tasks(context.repo.common_dir).values())
