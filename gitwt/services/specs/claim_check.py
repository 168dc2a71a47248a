"""`check --claims [FILES]`: are the parallel claims of these plans true? (DESIGN §2, §3)

Each plan a given file belongs to (every plan without FILES) is read as `specs` reads it, and
each of its claims judged as `plan` judges it (core/plan_claims.py). With `--staged`, what the
pre-commit hook `git-parallel-claims` runs, only a false claim the change adds or rewrites
fails: the same plans at HEAD are judged too, and a false claim that was already false there,
on the same lines (checkboxes aside) and no wider, goes through. A commit that only ticks tasks
in a plan with an old false claim is not refused for it.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypedDict

from gitwt.core.plan_claims import ClaimCheck, ClaimCheckJson, plan_claims
from gitwt.core.spec_catalog import SpecProblem, plan_problems
from gitwt.infra import git, git_trees
from gitwt.services.specs import discovery, plan_folders, repo_files

if TYPE_CHECKING:
    from gitwt.core.formats.plan_units import PlanFormat
    from gitwt.core.legacy_tokens import TrackedIndex
    from gitwt.core.plan_index import PlanSource
    from gitwt.services.context import Context

_CHECKBOX = re.compile(r"^(\s*(?:[-*+]|\d+[.)])\s+)\[[^\]]?\]")


class ClaimsJson(TypedDict):
    """`check --claims --json` (schema git-parallel/check-claims/1)."""

    schema: str
    ok: bool
    since: str | None
    claims: list[ClaimCheckJson]
    failing: list[ClaimCheckJson]
    problems: list[dict[str, object]]
    skipped: list[str]


@dataclass
class ClaimsReport:
    checks: list[ClaimCheck]
    failing: list[ClaimCheck]  # the false claims that fail the check
    problems: list[SpecProblem] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # given files no plan holds
    since: str | None = None  # only claims false since this revision fail

    @property
    def ok(self) -> bool:
        return not self.failing

    def to_json(self) -> ClaimsJson:
        from gitwt.services.json_reports import schema

        return {
            "schema": schema("check-claims"),
            "ok": self.ok,
            "since": self.since,
            "claims": [check.to_json() for check in self.checks],
            "failing": [check.to_json() for check in self.failing],
            "problems": [problem.to_json() for problem in self.problems],
            "skipped": self.skipped,
        }


def _relative(context: Context, path: str) -> str:
    """A path as given (relative to the current folder) as the repository names it."""
    full = os.path.abspath(path)
    relative = os.path.relpath(full, os.path.realpath(context.repo.toplevel))
    if relative.startswith(".."):
        relative = os.path.relpath(full, context.repo.toplevel)
    return relative.replace(os.sep, "/")


def _chosen(
    formats: tuple[PlanFormat, ...], files: list[str]
) -> tuple[set[tuple[str, str]], list[str]]:
    """The plan folders (format, folder) the given files belong to, and the files of none."""
    folders: set[tuple[str, str]] = set()
    skipped: list[str] = []
    for path in files:
        found = {
            (plan_format.name, folder)
            for plan_format in formats
            if (folder := plan_format.plan_of(path)) is not None
        }
        folders |= found
        if not found:
            skipped.append(path)
    return folders, skipped


def _in_wanted(formats: tuple[PlanFormat, ...], path: str, wanted: set[tuple[str, str]]) -> bool:
    """Is `path` a file of one of the wanted plan folders?"""
    return any((plan_format.name, plan_format.plan_of(path)) in wanted for plan_format in formats)


def _pointers(toplevel: str, formats: tuple[PlanFormat, ...]) -> set[str]:
    """The files of a format's layouts that may name a plan folder kept elsewhere (which may
    hold a given file): spec-kit's `.specify/feature.json`."""
    return {
        path
        for plan_format in formats
        if plan_format.points_to is not None
        for path in plan_folders.plan_paths(toplevel, [plan_format])
        if plan_format.plan_of(path) is None
    }


def _directly_in(folder: str, paths: Iterable[str]) -> list[str]:
    prefix = folder.rstrip("/") + "/"
    return sorted(p for p in paths if p.startswith(prefix) and "/" not in p[len(prefix) :])


def _pointed_at(plan: PlanSource, files: list[str]) -> bool:
    """A plan folder kept elsewhere, named by a pointer file: a given file inside it."""
    prefix = plan.folder.rstrip("/") + "/"
    return any(path.startswith(prefix) for path in files)


def _tracked(context: Context) -> TrackedIndex:
    """What base tracks; what HEAD tracks when there is no base to tell (a commit in a main
    worktree whose HEAD is detached, mid-rebase): the hook must not fail for that."""
    from gitwt.errors import GitParallelError
    from gitwt.services.specs.base_index import base_index, index_at, repo_names

    try:
        return base_index(context)
    except GitParallelError:
        head = git.rev_parse_verify("HEAD", context.repo.toplevel)
        return index_at(head, context.repo.toplevel, repo_names(context))


def _judged(plans: list[PlanSource], index: Callable[[], TrackedIndex]) -> list[ClaimCheck]:
    return [check for plan in plans for check in plan_claims(plan, index)]


def _located(where: str, texts: Mapping[str, str]) -> str:
    """The text of the line at `file:line`, its checkbox blanked (ticking is not a rewrite)."""
    path, _, number = where.rpartition(":")
    if not number.isdigit() or path not in texts:
        return ""
    lines = texts[path].splitlines()
    index = int(number) - 1
    text = lines[index] if 0 <= index < len(lines) else ""
    return _CHECKBOX.sub(r"\1[ ]", text).rstrip()


def _signature(check: ClaimCheck, texts: Mapping[str, str]) -> tuple[str, ...]:
    where = (check.verdict.claim.source, *check.lines)
    return tuple(_located(place, texts) for place in where)


def _is_old(
    check: ClaimCheck,
    texts: Mapping[str, str],
    old: list[ClaimCheck],
    old_texts: Mapping[str, str],
) -> bool:
    """The same claim was false at the old revision, on the same lines, sharing no less."""
    return any(
        earlier.key() == check.key()
        and _signature(earlier, old_texts) == _signature(check, texts)
        and set(check.verdict.shared) <= set(earlier.verdict.shared)
        for earlier in old
        if not earlier.holds
    )


def _recording(read: Callable[[str], tuple[str, str | None]], texts: dict[str, str]) -> Any:
    def reader(path: str) -> tuple[str, str | None]:
        found = read(path)
        texts[path] = found[0]
        return found

    return reader


def check_claims(context: Context, files: list[str], staged: bool = False) -> ClaimsReport:
    """Judge the claims of the plans `files` belong to (every plan when none is given)."""
    toplevel = context.repo.toplevel
    formats = plan_folders.formats_read(context.config)
    given = [_relative(context, path) for path in files]
    wanted, skipped = _chosen(formats, given)
    texts: dict[str, str] = {}
    reader = _recording(lambda path: plan_folders.read_plan_file(toplevel, path), texts)
    paths = plan_folders.plan_paths(toplevel, formats)
    if files:  # the pre-commit hook names the staged plan files: read only their plans
        paths = {path for path in paths if _in_wanted(formats, path, wanted)} | _pointers(
            toplevel, formats
        )
    plans = [
        plan
        for plan in plan_folders.read_plans(
            formats, paths, reader, lambda folder: plan_folders.folder_files(toplevel, folder)
        )
        if not files or (plan.format, plan.folder) in wanted or _pointed_at(plan, given)
    ]
    skipped = [path for path in skipped if not any(_pointed_at(plan, [path]) for plan in plans)]
    index = discovery.lazy_index(lambda: _tracked(context))
    checks = _judged(plans, index)
    problems = [problem for plan in plans for problem in plan_problems(plan)]
    false = [check for check in checks if not check.holds]
    since = "HEAD" if staged else None
    if staged and false and git.rev_parse_verify("HEAD", toplevel) is not None:
        # Each plan's folder, and the folder of each file read (a plan's files may lie apart).
        folders = {plan.folder for plan in plans} | {os.path.dirname(path) for path in texts}
        blobs = git_trees.files_under("HEAD", sorted(folders - {""}), toplevel)
        old_texts: dict[str, str] = {}
        old_reader = _recording(lambda path: repo_files.decoded(blobs[path], path), old_texts)
        chosen = {(plan.format, plan.folder) for plan in plans}
        old_plans = [
            plan
            for plan in plan_folders.read_plans(
                formats, blobs, old_reader, lambda folder: _directly_in(folder, blobs)
            )
            if (plan.format, plan.folder) in chosen
        ]
        old = _judged(old_plans, index)
        false = [check for check in false if not _is_old(check, texts, old, old_texts)]
    return ClaimsReport(checks, false, problems, skipped, since)
