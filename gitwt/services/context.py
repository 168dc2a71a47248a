"""What every command starts from: the repository, its config, base and ownership map."""

from __future__ import annotations

import os
import weakref
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING

from gitwt.core import patterns
from gitwt.core.specs import Task
from gitwt.errors import GitParallelError, warn_once
from gitwt.infra import config as config_module
from gitwt.infra import git, git_output, git_trees
from gitwt.infra.object_reader import ObjectReader

if TYPE_CHECKING:
    # Loaded by `ownership` below only when the repository has an ownership map.
    from gitwt.core.ownership import OwnershipMap


@dataclass
class Context:
    repo: git.Repo
    config: config_module.Config
    # The command's `cat-file --batch`, kept open from discovery (None: each read starts one).
    objects: ObjectReader | None = None

    @classmethod
    def discover(cls, cwd: str | None = None) -> Context:
        """The repository around `cwd`, with the config committed on base (every checkout
        reads the same); an uncommitted change to it in the main checkout is warned about."""
        from gitwt.infra import committed_config

        repo = git.discover(cwd)
        objects = ObjectReader(repo.toplevel)
        try:
            found = committed_config.load(repo, objects)
        except BaseException:  # a config error: nothing will ask git for objects
            objects.close()
            raise
        for warning in found.warnings:
            warn_once(warning)
        context = cls(repo=repo, config=found.config, objects=objects)
        weakref.finalize(context, objects.close)  # git's cat-file ends with the context
        return context

    def blobs(self, names: list[str]) -> list[bytes | None]:
        """Each `<rev>:<path>`'s contents (None: no such blob), through the open `cat-file`."""
        if self.objects is None:
            return git_trees.named_blobs(names, self.repo.toplevel)
        return self.objects.blobs(names)

    @cached_property
    def base(self) -> str:
        """The integration branch: config `base`, else the branch of the main worktree."""
        if self.config.base:
            return self.config.base
        main = self.worktrees[0]
        if main.branch is None or not main.branch.startswith("refs/heads/"):
            raise GitParallelError(
                "cannot tell the base branch: the main worktree has no branch checked out",
                "check out the integration branch there, or set 'base' in .gitparallel.toml",
            )
        return main.branch.removeprefix("refs/heads/")

    @cached_property
    def worktrees(self) -> list[git_output.Worktree]:
        """`git worktree list` as it was when first asked (main worktree first): read once for
        a command; code that needs it as it is now (a scheduling step) reads it again."""
        return git.worktrees(self.repo.toplevel)

    @cached_property
    def branches(self) -> dict[str, str]:
        """Every local branch and its commit, as when first asked (one `for-each-ref`)."""
        return git.branch_heads(self.repo.toplevel)

    @cached_property
    def git_config(self) -> list[git.ConfigEntry]:
        """The git config this worktree sees, with scopes, as when first asked (one process);
        `installer.config_for` tells another worktree's view from it."""
        return git.config_entries(self.repo.toplevel)

    @cached_property
    def base_oid(self) -> str | None:
        """The commit base points at, or None in a repository with no commit yet."""
        oid = self.branches.get(self.base)
        if oid is None and self.config.base:
            oid = git.rev_parse_verify(self.base, self.repo.toplevel)
            if oid is None:
                raise GitParallelError(
                    f"base '{self.base}' from {self.config.source} names no commit",
                    "set 'base' to an existing branch",
                )
        return oid

    def seen_branches(self, tips: dict[str, str]) -> None:
        """Every local branch's tip as the command read it itself (with other refs, in one
        `for-each-ref`): `branches` answers from these rather than asking git again."""
        self.__dict__.setdefault("branches", dict(tips))

    def base_files(self) -> list[str]:
        """Every file in base's tree, listed once per command (start's plan and its check
        against the live tasks both need it; at 1,000,000 files one listing takes seconds)."""
        return self._base_listing

    @cached_property
    def _base_listing(self) -> list[str]:
        return git.tracked_files(self.base_oid, self.repo.toplevel) if self.base_oid else []

    @cached_property
    def ownership(self) -> OwnershipMap | None:
        if self.config.ownership:
            relative = self.config.ownership
            if not os.path.isfile(os.path.join(self.repo.toplevel, relative)):
                raise GitParallelError(
                    f"ownership map '{relative}' from {self.config.source} does not exist",
                    "fix 'ownership' in the config or create the file",
                )
        else:
            found: str | None = next(
                (
                    candidate
                    for candidate in config_module.CODEOWNERS_LOCATIONS
                    if os.path.isfile(os.path.join(self.repo.toplevel, candidate))
                ),
                None,
            )
            if found is None:
                return None
            relative = found
        try:
            with open(os.path.join(self.repo.toplevel, relative), encoding="utf-8") as handle:
                text = handle.read()
        except (OSError, UnicodeDecodeError) as exc:
            raise GitParallelError(
                f"cannot read ownership map {relative}: {exc}", "make it a readable UTF-8 file"
            ) from exc
        from gitwt.core import ownership

        return ownership.parse(text, relative)

    def load_tasks(self, ids: list[str]) -> list[Task]:
        """The named tasks; an error naming the first spec problem when any cannot be read."""
        from gitwt.services.specs import discovery as spec_catalog

        return spec_catalog.load_tasks(self, ids)

    @cached_property
    def real_toplevel(self) -> str:
        return os.path.realpath(self.repo.toplevel)

    def check_inside(self, pattern: str, task: Task) -> None:
        """Refuse a declared path that leaves the repository through a symbolic link."""
        root = self.real_toplevel
        current = root
        for segment in patterns.static_prefix(pattern).rstrip("/").split("/"):
            if not segment:
                break
            current = os.path.join(current, segment)
            if os.path.islink(current):
                target = os.path.realpath(current)
                if os.path.commonpath([root, target]) != root:
                    raise GitParallelError(
                        f"declared path {pattern!r} of task {task.id} ({task.source}) leads "
                        f"outside the repository through a symbolic link",
                        "declare paths inside the repository",
                    )
            elif not os.path.isdir(current):
                break
