"""The server's check (DESIGN §11, §13): a bare repository's pre-receive hook, the last word
across machines. Hooks on a laptop can be skipped (`--no-verify`); this one runs where the
branch lands, and reads only what the server holds: the config and ownership map at HEAD, the
registry as the push leaves it, and the commits.

- A registry update is validated (services/team/registry_check.py) before anything else.
- A task branch takes only commits that keep to the task's registry entry: every commit of the
  branch that its base does not have, not only those new to the server (a commit parked on
  another branch first is checked when it comes to the task branch), and the branch's net
  change (what a merge inside it hides). No entry, or an unreadable one: refused (fail closed).
- A live task's base branch may not change a path that task declares (the base guard's rule);
  a task's merge takes it out of the registry in the same push, so its paths are free then.
  While tasks are live, the config and the ownership map on HEAD's branch do not change: the
  check reads them there, so a push changing them could talk it out of checking.
- No replace ref (`refs/replace/*`) is pushed: it would show clients other objects than those
  stored (gitwt's own git calls ignore them: infra/real_objects.py).

Its messages are the commit hook's, from the core. Any error in the check refuses the push.
"""

from __future__ import annotations

import os
import re
import sys
from dataclasses import dataclass
from typing import TYPE_CHECKING

from gitwt.core import boundaries
from gitwt.core.specs import same_id
from gitwt.core.task_ids import TASK_ID
from gitwt.errors import GitParallelError
from gitwt.infra import config as config_module
from gitwt.infra import failpoints, git, remote

if TYPE_CHECKING:
    from gitwt.services.team.registry import Entry

HOOK = "pre-receive"
MARKER = "# git parallel server check"
PREVIOUS = "pre-receive.before-git-parallel"
REPLACE_REFS = "refs/replace/"
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


@dataclass
class Pushed:
    """One line of pre-receive's input: a ref moving from `old` to `new` (None: absent)."""

    ref: str
    old: str | None
    new: str | None


def pushed_refs(lines: bytes) -> list[Pushed]:
    found = []
    for line in lines.decode("utf-8", "surrogateescape").splitlines():
        fields = line.split(" ")
        if len(fields) == 3:
            old, new, ref = fields
            found.append(
                Pushed(
                    ref, None if old == git.NULL_OID else old, None if new == git.NULL_OID else new
                )
            )
    return found


# --- the check -------------------------------------------------------------------------------


@dataclass
class Live:
    """The registry the push leaves: readable entries by id, and the ids of unreadable ones."""

    entries: dict[str, Entry]
    unreadable: list[str]


def live_after(pushed: list[Pushed]) -> tuple[list[str], Live]:
    """The refusals of a registry update in this push (none without one), and the registry as
    the push leaves it: the task branches of the same push are checked against that."""
    from gitwt.services.team import registry, registry_check

    update = next((item for item in pushed if item.ref == remote.REGISTRY_REF), None)
    if update is not None:
        reasons, entries, unreadable = registry_check.check(update.old, update.new)
        return reasons, Live(entries, unreadable)
    broken: dict[str, GitParallelError] = {}
    current = remote.read_files(".", git.rev_parse_verify(remote.REGISTRY_REF, "."))
    return [], Live(registry.parse(current, broken), list(broken))


def task_of(config: config_module.Config, ref: str) -> str | None:
    """The task id of a pushed task branch (the config's branch template), else None."""
    if not ref.startswith("refs/heads/"):
        return None
    match = branch_pattern(config.branch).fullmatch(ref.removeprefix("refs/heads/"))
    return match.group("id") if match else None


def check_update(
    config: config_module.Config, live: Live, ref: str, new: str | None
) -> tuple[str | None, list[boundaries.Violation]]:
    """A refusal reason (or None) and the violations of one pushed ref: a task branch takes
    the commits it does not share with its base only when each keeps to the task's entry (a
    commit already on the server through another branch included), and so does their net
    change (a merge inside the branch)."""
    from gitwt.services.merging.audit import branch_texts, judge
    from gitwt.services.team.base_declarations import ownership_at

    task_id = task_of(config, ref)
    if new is None or task_id is None:
        return None, []
    entry = next((e for key, e in live.entries.items() if same_id(key, task_id)), None)
    if entry is None:
        if any(same_id(key, task_id) for key in live.unreadable):
            return (
                f"task {task_id}'s entry in the team registry is unreadable; "
                f"'git parallel release {task_id} --force' removes it",
                [],
            )
        return f"task {task_id} is not live in the team registry", []
    base = git.rev_parse_verify(f"refs/heads/{entry.base}^{{commit}}", ".") if entry.base else None
    if base is None:
        return f"task {task_id}'s base {entry.base!r} is not a branch here", []
    rules = entry.rules(ownership_at("HEAD", config) if entry.owner else None, config.unowned)
    fork = git.merge_base(base, new, ".")
    per_commit, net = git.branch_changes(base, new, fork, ".")
    texts = branch_texts(".", lambda: fork, new)
    found = judge(rules, per_commit, net, texts)
    if any(violation.kind == "undeclared" for violation in found):
        # Entries carry declared patterns only: the unit's status marks come from its plan on
        # base (DESIGN §2), read only when the branch changes an undeclared path.
        kept = _bookkeeping_at(base, task_id)
        if kept:
            rules.extra["bookkeeping"] = kept
            found = judge(rules, per_commit, net, texts)
    return None, found


def _bookkeeping_at(base: str, task_id: str) -> list[list[object]]:
    """The unit's bookkeeping entries as its plan at `base` gives them ([] for a spec)."""
    from gitwt.core.plan_bookkeeping import as_json
    from gitwt.services.team.base_declarations import declarations

    try:
        task = declarations(base, [task_id])[task_id]
    except GitParallelError:
        return []  # no plan there: the entry's declaration alone (fail closed)
    return as_json(task.bookkeeping)


def base_guard(live: Live, ref: str, old: str | None, new: str | None) -> list[str]:
    """The server's base guard (the commit hook's, for pushes): a push to the base branch of a
    live task may not change a path that task declares; its merge lands it, and a merge's
    push takes the task out of the registry in the same push, so it is not live after it."""
    from gitwt.core.display import quote_path
    from gitwt.services.team.base_declarations import head_branch, settings_differ

    if old is None or new is None or not ref.startswith("refs/heads/"):
        return []
    branch = ref.removeprefix("refs/heads/")
    guarded = [entry for entry in live.entries.values() if entry.base == branch]
    if not guarded:
        return []
    if branch == head_branch() and settings_differ(old, new):
        # The check reads them on this branch: a push here could talk it out of checking.
        return [
            f"{branch} may not change the git parallel config or the ownership map while "
            "tasks are live (they decide what this server checks); change them when no task "
            "is live"
        ]
    changes = [c for found in git.range_commits_changes(old, new, ".").values() for c in found]
    changes += git.range_changes(old, new, ".")  # what only the net change shows (merges)
    rules = [(entry, entry.rules(None, "allow")) for entry in guarded]
    reasons: dict[str, str] = {}
    for _letter, path in boundaries.touched_paths(changes):
        for entry, declared in rules:
            if path not in reasons and declared.declares(path):
                reasons[path] = (
                    f"{branch} may not change {quote_path(path)}: task {entry.id} declares it "
                    f"and is live on {entry.where()}; it lands through that task's merge"
                )
    return list(reasons.values())


def head_config(pushed: list[Pushed]) -> tuple[config_module.Config | None, list[str]]:
    """The config the check reads (HEAD's), and refusals about it. A push may not leave HEAD's
    branch with a config that cannot be read (nothing could be checked after it); when HEAD's
    cannot be read already, only a push that fixes it, and moves nothing else, goes in: the
    team's way out, never a lock-out. (None, []): such a fix."""
    from gitwt.services.team.base_declarations import config_at, head_branch

    head = head_branch()
    update = next((p for p in pushed if head and p.ref == f"refs/heads/{head}" and p.new), None)
    config: config_module.Config | None = None
    try:
        config = config_at("HEAD")
    except (GitParallelError, ValueError) as error:
        broken = getattr(error, "message", str(error))
        if update is None or any(p is not update and p.new is not None for p in pushed):
            return None, [
                f"the git parallel config on {head} cannot be read ({broken}); push a fix of "
                f"it to {head}, alone"
            ]
    if update is not None and update.new is not None:
        try:
            config_at(update.new)
        except (GitParallelError, ValueError) as error:
            broken = getattr(error, "message", str(error))
            return None, [f"{head} would get a git parallel config that cannot be read ({broken})"]
    return config, []


def main(lines: bytes) -> int:
    """pre-receive: 0 accepts the push, 1 refuses all of it (git's rule for this hook)."""
    try:
        pushed = pushed_refs(lines)
        failpoints.hit("server:check")
        config, refusals = head_config(pushed)
        if config is None:
            return _report(refusals, [], False) or _chain(lines)
        refusals, live = live_after(pushed)
        registry_refused = bool(refusals)
        found: list[boundaries.Violation] = []
        for item in pushed:
            if item.ref.startswith(REPLACE_REFS) and item.new is not None:
                refusals.append(
                    f"{item.ref}: a replace ref makes git show another object than the one "
                    "stored, to every check and every clone that fetches it"
                )
            reason, violations = check_update(config, live, item.ref, item.new)
            refusals += [reason] if reason else []
            found += violations
            if task_of(config, item.ref) is None:
                refusals += base_guard(live, item.ref, item.old, item.new)
    except Exception as error:  # whatever goes wrong, the push is refused (fail closed)
        sys.stderr.write(f"git parallel: push refused: the server check failed: {error}\n")
        return 1
    return _report(refusals, found, registry_refused) or _chain(lines)


def _report(refusals: list[str], found: list[boundaries.Violation], registry: bool) -> int:
    """Print why the push is refused; 1 when it is, else 0."""
    from gitwt.hook import messages

    for reason in refusals:
        sys.stderr.write(f"git parallel: push refused: {reason}\n")
    if registry:
        sys.stderr.write(
            "hint: the registry is written by git parallel itself (start, claim, merge, clean, "
            "release); see docs/security.md\n"
        )
    if found:
        count = f"{len(found)} path{'' if len(found) == 1 else 's'}"
        messages.report(
            f"push refused: the pushed commits change {count} outside their task",
            found,
            ["remove those changes from the task branch, or claim the paths, then push again"],
        )
    return 1 if refusals or found else 0


def _chain(lines: bytes) -> int:
    """Run the pre-receive hook that was there before ours, with the same input."""
    import subprocess

    previous = os.path.join(os.path.dirname(os.path.abspath(sys.argv[0])), PREVIOUS)
    if not os.access(previous, os.X_OK):
        return 0
    return subprocess.run([previous], input=lines, check=False).returncode
