"""What the specs committed on a branch of the server declare (DESIGN §13): the server's answer to
"which patterns may this task's registry entry hold?" without trusting the entry.

The server's repository is bare, so the specs are read the way `start` reads them, through the
same catalog, from a temporary folder holding only the files specs and plans can be in: the
config at that commit says where they are (config `specs`, and each plan format's layouts),
one `git archive` of those folders fills it. A tar member that would land outside the folder
(an absolute path, a link out) is left out, so a hostile tree cannot write on the server.
"""

from __future__ import annotations

import io
import os
import shutil
import tarfile
import tempfile
from collections.abc import Iterable
from typing import TYPE_CHECKING

from gitwt.core import patterns
from gitwt.errors import GitParallelError
from gitwt.infra import config as config_module
from gitwt.infra import git, git_trees

if TYPE_CHECKING:
    from gitwt.core.ownership import OwnershipMap
    from gitwt.core.specs import Task
    from gitwt.infra.object_reader import ObjectReader

CONFIG_FILES = (config_module.CONFIG_FILE, config_module.PYPROJECT)


def _text(rev: str, path: str, cwd: str) -> str | None:
    # Bytes that are not UTF-8 read as U+FFFD: these texts are parsed, never written back.
    return git_trees.blob_text(rev, path, cwd, errors="replace")


def config_at(
    rev: str, cwd: str = ".", objects: ObjectReader | None = None
) -> config_module.Config:
    """The config as committed at `rev`, read as every clone reads it (`config.from_texts`:
    one rule for which file counts, what a bad one is); ConfigError when it cannot be read.
    `objects`: the command's open `cat-file`, else one of its own."""
    from gitwt.infra.committed_config import files_at

    return config_module.from_texts(files_at(rev, cwd, objects) or {})


def team_base(config: config_module.Config, cwd: str = ".") -> str | None:
    """The team's base branch on the server: config `base`, else the branch HEAD names (the
    one a clone checks out, so the base of its main worktree)."""
    return config.base or head_branch(cwd)


def head_branch(cwd: str = ".") -> str | None:
    """The branch HEAD names: the one the server reads its config from."""
    result = git.run(["symbolic-ref", "--quiet", "--short", "HEAD"], cwd, check=False)
    return (result.stdout.decode().strip() or None) if result.returncode == 0 else None


def settings_differ(old: str, new: str, cwd: str = ".") -> bool:
    """Whether the config or the ownership map differ between two commits: they decide what
    the server checks (which branches are tasks, where specs are, who owns what)."""
    before, after = config_at(old, cwd), config_at(new, cwd)
    if before != after:
        return True
    places = {before.ownership} if before.ownership else set(config_module.CODEOWNERS_LOCATIONS)
    return any(_text(old, place, cwd) != _text(new, place, cwd) for place in places)


def ownership_at(rev: str, config: config_module.Config, cwd: str = ".") -> OwnershipMap | None:
    """The ownership map as committed at `rev`: the config's, else the first CODEOWNERS."""
    from gitwt.core import ownership

    places = (config.ownership,) if config.ownership else config_module.CODEOWNERS_LOCATIONS
    for candidate in places:
        text = _text(rev, candidate, cwd)
        if text is not None:
            return ownership.parse(text, candidate)
    return None


def _folders(config: config_module.Config, tracked: list[str]) -> list[str] | None:
    """The tracked folders and files specs and plans can be in; None: the whole tree."""
    from gitwt.services.specs.plan_folders import format_layouts

    layouts = format_layouts(config)
    globs = [*config.specs, *(layout for found in layouts.values() for layout in found)]
    wanted: set[str] = set(CONFIG_FILES)
    for pattern in globs:
        prefix = patterns.static_prefix(pattern).rstrip("/")
        if not prefix:
            return None
        wanted.add(prefix)
    tracked_set = set(tracked)
    present = []
    for path in sorted(wanted):
        if path in tracked_set or any(name.startswith(path + "/") for name in tracked):
            present.append(path)
    return present


def _extract(commit: str, folder: str, paths: list[str] | None, cwd: str) -> None:
    if paths == []:
        return
    pathspecs = ["--", *(f":(literal){path}" for path in paths)] if paths else []
    archive = git.run(["archive", "--format=tar", commit, *pathspecs], cwd).stdout
    # Written member by member (tarfile's extraction filters need Python 3.11.4+; Debian 12's
    # system Python is 3.11.2): files, folders and links that stay inside `folder`, nothing else.
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        for member in tar.getmembers():
            target = _inside(folder, member.name)
            if target is None:
                continue  # would land outside the folder: never written
            if member.isdir():
                os.makedirs(target, exist_ok=True)
            elif member.isfile():
                source = tar.extractfile(member)
                if source is not None:
                    os.makedirs(os.path.dirname(target), exist_ok=True)
                    with open(target, "wb") as handle:
                        shutil.copyfileobj(source, handle)
            elif member.issym():
                pointed = os.path.join(os.path.dirname(member.name), member.linkname)
                if _inside(folder, pointed) is not None and not os.path.isabs(member.linkname):
                    os.makedirs(os.path.dirname(target), exist_ok=True)
                    os.symlink(member.linkname, target)


def _inside(folder: str, name: str) -> str | None:
    """Where `name` lands under `folder`, or None when it would leave it."""
    if os.path.isabs(name):
        return None
    root = os.path.normpath(folder)
    target = os.path.normpath(os.path.join(root, name))
    return target if target.startswith(root + os.sep) else None


def declarations(
    commit: str,
    ids: Iterable[str],
    cwd: str = ".",
    tracked: list[str] | None = None,
    objects: ObjectReader | None = None,
) -> dict[str, Task]:
    """Each task as the specs at `commit` give it (its declared patterns, its owner);
    GitParallelError (naming the task and the problem, like `start` would) when a task has no
    readable spec there. `objects`: the command's open `cat-file`, for the config."""
    from gitwt.core.spec_catalog import plan_units
    from gitwt.core.specs import same_id
    from gitwt.services.specs.base_index import index_at
    from gitwt.services.specs.discovery import catalog_in, lazy_index

    config = config_at(commit, cwd, objects)
    if tracked is None:
        tracked = git.tracked_files(commit, cwd)
    found: dict[str, Task] = {}
    with tempfile.TemporaryDirectory(prefix="git-parallel-base-") as folder:
        _extract(commit, folder, _folders(config, tracked), cwd)
        # The repository's name as clients see it: the bare folder without its `.git`.
        names = [os.path.basename(os.path.realpath(cwd)).removesuffix(".git")]
        index = lazy_index(lambda: index_at(commit, cwd, names))
        catalog = catalog_in(os.path.realpath(folder), config, index)
        for task_id in ids:
            try:
                # A unit of another tool's plan (`010.US1`, `010.T001`) as `start` reads it.
                units = [u for u in plan_units(catalog, task_id) if same_id(u.id, task_id)]
                parsed = catalog.parse_unit(units[0]) if units else catalog.load(task_id)
                found[task_id] = parsed.task
            except GitParallelError as error:
                raise GitParallelError(f"task {task_id}: {error.message}", error.hint) from error
    return found
