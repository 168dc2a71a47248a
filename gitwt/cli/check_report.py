"""Text and JSON of `check` and of `hooks install` / `hooks status`."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any, TextIO

from gitwt.cli.report import paint, schema, table
from gitwt.core.display import quote_path

if TYPE_CHECKING:
    from typing import TypedDict

    from gitwt.infra.task_record import ViolationRecord
    from gitwt.services.hooks.base_guard import GuardJson, GuardState
    from gitwt.services.hooks.hooks_health import WorktreeHooks, WorktreeHooksJson
    from gitwt.services.specs.boundary_check import CheckResult
    from gitwt.services.specs.claim_check import ClaimsReport

    # The reports' shapes, for mypy only (a TypedDict is a plain dict at run time).
    class CheckJson(TypedDict):
        """`check --json` (schema git-parallel/check/1)."""

        schema: str
        ok: bool
        scope: str
        task: str | None
        owner: str | None
        declared: list[str] | None
        ownership: str | None
        changes: int
        paths: list[str] | None
        violations: list[ViolationRecord]

    class HooksJson(TypedDict):
        """`hooks status --json` (schema git-parallel/hooks/1)."""

        schema: str
        worktrees: list[WorktreeHooksJson]
        base_guard: GuardJson

    class ServerHookJson(TypedDict):
        """`hooks status --server --json` (schema git-parallel/hooks-server/1)."""

        schema: str
        installed: bool
        hook: str | None
        chains_to: str | None


def check_json(result: CheckResult) -> CheckJson:
    rules = result.rules
    return {
        "schema": schema("check"),
        "ok": result.ok,
        "scope": result.scope,
        "task": rules.task_id,
        "owner": rules.owner,
        "declared": rules.declared,
        "ownership": rules.ownership.source if rules.ownership is not None else None,
        "changes": result.changes,
        "paths": result.paths if result.scope == "paths" else None,
        "violations": [violation.to_json() for violation in result.violations],
    }


def claims_text(result: ClaimsReport, stream: TextIO = sys.stdout) -> None:
    """`check --claims`: the false claims that fail, and what else was read."""
    from gitwt.cli.plan_report import claim_lines, problems_text

    write = stream.write
    false = [check for check in result.checks if not check.holds]
    if result.failing:
        new = " this change adds or rewrites" if result.since else ""
        write(
            paint(f"{len(result.failing)} false parallel claim(s){new}", "red", stream)
            + " (both sides change a common path):\n"
        )
        for check in result.failing:
            write("".join(line + "\n" for line in claim_lines(check)))
        write(
            "hint: give the two sides different files, or drop the marker and let them run "
            "one after the other ('git parallel plan' shows the waves)\n"
        )
    elif not result.checks:
        write("no parallel claims in these plans\n")
    else:
        old = len(false)
        since = f"; {old} false already at {result.since}, not changed here" if old else ""
        write(
            paint(
                f"parallel claims: {len(result.checks) - old} of {len(result.checks)} hold",
                "green",
                stream,
            )
            + f"{since}\n"
        )
    if result.problems:
        write(paint("plan problems", "red", stream) + "\n")
        problems_text(result.problems, stream)
    for path in result.skipped:
        write(paint(f"  {quote_path(path)}: no plan holds this file", "dim", stream) + "\n")


def check_text(result: Any, stream: TextIO = sys.stdout) -> None:
    from gitwt.core.display import violation_lines

    rules = result.rules
    who = f"task {rules.task_id}" if rules.task_id else f"role {rules.owner}"
    if rules.task_id and rules.owner:
        who += f" (owner {rules.owner})"
    if result.scope == "paths":
        _check_paths_text(result, who, stream)
        return
    scope = "the staged change" if result.scope == "staged" else result.scope
    if result.ok:
        stream.write(
            f"{paint('ok', 'green', stream)}: {scope} ({result.changes} changes) "
            f"stays inside {who}\n"
        )
        return
    count = len(result.violations)
    stream.write(
        paint(
            f"{scope}: {count} path{'s' if count != 1 else ''} {who} may not change", "red", stream
        )
        + "\n"
    )
    stream.writelines(violation_lines(result.violations))


def _check_paths_text(result: Any, who: str, stream: TextIO) -> None:
    from gitwt.core.display import violation_lines

    if result.ok:
        shown = ", ".join(quote_path(path) for path in result.paths)
        stream.write(f"{paint('ok', 'green', stream)}: {who} may change {shown}\n")
        return
    count = len(result.violations)
    headline = f"{who} may not change {count} of these paths"
    stream.write(paint(headline, "red", stream) + "\n")
    stream.writelines(violation_lines(result.violations))


def hooks_installed(installed: Any, stream: TextIO = sys.stdout) -> None:
    what = f"task {installed.task_id}" if installed.mode == "task" else "the base guard"
    stream.write(f"installed git parallel hooks in {installed.worktree} ({what})\n")
    stream.write(f"  shims:     {installed.hooks_dir}\n")
    stream.write(f"  chains to: {installed.chain}\n")


def guard_installed(guard: Any, stream: TextIO = sys.stdout) -> None:
    if guard.where == "none":
        stream.write("no main worktree here (a bare repository): no base guard to install\n")
        return
    if guard.where == "worktree":
        stream.write(f"installed the base guard in {quote_path(guard.folder)}\n  {guard.note}\n")
        return
    stream.write(f"installed the base guard in {quote_path(guard.folder)}\n")
    for hook, slot in guard.slots.items():
        stream.write(f"  {hook}: {quote_path(slot)}\n")


def hooks_json(found: list[WorktreeHooks], guard: GuardState) -> HooksJson:
    return {
        "schema": schema("hooks"),
        "worktrees": [entry.to_json() for entry in found],
        "base_guard": guard.to_json(),
    }


def server_hook_json(check: str | None, chained: str | None) -> ServerHookJson:
    return {
        "schema": schema("hooks-server"),
        "installed": check is not None,
        "hook": check,
        "chains_to": chained,
    }


def server_hook_text(check: str | None, chained: str | None, stream: TextIO = sys.stdout) -> None:
    if check is None:
        stream.write("server check: none (install it with 'git parallel hooks install --server')\n")
        return
    then = f", then {quote_path(chained)}" if chained else ""
    stream.write(f"server check: {quote_path(check)}{then}\n")


def _guard_line(guard: Any) -> str:
    if guard.where == "none" and not guard.problems:
        return "base guard: none"
    slots = ", ".join(f"{hook} ({quote_path(slot)})" for hook, slot in guard.slots.items())
    return f"base guard: {slots or 'missing'}"


def hooks_text(found: list[Any], guard: Any, stream: TextIO = sys.stdout) -> None:
    rows = [["worktree", "branch", "hooks", "task", "chains to"]]
    for entry in found:
        rows.append(
            [
                quote_path(entry.path),
                entry.branch or "(detached)",
                entry.mode or "none",
                entry.task_id or "-",
                quote_path(entry.chain) if entry.chain else "-",
            ]
        )
    table(rows, stream)
    stream.write(_guard_line(guard) + "\n")
    for problem in guard.problems:
        stream.write(paint(f"base guard: {problem}", "yellow", stream) + "\n")
    for entry in found:
        for problem in entry.problems:
            stream.write(paint(f"{quote_path(entry.path)}: {problem}", "yellow", stream) + "\n")
