"""The commit hooks' own git runner, and where the hook is (git dir, common dir, merge heads).

Product code runs git through `gitwt.infra.git`; the commit hook may not, for speed alone
(DESIGN §10): `infra.git` imports `subprocess` and `dataclasses`, which cost the hook more than
its whole check. This runner is `os.posix_spawnp` with a pipe, nothing else, and `start_git` lets
the pre-commit shim start `git diff --cached` before Python has imported the checker. It follows
`infra.git`'s rules: the environment of `infra.real_objects` (the stored objects, no replace
refs or grafts), `-z` output parsed as bytes with surrogateescape.
"""

from __future__ import annotations

import os

from gitwt.errors import GitParallelError
from gitwt.infra import real_objects


class HookError(GitParallelError):
    """The hook cannot do its job (rules unreadable, git failed): fail closed with exit 2.

    A `GitParallelError` like every user-facing error (`gitwt.errors` imports nothing, so the
    commit hook pays nothing for it); `render()` is its one rendering.
    """

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message, hint)
        self.hint: str = hint


# --- running git -----------------------------------------------------------------------------


def start_git(
    args: list[str], *, quiet: bool = False, folder: str | None = None
) -> tuple[int, int]:
    """Start git in `folder` (default: the current directory) with the hook's environment;
    (pid, stdout fd). posix_spawn cannot change directory, so a folder is `git -C folder`.

    The environment is kept on purpose: during `git commit -a` or a partial commit git points
    GIT_INDEX_FILE at a temporary index, and that index is what is being committed.
    """
    read_end, write_end = os.pipe()
    actions = [
        (os.POSIX_SPAWN_OPEN, 0, os.devnull, os.O_RDONLY, 0),
        (os.POSIX_SPAWN_DUP2, write_end, 1),
        (os.POSIX_SPAWN_CLOSE, read_end),
        (os.POSIX_SPAWN_CLOSE, write_end),
    ]
    if quiet:
        actions.append((os.POSIX_SPAWN_OPEN, 2, os.devnull, os.O_WRONLY, 0))
    env = {**os.environ, **real_objects.ENVIRONMENT}  # stored objects: no replace refs, grafts
    try:
        where = ["-C", folder] if folder is not None else []
        pid = os.posix_spawnp("git", ["git", *where, *args], env, file_actions=actions)
    except OSError as exc:
        os.close(read_end)
        os.close(write_end)
        raise HookError(f"cannot run git: {exc}", "install git and put it on PATH") from exc
    os.close(write_end)
    return pid, read_end


def finish_git(started: tuple[int, int]) -> tuple[int, bytes]:
    pid, read_end = started
    chunks = []
    with os.fdopen(read_end, "rb") as pipe:
        while chunk := pipe.read(1 << 16):
            chunks.append(chunk)
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status), b"".join(chunks)


def run_git(args: list[str], *, check: bool = True, folder: str | None = None) -> tuple[int, bytes]:
    """Run git and return (exit code, stdout); raise HookError on failure when check is set."""
    code, out = finish_git(start_git(args, quiet=not check, folder=folder))
    if check and code != 0:
        raise HookError(f"git {' '.join(args[:2])} failed (exit {code})", "see git's message above")
    return code, out


class StagedEntry:
    """One `--name-status -z` entry (the hook's light twin of `git.Change`)."""

    __slots__ = ("old_path", "path", "status")

    def __init__(self, status: str, path: str, old_path: str | None = None) -> None:
        self.status = status
        self.path = path
        self.old_path = old_path


def parse_name_status(data: bytes) -> list[StagedEntry]:
    if not data:
        return []
    items = data.rstrip(b"\0").decode("utf-8", "surrogateescape").split("\0")
    changes: list[StagedEntry] = []
    index = 0
    while index + 1 < len(items):
        letter = items[index][:1]
        if letter in ("R", "C"):
            changes.append(StagedEntry(letter, items[index + 2], items[index + 1]))
            index += 3
        else:
            changes.append(StagedEntry(letter, items[index + 1]))
            index += 2
    return changes


def diff_args(*revisions: str, cached: bool = False) -> list[str]:
    cached_flag = ["--cached"] if cached else []
    # --ignore-submodules=none: a gitlink is seen whatever the ignore settings say (DESIGN §13)
    flags = ["--name-status", "-z", "--no-ext-diff", real_objects.ALL_SUBMODULES]
    return ["diff", *flags, *cached_flag, *revisions, "--"]


def diff(*revisions: str, cached: bool = False, folder: str | None = None) -> list[StagedEntry]:
    return parse_name_status(run_git(diff_args(*revisions, cached=cached), folder=folder)[1])


def rev(name: str, folder: str | None = None) -> str | None:
    arguments = ["rev-parse", "--verify", "--quiet", f"{name}^{{commit}}"]
    code, out = run_git(arguments, check=False, folder=folder)
    return out.decode().strip() or None if code == 0 else None


def merge_base(*revisions: str, folder: str | None = None) -> str | None:
    """`git merge-base A B C`: the fork point of A and a merge of B and C (None if unrelated)."""
    code, out = run_git(["merge-base", *revisions], check=False, folder=folder)
    return out.decode().split()[0] if code == 0 and out.strip() else None


# --- where we are ----------------------------------------------------------------------------


class GitDirs:
    """This worktree's private git dir and the common dir, found without running git."""

    __slots__ = ("common_dir", "git_dir")

    def __init__(self, git_dir: str, common_dir: str) -> None:
        self.git_dir = git_dir
        self.common_dir = common_dir


def git_dir_of(worktree: str) -> str | None:
    """The private git dir of a worktree, from its `.git` (a dir, or a `gitdir:` file)."""
    dotgit = os.path.join(worktree, ".git")
    if os.path.isdir(dotgit):
        return dotgit
    try:
        with open(dotgit, encoding="utf-8", errors="surrogateescape") as handle:
            text = handle.read()
    except OSError:
        return None
    if not text.startswith("gitdir: "):
        return None
    return os.path.normpath(os.path.join(worktree, text[len("gitdir: ") :].strip("\n")))


def common_dir_of(git_dir: str) -> str:
    try:
        with open(os.path.join(git_dir, "commondir"), encoding="utf-8") as handle:
            return os.path.normpath(os.path.join(git_dir, handle.read().strip("\n")))
    except FileNotFoundError:
        return git_dir


def layout() -> GitDirs:
    # Git runs hooks at the top of the worktree, and exports GIT_DIR when it was given one.
    git_dir = os.environ.get("GIT_DIR")
    git_dir = os.path.abspath(git_dir) if git_dir else git_dir_of(os.getcwd())
    if git_dir is None:
        code, out = run_git(["rev-parse", "--absolute-git-dir"], check=False)
        if code != 0:
            raise HookError("not inside a git repository", "run the hook inside a worktree")
        git_dir = out.decode("utf-8", "surrogateescape").strip("\n")
    return GitDirs(git_dir, common_dir_of(git_dir))


def current_branch(git_dir: str) -> str | None:
    """The checked-out branch (short name), or None when HEAD is detached."""
    try:
        with open(os.path.join(git_dir, "HEAD"), encoding="utf-8") as handle:
            head = handle.read().strip()
    except OSError:
        return None
    return head[len("ref: refs/heads/") :] if head.startswith("ref: refs/heads/") else None


def merge_heads(git_dir: str) -> dict[str, str]:
    """The commits being merged in -> the names they were given, empty outside a merge.

    Committing a resolved merge (pre-commit) finds them in MERGE_HEAD. `git merge` runs
    pre-merge-commit before writing MERGE_HEAD, but exports GITHEAD_<oid>=<name> for each.
    """
    found = {
        name[len("GITHEAD_") :]: value
        for name, value in os.environ.items()
        if name.startswith("GITHEAD_") and len(name) >= len("GITHEAD_") + 40
    }
    try:
        with open(os.path.join(git_dir, "MERGE_HEAD"), encoding="utf-8") as handle:
            for oid in handle.read().split():
                found.setdefault(oid, "")
    except OSError:
        pass
    return found
