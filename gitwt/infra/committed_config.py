"""The config as committed on base: what every checkout reads, task worktrees included.

A task worktree is a checkout of base: an uncommitted `.gitparallel.toml` of the main checkout
is not there, so a task worktree and the main checkout read two configs (owner `-` in one,
`code_developer` in the other). Reading the committed version everywhere gives one answer;
an uncommitted difference in the main checkout is then said in one warning line naming the
file, since an edit that silently does nothing is the worse surprise.

Base is config `base`, else the branch checked out in the main worktree (read from the common
dir's HEAD, no process). One `git cat-file --batch` reads both files and whether the branch
exists; a repository whose base has no commit yet reads the files of the current checkout.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from gitwt.infra import config, git, git_output
from gitwt.infra.object_reader import ObjectReader


@dataclass
class Committed:
    config: config.Config
    branch: str | None  # where it was read; None: the files of the current checkout
    warnings: list[str] = field(default_factory=list)


def main_branch(common_dir: str) -> str | None:
    """The branch the main worktree has checked out, from `<common dir>/HEAD`."""
    try:
        with open(os.path.join(common_dir, "HEAD"), encoding="utf-8") as handle:
            head = handle.read().strip()
    except (OSError, UnicodeDecodeError):
        return None
    ref = head.removeprefix("ref: ")
    if ref == head or not ref.startswith("refs/heads/") or ref == "refs/heads/.invalid":
        return None  # detached, or a reftable repository's placeholder
    return ref.removeprefix("refs/heads/")


def committed_files(
    branch: str, cwd: str, objects: ObjectReader | None = None
) -> dict[str, bytes | None] | None:
    """The config files as committed on `branch` (None: the branch has no commit)."""
    return files_at(f"refs/heads/{branch}", cwd, objects)


def files_at(
    ref: str, cwd: str, objects: ObjectReader | None = None
) -> dict[str, bytes | None] | None:
    """The config files in the commit `ref` names (None: it names none); `config.from_texts`
    reads them, here and in the server's check (services.team.base_declarations.config_at).
    `objects`: the command's open `cat-file`, else one of its own."""
    names = (config.CONFIG_FILE, config.PYPROJECT)
    request = [ref, *(f"{ref}:{name}" for name in names)]
    if objects is not None:
        found = [entry[1] if entry else None for entry in objects.read(request)]
    else:
        lines = "".join(f"{line}\n" for line in request).encode()
        data = git.run(["cat-file", "--batch"], cwd, input=lines, check=False).stdout
        found = git_output.parse_batch(data)
    if len(found) != 3 or found[0] is None:
        return None
    return dict(zip(names, found[1:], strict=True))


def load(repo: git.Repo, objects: ObjectReader | None = None) -> Committed:
    """The config committed on base, and a warning for each config file the main checkout
    changed without committing. `objects`: the command's open `cat-file`."""
    branch = main_branch(repo.common_dir)
    texts = committed_files(branch, repo.toplevel, objects) if branch else None
    if branch is None or texts is None:
        return Committed(config.load(repo.toplevel), None)
    found = config.from_texts(texts)
    if found.base and found.base != branch:
        elsewhere = committed_files(found.base, repo.toplevel, objects)
        if elsewhere is not None:  # a base with no commit yet: the error comes later
            branch, texts, found = found.base, elsewhere, config.from_texts(elsewhere)
    return Committed(found, branch, _uncommitted(repo.main_toplevel, texts, branch))


def _uncommitted(main: str, texts: dict[str, bytes | None], branch: str) -> list[str]:
    try:
        working = config.read_files(main)
    except config.ConfigError:
        return []
    changed = []
    if working[config.CONFIG_FILE] != texts[config.CONFIG_FILE]:
        changed.append(config.CONFIG_FILE)
    try:
        differs = config.tool_section(working[config.PYPROJECT]) != config.tool_section(
            texts[config.PYPROJECT]
        )
    except config.ConfigError:
        differs = True
    if differs:
        changed.append(f"[tool.git-parallel] in {config.PYPROJECT}")
    return [
        f"{name} in the main checkout differs from the one committed on {branch}; git parallel "
        f"reads the committed one everywhere (commit the change to use it)"
        for name in changed
    ]
