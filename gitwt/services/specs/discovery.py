"""Find and read the repository's specs: the plans other tools wrote (services/specs/
plan_folders.py), then config `specs` globs minus `specs_exclude`, and spec folders.

The reading happens here; what the specs mean is the core's (core/spec_catalog.py, and the
formats in core/formats/). A spec folder `SPEC-025-title/` is one spec: its README.md (else
index.md) plus the Markdown files of the folder that README links. A file of a recognised plan
folder (a spec-kit feature's spec.md, plan.md, contracts/...) is never read as a legacy spec.
"""

from __future__ import annotations

import fnmatch
import os
import re
from collections.abc import Callable, Iterable
from dataclasses import replace
from typing import TYPE_CHECKING

from gitwt.core import patterns
from gitwt.core.spec_catalog import SPEC_FOLDER, Catalog, SpecFile, problem_of
from gitwt.core.spec_survey import Survey
from gitwt.core.specs import SpecError, Task
from gitwt.errors import GitParallelError
from gitwt.infra.config import Config
from gitwt.services.specs import plan_folders, repo_files
from gitwt.services.specs.base_index import lazy_index as lazy_index
from gitwt.services.specs.base_index import tracked_index

if TYPE_CHECKING:
    from gitwt.core.legacy_tokens import TrackedIndex
    from gitwt.services.context import Context

FOLDER_INDEXES = ("README.md", "index.md")
_LINK = re.compile(r"\]\(\s*<?(?P<target>[^)\s#>]+)>?(?:#[^)]*)?\s*\)")


def excluded(path: str, globs: Iterable[str]) -> bool:
    """A glob with a '/' matches the whole repo-relative path; one without, the file name."""
    for pattern in globs:
        if "/" not in pattern.rstrip("/"):
            if fnmatch.fnmatchcase(path.rstrip("/").rsplit("/", 1)[-1], pattern.rstrip("/")):
                return True
        elif re.fullmatch(patterns.compile_regex(pattern), path.rstrip("/"), re.DOTALL):
            return True
    return False


def _glob(toplevel: str, pattern: str) -> list[str]:
    return repo_files.glob_inside(toplevel, pattern)


def spec_locations(
    toplevel: str, config: Config, plan_folders: Iterable[str] = ()
) -> tuple[list[str], list[str]]:
    """Spec files and spec folders (with a trailing '/'), sorted; files inside a folder are
    parts of that folder's spec, never specs of their own, and none inside `plan_folders`."""
    files: set[str] = set()
    folders: set[str] = set()
    for pattern in config.specs:
        for path in _glob(toplevel, pattern):
            if repo_files.is_file_entry(toplevel, path):  # a FIFO or a link out: reported
                files.add(path)
        folder_pattern = pattern.removesuffix(".md") if pattern.endswith(".md") else None
        for path in _glob(toplevel, folder_pattern) if folder_pattern else []:
            full = os.path.join(toplevel, path)
            if (
                path not in files
                and SPEC_FOLDER.fullmatch(os.path.basename(path))
                and os.path.isdir(full)
                and any(os.path.isfile(os.path.join(full, name)) for name in FOLDER_INDEXES)
            ):
                folders.add(path.rstrip("/") + "/")
    plans = tuple(plan_folders)
    folders = {
        folder
        for folder in folders
        if not excluded(folder, config.specs_exclude) and not folder.startswith(plans)
    }
    files = {
        path
        for path in files
        if not excluded(path, config.specs_exclude)
        and not any(path.startswith(folder) for folder in folders)
        and not path.startswith(plans)
    }
    return sorted(files), sorted(folders)


def _folder_spec(toplevel: str, folder: str) -> SpecFile:
    main = next(
        folder + name
        for name in FOLDER_INDEXES
        if os.path.isfile(os.path.join(toplevel, folder, name))
    )
    text, problem = repo_files.read_text(toplevel, main)
    parts: list[tuple[str, str]] = []
    for found in _LINK.finditer(text):
        target = found.group("target")
        if "://" in target or not target.endswith(".md"):
            continue
        path = os.path.normpath(os.path.join(folder, target)).replace(os.sep, "/")
        inside = path.startswith(folder) and path != main
        if inside and os.path.isfile(os.path.join(toplevel, path)) and path not in dict(parts):
            part_text, part_problem = repo_files.read_text(toplevel, path)
            problem = problem or part_problem
            parts.append((path, part_text))
    return SpecFile(main, text, tuple(parts), folder, problem)


def discover(toplevel: str, config: Config, plan_folders: Iterable[str] = ()) -> list[SpecFile]:
    files, folders = spec_locations(toplevel, config, plan_folders)
    found: list[SpecFile] = []
    for path in files:
        text, problem = repo_files.read_text(toplevel, path)
        found.append(SpecFile(path, text, (), None, problem))
    found += [_folder_spec(toplevel, folder) for folder in folders]
    return sorted(found, key=lambda spec: spec.path)


def catalog(context: Context) -> Catalog:
    return catalog_in(context.repo.toplevel, context.config, tracked_index(context))


def catalog_in(toplevel: str, config: Config, index: Callable[[], TrackedIndex]) -> Catalog:
    """The catalog of the specs and plans in the folder `toplevel` (a checkout, or the server's
    copy of base's spec folders: services/team/base_declarations.py); `index` gives what base
    holds, asked for only when a path needs resolving."""
    plans = plan_folders.worktree_plans(toplevel, config)
    files = discover(toplevel, config, plan_folders.recognised(plans))
    return Catalog.build(files, config, index, plans)


def survey(
    context: Context, ids: list[str], judge_claims: bool = False, task_lines: bool = False
) -> Survey:
    """Every named task that can be read, and a problem (with file:line) for each that cannot;
    `judge_claims`: the parallel claims of the named plan units, judged (`plan`); `task_lines`:
    each named plan unit stands for its open task lines (`plan`/`batch --task-lines`)."""
    from gitwt.core import spec_survey

    if not ids:
        raise GitParallelError(
            "no task ids given", "name the tasks, e.g. 'git parallel plan 65 66'"
        )
    found = catalog(context)
    result = spec_survey.survey(found, ids, task_lines)
    if judge_claims and result.units:
        from gitwt.core.plan_claims import named_claims

        result.claims = named_claims(result.units, found.index, with_units=task_lines)
    usable: list[Task] = []
    for task in result.tasks:
        try:
            task = with_claims(context, task)
            for pattern in task.files:
                context.check_inside(pattern, task)
        except GitParallelError as error:
            result.problems.append(problem_of(error, task.source, task.id))
            result.unusable.append(task.id)
            continue
        usable.append(task)
    result.tasks = usable
    return result


def with_claims(context: Context, task: Task) -> Task:
    """A live task's declaration includes what it claimed since it started (kind `claim`)."""
    import time

    from gitwt.core.declaration import claimed_paths, record_patterns
    from gitwt.core.provenance import CLAIM, Origin
    from gitwt.infra import records

    record = records.read_task(context.repo.common_dir, task.id)
    if record is None or not records.is_live(record) or not record.get("claims"):
        return task
    record_patterns(record)  # an error naming the task when its files or a claim is malformed
    added: dict[str, Origin] = {}
    for pattern, moment in claimed_paths(record):
        note = (
            time.strftime("claimed %Y-%m-%d %H:%M UTC", time.gmtime(moment))
            if isinstance(moment, int | float)
            else ""
        )
        if pattern not in task.files and pattern not in added:
            added[pattern] = Origin(pattern, "git parallel claim", 0, CLAIM, note)
    if not added:
        return task
    return replace(
        task,
        files=(*task.files, *added),
        origins=(*task.origins, *added.values()),
    )


def load_tasks(context: Context, ids: list[str]) -> list[Task]:
    """The named tasks, or the first problem as an error when any task cannot be read."""
    result = survey(context, ids)
    refuse_unusable(result)
    return result.tasks


def refuse_unusable(result: Survey) -> None:
    """The first problem of a survey as an error, when a named task cannot be read."""
    if result.unusable:
        # A plan's reading problem that leaves every named unit usable is the report's, not
        # an error of its own (`plan` lists it).
        first = next(
            (problem for problem in result.problems if problem.task in result.unusable),
            result.problems[0],
        )
        more = len(result.problems) - 1
        raise SpecError(
            first.message + (f" (and {more} more spec problem(s))" if more else ""),
            "; ".join(
                filter(None, [first.hint, "'git parallel plan' lists them all" if more else ""])
            ),
            first.source,
            first.line,
        )
