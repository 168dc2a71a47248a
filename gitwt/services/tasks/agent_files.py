"""The files of the agent wiring (`services.tasks.agent_wiring`): reading and writing them whole,
the registration at the repository root, and taking everything away again.

Every file gitwt writes for an agent is recorded with the digest of what was written and what
was there before (None: nothing). A file still exactly as written is gitwt's: it is removed, or
the user's version put back, and `clean` does not count it as work to keep (`pristine`). A file
someone changed since is theirs: it stays, and counts.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil

from gitwt.core import agent_settings
from gitwt.core.agent_settings import AgentFormat
from gitwt.infra import git, state
from gitwt.infra.json_payload import JsonObject

RECORD = "parallel-agent.json"  # in a task worktree's private git dir
ROOT_RECORD = "agent-root.json"  # in parallel/: the registrations at the repository root
EXCLUDES = "parallel-exclude"  # in a task worktree's private git dir
SCRIPT_DIR = "agent-hooks"  # in parallel/: the hook script the settings run
ROOT_EXCLUDE_MARK = "# git parallel: agent settings (removed when no wired task is live)"


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def read(path: str) -> bytes | None:
    try:
        with open(path, "rb") as handle:
            return handle.read()
    except FileNotFoundError:
        return None


def write(path: str, data: bytes, mode: int = 0o644) -> None:
    """Write a file whole: a temporary file renamed over it, so an agent reading it meanwhile
    sees the old or the new one."""
    os.makedirs(os.path.dirname(path), exist_ok=True)
    temporary = f"{path}.tmp-{os.getpid()}"
    with open(temporary, "wb") as handle:
        handle.write(data)
    os.chmod(temporary, mode)
    os.replace(temporary, path)


def text_of(data: bytes | None) -> str | None:
    return None if data is None else data.decode("utf-8", "surrogateescape")


def bytes_of(text: str | None) -> bytes | None:
    return None if text is None else text.encode("utf-8", "surrogateescape")


def settings_json(data: bytes | None, path: str) -> JsonObject:
    """A settings file as an object ({} when there is none); ValueError when it is not one."""
    if data is None or not data.strip():
        return {}
    try:
        loaded = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as error:
        raise ValueError(f"{path} is not plain JSON ({error})") from error
    if not isinstance(loaded, dict):
        raise ValueError(f"{path} does not hold a JSON object")
    return loaded


def dump(settings: JsonObject) -> bytes:
    return (json.dumps(settings, indent=2, ensure_ascii=False) + "\n").encode()


def merged_settings(
    path: str, agent: AgentFormat, commands: dict[str, str]
) -> tuple[bytes | None, bytes]:
    """(the file as it is, or None; the file with our hooks added). ValueError when the user's
    file cannot take them (not JSON, a `hooks` of another shape)."""
    before = read(path)
    try:
        after = agent_settings.add_hooks(settings_json(before, path), agent, commands)
    except ValueError as error:
        raise ValueError(f"{path}: {error}") from error
    return before, dump(after)


def tracked(worktree: str, paths: list[str]) -> set[str]:
    """Which of `paths` (relative) git tracks in `worktree`: one `ls-files`."""
    listed = git.run(["--literal-pathspecs", "ls-files", "-z", "--", *paths], worktree).stdout
    return set(git.split_z(listed))  # names from settings (context.fileName) are not globs


def _restore(path: str, original: str | None, written: str, commands: list[str]) -> None:
    """Put back what was at `path` before gitwt wrote it. A file changed since keeps the
    change: only our hooks, or our note, are taken out of it."""
    current = read(path)
    if current is None:
        return
    before = bytes_of(original)
    if digest(current) == written:
        if before is None:
            os.unlink(path)
        else:
            write(path, before)
        return
    text = text_of(current) or ""
    if agent_settings.NOTE_BEGIN in text:
        write(path, agent_settings.without_note(text).encode("utf-8", "surrogateescape"))
        return
    try:
        stripped = agent_settings.remove_hooks(settings_json(current, path), commands)
        same = stripped == settings_json(before, path)
    except ValueError:
        return  # not ours to read any more: left as it is
    if same and before is not None:
        write(path, before)
    elif same:
        os.unlink(path)
    else:
        write(path, dump(stripped))


# --- the registration at the repository root ---------------------------------------------------


def _root_record_path(common_dir: str) -> str:
    return os.path.join(state.state_dir(common_dir), ROOT_RECORD)


def _load(path: str) -> JsonObject:
    """A record gitwt wrote; {} when there is none, or it cannot be read (anyone can write
    under .git: a broken record must never stop a merge or a clean)."""
    try:
        data = read(path)
        loaded = json.loads(data) if data is not None else {}
    except (OSError, ValueError):
        return {}
    return loaded if isinstance(loaded, dict) else {}


def register_root(
    common_dir: str, main: str, agent: AgentFormat, commands: dict[str, str]
) -> str | None:
    """Our hooks in the agent's settings at the repository root (the main checkout); None
    once they are there, else why they cannot be. Call under the state lock."""
    relative = agent.root_settings or ""
    path = os.path.join(main, relative)
    record_path = _root_record_path(common_dir)
    record = _load(record_path)
    entry = record.get(agent.name)
    if entry is None and tracked(main, [relative]):
        return (
            f"{relative} at the repository root is tracked, so gitwt leaves it alone: "
            f"{agent.title} reads the hooks from the task worktree's own file only"
        )
    try:
        before, after = merged_settings(path, agent, commands)
    except ValueError as error:
        return f"cannot add the hooks at the repository root: {error}"
    if entry is None:
        entry = {
            "file": path,
            "original": text_of(before),
            "made_dir": not os.path.isdir(os.path.dirname(path)),
            "excluded": before is None and _exclude_in_main(common_dir, relative),
        }
    if before != after:
        write(path, after)
    entry.update(written=digest(after), commands=sorted(commands.values()))
    record[agent.name] = entry
    state.write_json_atomic(record_path, record)
    return None


def _exclude_in_main(common_dir: str, relative: str) -> bool:
    """List a file gitwt creates in the main checkout in `info/exclude` (which every worktree
    reads); True when this added the lines."""
    path = os.path.join(common_dir, "info", "exclude")
    current = read(path) or b""
    lines = f"{ROOT_EXCLUDE_MARK}\n/{relative}\n".encode()
    if lines in current:
        return False
    joined = current if not current or current.endswith(b"\n") else current + b"\n"
    write(path, joined + lines)
    return True


def _unexclude_in_main(common_dir: str, relative: str) -> None:
    path = os.path.join(common_dir, "info", "exclude")
    current = read(path)
    lines = f"{ROOT_EXCLUDE_MARK}\n/{relative}\n".encode()
    if current is not None and lines in current:
        write(path, current.replace(lines, b"", 1))


def lift_if_idle(common_dir: str) -> bool:
    """After merge or clean: once no live task has an agent wired, the root's settings are put
    back as they were, and the hook script goes. True when something was taken away."""
    with state.locked(common_dir):
        tasks = state.all_tasks(common_dir).values()
        if any(state.is_live(task) and task.get("agent") for task in tasks):
            return False
        record_path = _root_record_path(common_dir)
        record = _load(record_path)
        if not record and os.path.exists(record_path):
            return False  # unreadable: what to put back is unknown, so everything stays
        for name, entry in record.items():
            try:
                _lift_one(common_dir, name, entry)
            except (OSError, ValueError, TypeError, KeyError, AttributeError):
                # A record someone edited: leave the file, the record and the script (its hooks
                # still answer) as they are, rather than fail the merge or clean that called.
                return False
        script_dir = os.path.join(state.state_dir(common_dir), SCRIPT_DIR)
        found = bool(record) or os.path.isdir(script_dir)
        shutil.rmtree(script_dir, ignore_errors=True)
        if os.path.exists(record_path):
            os.unlink(record_path)
        return found


def _lift_one(common_dir: str, name: str, entry: JsonObject) -> None:
    """Put back the root's settings file of one agent, as the record says it was."""
    path = str(entry["file"])
    _restore(path, entry.get("original"), str(entry["written"]), list(entry.get("commands", [])))
    if entry.get("made_dir"):
        with contextlib.suppress(OSError):  # something else is in it now
            os.rmdir(os.path.dirname(path))
    if entry.get("excluded"):
        _unexclude_in_main(common_dir, agent_settings.AGENTS[name].root_settings or "")


# --- one task worktree -------------------------------------------------------------------------


def worktree_record(git_dir: str | None) -> JsonObject:
    if git_dir is None:
        return {}
    try:
        return _load(os.path.join(git_dir, RECORD))
    except (OSError, ValueError):
        return {}  # unreadable: nothing counts as ours, so nothing is dropped unseen


def pristine(worktree: str, git_dir: str | None) -> set[str]:
    """The files (relative) gitwt created in this worktree for an agent and nobody changed:
    removing them loses nothing."""
    files = worktree_record(git_dir).get("files", {})
    found = set()
    for relative, entry in files.items() if isinstance(files, dict) else []:
        if not isinstance(entry, dict) or entry.get("original") is not None:
            continue  # the user's own file, merged into: it is theirs
        current = read(os.path.join(worktree, relative))
        if current is not None and digest(current) == entry.get("written"):
            found.add(relative)
    return found


def unwire(worktree: str, git_dir: str | None) -> None:
    """Take away what gitwt wrote in a task worktree for its agent (before the worktree goes)."""
    record = worktree_record(git_dir)
    files = record.get("files", {})
    for relative, entry in files.items() if isinstance(files, dict) else []:
        if isinstance(entry, dict) and isinstance(entry.get("written"), str):
            path = os.path.join(worktree, relative)
            commands = record.get("commands")
            _restore(path, entry.get("original"), entry["written"], commands or [])
    if git_dir is not None and record:
        os.unlink(os.path.join(git_dir, RECORD))
