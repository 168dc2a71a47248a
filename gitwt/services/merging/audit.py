"""The branch audit (DESIGN §5, §6): every commit of base..branch, and the branch's net change,
against the task's rules. Hooks can be skipped (--no-verify, core.hooksPath=/dev/null,
fast-forwards), so this is the check that counts.

`merge` audits one branch at a time (`audit`); `status` audits every live branch at once
(`audit_branches`): one `git diff-tree --stdin` for all the ranges whose tip moved, the rest
from a cache keyed by tip, base and rules. Both judge with the same function, `judge`.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import zlib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from gitwt.core import bookkeeping, boundaries
from gitwt.infra import background, git, state
from gitwt.infra.json_payload import JsonObject
from gitwt.infra.task_record import TaskRecord, ViolationRecord
from gitwt.services.context import Context
from gitwt.services.merging import authority, plan_texts
from gitwt.services.tasks import orphans

CACHE_FILE = "audit-cache.json"  # in parallel/: tip, base and rules -> the findings
CACHE_SCHEMA = "git-parallel/audit-cache/1"
_STATUS = re.compile(r"[ACDMRTUX][0-9]*")


REPLACE_REF = "replace-ref"  # the kind of a finding that names a replace ref, not a path


def replace_ref_findings(replacements: dict[str, str]) -> list[boundaries.Violation]:
    """A replace ref anywhere in the repository: a finding on every task merge or status audits.

    Replace refs are shared by every worktree, so gitwt cannot tell which task made one; merge
    audits and publishes the stored objects whatever they say, but a person must look before
    the repository goes on showing other objects than the ones its refs point at (fail closed).
    """
    return [
        boundaries.Violation(
            ref,
            "replaced",
            REPLACE_REF,
            f"git shows {replacement[:12]} in place of {ref.rsplit('/', 1)[-1][:12]} "
            "(gitwt audits the stored objects)",
            f"if nobody made it on purpose: git replace -d {ref.rsplit('/', 1)[-1]}",
        )
        for ref, replacement in sorted(replacements.items())
    ]


def judge(
    rules: boundaries.Rules,
    per_commit: dict[str, list[git.Change]],
    net: list[git.Change] | None,
    texts: Callable[[str | None], plan_texts.Contents],
) -> list[boundaries.Violation]:
    """The findings of one branch: per commit, then what only the net change shows (merges
    inside the branch), each path once per commit. `texts(commit)` (None: the net change) reads
    a plan file on both sides, where the task's bookkeeping is judged on content."""
    found: dict[tuple[str, str | None], boundaries.Violation] = {}
    for commit, changes in per_commit.items():
        judged = boundaries.violations(changes, rules, commit=commit)
        for violation in bookkeeping.settle(judged, rules, texts(commit)):
            found.setdefault((violation.path, commit), violation)
    if net is not None:
        reported = {path for path, _ in found}
        judged = bookkeeping.settle(boundaries.violations(net, rules), rules, texts(None))
        for violation in judged:
            if violation.path not in reported:
                found[violation.path, None] = violation
    return list(found.values())


def audit(
    context: Context, record: TaskRecord, base_oid: str, branch_oid: str, fork_point: str | None
) -> list[boundaries.Violation]:
    """One branch, as `merge` audits it before writing the merge: its state checked against
    what derives it (services.merging.authority), then every commit and the net change."""
    cwd = context.repo.toplevel
    derived = authority.derive(
        context, [(record, base_oid, fork_point)], orphans.live_and_orphaned(context)
    )
    verdict = derived[str(record["id"])]
    per_commit, net = git.branch_changes(base_oid, branch_oid, fork_point, cwd)
    texts = branch_texts(cwd, lambda: fork_point, branch_oid)
    return verdict.findings + judge(verdict.rules, per_commit, net, texts)


def branch_texts(
    cwd: str, fork: Callable[[], str | None], tip: str
) -> Callable[[str | None], plan_texts.Contents]:
    """A plan file's texts around one commit of a branch, or (None) around its net change."""

    def texts(commit: str | None) -> plan_texts.Contents:
        if commit is None:
            return plan_texts.of_range(fork, tip, cwd)
        return plan_texts.of_commit(commit, cwd)

    return texts


@dataclass
class Branch:
    """One task branch to audit for `status`: its record, the base tip, the branch tip and
    the commits of base..tip (status has listed them already), and the fork point when
    status has found it (None: ask git)."""

    record: TaskRecord
    base_tip: str
    tip: str
    commits: list[str]
    fork: str | None = None


def _cache_path(common_dir: str) -> str:
    return os.path.join(state.state_dir(common_dir), CACHE_FILE)


def _read_cache(common_dir: str) -> JsonObject:
    try:
        with open(_cache_path(common_dir), encoding="utf-8") as handle:
            data = json.load(handle)
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict) or data.get("schema") != CACHE_SCHEMA:
        return {}
    tasks = data.get("tasks")
    return tasks if isinstance(tasks, dict) else {}


def _key(branch: Branch, rules: boundaries.Rules) -> str:
    """What the cached findings were judged from, as a short fingerprint. Only an identity:
    the cache is agent-writable, so whoever edits it can write any key whatever the hash; a
    matching key only says which entry to compare (zlib is loaded already, hashlib would load
    OpenSSL, ~3 ms of every status)."""
    text = json.dumps([branch.tip, branch.base_tip, rules.to_json(compiled=False)], sort_keys=True)
    data = text.encode("utf-8", "surrogateescape")
    return f"{zlib.crc32(data):08x}{zlib.adler32(data):08x}-{len(data)}"


def parse_diff_tree(raw: bytes) -> list[list[git.Change]]:
    """`diff-tree --stdin --always -z --name-status` output -> one change list per input line.

    Each block starts with the line's first object id; a field where a status is expected that
    is not one (`M`, `R100`...) is the next block's header, since no status is 40 characters.
    """
    items = git.split_z(raw)
    blocks: list[list[git.Change]] = []
    index = 0
    while index < len(items):
        field_text = items[index]
        if not _STATUS.fullmatch(field_text):
            blocks.append([])
            index += 1
            continue
        letter = field_text[0]
        if letter in ("R", "C"):
            blocks[-1].append(git.Change(letter, items[index + 2], items[index + 1]))
            index += 3
        else:
            blocks[-1].append(git.Change(letter, items[index + 1]))
            index += 2
    return blocks


ChangeSets = tuple[dict[str, list[git.Change]], list[git.Change]]


def _changes_of(
    context: Context, branches: list[Branch], pairs: list[tuple[str, str]]
) -> tuple[list[ChangeSets], list[list[git.Change]]]:
    """Per-commit and net change sets of each branch, and the change from each pair's second
    commit to its first (status's changed paths), from one diff-tree process."""
    if not branches and not pairs:
        return [], []
    cwd = context.repo.toplevel
    lines: list[str] = []
    for branch in branches:
        fork = branch.fork or git.merge_base(branch.base_tip, branch.tip, cwd)
        lines += branch.commits
        # "<commit> <parent>" diffs parent -> commit: the net change from the fork point.
        lines.append(f"{branch.tip} {fork}" if fork else branch.tip)
    lines += [f"{new} {old}" for new, old in pairs]
    raw = git.run(
        ["diff-tree", "--stdin", "--always", "-r", "-z", "--name-status", "-M", "--no-ext-diff"],
        cwd,
        input="".join(f"{line}\n" for line in lines).encode(),
    ).stdout
    blocks = iter(parse_diff_tree(raw))
    found: list[ChangeSets] = []
    for branch in branches:
        per_commit = {commit: next(blocks) for commit in branch.commits}
        found.append((per_commit, next(blocks)))
    return found, [next(blocks) for _ in pairs]


Findings = dict[str, list[ViolationRecord]]  # task id -> the branch audit's findings


def _fork_of(context: Context, branch: Branch) -> Callable[[], str | None]:
    def fork() -> str | None:
        return branch.fork or git.merge_base(branch.base_tip, branch.tip, context.repo.toplevel)

    return fork


def audit_branches(context: Context, branches: list[Branch]) -> Findings:
    """`status`: each branch's findings (as JSON), audited now where its tip, base or rules
    changed since the last look, else from the cache."""
    return audit_and_diff(context, branches, [])[0]


def audit_and_diff(
    context: Context,
    branches: list[Branch],
    pairs: list[tuple[str, str]],
    branch_names: Iterable[str] | None = None,
    live: Mapping[str, TaskRecord] | None = None,
) -> tuple[Findings, list[list[git.Change]]]:
    """`audit_branches`, and the changes of each (new, old) pair in the same diff-tree
    process: status asks for the paths it has not cached, and runs no second process.
    `live`: every live task, orphans included, when the caller has read them this command
    (`orphans.live_and_orphaned` otherwise).

    Every branch is judged now: a cached verdict is an agent-writable file, so it is only
    compared with the new one (an entry with the same key and other findings was edited:
    a `tampered` finding), never believed."""
    common = context.repo.common_dir
    cache = _read_cache(common)
    read = dict(cache)
    # A broken record: status reports the rest; merge says what is wrong (an input error).
    branches = [branch for branch in branches if authority.readable(branch.record)]
    for branch in branches:
        branch.fork = branch.fork or git.merge_base(
            branch.base_tip, branch.tip, context.repo.toplevel
        )
    # git diffs every commit while the specs are read and parsed (the diff needs no verdict).
    diffed = background.start(lambda: _changes_of(context, branches, pairs))
    if live is None:
        live = orphans.live_and_orphaned(context, branch_names) if branches else {}
    verdicts = authority.derive(
        context, [(branch.record, branch.base_tip, branch.fork) for branch in branches], live
    )
    changed, paired = diffed.result()
    results: Findings = {}
    for branch, (per_commit, net) in zip(branches, changed, strict=True):
        task_id = branch.record["id"]
        verdict = verdicts[str(task_id)]
        texts = branch_texts(context.repo.toplevel, _fork_of(context, branch), branch.tip)
        judged = judge(verdict.rules, per_commit, net, texts)
        found = [v.to_json() for v in verdict.findings + judged]
        key = _key(branch, verdict.rules)
        entry = cache.get(task_id)
        if isinstance(entry, dict) and entry.get("key") == key and entry.get("violations") != found:
            found.append(_edited_cache(common, task_id).to_json())
        results[task_id] = found
        cache[task_id] = {"key": key, "violations": found}
    # Only the tasks audited now are kept: a merged or cleaned task's entry would stay forever.
    audited = {branch.record["id"] for branch in branches}
    kept = {task_id: entry for task_id, entry in cache.items() if task_id in audited}
    # Written only when it changed: a status that finds what the last one found writes nothing
    # (the write syncs the file and its folder to disk).
    if branches and kept != read:
        with contextlib.suppress(OSError):  # a tripwire: the next status judges again anyway
            state.write_json_atomic(_cache_path(common), {"schema": CACHE_SCHEMA, "tasks": kept})
    return results, paired


def _edited_cache(common_dir: str, task_id: str) -> boundaries.Violation:
    return authority.tampered(
        os.path.relpath(_cache_path(common_dir), os.path.dirname(common_dir.rstrip(os.sep))),
        f"the audit cache says task {task_id}'s branch has other findings than it has: "
        "it was edited",
        "the findings above are the audit's own; look at what else the agent changed",
    )
