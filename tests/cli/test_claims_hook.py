"""The pre-commit hook `git-parallel-claims` through the real pre-commit framework: it runs on
the plan files a commit changes and fails only on a false parallel claim the commit adds."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from gitwt.core.formats import FORMATS
from tests.cli.test_plan_claims import TASKS, copy_plan
from tests.cli.test_pre_commit_framework import PROJECT, local_config, pre_commit
from tests.conftest import Repo


def manifest_hook() -> dict:
    hooks = yaml.safe_load((PROJECT / ".pre-commit-hooks.yaml").read_text())
    return next(hook for hook in hooks if hook["id"] == "git-parallel-claims")


def test_the_hook_runs_on_every_layout_of_the_formats_table() -> None:
    """A new format's layout that the hook's `files:` misses fails here."""
    hook = manifest_hook()
    assert hook["entry"] == "git-parallel check --claims --staged"
    assert hook["pass_filenames"] is True and "always_run" not in hook
    files = re.compile(hook["files"])
    for plan_format in FORMATS:
        for layout in plan_format.layouts:
            sample = layout.replace("**", "a/b").replace("*", "x")
            assert files.search(sample), f"{plan_format.name}: {layout}"
    assert not files.search("src/tasks.md") and not files.search("docs/specs/x/tasks.md")


def commit(repo: Repo) -> tuple[int, str]:
    """`git commit`, the framework's hook finding this environment's `git-parallel`."""
    import os
    import subprocess
    import sys

    path = f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"
    result = subprocess.run(
        ["git", "commit", "-q", "-m", "change"],
        cwd=repo.path,
        capture_output=True,
        text=True,
        env={**os.environ, "PATH": path},
        check=False,
    )
    return result.returncode, result.stdout + result.stderr


@pytest.mark.slow
def test_a_commit_adding_a_false_claim_is_refused_and_ticking_goes_through(repo: Repo) -> None:
    config = repo.path / ".pre-commit-config.yaml"
    local_config(repo.path)
    hooks = yaml.safe_load(config.read_text())
    hooks["repos"][0]["hooks"] = [
        hook for hook in hooks["repos"][0]["hooks"] if hook["id"] == "git-parallel-claims"
    ]
    config.write_text(yaml.safe_dump(hooks))
    copy_plan(repo, "spec-kit")
    repo.commit_all("a plan with two old false claims")
    installed = pre_commit(repo.path, "install")
    assert installed.returncode == 0, installed.stdout + installed.stderr

    plan = repo.path / TASKS
    plan.write_text(plan.read_text().replace("- [ ] T009", "- [X] T009"))
    repo.git("add", TASKS)
    code, output = commit(repo)
    assert code == 0, output  # only a tick: the old false claims are not this commit's
    assert "git parallel claims" in output and "Passed" in output

    plan.write_text(
        plan.read_text().replace(
            "Create web/src/components/RenewalHistory.tsx",
            "Create web/src/components/RenewalHistory.tsx, registered in internal/loans/service.go",
        )
    )
    repo.write("README.md", "unrelated\n")
    repo.git("add", "-A")
    code, output = commit(repo)
    assert code == 1, output
    assert "T013 ∥ T014" in output and "internal/loans/service.go" in output
    assert "T009 ∥ T010" not in output  # the old one is not reported as this commit's

    repo.git("reset", "-q", "--hard")
    repo.write("README.md", "only this\n")
    repo.git("add", "-A")
    code, output = commit(repo)
    assert code == 0, output
    assert "(no files to check)Skipped" in output.replace(".", "")


def test_no_plan_file_among_the_given_files_passes(repo: Repo) -> None:
    result = repo.cli("check", "--claims", "--staged", "README.md")
    assert result.code == 0, result
    assert "no plan holds this file" in result.out
