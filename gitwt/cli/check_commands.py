"""Commands that check changes against boundaries, and manage the hooks that do it at commit."""

from __future__ import annotations

import os
from typing import Any

import click

from gitwt.cli.emitting import emit
from gitwt.cli.options import local_option


@click.command()
@click.argument("files", nargs=-1, metavar="[FILES]...")
@click.option("--staged", is_flag=True, help="Check the staged change (the default).")
@click.option(
    "--range",
    "range_spec",
    metavar="A..B",
    help="Check the commits of B that A lacks (from their fork point to B).",
)
@click.option(
    "--path",
    "paths",
    metavar="P",
    multiple=True,
    help="May the task change path P? Asked before editing (repeatable).",
)
@click.option("--task", "task_id", metavar="ID", help="Against this task's declaration and owner.")
@click.option("--role", metavar="R", help="Against the paths role R owns in the ownership map.")
@click.option(
    "--ownership",
    "ownership_only",
    is_flag=True,
    help="Only the ownership map, for the role (or the worktree task's owner).",
)
@click.option(
    "--claims",
    is_flag=True,
    help="Are the parallel claims of the plans FILES belong to true (all plans without FILES)? "
    "With --staged: only a false claim the change adds or rewrites fails.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the versioned JSON report.")
@local_option
def check(
    files: tuple[str, ...],
    claims: bool,
    staged: bool,
    range_spec: str | None,
    paths: tuple[str, ...],
    task_id: str | None,
    role: str | None,
    ownership_only: bool,
    as_json: bool,
) -> None:
    """Check a change against a task's boundaries or a role's ownership, as the hooks do.

    Without --task or --role: the task of the worktree you are in, else the role from
    GIT_PARALLEL_ROLE, git config parallel.role, or your user.email when the ownership map
    names it as an owner. Exit 1 when a path is out of bounds.

    With --path (inside a task worktree, or with --task): may the task change these paths?
    Ask before editing them; the answer names the rule and the fix ('git parallel claim').

    With --claims [FILES]: the parallel claims of the plans other tools wrote ([P], (P),
    parallel: true, wave) that FILES belong to; exit 1 when one is false (both sides change a
    common path). The pre-commit hook git-parallel-claims runs it with --staged.
    """
    from gitwt.cli import check_report
    from gitwt.services.context import Context
    from gitwt.services.specs import boundary_check as checking

    if claims:
        if range_spec or paths or task_id or role or ownership_only:
            raise click.UsageError("--claims takes plan FILES and --staged, nothing else")
        from gitwt.services.specs.claim_check import check_claims

        found = check_claims(Context.discover(), list(files), staged=staged)
        emit(
            as_json,
            found.to_json,
            lambda: check_report.claims_text(found),
            0 if found.ok else 1,
        )
    if files:
        raise click.UsageError("FILES are plan files, for --claims")

    if staged and range_spec:
        raise click.UsageError("--staged and --range exclude each other")
    if task_id and role:
        raise click.UsageError("--task and --role exclude each other")
    if paths and (staged or range_spec):
        raise click.UsageError("--path checks paths before any change: not with --staged/--range")
    if paths:
        result = checking.check_paths(Context.discover(), list(paths), task_id=task_id, role=role)
    else:
        result = checking.check(
            Context.discover(),
            range_spec=range_spec,
            task_id=task_id,
            role=role,
            ownership_only=ownership_only,
        )
    emit(
        as_json,
        lambda: check_report.check_json(result),
        lambda: check_report.check_text(result),
        0 if result.ok else 1,
    )


def git_repo(worktree: str) -> Any:
    from gitwt.infra import git

    return git.discover(worktree)


@click.group()
def hooks() -> None:
    """Manage the commit hooks (task worktrees get them at start)."""


@hooks.command("install")
@click.argument("worktree", required=False, type=click.Path(file_okay=False, exists=True))
@click.option(
    "--task",
    "task_id",
    metavar="ID",
    help="Make WORKTREE a worktree of task ID: save its rules there first.",
)
@click.option(
    "--server",
    is_flag=True,
    help="In a bare repository: a pre-receive check of task branches against the registry.",
)
def hooks_install(worktree: str | None, task_id: str | None, server: bool) -> None:
    """Install the hooks in WORKTREE (default: here), chaining to the hooks it had.

    In a task worktree they refuse commits outside the task; elsewhere they install the base
    guard (the common hooks folder; per worktree when core.hooksPath is set), which refuses
    commits on the base of live tasks touching their paths. With --server, in the bare
    repository a team pushes to: refuse pushes to task branches that change paths outside the
    task.
    """
    from gitwt.cli import check_report
    from gitwt.services.hooks import base_guard, installer, task_install

    if server:
        from gitwt.services.hooks import server_hook

        click.echo(f"installed the server check in {server_hook.install(worktree or '.')}")
        return
    where = worktree or "."
    if task_id is None and not installer.is_task_worktree(where):
        check_report.guard_installed(base_guard.install(git_repo(where)))
        return
    check_report.hooks_installed(task_install.install_for(where, task_id))


@hooks.command("uninstall")
@click.argument("worktree", required=False, type=click.Path(file_okay=False, exists=True))
@click.option("--server", is_flag=True, help="In a bare repository: remove the pre-receive check.")
def hooks_uninstall(worktree: str | None, server: bool) -> None:
    """Remove the hooks from WORKTREE (default: here) and restore exactly what was there.

    Outside task worktrees this removes the base guard too, putting back the hooks it kept.
    With --server, in the bare repository: remove the pre-receive check, putting back the
    pre-receive hook it chained to.
    """
    from gitwt.services.hooks import base_guard, installer

    where = worktree or "."
    if server:
        from gitwt.services.hooks import server_hook

        removed = server_hook.uninstall(where)
        click.echo(f"removed the server check {removed}" if removed else "no server check here")
        return
    if installer.uninstall(where):
        click.echo(f"removed git parallel hooks from {os.path.abspath(where)}")
    elif not installer.is_task_worktree(where) and base_guard.remove(git_repo(where)):
        click.echo("removed the base guard from the common hooks folder")
    else:
        click.echo("no git parallel hooks installed here")


@hooks.command("status")
@click.option("--json", "as_json", is_flag=True, help="Print the versioned JSON report.")
@click.option(
    "--server", is_flag=True, help="In a bare repository: whether the pre-receive check is on."
)
def hooks_status(as_json: bool, server: bool) -> None:
    """Show which worktrees have the hooks, in which mode, and what they chain to."""
    from gitwt.cli import check_report
    from gitwt.services.hooks import base_guard

    if server:
        from gitwt.services.hooks import server_hook

        check, chained = server_hook.installed(".")
        emit(
            as_json,
            lambda: check_report.server_hook_json(check, chained),
            lambda: check_report.server_hook_text(check, chained),
            0,
        )
    found, guard = base_guard.hooks_status()
    emit(
        as_json,
        lambda: check_report.hooks_json(found, guard),
        lambda: check_report.hooks_text(found, guard),
        1 if guard.problems or any(entry.problems for entry in found) else 0,
    )
