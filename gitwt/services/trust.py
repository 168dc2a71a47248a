"""Trust for commands that come from files in the repository (spec `run`, config `run`/`test`).

A cloned repository must not run code just because someone typed `git parallel start`. Such a
command runs only after this user trusted it once: the trust is kept per user, keyed by the
repository and a hash of the exact argv, so any edit to the command asks again. Commands typed
on the command line need no trust.
"""

from __future__ import annotations

import json
import os
import shlex
from collections.abc import Sequence

from gitwt.errors import GitParallelError, Refused

TRUST_ENV = "GIT_PARALLEL_TRUST_FILE"  # where tests and sandboxes keep their own trust file


def command_argv(command: str | Sequence[str]) -> list[str]:
    """Split a command as a POSIX shell splits it, without a shell (core.shell_words): a user
    who wants variables, pipes or `&&` writes `sh -c '…'`."""
    if not isinstance(command, str):
        return list(command)
    from gitwt.core import shell_words

    try:
        return shell_words.split(command)
    except shell_words.ShellWordsError as error:
        raise GitParallelError(
            f"cannot split the command {command!r}: {error}",
            "quote it as a POSIX shell would (close each quote), or give it as a list",
        ) from error


def trust_file() -> str:
    if os.environ.get(TRUST_ENV):
        return os.environ[TRUST_ENV]
    base = os.environ.get("XDG_CONFIG_HOME") or os.path.join(os.path.expanduser("~"), ".config")
    return os.path.join(base, "git-parallel", "trust.json")


def _key(common_dir: str, command: str | Sequence[str]) -> tuple[str, str]:
    repository = os.path.realpath(common_dir)
    import hashlib  # here: an open task never hashes a command

    digest = hashlib.sha256(json.dumps(command_argv(command)).encode()).hexdigest()
    return repository, digest


def _load() -> dict[str, list[str]]:
    try:
        with open(trust_file(), encoding="utf-8") as handle:
            data = json.load(handle)
    except (FileNotFoundError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def is_trusted(common_dir: str, command: str | Sequence[str]) -> bool:
    repository, digest = _key(common_dir, command)
    return digest in _load().get(repository, [])


def grant(common_dir: str, commands: Sequence[str | Sequence[str]]) -> None:
    from gitwt.infra.state import write_json_atomic

    data = _load()
    for command in commands:
        repository, digest = _key(common_dir, command)
        entries = data.setdefault(repository, [])
        if digest not in entries:
            entries.append(digest)
    os.makedirs(os.path.dirname(trust_file()), exist_ok=True)
    write_json_atomic(trust_file(), data)


def require(common_dir: str, command: str | Sequence[str], origin: str, trust_hint: str) -> None:
    """Refuse (exit 1) a repository-supplied command this user has not trusted yet."""
    if not is_trusted(common_dir, command):
        raise Refused(
            f"{origin} wants to run {shlex.join(command_argv(command))!r}, "
            "which you have not trusted in this repository",
            f"read it, then run '{trust_hint}' (or pass the command on the command line)",
        )
