"""Load and validate `.gitparallel.toml` or `[tool.git-parallel]` in `pyproject.toml`."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

from gitwt.errors import GitParallelError
from gitwt.infra.json_payload import JsonObject

CONFIG_FILE = ".gitparallel.toml"
PYPROJECT = "pyproject.toml"
DEFAULT_SPECS = ("docs/**/SPEC-*.md", "specs/**/*.md")
DEFAULT_ROADMAP = "docs/roadmap/ROADMAP.md"
CODEOWNERS_LOCATIONS = (".github/CODEOWNERS", "CODEOWNERS", "docs/CODEOWNERS")
TASK_KEYS = frozenset({"title", "owner", "files", "depends_on", "run"})


LOCAL_VARIABLE = "GIT_PARALLEL_LOCAL"  # set (by --local): team mode off for this run


class ConfigError(GitParallelError):
    pass


@dataclass(frozen=True)
class Config:
    source: str = ""  # the file it came from, "" for defaults
    base: str | None = None
    specs: tuple[str, ...] = DEFAULT_SPECS
    specs_exclude: tuple[str, ...] = ()
    default_owner: str | None = None  # the owner of a task whose spec names none
    ownership: str | None = None
    unowned: str = "allow"
    branch: str = "parallel/{id}"
    worktree: str = "../{repo}-wt{id}"
    max_instances: int = 2
    cpu_max: float = 80.0
    memory_max: float = 80.0
    run: str | tuple[str, ...] | None = None
    setup: str | tuple[str, ...] | None = None  # run in each new task worktree first
    test: str | tuple[str, ...] | None = None
    poll_interval: float = 2.0
    sparse: bool = False
    auto_merge: bool = False
    remote: str | None = None  # team mode (DESIGN §11): the remote that holds the registry
    agent: str | None = None  # the agent `start` wires into each task worktree (DESIGN §5)
    # The plan formats to read (DESIGN §2, "Plans written by other tools"); None: every one.
    # The names are checked against the formats table by the discovery service (infra cannot
    # import the core that holds it).
    formats: tuple[str, ...] | None = None
    # The older system's roadmap (DESIGN §2): `### PRIORITY N: title <status>` headings that
    # give its specs a status and an order for `next`. A missing file is no roadmap.
    roadmap: str = DEFAULT_ROADMAP
    mark_done: bool = True  # `merge` records each merged unit as done in its own plan (§6)
    tasks: dict[str, JsonObject] = field(default_factory=dict)


def _fail(key: str, source: str, problem: str) -> ConfigError:
    return ConfigError(
        f"config key '{key}' in {source} {problem}",
        f"fix '{key}' in {source} (see docs/config.md)",
    )


def _string(value: Any, key: str, source: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise _fail(key, source, f"must be a non-empty string, got {value!r}")
    return value


def _command(value: Any, key: str, source: str) -> str | tuple[str, ...]:
    if isinstance(value, list) and value and all(isinstance(item, str) for item in value):
        return tuple(value)
    return _string(value, key, source)


def _number(value: Any, key: str, source: str, low: float, high: float | None) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _fail(key, source, f"must be a number, got {value!r}")
    if value < low or (high is not None and value > high):
        bounds = f"between {low:g} and {high:g}" if high is not None else f"at least {low:g}"
        raise _fail(key, source, f"must be {bounds}, got {value!r}")
    return float(value)


def _repo_path(value: Any, key: str, source: str) -> str:
    """A repo-relative file path: never absolute, never out through '..'."""
    text = _string(value, key, source).strip().replace("\\", "/")
    if text.startswith("/") or ".." in text.split("/") or text.endswith("/"):
        raise _fail(key, source, f"must be a file path inside the repository, got {value!r}")
    return text.removeprefix("./")


def _template(value: Any, key: str, source: str) -> str:
    text = _string(value, key, source)
    if "{id}" not in text:
        raise _fail(key, source, f"must contain '{{id}}' so each task gets its own, got {text!r}")
    try:
        text.format(id="1", repo="r")
    except (KeyError, IndexError, ValueError) as exc:
        raise _fail(
            key, source, f"has an unknown placeholder ({exc}); use {{id}} and {{repo}}"
        ) from exc
    return text


def validate(raw: JsonObject, source: str) -> Config:
    values: dict[str, Any] = {"source": source}
    for key, value in raw.items():
        match key:
            case "base" | "ownership" | "default_owner" | "remote" | "agent":
                values[key] = _string(value, key, source)
            case "unowned":
                if value not in ("allow", "deny"):
                    raise _fail(key, source, f"must be 'allow' or 'deny', got {value!r}")
                values[key] = value
            case "specs" | "specs_exclude":
                if isinstance(value, str):
                    value = [value]
                if (
                    not isinstance(value, list)
                    or (not value and key == "specs")
                    or not all(isinstance(item, str) and item for item in value)
                ):
                    raise _fail(key, source, f"must be a list of glob strings, got {value!r}")
                values[key] = tuple(value)
            case "branch" | "worktree":
                values[key] = _template(value, key, source)
            case "max_instances":
                if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                    raise _fail(key, source, f"must be a whole number of at least 1, got {value!r}")
                values[key] = value
            case "cpu_max" | "memory_max":
                values[key] = _number(value, key, source, 0, 100)  # 0: any load is busy
            case "poll_interval":
                values[key] = _number(value, key, source, 0.05, None)
            case "run" | "setup" | "test":
                values[key] = _command(value, key, source)
            case "roadmap":
                values[key] = _repo_path(value, key, source)
            case "sparse" | "auto_merge" | "mark_done":
                if not isinstance(value, bool):
                    raise _fail(key, source, f"must be true or false, got {value!r}")
                values[key] = value
            case "formats":
                if isinstance(value, str):
                    value = [value]
                if not isinstance(value, list) or not all(
                    isinstance(item, str) and item.strip() for item in value
                ):
                    raise _fail(key, source, f"must be a list of format names, got {value!r}")
                values[key] = tuple(item.strip() for item in value)
            case "tasks":
                values[key] = _tasks(value, source)
            case _:
                raise ConfigError(
                    f"unknown config key '{key}' in {source}",
                    "known keys: base, specs, specs_exclude, ownership, unowned, default_owner, "
                    "branch, worktree, max_instances, cpu_max, memory_max, run, setup, test, "
                    "poll_interval, sparse, auto_merge, remote, formats, roadmap, mark_done, tasks",
                )
    return Config(**values)


def _tasks(value: Any, source: str) -> dict[str, JsonObject]:
    if not isinstance(value, dict):
        raise _fail("tasks", source, "must be a table of [tasks.<id>] tables")
    tasks: dict[str, JsonObject] = {}
    for task_id, table in value.items():
        if not isinstance(table, dict):
            raise _fail(f"tasks.{task_id}", source, "must be a table")
        unknown = sorted(set(table) - TASK_KEYS)
        if unknown:
            raise ConfigError(
                f"unknown config key 'tasks.{task_id}.{unknown[0]}' in {source}",
                "task tables take: title, owner, files, depends_on, run",
            )
        tasks[str(task_id)] = table
    return tasks


def load(toplevel: str) -> Config:
    """The config in the files of the worktree at `toplevel`; defaults when there is none.
    (Commands read the config committed on base: infra.committed_config.)"""
    return from_texts(read_files(toplevel))


def read_files(toplevel: str) -> dict[str, bytes | None]:
    """The two files a config may be in, as the worktree has them (None: no such file)."""
    found: dict[str, bytes | None] = {}
    for name in (CONFIG_FILE, PYPROJECT):
        try:
            with open(os.path.join(toplevel, name), "rb") as handle:
                found[name] = handle.read()
        except FileNotFoundError:
            found[name] = None
        except OSError as exc:
            raise ConfigError(
                f"cannot read {name}: {exc}", f"check that {name} is a readable file"
            ) from exc
    return found


def from_texts(texts: dict[str, bytes | None]) -> Config:
    """The config these file contents give. With GIT_PARALLEL_LOCAL set (`--local`) team mode
    is off: `remote` reads as unset."""
    found = _from_texts(texts)
    if found.remote is not None and os.environ.get(LOCAL_VARIABLE):
        import dataclasses

        return dataclasses.replace(found, remote=None)
    return found


def tool_section(data: bytes | None) -> Any:
    """`[tool.git-parallel]` of a pyproject.toml's bytes (None when absent)."""
    if data is None:
        return None
    return _parse_toml(data, PYPROJECT).get("tool", {}).get("git-parallel")


def _from_texts(texts: dict[str, bytes | None]) -> Config:
    section = tool_section(texts.get(PYPROJECT))
    own = texts.get(CONFIG_FILE)
    if own is not None:
        if section is not None:
            raise ConfigError(
                f"config in two places: {CONFIG_FILE} and [tool.git-parallel] in {PYPROJECT}",
                "keep one of them; nothing would tell which one wins",
            )
        return validate(_parse_toml(own, CONFIG_FILE), CONFIG_FILE)
    if section is not None:
        source = f"{PYPROJECT} [tool.git-parallel]"
        if not isinstance(section, dict):
            raise ConfigError(f"{source} must be a table", "write it as [tool.git-parallel]")
        return validate(section, source)
    return Config()


def _parse_toml(data: bytes, shown: str) -> JsonObject:
    import tomllib  # only a repository with a config file pays for it (~4 ms at start-up)

    try:
        return tomllib.loads(data.decode("utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(
            f"{shown} is not valid TOML: {exc}", f"fix the syntax of {shown}"
        ) from exc
    except UnicodeDecodeError as exc:
        raise ConfigError(f"cannot read {shown}: {exc}", f"make {shown} UTF-8 text") from exc
