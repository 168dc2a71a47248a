"""`git parallel specs`: list the discovered specs, and write legacy declarations as front matter.

Writing turns every guess of the legacy reader into text a person reviews in a diff and commits;
it refuses a spec with uncommitted changes, so the diff shows only what was written.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass

from gitwt.core import front_matter, spec_catalog
from gitwt.core.provenance import FRONT_MATTER
from gitwt.core.spec_catalog import SpecEntry, SpecProblem
from gitwt.errors import GitParallelError, Refused
from gitwt.infra import git
from gitwt.services.context import Context
from gitwt.services.specs import discovery


@dataclass
class Written:
    id: str
    path: str
    patterns: int
    changed: bool  # False: the spec already declares its files in front matter


def list_specs(context: Context, ids: list[str] | None) -> list[SpecEntry]:
    """Every discovered spec, or those giving `ids` (a named id no spec gives is a problem)."""
    catalog = discovery.catalog(context)
    entries = spec_catalog.entries(catalog, ids)
    for task_id in ids or []:
        if not (
            catalog.sources(task_id) or catalog.plans.task(task_id) or catalog.plans.group(task_id)
        ):
            problem = SpecProblem(
                f"no spec found for task {task_id}",
                catalog.missing_hint(task_id),
                "",
                0,
                task_id,
            )
            entries.append(SpecEntry(task_id, "", problems=[problem]))
    return entries


def _write_atomic(path: str, text: str) -> None:
    folder = os.path.dirname(path)
    mode = os.stat(path).st_mode & 0o7777
    handle, temporary = tempfile.mkstemp(dir=folder, prefix=".gitparallel-", suffix=".md")
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as stream:
            stream.write(text)
        os.chmod(temporary, mode)
        os.replace(temporary, path)
    except BaseException:
        os.unlink(temporary)
        raise


def write_front_matter(context: Context, ids: list[str]) -> list[Written]:
    """Write each named legacy spec's declaration into it; all specs are checked first, so a
    refusal changes nothing."""
    if not ids:
        raise GitParallelError(
            "name the specs to write front matter into",
            "e.g. 'git parallel specs --front-matter 201 202' ('git parallel specs' lists them)",
        )
    catalog = discovery.catalog(context)
    for entry in spec_catalog.entries(catalog, ids):
        if entry.problems or entry.task is None:
            problem = entry.problems[0]
            raise GitParallelError(problem.located, problem.hint)
    written: list[Written] = []
    texts: dict[str, str] = {}
    for task_id in ids:
        task = catalog.load(task_id).task
        full = os.path.join(context.repo.toplevel, task.source)
        if not os.path.isfile(full):
            raise GitParallelError(
                f"task {task.id} is declared in {task.source}, not in a spec file",
                "its declaration is already explicit; edit it there",
            )
        explicit = bool(task.origins) and task.origins[0].kind == FRONT_MATTER
        written.append(Written(task.id, task.source, len(task.files), not explicit))
        if not explicit:
            with open(full, encoding="utf-8", newline="") as handle:
                texts[task.source] = front_matter.with_declaration(handle.read(), task.source, task)
    dirty = git.uncommitted(sorted(texts), context.repo.toplevel)
    if dirty:
        raise Refused(
            f"not writing front matter: {', '.join(sorted(dirty))} has uncommitted changes",
            "commit or stash the spec first, so the diff shows only the written declaration",
        )
    for path, text in texts.items():
        _write_atomic(os.path.join(context.repo.toplevel, path), text)
    return written
