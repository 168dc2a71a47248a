"""`git parallel hooks status`: what is installed in each worktree, and what is wrong with it.

Apart from the installer because it judges what install wrote, as an agent may have left it:
core.hooksPath pointed elsewhere, a shim rewritten (`exit 0`), the rules gone. None of that can
let a commit out of bounds into base (the merge audit judges every commit); it says why a hook
let one in.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import TypedDict

from gitwt.hook import rules_file
from gitwt.hook.hook_modes import GUARD, TASK
from gitwt.infra import git
from gitwt.services.hooks import installer
from gitwt.services.hooks.installer import HooksRecord


class WorktreeHooksJson(TypedDict):
    """One worktree in `hooks status --json` (`worktrees`)."""

    path: str
    branch: str | None
    installed: bool
    mode: str | None
    task: str | None
    hooks_path: str | None
    chain: str | None
    problems: list[str]


@dataclass
class WorktreeHooks:
    path: str
    branch: str | None
    mode: str | None  # None: not installed
    task_id: str | None
    hooks_path: str | None  # the effective core.hooksPath there
    chain: str | None
    problems: list[str] = field(default_factory=list)

    def to_json(self) -> WorktreeHooksJson:
        return {
            "path": self.path,
            "branch": self.branch,
            "installed": self.mode is not None,
            "mode": self.mode,
            "task": self.task_id,
            "hooks_path": self.hooks_path,
            "chain": self.chain,
            "problems": self.problems,
        }


def status(cwd: str | None = None) -> list[WorktreeHooks]:
    """What is installed where, and what is wrong with it, for every worktree."""
    found = []
    for tree in git.worktrees(cwd):
        if tree.bare or tree.prunable or not os.path.isdir(tree.path):
            continue
        repo = git.discover(tree.path)
        branch = tree.branch.removeprefix("refs/heads/") if tree.branch else None
        hooks_path = git.config_get("core.hooksPath", tree.path, "--type=path")
        record = installer.read_record(repo.git_dir)
        if record is None:
            found.append(WorktreeHooks(tree.path, branch, None, None, hooks_path, None))
            continue
        entry = WorktreeHooks(
            tree.path, branch, record.get("mode"), record.get("task"), hooks_path,
            record.get("chain"),
        )  # fmt: skip
        entry.problems = _problems(repo, record, hooks_path)
        found.append(entry)
    return found


def _problems(repo: git.Repo, record: HooksRecord, hooks_path: str | None) -> list[str]:
    problems = []
    hooks_dir = record.get("hooks_dir") or ""
    if hooks_path is None or os.path.abspath(os.path.join(repo.toplevel, hooks_path)) != hooks_dir:
        problems.append(
            f"core.hooksPath is {hooks_path or 'unset'}, not the shims: the checks do not run "
            "(run 'git parallel hooks install' here)"
        )
    if not os.path.isdir(hooks_dir):
        problems.append(f"the shims in {hooks_dir} are missing (run 'git parallel hooks install')")
    else:
        rewritten = _rewritten(hooks_dir, record)
        if rewritten:
            problems.append(
                f"{', '.join(rewritten)} in {hooks_dir} rewritten: not what this git parallel "
                "writes, so its checks may not run (run 'git parallel hooks install')"
            )
    python = record.get("python") or ""
    if not os.access(python, os.X_OK):
        problems.append(f"the recorded Python {python} is gone (run 'git parallel hooks install')")
    if record.get("mode") == TASK:
        try:
            rules = rules_file.load_rules(repo.git_dir)
        except (OSError, ValueError) as exc:
            rules = None
            problems.append(f"the task rules are unreadable ({exc}): every commit is refused")
        else:
            if rules is None:
                problems.append("the task rules are missing: every commit is refused")
    shimmed = set(record.get("hooks") or [])
    missing = [
        name
        for name in installer.executable_hooks(record.get("chain") or "")
        if name not in shimmed
    ]
    if missing:
        problems.append(
            f"{', '.join(missing)} in {record.get('chain')} would not run "
            "(run 'git parallel hooks install' again to chain them)"
        )
    return problems


def _rewritten(hooks_dir: str, record: HooksRecord) -> list[str]:
    """The shims that differ from what install writes (an agent can replace one with `exit 0`;
    the merge audit still judges the commits, this says why the hook let them in)."""
    mode, chain = record.get("mode") or GUARD, record.get("chain") or ""
    found = []
    for name in record.get("hooks") or []:
        path = os.path.join(hooks_dir, name)
        try:
            with open(path, encoding="utf-8") as handle:
                text = handle.read()
        except (OSError, UnicodeDecodeError):
            text = None
        if text != installer.shim_text(name, mode, chain) or not os.access(path, os.X_OK):
            found.append(name)
    return found
