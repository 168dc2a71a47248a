"""Commands that read specs and config before any task runs: plan, specs, trust, demo."""

from __future__ import annotations

import click

from gitwt.cli.emitting import emit
from gitwt.cli.options import local_option, task_lines_option
from gitwt.errors import GitParallelError


@click.command()
@click.argument("ids", nargs=-1, required=True)
@click.option("--explain", is_flag=True, help="Show where each declared pattern came from.")
@task_lines_option
@click.option("--json", "as_json", is_flag=True, help="Print the versioned JSON report.")
@local_option
def plan(ids: tuple[str, ...], explain: bool, task_lines: bool, as_json: bool) -> None:
    """Report whether tasks IDS can run in parallel: conflicts, ownership, order and waves.

    The report is complete even when some specs cannot be read: it lists every spec problem
    with its file and line, and exits 2 when a named task is unusable. With --task-lines it
    shows the waves 'batch --task-lines' would run, and runs nothing.
    """
    from gitwt import api
    from gitwt.cli import plan_report

    planned = api.plan(list(ids), task_lines=task_lines)
    result = planned.report
    errors = [problem for problem in result.survey.problems if not problem.warning]
    if errors:
        first, more = errors[0], len(result.survey.problems) - 1
        also = f" (and {more} more spec problem(s), listed in the report)" if more else ""
        click.echo(GitParallelError(first.located + also, first.hint).render(), err=True)
    emit(
        as_json,
        planned.to_json,
        lambda: plan_report.plan_text(result, planned.base, planned.max_instances, explain=explain),
        result.exit_code,
    )


@click.command("specs")
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
    from gitwt.services.context import Context
    from gitwt.services.specs import spec_writer

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
    problems = [problem for entry in entries for problem in entry.problems if not problem.warning]
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


# --- trust -----------------------------------------------------------------------------------


@click.command()
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


@click.command()
@click.argument("directory", required=False, type=click.Path(file_okay=False))
def demo(directory: str | None) -> None:
    """Show the whole workflow in a scratch repository (DIRECTORY, or a new temporary one)."""
    from gitwt.services.demo import run_demo

    run_demo(directory)
