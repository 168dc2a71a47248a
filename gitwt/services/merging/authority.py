"""What a task may publish, derived from what an agent cannot rewrite unseen (DESIGN §13).

An agent in a task worktree runs as the same user as gitwt: it can rewrite every file under
`.git`, gitwt's own state included. So the merge audit and `status` never take a task's
declaration from those files on trust; they check each part:

- the record's `files` (the snapshot `start` took) must be declared by the task's spec as
  committed on base, at the branch's fork point or at base's tip (a person may have widened
  it since), and the record's owner must be that spec's;
- each claim must be one `claim` would accept now: no other live task (orphans included)
  declares it, and the task's owner owns it;
- the worktree's rules file (the hooks' fast copy) must be this task's and declare nothing the
  checked declaration does not.

Whatever disagrees is a `tampered` finding, which rejects the task. The audit's rules come
from the one builder (`core.declaration.task_rules`) over the checked parts only, with the
ownership map of today. A spec that is not committed on base as one file (a folder spec, a
plan of another tool, a config table, a spec never committed) is read from the catalog as
`plan` reads it.

A task whose record was deleted stays live (`services.tasks.orphans`): its claims' re-check
counts it.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from gitwt.core import boundaries
from gitwt.core.declaration import record_context, record_patterns, task_rules
from gitwt.core.plan_bookkeeping import as_json
from gitwt.core.specs import Task, same_id
from gitwt.errors import GitParallelError
from gitwt.infra import failpoints, records
from gitwt.infra.task_record import Claim, TaskRecord
from gitwt.services.context import Context

TAMPERED = "tampered"  # the kind of a finding about gitwt's own state


@dataclass
class Verdict:
    """A task's rules for the audit and what disagrees with them."""

    rules: boundaries.Rules
    findings: list[boundaries.Violation] = field(default_factory=list)


def tampered(where: str, rule: str, fix: str) -> boundaries.Violation:
    return boundaries.Violation(where, TAMPERED, TAMPERED, rule, fix)


def _record_name(task_id: str) -> str:
    return f"parallel/tasks/{task_id}.json"


_RESTORE = "if nobody made this change on purpose, an agent did: look at the task's work, then "


def derive(
    context: Context,
    items: Iterable[tuple[TaskRecord, str, str | None]],
    live: Mapping[str, TaskRecord],
) -> dict[str, Verdict]:
    """Each (record, base tip, fork point)'s verdict; `live` is every live task (orphans too),
    for the claims' re-check. One `cat-file` process for all the specs (the command's open one)."""
    chosen = list(items)
    names = [
        f"{commit}:{record.get('source')}"
        if commit and isinstance(record.get("source"), str)
        else "-"
        for record, base_tip, fork in chosen
        for commit in (fork, base_tip)
    ]
    texts = context.blobs(names) if chosen else []
    failpoints.hit("merge:authority")
    index = _tracked_index(context)
    readings: list[list[Task]] = []
    for number, (record, _, _) in enumerate(chosen):
        pair = texts[2 * number : 2 * number + 2]
        if pair[0] == pair[1]:  # the spec did not change since the fork point: read it once
            pair = pair[:1]
        readings.append(_committed_specs(context, record, pair, index))
    _read_the_rest_at_base(context, chosen, readings)
    return {
        str(record["id"]): verdict(context, record, spec_tasks, live)
        for (record, _, _), spec_tasks in zip(chosen, readings, strict=True)
    }


def _read_the_rest_at_base(
    context: Context,
    chosen: list[tuple[TaskRecord, str, str | None]],
    readings: list[list[Task]],
) -> None:
    """Fill in the tasks whose spec is no single file committed at their record's `source` (a
    folder spec, a plan unit, or a `source` an agent pointed elsewhere) from the specs as
    committed at base's tip, read through the catalog as `start` reads them; one reading per
    base tip. Only a task base has no spec for is read from the disk of the main checkout,
    which an agent can write: `plan` reads it the same way."""
    wanted: dict[str, list[int]] = {}
    for number, (_, base_tip, _) in enumerate(chosen):
        if not readings[number]:
            wanted.setdefault(base_tip, []).append(number)
    for base_tip, numbers in wanted.items():
        ids = [str(chosen[number][0]["id"]) for number in numbers]
        tracked = context.base_files() if base_tip == context.base_oid else None
        on_base = _declarations_at(context, base_tip, ids, tracked)
        for number, task_id in zip(numbers, ids, strict=True):
            task = on_base.get(task_id)
            readings[number] = [task] if task is not None else _from_disk(context, task_id)


def _declarations_at(
    context: Context, commit: str, ids: list[str], tracked: list[str] | None
) -> dict[str, Task]:
    """The tasks the specs committed at `commit` declare, among `ids` (one reading; each on
    its own only when one of them has no readable spec there)."""
    from gitwt.services.team.base_declarations import declarations

    cwd = context.repo.toplevel
    try:
        return declarations(commit, ids, cwd, tracked, context.objects)
    except GitParallelError:
        if len(ids) == 1:
            return {}
    found: dict[str, Task] = {}
    for task_id in ids:
        found.update(_declarations_at(context, commit, [task_id], tracked))
    return found


def _from_disk(context: Context, task_id: str) -> list[Task]:
    try:
        return list(context.load_tasks([task_id]))
    except GitParallelError:
        return []


def _tracked_index(context: Context) -> Any:
    from gitwt.services.specs.base_index import tracked_index

    return tracked_index(context)


def _committed_specs(
    context: Context, record: TaskRecord, texts: list[bytes | None], index: Any
) -> list[Task]:
    """The task as its spec file says at the fork point and at base's tip, read from git; none
    when the spec is no single file committed there."""
    from gitwt.core.spec_catalog import SPEC_FOLDER, Catalog, SpecFile
    from gitwt.services.specs.repo_files import decoded

    source = str(record.get("source") or "")
    folder = os.path.basename(os.path.dirname(source))
    single = not (
        os.path.basename(source) in ("README.md", "index.md") and SPEC_FOLDER.fullmatch(folder)
    )
    tasks: list[Task] = []
    for data in texts if single else []:
        if data is None:
            continue
        text, problem = decoded(data, source)
        spec = SpecFile(source, text, (), None, problem)
        try:
            task = Catalog.build([spec], context.config, index).parse(spec).task
        except GitParallelError:
            continue
        if same_id(task.id, str(record["id"])):
            tasks.append(task)
    return tasks  # none: `_read_the_rest_at_base` reads the task at base


def verdict(
    context: Context,
    record: TaskRecord,
    spec_tasks: list[Task],
    live: Mapping[str, TaskRecord],
) -> Verdict:
    """The rules the audit uses for one task, and every part of its state that disagrees."""
    task_id = str(record["id"])
    record_patterns(record)  # a malformed record is an input error naming the task, as ever
    where = _record_name(task_id)
    findings: list[boundaries.Violation] = []
    declared = {pattern for task in spec_tasks for pattern in task.files}
    owners = {task.owner for task in spec_tasks}
    files = _strings(record.get("files"))
    if not spec_tasks:
        findings.append(
            tampered(
                where,
                f"no spec on base declares task {task_id}: its record cannot be checked",
                "commit the task's spec on base, or clean the task and start it again",
            )
        )
    extra = [pattern for pattern in files if pattern not in declared]
    if spec_tasks and extra:
        findings.append(
            tampered(
                where,
                f"the record declares {', '.join(extra)}, which task {task_id}'s spec on base "
                "does not",
                _RESTORE + f"'git parallel clean --force {task_id}' and start it again",
            )
        )
    configured = context.config.base
    if configured and record.get("base") != configured:
        # The record's base decides where merge publishes and which copy of the spec it reads:
        # only the config may name it (without a `base` setting it is the main worktree's branch,
        # which whoever can switch that checkout moves anyway: docs/security.md).
        findings.append(
            tampered(
                where,
                f"the record names base {record.get('base')!r}; the config's base is "
                f"{configured!r}",
                _RESTORE + f"'git parallel clean --force {task_id}' and start it again",
            )
        )
    owner = record.get("owner")
    if spec_tasks and owner not in owners:
        owner = next(iter(owners))
        findings.append(
            tampered(
                where,
                f"the record names owner {record.get('owner')!r}; the spec on base says {owner!r}",
                _RESTORE + "put the spec's owner back in the record",
            )
        )
    claims, claim_findings = _checked_claims(context, record, owner, live)
    findings += claim_findings
    kept = [pattern for pattern in files if pattern in declared] if spec_tasks else []
    # A plan unit's bookkeeping (its status marks, DESIGN §2) comes from its plan on base too:
    # the record's copy is agent-writable, so a wider one is a finding and is never used.
    books = [entry for task in spec_tasks for entry in as_json(task.bookkeeping)]
    widened = [entry for entry in record.get("bookkeeping") or [] if entry not in books]
    if spec_tasks and widened:
        findings.append(
            tampered(
                where,
                f"the record lets task {task_id} write bookkeeping its plan on base does not "
                f"give it: {widened[0]!r}",
                _RESTORE + f"'git parallel clean --force {task_id}' and start it again",
            )
        )
    checked = {
        "id": task_id,
        "owner": owner,
        "files": kept,
        "claims": claims,
        "bookkeeping": books,
    }
    try:
        rules = task_rules(
            checked,
            ownership=context.ownership,
            unowned=context.config.unowned,
            extra=record_context(record),
        )
    except GitParallelError as error:  # a malformed record: nothing of it can be trusted
        rules = task_rules({"id": task_id, "owner": owner}, ownership=context.ownership)
        findings.append(tampered(where, error.message, error.hint or ""))
    findings += _rules_file_findings(record, rules)
    return Verdict(rules, findings)


def _strings(value: object) -> list[str]:
    if isinstance(value, list):
        return [item for item in value if isinstance(item, str)]
    return []


def _checked_claims(
    context: Context,
    record: TaskRecord,
    owner: str | None,
    live: Mapping[str, TaskRecord],
) -> tuple[list[Claim], list[boundaries.Violation]]:
    """The claims `claim` would accept now, and a finding for each it would refuse."""
    task_id = str(record["id"])
    raw = record.get("claims")
    # A task queued behind this one waits for it to merge: it may declare what this one claimed.
    # Built only for a task with claims: for every task it made status quadratic in the tasks.
    others = {
        key: other
        for key, other in (live.items() if raw else ())
        if not same_id(key, task_id)
        and not (other.get("state") == records.QUEUED and task_id in (other.get("waits_for") or []))
        and readable(other)  # a broken record is its own task's finding
    }
    kept: list[Claim] = []
    findings: list[boundaries.Violation] = []
    for number, claim in enumerate(raw if isinstance(raw, list) else [], start=1):
        paths = claim.get("paths") if isinstance(claim, dict) else None
        problems = (
            _claim_problems(context, {**record, "owner": owner}, others, _strings(paths))
            if isinstance(paths, list) and paths and paths == _strings(paths)
            else [(f"claim {number} is malformed: {claim!r}", "")]
        )
        if problems:
            findings.append(
                tampered(
                    _record_name(task_id),
                    f"claim {number} ({', '.join(_strings(paths)) or '?'}) is one "
                    f"'git parallel claim' refuses: {problems[0][0]}",
                    _RESTORE + "remove the claim from the record",
                )
            )
        else:
            kept.append(claim)
    if raw is not None and not isinstance(raw, list):
        findings.append(
            tampered(_record_name(task_id), "the record's claims are not a list", _RESTORE)
        )
    return kept, findings


def _claim_problems(
    context: Context, record: TaskRecord, others: dict[str, TaskRecord], paths: list[str]
) -> list[tuple[str, str]]:
    # Imported for a task with claims only: the claim checks load the separation check.
    from gitwt.services.specs.claiming import claim_problems

    return claim_problems(context, record, others, paths)


def readable(record: TaskRecord) -> bool:
    """Whether a record's declaration can be read (`record_patterns` raises otherwise)."""
    try:
        record_patterns(record)
    except GitParallelError:
        return False
    return True


def _rules_file_findings(record: TaskRecord, rules: boundaries.Rules) -> list[boundaries.Violation]:
    """The worktree's rules file must be this task's and declare no more than `rules`."""
    from gitwt.hook.rules_file import git_dir_of, load_rules, rules_path

    worktree = record.get("worktree")
    git_dir = git_dir_of(worktree) if isinstance(worktree, str) and worktree else None
    if git_dir is None:
        return []
    path = rules_path(git_dir)
    fix = f"rewrite it: 'git parallel hooks install --task {record['id']}' in {worktree}"
    try:
        saved = load_rules(git_dir)
    except (OSError, ValueError) as exc:
        return [tampered(path, f"the rules file cannot be read ({exc})", fix)]
    if saved is None:
        return []
    if saved.task_id != rules.task_id:
        return [tampered(path, f"the rules file is task {saved.task_id}'s, relabelled", fix)]
    extra = [pattern for pattern in saved.declared or [] if pattern not in (rules.declared or [])]
    if extra:
        return [
            tampered(
                path,
                f"the rules file declares {', '.join(extra)}, which neither the spec on base "
                "nor a claim gives",
                _RESTORE + fix,
            )
        ]
    if saved.owner != rules.owner:
        return [tampered(path, f"the rules file names owner {saved.owner!r}", fix)]
    return []
