"""A merged unit recorded as done in its own plan, inside the merge commit (DESIGN §6).

`merge` calls `marked_done` on each candidate's tree before it writes the merge commit, so the
status lands in the same compare-and-swap as the work: a unit that does not merge is never
marked. The unit is found again in the plan as the candidate has it (its reader run on that
plan folder's files there); the edit itself is the core's (`core.plan_done`, and
`core.formats.roadmap.complete` for the older system's roadmap).
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from gitwt.infra import git, git_output
from gitwt.infra.git_trees import blobs

if TYPE_CHECKING:
    from gitwt.core.formats.plan_units import PlanFormat, PlanTask, PlanUnit
    from gitwt.infra.task_record import TaskRecord
    from gitwt.services.context import Context

Files = dict[str, tuple[str, str]]  # path -> (mode, text)


def _read(tree: str, paths: list[str], cwd: str) -> Files:
    """The regular files at or under `paths` in `tree`, with their modes and texts."""
    listing = git.run(["ls-tree", "-r", "-z", "--full-tree", tree, "--", *paths], cwd).stdout
    found = [
        (mode, oid, path)
        for mode, kind, oid, path in git_output.parse_tree_entries(listing)
        if kind == "blob" and mode in ("100644", "100755")
    ]
    texts = blobs([oid for _, oid, _ in found], cwd)
    return {
        path: (mode, data.decode("utf-8", "surrogateescape"))
        for (mode, _, path), data in zip(found, texts, strict=True)
    }


def _plan_of(source: str) -> tuple[PlanFormat, str] | None:
    from gitwt.core.formats import FORMATS

    for plan_format in FORMATS:
        folder = plan_format.plan_of(source)
        if folder is not None:
            return plan_format, folder
    return None


def _find(
    plan_format: PlanFormat, units: tuple[PlanUnit, ...], task_id: str
) -> tuple[PlanUnit, PlanTask | None] | None:
    """The unit (or task line) the task id names, with or without the format's short name."""
    names = {task_id}
    if task_id.startswith(plan_format.short + "."):
        names.add(task_id[len(plan_format.short) + 1 :])
    for unit in units:
        if unit.id in names or names & set(unit.aliases):
            return unit, None
        for line in unit.tasks:
            if line.id in names:
                return unit, line
    return None


def _plan_edits(record: TaskRecord, tree: str, cwd: str) -> tuple[Files, dict[str, str]]:
    from gitwt.core.plan_done import done_texts

    found = _plan_of(str(record.get("source") or ""))
    if found is None:
        return {}, {}
    plan_format, folder = found
    files = {
        path: entry
        for path, entry in _read(tree, [folder], cwd).items()
        if plan_format.plan_of(path) == folder
    }
    reading = plan_format.read({path: text for path, (_, text) in files.items()})
    named = _find(plan_format, reading.units, str(record["id"]))
    if named is None:
        return files, {}
    return files, done_texts(*named, {path: text for path, (_, text) in files.items()})


def _roadmap_edits(
    context: Context, record: TaskRecord, tree: str, cwd: str
) -> tuple[Files, dict[str, str]]:
    """The roadmap's headings of the open priorities whose spec this task is, set ✅ Complete."""
    from gitwt.core.formats import roadmap
    from gitwt.core.formats.plan_units import DONE

    path = context.config.roadmap
    if not os.path.isfile(os.path.join(context.repo.toplevel, path)):
        return {}, {}  # no roadmap in this repository: no git process spent looking
    files = _read(tree, [path], cwd)
    if path not in files:
        return {}, {}
    text = files[path][1]
    task_id, source = str(record["id"]), str(record.get("source") or "")
    for priority in roadmap.read_roadmap(path, text):
        if priority.status == DONE or not priority.links:
            continue
        if roadmap.names_task(priority.links[0], task_id, source):
            text = roadmap.complete(text, priority.line) or text
    return files, ({path: text} if text != files[path][1] else {})


def marked_done(context: Context, record: TaskRecord, tree: str) -> str:
    """`tree` with the task's unit recorded as done in its plan (and in the roadmap); `tree`
    itself when there is nothing to write."""
    from gitwt.services.merging.plan_merge import tree_with

    cwd = context.repo.toplevel
    files, edits = _plan_edits(record, tree, cwd)
    more_files, more = _roadmap_edits(context, record, tree, cwd)
    files.update(more_files)
    edits.update(more)
    if not edits:
        return tree
    written = [
        (files[path][0], path, text.encode("utf-8", "surrogateescape"))
        for path, text in sorted(edits.items())
    ]
    return tree_with(cwd, tree, written)
