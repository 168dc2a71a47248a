"""Command line: parse, call one service, render. Nothing else lives here."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from typing import Any, NoReturn

import click

from gitwt import __version__
from gitwt.cli.options import local_option
from gitwt.errors import EXIT_USAGE, GitParallelError, one_line

COMPLETE_VAR = "_GIT_PARALLEL_COMPLETE"
CONTEXT_SETTINGS = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


def emit(
    as_json: bool,
    to_json: Callable[[], dict[str, Any]],
    to_text: Callable[[], None],
    exit_code: int,
) -> NoReturn:
    """Print the report as versioned JSON or as text, then exit with the command's verdict."""
    from gitwt.cli import report

    if as_json:
        report.dump_json(to_json())
    else:
        to_text()
    sys.exit(exit_code)


@click.group(context_settings=CONTEXT_SETTINGS)
@click.version_option(
    __version__, "--version", prog_name="git parallel", message="%(prog)s %(version)s"
)
def cli() -> None:
    """Run independent tasks in git worktrees, and keep them independent.

    Each task declares the files it will touch in a spec. `plan` and `start` refuse tasks whose
    declarations overlap; hooks refuse commits outside them; `merge` audits every branch again.
    """


@cli.command()
@click.argument("ids", nargs=-1, required=True)
@click.option("--explain", is_flag=True, help="Show where each declared pattern came from.")
@click.option("--json", "as_json", is_flag=True, help="Print the versioned JSON report.")
@local_option
def plan(ids: tuple[str, ...], explain: bool, as_json: bool) -> None:
    """Report whether tasks IDS can run in parallel: conflicts, ownership, order and waves.

    The report is complete even when some specs cannot be read: it lists every spec problem
    with its file and line, and exits 2 when a named task is unusable.
    """
    from gitwt import api
    from gitwt.cli import plan_report

    planned = api.plan(list(ids))
    result = planned.report
    if result.survey.problems:
        first, more = result.survey.problems[0], len(result.survey.problems) - 1
        also = f" (and {more} more spec problem(s), listed in the report)" if more else ""
        click.echo(GitParallelError(first.located + also, first.hint).render(), err=True)
    emit(
        as_json,
        planned.to_json,
        lambda: plan_report.plan_text(result, planned.base, planned.max_instances, explain=explain),
        result.exit_code,
    )


@cli.command("specs")
@click.argument("ids", nargs=-1)
@click.option(
    "--front-matter",
    is_flag=True,
    help="Write each legacy spec's extracted declaration into it as YAML front matter.",
)
@click.option("--explain", is_flag=True, help="Show each pattern's origin and ignored tokens.")
@click.option("--json", "as_json", is_flag=True, help="Print the versioned JSON report.")
def specs_command(ids: tuple[str, ...], front_matter: bool, explain: bool, as_json: bool) -> None:
    """List the discovered specs (id, file, title, owner, patterns, problems), or those of IDS.

    With --front-matter, write the declaration read from each named legacy spec into it as
    front matter, for a person to review and commit; a spec with uncommitted changes is refused.
    """
    from gitwt.cli import plan_report
    from gitwt.services import spec_writer
    from gitwt.services.context import Context

    context = Context.discover()
    if front_matter:
        written = spec_writer.write_front_matter(context, list(ids))
        emit(
            as_json,
            lambda: plan_report.front_matter_json(written),
            lambda: plan_report.front_matter_text(written),
            0,
        )
    entries = spec_writer.list_specs(context, list(ids) if ids else None)
    problems = [problem for entry in entries for problem in entry.problems]
    if ids and problems:
        also = f" (and {len(problems) - 1} more, listed below)" if len(problems) > 1 else ""
        click.echo(
            GitParallelError(problems[0].located + also, problems[0].hint).render(), err=True
        )
    emit(
        as_json,
        lambda: plan_report.specs_json(entries),
        lambda: plan_report.specs_text(entries, explain=explain),
        2 if ids and problems else 0,
    )


# --- merge -----------------------------------------------------------------------------------


@cli.command()
@click.argument("ids", nargs=-1)
@click.option("--all", "everything", is_flag=True, help="Also merge open tasks (no command).")
@click.option(
    "--test",
    "test_command",
    metavar="CMD",
    help="Run CMD on each candidate merge; base moves only if it passes.",
)
@click.option("--dry-run", is_flag=True, help="Report what would happen; change nothing.")
@click.option("--keep", is_flag=True, help="Keep worktrees and branches after merging.")
@click.option("--json", "as_json", is_flag=True, help="Print the versioned JSON report.")
@local_option
def merge(
    ids: tuple[str, ...],
    everything: bool,
    test_command: str | None,
    dry_run: bool,
    keep: bool,
    as_json: bool,
) -> None:
    """Audit, forecast and merge tasks into base, atomically; refused tasks stay as they are.

    With no IDS, merges every succeeded task. Open tasks merge only when named (or --all).
    """
    from gitwt import api
    from gitwt.cli import report

    result = api.merge(
        list(ids), everything=everything, test=test_command, dry_run=dry_run, keep=keep
    )
    emit(as_json, result.to_json, lambda: report.merge_text(result.report), 0 if result.ok else 1)


# --- trust -----------------------------------------------------------------------------------


@cli.command()
@click.argument("ids", nargs=-1)
def trust(ids: tuple[str, ...]) -> None:
    """Trust the commands this repository's files ask to run: config `run`/`test`, spec `run`.

    Shows each command, then remembers it for this user and repository. Editing a command
    asks for trust again. Commands given on the command line never need trust.
    """
    import shlex

    from gitwt.services import trust as trust_module
    from gitwt.services.context import Context

    context = Context.discover()
    commands: list[tuple[str, str | tuple[str, ...]]] = []
    for key in ("run", "setup", "test"):
        value = getattr(context.config, key)
        if value:
            commands.append((f"{key} in {context.config.source}", value))
    for task in context.load_tasks(list(ids)) if ids else []:
        if task.run:
            commands.append((f"run of task {task.id} ({task.source})", task.run))
    if not commands:
        click.echo("nothing to trust: no run or test command in the config or the named specs")
        return
    trust_module.grant(context.repo.common_dir, [command for _, command in commands])
    for origin, command in commands:
        click.echo(f"trusted {origin}: {shlex.join(trust_module.command_argv(command))}")


# --- demo ------------------------------------------------------------------------------------


@cli.command()
@click.argument("directory", required=False, type=click.Path(file_okay=False))
def demo(directory: str | None) -> None:
    """Show the whole workflow in a scratch repository (DIRECTORY, or a new temporary one)."""
    from gitwt.services.demo import run_demo

    run_demo(directory)


# --- check and hooks -------------------------------------------------------------------------


@cli.command()
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
@click.option("--json", "as_json", is_flag=True, help="Print the versioned JSON report.")
@local_option
def check(
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
    """
    from gitwt.cli import report
    from gitwt.services import checking
    from gitwt.services.context import Context

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
        lambda: report.check_json(result),
        lambda: report.check_text(result),
        0 if result.ok else 1,
    )


def git_repo(worktree: str) -> Any:
    from gitwt.infra import git

    return git.discover(worktree)


@cli.group()
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
    from gitwt.cli import report
    from gitwt.services import base_guard, installer

    if server:
        from gitwt.services import server_hook

        click.echo(f"installed the server check in {server_hook.install(worktree or '.')}")
        return
    where = worktree or "."
    if task_id is None and not installer.is_task_worktree(where):
        report.guard_installed(base_guard.install(git_repo(where)))
        return
    report.hooks_installed(installer.install_for(where, task_id))


@hooks.command("uninstall")
@click.argument("worktree", required=False, type=click.Path(file_okay=False, exists=True))
def hooks_uninstall(worktree: str | None) -> None:
    """Remove the hooks from WORKTREE (default: here) and restore exactly what was there.

    Outside task worktrees this removes the base guard too, putting back the hooks it kept.
    """
    from gitwt.services import base_guard, installer

    where = worktree or "."
    if installer.uninstall(where):
        click.echo(f"removed git parallel hooks from {os.path.abspath(where)}")
    elif not installer.is_task_worktree(where) and base_guard.remove(git_repo(where)):
        click.echo("removed the base guard from the common hooks folder")
    else:
        click.echo("no git parallel hooks installed here")


@hooks.command("status")
@click.option("--json", "as_json", is_flag=True, help="Print the versioned JSON report.")
def hooks_status(as_json: bool) -> None:
    """Show which worktrees have the hooks, in which mode, and what they chain to."""
    from gitwt.cli import report
    from gitwt.services import base_guard

    found, guard = base_guard.hooks_status()
    emit(
        as_json,
        lambda: report.hooks_json(found, guard),
        lambda: report.hooks_text(found, guard),
        1 if guard.problems or any(entry.problems for entry in found) else 0,
    )


# --- start, status, logs, stop, claim, clean -------------------------------------------------


@cli.command()
@click.argument("ids", nargs=-1, required=True)
@click.option(
    "--run",
    "run_command",
    metavar="CMD",
    help="Run CMD in each task worktree ({id}, {worktree}, {spec} are replaced).",
)
@click.option(
    "--max",
    "max_instances",
    type=click.IntRange(min=1),
    metavar="N",
    help="Run at most N task commands at once (default: config max_instances).",
)
@click.option(
    "--queue",
    is_flag=True,
    help="Let conflicting or dependent tasks wait until their partner is merged.",
)
@click.option(
    "--sparse", is_flag=True, help="Check out only the declared paths and the top-level files."
)
@click.option(
    "--auto-merge",
    is_flag=True,
    help="Merge each task as soon as its command succeeds (same rules as 'merge').",
)
@click.option("--json", "as_json", is_flag=True, help="Print the versioned JSON report.")
@local_option
def start(
    ids: tuple[str, ...],
    run_command: str | None,
    max_instances: int | None,
    queue: bool,
    sparse: bool,
    auto_merge: bool,
    as_json: bool,
) -> None:
    """Create a worktree and branch per task from base, install hooks, spawn the command.

    Validates like 'plan' and creates nothing when the tasks conflict. Returns at once; tasks
    beyond the free slots wait as 'queued' and start when a slot and the resources allow.
    """
    from gitwt import api
    from gitwt.cli import report

    result = api.start(
        list(ids),
        run=run_command,
        max_instances=max_instances,
        queue=queue,
        sparse=sparse,
        auto_merge=auto_merge,
    )
    emit(as_json, result.to_json, lambda: report.start_text(result.report), 0 if result.ok else 1)


@cli.command()
@click.argument("ids", nargs=-1)
@click.option("--json", "as_json", is_flag=True, help="Print the versioned JSON report.")
@click.option("--watch", is_flag=True, help="Redraw every poll_interval until interrupted.")
@click.option("--no-forecast", is_flag=True, help="Skip the merge-tree conflict forecast.")
@local_option
def status(ids: tuple[str, ...], as_json: bool, watch: bool, no_forecast: bool) -> None:
    """Show each task: state, process, resources, commits, files and forecast conflicts."""
    import time

    from gitwt import api
    from gitwt.cli import report
    from gitwt.services.context import Context

    context = Context.discover()
    while True:
        result = api.status(list(ids), forecast=not no_forecast)
        if watch and sys.stdout.isatty():
            click.echo("\033[H\033[2J", nl=False)
        if as_json:
            report.dump_json(result.to_json())
        else:
            report.status_text(result.report)
        if not watch:
            return
        sys.stdout.flush()
        try:
            time.sleep(context.config.poll_interval)
        except KeyboardInterrupt:
            return


@cli.command()
@click.argument("task_id", metavar="ID")
@click.option("-f", "--follow", is_flag=True, help="Keep printing output as it comes.")
def logs(task_id: str, follow: bool) -> None:
    """Print the output of task ID's command."""
    from gitwt.services import lifecycle
    from gitwt.services.context import Context

    try:
        lifecycle.print_log(Context.discover(), task_id, follow)
    except KeyboardInterrupt:
        return


@cli.command()
@click.argument("ids", nargs=-1)
@click.option(
    "--timeout",
    default=10.0,
    show_default=True,
    type=click.FloatRange(min=0),
    metavar="S",
    help="Seconds between SIGTERM and SIGKILL.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the versioned JSON report.")
def stop(ids: tuple[str, ...], timeout: float, as_json: bool) -> None:
    """SIGTERM each task's whole process tree, SIGKILL after the timeout (default: all)."""
    from gitwt.cli import report
    from gitwt.services import supervisor
    from gitwt.services.context import Context

    results = supervisor.stop(Context.discover(), list(ids), timeout=timeout)
    if as_json:
        report.dump_json(report.stop_json(results))
    else:
        report.stop_text(results)


@cli.command()
@click.argument("task_id", metavar="ID")
@click.argument("paths", nargs=-1, required=True)
@click.option("--json", "as_json", is_flag=True, help="Print the versioned JSON report.")
@local_option
def claim(task_id: str, paths: tuple[str, ...], as_json: bool) -> None:
    """Extend a live task's declaration with PATHS, unless another live task has them."""
    from gitwt.cli import report
    from gitwt.services import lifecycle
    from gitwt.services.context import Context

    result = lifecycle.claim(Context.discover(), task_id, list(paths))
    if as_json:
        report.dump_json(report.claim_json(result))
    else:
        report.claim_text(result)


@cli.command()
@click.argument("ids", nargs=-1)
@click.option(
    "--force",
    is_flag=True,
    help="Remove even with uncommitted or unmerged work, kept first under "
    "refs/parallel/salvage/<id>/<time>.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the versioned JSON report.")
@local_option
def clean(ids: tuple[str, ...], force: bool, as_json: bool) -> None:
    """Remove worktrees of finished tasks and their merged branches, never losing work."""
    from gitwt import api
    from gitwt.cli import report

    result = api.clean(list(ids), force=force)
    emit(as_json, result.to_json, lambda: report.clean_text(result.report), 0 if result.ok else 1)


def main(argv: list[str] | None = None) -> int:
    # A path that is not UTF-8 is a str with lone surrogates; reports quote paths, and anything
    # else that prints one must show an escape, not crash (stderr already does this).
    if hasattr(sys.stdout, "reconfigure"):
        sys.stdout.reconfigure(errors="backslashreplace")
    try:
        if os.environ.get(COMPLETE_VAR):
            # Shell completion is registered for the executable `git-parallel`.
            cli.main(args=argv, prog_name="git-parallel", complete_var=COMPLETE_VAR)
        cli.main(args=argv, prog_name="git parallel", standalone_mode=False)
    except GitParallelError as error:
        click.echo(error.render(), err=True)
        return error.exit_code
    except click.exceptions.NoArgsIsHelpError as error:
        click.echo(error.ctx.get_help() if error.ctx else "", err=True)
        return EXIT_USAGE
    except click.UsageError as error:
        command = error.ctx.command_path if error.ctx else "git parallel"
        click.echo(f"git parallel: error: {one_line(error.format_message())}", err=True)
        click.echo(f"hint: see '{command} -h'", err=True)
        return EXIT_USAGE
    except click.exceptions.Exit as done:
        return done.exit_code
    except click.Abort:
        click.echo("git parallel: interrupted", err=True)
        return 130
    except SystemExit as done:
        return done.code if isinstance(done.code, int) else (0 if done.code is None else 1)
    except BrokenPipeError:
        return 0
    except click.ClickException as error:
        click.echo(f"git parallel: error: {one_line(error.format_message())}", err=True)
        click.echo("hint: see 'git parallel -h'", err=True)
        return EXIT_USAGE
    except Exception as error:  # a bug: exit 3, one line, the traceback kept (DESIGN §3)
        return _internal_error(error)
    return 0


def _internal_error(error: Exception) -> int:
    from gitwt.infra import crash, git

    try:
        common_dir: str | None = git.discover().common_dir
    except Exception:  # outside a repository, or git itself is what broke
        common_dir = None
    return crash.report(error, common_dir)
