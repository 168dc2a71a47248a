"""The only module that runs git: the runner and typed repository queries, always with -z.

Parsing of the -z output: gitwt.infra.git_output.

Stdlib only: the commit hook imports it.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass

from gitwt.errors import GitParallelError
from gitwt.infra import git_output, real_objects

# Parsed forms other modules use through this module (git.Change, git.split_z, ...).
from gitwt.infra.git_output import Change as Change
from gitwt.infra.git_output import ConfigEntry as ConfigEntry
from gitwt.infra.git_output import config_values as config_values
from gitwt.infra.git_output import parse_name_status as parse_name_status
from gitwt.infra.git_output import split_z as split_z
from gitwt.infra.processes import REPOSITORY_VARIABLES

NULL_OID = "0" * 40


class GitError(GitParallelError):
    """git itself failed for a reason the user can act on."""


def _environment() -> dict[str, str]:
    env = dict(os.environ)
    for name in REPOSITORY_VARIABLES:
        env.pop(name, None)
    env["GIT_TERMINAL_PROMPT"] = "0"
    env.setdefault("LC_ALL", "C")
    return env


def run(
    args: Sequence[str],
    cwd: str | os.PathLike[str] | None = None,
    *,
    input: bytes | None = None,
    check: bool = True,
    keep_env: bool = False,
    extra_env: dict[str, str] | None = None,
) -> subprocess.CompletedProcess[bytes]:
    """Run `git ARGS` and return the raw result; raise GitError on failure when check is set.

    `extra_env` is set after the cleanup, e.g. a temporary GIT_INDEX_FILE for a salvage commit.
    """
    # Whatever else is kept, git sees the stored objects: no replace refs, no grafts.
    env = {**(os.environ if keep_env else _environment()), **real_objects.ENVIRONMENT}
    if extra_env:
        env.update(extra_env)
    try:
        result = subprocess.run(
            ["git", *real_objects.seeing_submodules(list(args))],
            cwd=cwd,
            input=input,
            capture_output=True,
            env=env,
            check=False,
        )
    except FileNotFoundError as exc:
        raise GitParallelError("git is not installed", "install git 2.38 or newer") from exc
    if check:
        raise_for_failure(args, result)
    return result


def start(args: Sequence[str], cwd: str | os.PathLike[str] | None) -> subprocess.Popen[bytes]:
    """`git ARGS` left running, talked to through its stdin and stdout (stderr dropped): one
    process asked more than once in a command (`infra.object_reader`)."""
    argv, pipe = ["git", *real_objects.seeing_submodules(list(args))], subprocess.PIPE
    env = {**_environment(), **real_objects.ENVIRONMENT}
    try:
        return subprocess.Popen(
            argv, cwd=cwd, env=env, stdin=pipe, stdout=pipe, stderr=subprocess.DEVNULL
        )
    except FileNotFoundError as exc:
        raise GitParallelError("git is not installed", "install git 2.38 or newer") from exc


def raise_for_failure(args: Sequence[str], result: subprocess.CompletedProcess[bytes]) -> None:
    """GitError naming the command and git's last line of complaint, when it failed."""
    if result.returncode != 0:
        message = result.stderr.decode(errors="replace").strip().splitlines()
        raise GitError(
            f"git {' '.join(args[:2])} failed: {message[-1] if message else result.returncode}",
            "run the same git command yourself to see the whole message",
        )


def out(args: Sequence[str], cwd: str | os.PathLike[str] | None = None, **kwargs: object) -> str:
    return run(args, cwd, **kwargs).stdout.decode().rstrip("\n")  # type: ignore[arg-type]


# --- repository layout -----------------------------------------------------------------------


@dataclass(frozen=True)
class Repo:
    toplevel: str  # the worktree the command runs in
    git_dir: str  # that worktree's private git dir
    common_dir: str  # shared by all worktrees: state lives here

    @property
    def main_toplevel(self) -> str:
        """The main worktree's top level (the parent of a non-bare common dir)."""
        return os.path.dirname(self.common_dir.rstrip(os.sep))


def discover(cwd: str | os.PathLike[str] | None = None) -> Repo:
    result = run(
        ["rev-parse", "--path-format=absolute", "--show-toplevel", "--git-dir", "--git-common-dir"],
        cwd,
        check=False,
    )
    if result.returncode != 0:
        raise GitParallelError(
            "not inside a git repository",
            "cd into a git worktree, or run 'git init' first",
        )
    toplevel, git_dir, common_dir = result.stdout.decode().splitlines()[:3]
    return Repo(toplevel=toplevel, git_dir=git_dir, common_dir=common_dir)


def rev_parse_verify(rev: str, cwd: str | os.PathLike[str] | None = None) -> str | None:
    """The commit OID `rev` names, or None (merge-tree cannot tell a bad ref from a conflict)."""
    result = run(
        ["rev-parse", "--verify", "--quiet", "--end-of-options", f"{rev}^{{commit}}"],
        cwd,
        check=False,
    )
    return result.stdout.decode().strip() or None if result.returncode == 0 else None


def current_branch(cwd: str | os.PathLike[str] | None = None) -> str | None:
    """The short name of the checked-out branch, or None when HEAD is detached."""
    result = run(["symbolic-ref", "--quiet", "--short", "HEAD"], cwd, check=False)
    return result.stdout.decode().strip() or None if result.returncode == 0 else None


def tracked_files(rev: str, cwd: str | os.PathLike[str] | None = None) -> list[str]:
    """Every file path in the tree of `rev`."""
    return split_z(run(["ls-tree", "-r", "-z", "--name-only", "--full-tree", rev], cwd).stdout)


def index_files(cwd: str | os.PathLike[str] | None = None) -> list[str]:
    return split_z(run(["ls-files", "-z", "--full-name"], cwd).stdout)


def worktrees(cwd: str | os.PathLike[str] | None = None) -> list[git_output.Worktree]:
    """`git worktree list --porcelain -z`, main worktree first."""
    return git_output.parse_worktrees(run(["worktree", "list", "--porcelain", "-z"], cwd).stdout)


# --- changes ---------------------------------------------------------------------------------


def staged_changes(
    cwd: str | os.PathLike[str] | None = None, *, keep_env: bool = False
) -> list[Change]:
    return parse_name_status(
        run(
            ["diff", "--cached", "--name-status", "-z", "-M", "--no-ext-diff"],
            cwd,
            keep_env=keep_env,
        ).stdout
    )


def range_changes(old: str, new: str, cwd: str | os.PathLike[str] | None = None) -> list[Change]:
    return parse_name_status(
        run(["diff", "--name-status", "-z", "-M", "--no-ext-diff", old, new, "--"], cwd).stdout
    )


# --- merging (used by merge.py) --------------------------------------------------------------


def merge_base(first: str, second: str, cwd: str | os.PathLike[str] | None = None) -> str | None:
    result = run(["merge-base", first, second], cwd, check=False)
    return result.stdout.decode().strip() or None if result.returncode == 0 else None


def is_ancestor(ancestor: str, descendant: str, cwd: str | os.PathLike[str] | None = None) -> bool:
    result = run(["merge-base", "--is-ancestor", ancestor, descendant], cwd, check=False)
    return result.returncode == 0


@dataclass(frozen=True)
class MergeForecast:
    tree: str
    conflicts: list[str]  # conflicted paths; empty when the merge is clean


def merge_tree(base: str, branch: str, cwd: str | os.PathLike[str] | None = None) -> MergeForecast:
    """`git merge-tree --write-tree`: merge two commits in memory, touching no checkout.

    Resolve both sides with rev_parse_verify first: exit 1 means a conflict *or* a bad ref.
    """
    result = run(
        ["merge-tree", "--write-tree", "-z", "--name-only", "--no-messages", base, branch],
        cwd,
        check=False,
    )
    if result.returncode not in (0, 1):
        raise GitError(
            f"git merge-tree failed: {result.stderr.decode(errors='replace').strip()}",
            "git 2.38 or newer is needed for 'merge-tree --write-tree'",
        )
    items = split_z(result.stdout)
    return MergeForecast(tree=items[0], conflicts=list(dict.fromkeys(items[1:])))


def commit_tree(
    tree: str, parents: Sequence[str], message: str, cwd: str | os.PathLike[str] | None = None
) -> str:
    args = ["commit-tree", tree]
    for parent in parents:
        args += ["-p", parent]
    return out([*args, "-m", message], cwd)


def update_ref(
    ref: str, new: str, old: str, message: str, cwd: str | os.PathLike[str] | None = None
) -> bool:
    """Move `ref` from `old` to `new` in one transaction; False when it no longer points at old."""
    transaction = f"start\nupdate {ref} {new} {old}\nprepare\ncommit\n".encode()
    result = run(["update-ref", "-m", message, "--stdin"], cwd, input=transaction, check=False)
    return result.returncode == 0


def commits_changes(
    commits: Sequence[str], cwd: str | os.PathLike[str] | None = None
) -> dict[str, list[Change]]:
    """The name-status changes of each (non-merge) commit against its parent, in one process."""
    if not commits:
        return {}
    raw = run(
        ["diff-tree", "--stdin", "-r", "-z", "--name-status", "-M", "--root"],
        cwd,
        input=("\n".join(commits) + "\n").encode(),
    ).stdout
    return git_output.changes_by_commit(split_z(raw))


def range_commits_changes(
    old: str, new: str, cwd: str | os.PathLike[str] | None = None
) -> dict[str, list[Change]]:
    """Each non-merge commit of old..new with its name-status changes, in one process."""
    return _log_changes([f"{old}..{new}"], cwd)


def branch_changes(
    base: str, tip: str, fork: str | None, cwd: str | os.PathLike[str] | None = None
) -> tuple[dict[str, list[Change]], list[Change] | None]:
    """A branch's change set as the audits judge it: each commit of base..tip, and the net
    change from its fork point (None without one). The merge audit and the server check."""
    per_commit = range_commits_changes(base, tip, cwd)
    return per_commit, range_changes(fork, tip, cwd) if fork else None


def _log_changes(
    revisions: list[str], cwd: str | os.PathLike[str] | None
) -> dict[str, list[Change]]:
    """The one `git log` reading of commits with their changes: renames detected, no merges."""
    arguments = ["log", "--no-merges", "-z", "--name-status", "-M", "--format=%H", "--no-ext-diff"]
    raw = run([*arguments, *revisions, "--"], cwd).stdout
    return git_output.changes_by_commit(split_z(raw))


def branch_heads(cwd: str | os.PathLike[str] | None = None) -> dict[str, str]:
    """Every local branch's short name and commit, in one process.

    Ref names cannot hold spaces or control characters, so plain lines are safe here.
    """
    lines = out(["for-each-ref", "--format=%(objectname) %(refname:lstrip=2)", "refs/heads/"], cwd)
    return {name: oid for oid, _, name in (line.partition(" ") for line in lines.splitlines())}


def replace_refs(cwd: str | os.PathLike[str] | None = None) -> dict[str, str]:
    """Every `refs/replace/<oid>` ref and the object it stands in for that OID, in one process.

    gitwt's own git calls ignore them (gitwt.infra.real_objects); this lists them so merge can
    report them: a replace ref changes what every other git command in the repository shows.
    """
    lines = out(["for-each-ref", "--format=%(objectname) %(refname)", "refs/replace/"], cwd)
    return {name: oid for oid, _, name in (line.partition(" ") for line in lines.splitlines())}


def rev_list(
    range_spec: Sequence[str], cwd: str | os.PathLike[str] | None = None, *extra: str
) -> list[str]:
    return out(["rev-list", *extra, *range_spec, "--"], cwd).split()


def status_entries(worktree: str | os.PathLike[str]) -> list[tuple[str, str]]:
    """(XY code, path) of every change, untracked and ignored file of a worktree.

    Untracked and ignored files are listed one by one; a nested repository is one `dir/` entry.
    """
    return git_output.parse_status_entries(
        run(
            ["status", "--porcelain=v1", "-z", "--untracked-files=all", "--ignored=traditional"],
            worktree,
        ).stdout
    )


def is_clean(worktree: str | os.PathLike[str]) -> bool:
    """No staged or unstaged change to tracked files (untracked files do not count here)."""
    return not run(["status", "--porcelain", "-z", "--untracked-files=no"], worktree).stdout


# --- config (used by the hook installer) -----------------------------------------------------


def config_get(key: str, cwd: str | os.PathLike[str] | None = None, *scope: str) -> str | None:
    """The value of `key` (last one wins), or None; `scope` e.g. "--worktree", "--type=path"."""
    result = run(["config", *scope, "--get", key], cwd, check=False)
    if result.returncode == 1:
        return None
    if result.returncode != 0:
        raise GitError(
            f"git config --get {key} failed: {result.stderr.decode(errors='replace').strip()}",
            "fix the git config files it names",
        )
    return result.stdout.decode("utf-8", "surrogateescape").removesuffix("\n")


def config_set(
    key: str, value: str, cwd: str | os.PathLike[str] | None = None, *scope: str
) -> None:
    run(["config", *scope, key, value], cwd)


def config_unset(key: str, cwd: str | os.PathLike[str] | None = None, *scope: str) -> None:
    """Remove `key` from the chosen config file; nothing to remove is not an error."""
    result = run(["config", *scope, "--unset-all", key], cwd, check=False)
    if result.returncode not in (0, 5):
        raise GitError(
            f"git config --unset-all {key} failed: "
            f"{result.stderr.decode(errors='replace').strip()}",
            "fix the git config files it names",
        )


def uncommitted(paths: Sequence[str], cwd: str | os.PathLike[str] | None = None) -> list[str]:
    """Those of `paths` with staged, unstaged or untracked changes (as `git status` lists)."""
    if not paths:
        return []
    data = run(
        ["status", "--porcelain=v1", "-z", "--untracked-files=all", "--ignored=no", "--"]
        + [f":(literal){path}" for path in paths],
        cwd,
    ).stdout
    found: list[str] = []
    items = split_z(data)
    index = 0
    while index < len(items):
        entry = items[index]
        found.append(entry[3:])
        index += 2 if entry[:1] in ("R", "C") else 1  # a rename carries its old path too
    return found


def config_entries(cwd: str | os.PathLike[str] | None = None) -> list[ConfigEntry]:
    """Every config value git sees here, in its order (the last of a key wins), in one process:
    `git config --show-scope -z --list`."""
    return git_output.parse_config_entries(
        run(["config", "--show-scope", "-z", "--list"], cwd).stdout
    )


def config_bool(value: str | None, key: str) -> bool:
    """A config value read as git's --type=bool does; GitError for one it would refuse."""
    found = git_output.config_bool(value)
    if found is None:
        raise GitError(
            f"bad boolean config value {value!r} for {key}", "fix it in the git config files"
        )
    return found


def commit_graph(
    tips: Sequence[str], hidden: Sequence[str], cwd: str | os.PathLike[str] | None = None
) -> tuple[dict[str, list[str]], set[str]]:
    """Commits reachable from `tips`, not from `hidden`, with their parents, and the boundary
    (their parents `hidden` reaches): one process for any number of tips (`status`)."""
    args = ["rev-list", "--parents", "--boundary", *tips, "--not", *hidden, "--"]
    return git_output.parse_commit_graph(out(args, cwd) if tips else "")
