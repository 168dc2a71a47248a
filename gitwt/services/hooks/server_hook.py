"""The server's check (DESIGN §11): a bare repository's pre-receive hook that refuses pushes to
task branches whose new commits change paths outside the task's declaration in the registry.

Hooks on a laptop can be skipped (`--no-verify`); this one runs where the branch lands. It reads
what the server holds: the config and ownership map at HEAD, the registry ref, and the commits
the push brings (those no ref reaches yet). Its messages are the commit hook's, from the core.
A task branch with no registry entry is refused too (fail closed): only live tasks take pushes.
"""

from __future__ import annotations

import os
import re
import sys
import tomllib
from typing import Any

from gitwt.core import boundaries
from gitwt.core.specs import same_id
from gitwt.core.task_ids import TASK_ID
from gitwt.errors import GitParallelError
from gitwt.infra import config as config_module
from gitwt.infra import git, remote

HOOK = "pre-receive"
MARKER = "# git parallel server check"
PREVIOUS = "pre-receive.before-git-parallel"
SCRIPT = """#!{python} -I
{marker} (pre-receive): task branches may change only their declared paths.
import sys
sys.path.insert(0, {root!r})
from gitwt.services.hooks.server_hook import main
sys.exit(main(sys.stdin.buffer.read()))
"""


# --- install ---------------------------------------------------------------------------------


def hook_paths(path: str) -> tuple[str, str]:
    """The bare repository's hooks folder and its pre-receive hook; exit 2 when `path` is not a
    bare repository (the check belongs where the team pushes, not in a clone)."""
    bare = git.run(["rev-parse", "--is-bare-repository"], path, check=False)
    if bare.returncode != 0 or bare.stdout.strip() != b"true":
        raise GitParallelError(
            f"{os.path.abspath(path)} is not a bare repository",
            "run 'git parallel hooks ... --server' in the repository the team pushes to",
        )
    git_dir = git.out(["rev-parse", "--path-format=absolute", "--git-dir"], path)
    hooks_dir = os.path.join(
        git_dir, git.config_get("core.hooksPath", path, "--type=path") or "hooks"
    )
    return hooks_dir, os.path.join(hooks_dir, HOOK)


def install(path: str) -> str:
    """Install the pre-receive check in the bare repository at `path`; the hook found there
    keeps running after ours (moved aside, fed the same input)."""
    import gitwt
    from gitwt.services.tasks.shims import interpreter

    hooks_dir, target = hook_paths(path)
    os.makedirs(hooks_dir, exist_ok=True)
    if os.path.exists(target) and not _ours(target):
        os.replace(target, os.path.join(hooks_dir, PREVIOUS))
    root = os.path.dirname(os.path.dirname(os.path.abspath(gitwt.__file__)))
    temporary = target + ".tmp"
    with open(temporary, "w", encoding="utf-8") as handle:
        handle.write(SCRIPT.format(python=interpreter(), marker=MARKER, root=root))
    os.chmod(temporary, 0o755)
    os.replace(temporary, target)
    return target


def uninstall(path: str) -> str | None:
    """Remove our pre-receive check and put back the hook it moved aside; the hook's path, or
    None when our check was not installed (a user's own hook is never touched)."""
    hooks_dir, target = hook_paths(path)
    if not _ours(target):
        return None
    previous = os.path.join(hooks_dir, PREVIOUS)
    if os.path.exists(previous):
        os.replace(previous, target)
    else:
        os.remove(target)
    return target


def installed(path: str) -> tuple[str | None, str | None]:
    """(our pre-receive check, the hook it chains to), each None when absent."""
    hooks_dir, target = hook_paths(path)
    previous = os.path.join(hooks_dir, PREVIOUS)
    return (target if _ours(target) else None), (previous if os.path.exists(previous) else None)


def _ours(path: str) -> bool:
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            return MARKER in handle.read(4096)
    except OSError:
        return False


# --- what the server holds -------------------------------------------------------------------


def _blob(rev: str, path: str) -> str | None:
    result = git.run(["cat-file", "blob", f"{rev}:{path}"], None, check=False)
    return result.stdout.decode("utf-8", "replace") if result.returncode == 0 else None


def server_config() -> config_module.Config:
    """The config as committed on the default branch (HEAD), like a clone would read it."""
    text = _blob("HEAD", config_module.CONFIG_FILE)
    if text is not None:
        return config_module.validate(tomllib.loads(text), config_module.CONFIG_FILE)
    text = _blob("HEAD", config_module.PYPROJECT)
    if text is not None:
        section = tomllib.loads(text).get("tool", {}).get("git-parallel")
        if isinstance(section, dict):
            return config_module.validate(section, f"{config_module.PYPROJECT} [tool.git-parallel]")
    return config_module.Config()


def _ownership(config: config_module.Config) -> Any:
    from gitwt.core import ownership

    places = (config.ownership,) if config.ownership else config_module.CODEOWNERS_LOCATIONS
    for candidate in places:
        text = _blob("HEAD", candidate)
        if text is not None:
            return ownership.parse(text, candidate)
    return None


def branch_pattern(template: str) -> re.Pattern[str]:
    """The config's branch template as a regex over branch names, capturing the task id."""
    parts = re.split(r"(\{id\}|\{repo\})", template)
    regex = "".join(
        f"(?P<id>{TASK_ID.pattern})"
        if part == "{id}"
        else "[^/]+"
        if part == "{repo}"
        else re.escape(part)
        for part in parts
    )
    return re.compile(regex)


# --- the check -------------------------------------------------------------------------------


def check_update(
    config: config_module.Config, entries: dict[str, Any], ref: str, new: str
) -> tuple[str | None, list[boundaries.Violation]]:
    """A refusal reason (or None) and the violations of one pushed ref."""
    if new == git.NULL_OID or not ref.startswith("refs/heads/"):
        return None, []
    match = branch_pattern(config.branch).fullmatch(ref.removeprefix("refs/heads/"))
    if match is None:
        return None, []
    entry = next((e for key, e in entries.items() if same_id(key, match.group("id"))), None)
    if entry is None:
        return f"task {match.group('id')} is not live in the team registry", []
    rules = entry.rules(_ownership(config) if entry.owner else None, config.unowned)
    found: list[boundaries.Violation] = []
    for commit, changes in git.unreferenced_commits_changes(new).items():
        found += boundaries.violations(changes, rules, commit=commit)
    return None, found


def main(lines: bytes) -> int:
    """pre-receive: 0 accepts the push, 1 refuses all of it (git's rule for this hook)."""
    from gitwt.hook import messages
    from gitwt.services.team import registry

    try:
        config = server_config()
        entries = registry.parse(remote.read_files(".", git.rev_parse_verify(remote.REGISTRY_REF)))
        refusals: list[str] = []
        found: list[boundaries.Violation] = []
        for line in lines.decode("utf-8", "surrogateescape").splitlines():
            fields = line.split(" ")
            if len(fields) != 3:
                continue
            reason, violations = check_update(config, entries, fields[2], fields[1])
            refusals += [reason] if reason else []
            found += violations
    except (GitParallelError, ValueError, OSError) as error:
        sys.stderr.write(f"git parallel: push refused: the server check failed: {error}\n")
        return 1
    for reason in refusals:
        sys.stderr.write(f"git parallel: push refused: {reason}\n")
    if found:
        count = f"{len(found)} path{'' if len(found) == 1 else 's'}"
        messages.report(
            f"push refused: the pushed commits change {count} outside their task",
            found,
            ["remove those changes from the task branch, or claim the paths, then push again"],
        )
    if refusals or found:
        return 1
    return _chain(lines)


def _chain(lines: bytes) -> int:
    """Run the pre-receive hook that was there before ours, with the same input."""
    import subprocess

    previous = os.path.join(os.path.dirname(os.path.abspath(sys.argv[0])), PREVIOUS)
    if not os.access(previous, os.X_OK):
        return 0
    return subprocess.run([previous], input=lines, check=False).returncode
