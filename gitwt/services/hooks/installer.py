"""Install, inspect and remove the hook shims of a worktree.

A worktree gets its own `core.hooksPath` (per-worktree config, `extensions.worktreeConfig`)
pointing at shims generated into its private git dir (`<git-dir>/parallel-hooks/`), so the main
worktree and other worktrees keep their hooks. The shims' text comes
from `gitwt.services.tasks.shims`.

Each shim chains to the hook that would have run without us: the previous `core.hooksPath`, or
the common `hooks/` dir. What was there before is kept in `<git-dir>/parallel-hooks.json`, so
`uninstall` restores exactly that.

Two modes: `task` (the worktree holds a task's compiled rules: commits must stay inside them)
and `guard` (a worktree whose core.hooksPath the user set, e.g. husky: commits on the base of a
live task must not touch its paths). Elsewhere the guard lives in the common hooks folder
(`gitwt.services.hooks.base_guard`).
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass, field
from typing import TypedDict

from gitwt.errors import GitParallelError
from gitwt.hook import rules_file
from gitwt.hook.hook_modes import CHECKED_HOOKS, GUARD, TASK
from gitwt.infra import git, state, worktree_config
from gitwt.services.tasks.shims import check_shim, interpreter, pass_through_shim

HOOKS_DIR = "parallel-hooks"  # in the worktree's private git dir
RECORD_FILE = "parallel-hooks.json"  # ditto: what install changed, for uninstall
RECORD_SCHEMA = "git-parallel/hooks-install/1"
ENABLED_MARKER = "worktree-config-enabled"  # in parallel/: we turned extensions.worktreeConfig on
GUARD_HOOKS = ("pre-commit", "pre-merge-commit", "pre-push")
# Hooks whose mere presence changes nothing when they exit 0 at once: always passed through,
# so a hook added later to the common dir (e.g. `pre-commit install -t commit-msg`) still runs.
PASS_THROUGH_HOOKS = (
    "applypatch-msg",
    "pre-applypatch",
    "post-applypatch",
    "prepare-commit-msg",
    "commit-msg",
    "post-checkout",
    "post-merge",
    "pre-rebase",
    "post-rewrite",
    "pre-auto-gc",
    "sendemail-validate",
)


@dataclass
class Installed:
    worktree: str
    mode: str
    task_id: str | None
    hooks_dir: str
    chain: str
    hooks: list[str] = field(default_factory=list)


# --- install / uninstall ---------------------------------------------------------------------


class HooksRecord(TypedDict, total=False):
    """What `install` keeps in a worktree's git dir (RECORD_FILE), to check and undo itself."""

    schema: str
    previous_hooks_path: str | None  # this worktree's own core.hooksPath before, to restore
    saved_rules: bool  # install (--task) wrote the rules file: uninstall removes it
    mode: str
    task: str | None
    hooks_dir: str
    chain: str
    hooks: list[str]
    python: str
    installed_at: float


def _record_path(git_dir: str) -> str:
    return os.path.join(git_dir, RECORD_FILE)


def read_record(git_dir: str) -> HooksRecord | None:
    try:
        with open(_record_path(git_dir), encoding="utf-8") as handle:
            data: HooksRecord = json.load(handle)  # its shape: checked by its readers
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        raise GitParallelError(
            f"{_record_path(git_dir)} is unreadable: {exc}",
            "remove it, then unset core.hooksPath with 'git config --worktree --unset "
            "core.hooksPath' and install again",
        ) from exc
    return data if isinstance(data, dict) else None


def executable_hooks(directory: str) -> list[str]:
    try:
        names = os.listdir(directory)
    except OSError:
        return []
    return sorted(
        name
        for name in names
        if "." not in name
        and os.path.isfile(os.path.join(directory, name))
        and os.access(os.path.join(directory, name), os.X_OK)
    )


def _enable_worktree_config(repo: git.Repo, entries: list[git.ConfigEntry]) -> bool:
    """Turn on extensions.worktreeConfig once (call under the state lock); True if this did.

    `entries`: the config git sees in this worktree (`config_for`)."""
    values = git.config_values(entries, "extensions.worktreeConfig")
    if values and git.config_bool(values[-1], "extensions.worktreeConfig"):
        return False
    if git.config_values(entries, "core.worktree", "local"):
        raise GitParallelError(
            "core.worktree is set in the shared config; per-worktree hooks would break it",
            "move it into .git/config.worktree first (see 'git help worktree', CONFIGURATION FILE)",
        )
    git.config_set("extensions.worktreeConfig", "true", repo.toplevel, "--local")
    marker = os.path.join(state.state_dir(repo.common_dir), ENABLED_MARKER)
    with open(marker, "w", encoding="utf-8") as handle:
        handle.write("git parallel enabled extensions.worktreeConfig; uninstall turns it off\n")
    return True


def config_for(
    repo: git.Repo,
    shared: list[git.ConfigEntry] | None,
    own: list[git.ConfigEntry] | None = None,
) -> list[git.ConfigEntry]:
    """The config git sees in this worktree, without a process when it has no config file of
    its own or the caller wrote it (`own`: its entries): `shared` (read in another worktree
    of this repository a moment ago) then gives every other value."""
    path = os.path.join(repo.git_dir, worktree_config.WORKTREE_CONFIG)
    if shared is None or (own is None and os.path.exists(path)):
        return git.config_entries(repo.toplevel)
    return [entry for entry in shared if entry.scope != "worktree"] + (own or [])


def enable_worktree_config(repo: git.Repo, shared: list[git.ConfigEntry] | None) -> None:
    """Turn on extensions.worktreeConfig if off (under the state lock); `shared` as for
    `config_for`, and told when this turned it on (the next install does not set it again)."""
    if _enable_worktree_config(repo, config_for(repo, shared)) and shared is not None:
        shared.append(git.ConfigEntry("local", "extensions.worktreeconfig", "true"))


def hooks_paths(repo: git.Repo, entries: list[git.ConfigEntry]) -> list[str]:
    """Every core.hooksPath value git sees here as a path (`--type=path`: `~` expanded)."""
    values = [value for value in git.config_values(entries, "core.hooksPath") if value]
    if any(value.startswith("%(") for value in values):  # %(prefix)/: let git say what it is
        listed = git.run(
            ["config", "--type=path", "--get-all", "core.hooksPath"], repo.toplevel, check=False
        ).stdout.decode("utf-8", "surrogateescape")
        return listed.splitlines()
    return [os.path.expanduser(value) for value in values]


def _maybe_disable_worktree_config(repo: git.Repo) -> None:
    """Turn extensions.worktreeConfig off again if we turned it on and nothing uses it now."""
    marker = os.path.join(state.state_dir(repo.common_dir), ENABLED_MARKER)
    if not os.path.exists(marker):
        return
    files = [os.path.join(repo.common_dir, "config.worktree")]
    worktrees_dir = os.path.join(repo.common_dir, "worktrees")
    if os.path.isdir(worktrees_dir):
        files += [
            os.path.join(worktrees_dir, name, "config.worktree")
            for name in os.listdir(worktrees_dir)
        ]
    for path in files:
        if os.path.isfile(path) and git.run(["config", "--file", path, "--list"]).stdout.strip():
            return  # another worktree (or sparse checkout) still needs it
    git.config_unset("extensions.worktreeConfig", repo.toplevel, "--local")
    os.unlink(marker)


def _chain_target(
    repo: git.Repo, entries: list[git.ConfigEntry], own_hooks_dir: str, previous: str | None
) -> str:
    """Where git looks for hooks in this worktree without us: core.hooksPath or common hooks/.

    `previous` is this worktree's own value before we replaced it (on a reinstall git only
    shows ours in that scope).
    """
    # git resolves a relative core.hooksPath against the directory hooks run in: the top.
    values = [
        os.path.abspath(os.path.join(repo.toplevel, value))
        for value in [*hooks_paths(repo, entries), *([previous] if previous else [])]
        if value
    ]
    values = [value for value in values if value != own_hooks_dir]
    return values[-1] if values else os.path.join(repo.common_dir, "hooks")


def install(
    worktree: str,
    mode: str | None = None,
    *,
    saved_rules: bool = False,
    repo: git.Repo | None = None,
    config: list[git.ConfigEntry] | None = None,
    own_config: list[git.ConfigEntry] | None = None,
) -> Installed:
    """Point this worktree's own core.hooksPath at the gitwt shims, chaining to the old hooks.

    `mode` defaults to `task` when the worktree holds task rules, else `guard`. Installing
    again refreshes the shims and keeps what was there before the first install. `repo`: the
    worktree's layout when the caller knows it (start, which just created it); `config`: the
    config entries another worktree of the repository read (`config_for`); `own_config`: the
    entries of the worktree's own config file, which the caller made (`start`).
    """
    repo = repo or git.discover(worktree)
    if mode is None:
        has_rules = os.path.exists(rules_file.rules_path(repo.git_dir))
        mode = TASK if has_rules else GUARD
    hooks_dir = os.path.join(repo.git_dir, HOOKS_DIR)
    with state.locked(repo.common_dir):
        entries = config_for(repo, config, own_config)  # one read at most: all install needs
        if _enable_worktree_config(repo, entries):
            if config is not None:  # so the next install given this list does not set it again
                config.append(git.ConfigEntry("local", "extensions.worktreeconfig", "true"))
            entries = config_for(repo, config, own_config)  # config.worktree counts from now on
        own_file = os.path.join(repo.git_dir, worktree_config.WORKTREE_CONFIG)
        # A new worktree's own file holds only what gitwt wrote: append, no process.
        appended = config is not None and (own_config is not None or not os.path.exists(own_file))
        record = read_record(repo.git_dir) or _new_record(repo, entries, hooks_dir, saved_rules)
        record["saved_rules"] = bool(record.get("saved_rules")) or saved_rules
        chain = _chain_target(repo, entries, hooks_dir, record.get("previous_hooks_path"))
        hooks = _write_shims(hooks_dir, mode, chain)
        if appended:
            worktree_config.append_values(repo.git_dir, [("core.hooksPath", hooks_dir)])
        else:
            git.config_set("core.hooksPath", hooks_dir, repo.toplevel, "--worktree")
        rules = rules_file.load_rules(repo.git_dir) if mode == TASK else None
        record.update(
            {
                "mode": mode,
                "task": rules.task_id if rules else None,
                "hooks_dir": hooks_dir,
                "chain": chain,
                "hooks": hooks,
                "python": interpreter(),
                "installed_at": time.time(),
            }
        )
        state.write_json_atomic(_record_path(repo.git_dir), record)
    return Installed(repo.toplevel, mode, record["task"], hooks_dir, chain, hooks)


def _new_record(
    repo: git.Repo, entries: list[git.ConfigEntry], hooks_dir: str, saved_rules: bool
) -> HooksRecord:
    """The record of a first install: this worktree's own core.hooksPath, to restore later."""
    own = git.config_values(entries, "core.hooksPath", "worktree")
    previous = own[-1] if own else None
    if previous and os.path.abspath(os.path.join(repo.toplevel, previous)) == hooks_dir:
        # An install killed after setting core.hooksPath but before writing its record:
        # restoring "ours" on uninstall would switch hooks off; the old value is lost.
        previous = None
    # Only this worktree's own value is ours to replace and restore.
    return {"schema": RECORD_SCHEMA, "previous_hooks_path": previous, "saved_rules": saved_rules}


def is_task_worktree(worktree: str) -> bool:
    """Does this worktree hold a task's compiled rules (start saved them, or --task)?"""
    return os.path.exists(rules_file.rules_path(git.discover(worktree).git_dir))


def shim_text(name: str, mode: str, chain: str) -> str:
    checked = CHECKED_HOOKS if mode == TASK else GUARD_HOOKS
    return check_shim(name, mode, chain) if name in checked else pass_through_shim(name, chain)


def _write_shims(hooks_dir: str, mode: str, chain: str) -> list[str]:
    names = sorted({*CHECKED_HOOKS, *PASS_THROUGH_HOOKS, *executable_hooks(chain)})
    staging = f"{hooks_dir}.new"
    _remove_tree(staging)
    os.makedirs(staging)
    for name in names:
        text = shim_text(name, mode, chain)
        path = os.path.join(staging, name)
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.chmod(path, 0o755)
    # Swap the whole folder so a commit running now sees the old shims or the new ones.
    old = f"{hooks_dir}.old"
    _remove_tree(old)
    if os.path.isdir(hooks_dir):
        os.rename(hooks_dir, old)
    os.rename(staging, hooks_dir)
    _remove_tree(old)
    return names


def _remove_tree(path: str) -> None:
    """`path` and all under it, if it is there (left by a killed install, or the swap's old
    shims); shutil is imported only then: `start` writes shims into a new folder."""
    if os.path.lexists(path):
        import shutil

        shutil.rmtree(path, ignore_errors=True)


def uninstall(worktree: str) -> bool:
    """Restore the hooks this worktree had before `install`; False when none were installed."""
    repo = git.discover(worktree)
    with state.locked(repo.common_dir):
        record = read_record(repo.git_dir)
        if record is None:
            return False
        previous = record.get("previous_hooks_path")
        if previous is None:
            git.config_unset("core.hooksPath", repo.toplevel, "--worktree")
        else:
            git.config_set("core.hooksPath", previous, repo.toplevel, "--worktree")
        _remove_tree(os.path.join(repo.git_dir, HOOKS_DIR))
        if record.get("saved_rules"):
            rules_path = rules_file.rules_path(repo.git_dir)
            if os.path.exists(rules_path):
                os.unlink(rules_path)
        os.unlink(_record_path(repo.git_dir))
        _maybe_disable_worktree_config(repo)
    return True


# --- status ----------------------------------------------------------------------------------
