"""Find and parse task specs (Markdown with YAML front matter, or legacy markers) into Tasks."""

from __future__ import annotations

import glob
import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from gitwt.core import patterns
from gitwt.errors import GitParallelError
from gitwt.infra.config import Config

# A task id becomes a branch name (`parallel/{id}`), a worktree folder and a state file name:
# bounded well under the 255 bytes a file name may hold, and no component git refuses.
MAX_ID_LENGTH = 100
TASK_ID = re.compile(
    rf"(?!.*\.\.)(?!.*\.lock$)[A-Za-z0-9][A-Za-z0-9._-]{{0,{MAX_ID_LENGTH - 1}}}(?<!\.)"
)
_SPEC_NAME = re.compile(r"SPEC-(?P<id>[A-Za-z0-9][A-Za-z0-9._]*?)(?:-.*)?\.md", re.IGNORECASE)


class SpecError(GitParallelError):
    pass


@dataclass(frozen=True)
class Task:
    id: str
    title: str
    owner: str | None
    files: tuple[str, ...]
    depends_on: tuple[str, ...] = ()
    run: str | tuple[str, ...] | None = None
    source: str = ""  # repo-relative spec path, or the config file


def check_id(value: object, where: str) -> str:
    task_id = (
        str(value).strip() if isinstance(value, int | str) and not isinstance(value, bool) else None
    )
    if task_id is not None and len(task_id) > MAX_ID_LENGTH:
        raise SpecError(
            f"task id {task_id[:20]!r}... ({len(task_id)} characters){where} is too long",
            f"task ids have at most {MAX_ID_LENGTH} characters (they name branches and files)",
        )
    if not task_id or not TASK_ID.fullmatch(task_id):
        raise SpecError(
            f"invalid task id {value!r}{where}",
            "task ids are letters, digits, '.', '_' and '-', starting with a letter or digit "
            "and not ending with '.' or '.lock'",
        )
    # '065', '65' and 65 are one task everywhere (file names, depends_on, branches, state).
    return str(int(task_id)) if task_id.isdigit() else task_id


def same_id(first: str, second: str) -> bool:
    """'65' and '065' are one task; other ids compare exactly."""
    if first.isdigit() and second.isdigit():
        return int(first) == int(second)
    return first == second


def id_key(task_id: str) -> tuple[int, int | str]:
    """One key per task under `same_id`: '65' and '065' share it."""
    if task_id.isdigit():
        try:
            return (0, int(task_id))
        except ValueError:  # digits int() does not read, such as '²'
            pass
    return (1, task_id)


# --- parsing (pure) --------------------------------------------------------------------------


def split_front_matter(text: str, source: str) -> tuple[dict[str, Any] | None, str]:
    """The front matter's mapping (None without one) and the body after it."""
    from gitwt.core import front_matter

    try:
        found = front_matter.split(text, source)
    except front_matter.FrontMatterError as exc:
        raise SpecError(exc.message, exc.hint) from exc
    return found.data, found.body


_BACKTICKED = re.compile(r"`([^`\n]+)`")
_FILE_MARKER = re.compile(r"^\s*(?:[-*+]\s+)?\*\*Files?\*\*\s*:\s*(?P<rest>.+?)\s*$")
_OWNER_MARKER = re.compile(r"^\s*(?:[-*+]\s+)?\*\*Owner\*\*\s*:\s*(?P<rest>.+?)\s*$")
_HEADING = re.compile(r"^(?P<level>#{1,6})\s+(?P<text>.*?)\s*#*\s*$")
_LIST_ITEM = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s+(?P<rest>.*)$")


def legacy_markers(body: str) -> tuple[list[str], str | None, str | None]:
    """Declared files, owner and title from a spec without front-matter `files`."""
    files: list[str] = []
    owner: str | None = None
    title: str | None = None
    files_heading_level: int | None = None
    in_fence = False
    for line in body.splitlines():
        if line.lstrip().startswith(("```", "~~~")):
            in_fence = not in_fence
            continue
        if in_fence:
            continue
        heading = _HEADING.match(line)
        if heading:
            level = len(heading.group("level"))
            if title is None and level == 1:
                title = heading.group("text")
            if files_heading_level is not None and level <= files_heading_level:
                files_heading_level = None
            if "files" in heading.group("text").lower():
                files_heading_level = level
            continue
        marker = _FILE_MARKER.match(line)
        if marker:
            rest = marker.group("rest")
            found = _BACKTICKED.findall(rest)
            files.extend(found if found else [part.strip() for part in rest.split(",")])
            continue
        owner_marker = _OWNER_MARKER.match(line)
        if owner_marker and owner is None:
            owner = owner_marker.group("rest").strip("`* ")
            continue
        item = _LIST_ITEM.match(line)
        if item and files_heading_level is not None:
            found = _BACKTICKED.findall(item.group("rest"))
            if found:
                files.append(found[0])
    return [path for path in files if path], owner, title


def _list_of(value: Any, key: str, source: str) -> list[Any]:
    if value is None:
        return []
    if isinstance(value, str | int) and not isinstance(value, bool):
        return [value]
    if isinstance(value, list):
        return value
    raise SpecError(
        f"'{key}' in {source} must be a list, got {type(value).__name__}",
        f"write '{key}:' followed by '- item' lines",
    )


def build_task(
    task_id: str, fields: Mapping[str, Any], source: str, legacy_body: str | None = None
) -> Task:
    """Validate one task's fields (front matter, or a [tasks.N] table) into a Task."""
    where = f" in {source}"
    files_value = fields.get("files")
    title = fields.get("title")
    owner = fields.get("owner")
    if files_value is None and legacy_body is not None:
        legacy_files, legacy_owner, legacy_title = legacy_markers(legacy_body)
        files_value = legacy_files
        owner = owner if owner is not None else legacy_owner
        title = title if title is not None else legacy_title
    files = [patterns.validate(item, source) for item in _list_of(files_value, "files", source)]
    if not files:
        raise SpecError(
            f"task {task_id} declares no files{where}",
            "list the paths the task may change under 'files:' (a task with none is refused)",
        )
    if owner is not None and (not isinstance(owner, str) or not owner.strip()):
        raise SpecError(
            f"'owner' of task {task_id}{where} must be a non-empty string",
            "write an owner token of the ownership map, e.g. 'owner: @backend'",
        )
    depends_on = tuple(
        check_id(item, where) for item in _list_of(fields.get("depends_on"), "depends_on", source)
    )
    run = fields.get("run")
    if run is not None and not (
        (isinstance(run, str) and run.strip())
        or (isinstance(run, list) and run and all(isinstance(part, str) for part in run))
    ):
        raise SpecError(
            f"'run' of task {task_id}{where} must be a command string or list",
            "write e.g. 'run: make test' or remove the key",
        )
    return Task(
        id=task_id,
        title=str(title).strip() if title is not None else task_id,
        owner=owner.strip() if isinstance(owner, str) else None,
        files=tuple(dict.fromkeys(files)),
        depends_on=tuple(dict.fromkeys(depends_on)),
        run=tuple(run) if isinstance(run, list) else run,
        source=source,
    )


def parse_spec(text: str, source: str, name_id: str | None) -> Task:
    front, body = split_front_matter(text, source)
    front = front or {}
    raw_id = front.get("id", name_id)
    if raw_id is None:
        raise SpecError(
            f"spec {source} has no task id",
            "add 'id: <id>' to its front matter or name it SPEC-<id>-<title>.md",
        )
    task_id = check_id(raw_id, f" in {source}")
    return build_task(task_id, front, source, legacy_body=body)


# --- discovery (reads the working tree) ------------------------------------------------------


def spec_paths(toplevel: str, globs: Iterable[str]) -> list[str]:
    found: set[str] = set()
    for pattern in globs:
        for path in glob.glob(pattern, root_dir=toplevel, recursive=True, include_hidden=True):
            if os.path.isfile(os.path.join(toplevel, path)):
                found.add(path.replace(os.sep, "/"))
    return sorted(found)


def _claimed_id(path: str, text: str) -> str | None:
    """The id a spec file claims, from front matter or file name, without validating the rest."""
    if text.startswith(("---", "\ufeff---")):
        match = re.search(
            r"^id\s*:\s*['\"]?(?P<id>[^'\"#\n]+?)['\"]?\s*(?:#.*)?$",
            text.split("\n---", 1)[0],
            re.MULTILINE,
        )
        if match:
            return match.group("id").strip()
    name = _SPEC_NAME.fullmatch(os.path.basename(path))
    return name.group("id") if name else None


def find_tasks(toplevel: str, config: Config, ids: Iterable[str]) -> list[Task]:
    """Load the tasks with these ids from specs and inline config; each id must be found once."""
    wanted = [check_id(task_id, "") for task_id in ids]
    candidates: dict[str, list[tuple[str, str]]] = {task_id: [] for task_id in wanted}
    wanted_by_key: dict[tuple[int, int | str], list[str]] = {}
    for task_id in wanted:
        wanted_by_key.setdefault(id_key(task_id), []).append(task_id)
    inline_by_key: dict[tuple[int, int | str], list[str]] = {}
    for key in config.tasks:
        inline_by_key.setdefault(id_key(key), []).append(key)
    for path in spec_paths(toplevel, config.specs):
        try:
            with open(os.path.join(toplevel, path), encoding="utf-8") as handle:
                text = handle.read()
        except (OSError, UnicodeDecodeError) as exc:
            raise SpecError(
                f"cannot read spec {path}: {exc}", "make it a readable UTF-8 file"
            ) from exc
        claimed = _claimed_id(path, text)
        if claimed is None:
            continue
        for task_id in wanted_by_key.get(id_key(claimed), ()):
            candidates[task_id].append((path, text))
    tasks: list[Task] = []
    for task_id in wanted:
        inline = inline_by_key.get(id_key(task_id), [])
        sources = [path for path, _ in candidates[task_id]] + [
            f"{config.source} [tasks.{key}]" for key in inline
        ]
        if not sources:
            raise SpecError(
                f"no spec found for task {task_id}",
                f"add docs/SPEC-{task_id}-<title>.md (or 'id: {task_id}' in a spec's front "
                f"matter), or [tasks.{task_id}] in {config.source or '.gitparallel.toml'}",
            )
        if len(sources) > 1:
            raise SpecError(
                f"task {task_id} is declared twice: {' and '.join(sources)}",
                "keep one spec per task id",
            )
        if inline:
            tasks.append(build_task(task_id, config.tasks[inline[0]], sources[0]))
        else:
            path, text = candidates[task_id][0]
            name = _SPEC_NAME.fullmatch(os.path.basename(path))
            task = parse_spec(text, path, name.group("id") if name else None)
            tasks.append(Task(**{**task.__dict__, "id": task_id}))
    seen: dict[tuple[int, int | str], str] = {}
    for task in tasks:
        id_number = id_key(task.id)
        if id_number in seen:
            raise SpecError(
                f"task {task.id} is named twice ({seen[id_number]} and {task.id})",
                "name each task once",
            )
        seen[id_number] = task.id
    return tasks
