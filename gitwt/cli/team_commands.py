"""Team mode on the command line (DESIGN §11): `release` (`--local` is in cli/options.py)."""

from __future__ import annotations

import click

from gitwt.cli.emitting import emit


@click.command()
@click.argument("task_id", metavar="ID")
@click.option(
    "--force", is_flag=True, help="Release a task of another machine (that machine is gone)."
)
@click.option("--json", "as_json", is_flag=True, help="Print the versioned JSON report.")
def release(task_id: str, force: bool, as_json: bool) -> None:
    """Remove task ID from the team registry, e.g. the task of a machine that died.

    Refuses another machine's task without --force, naming its machine, user and age. The
    task's branch on the remote is never deleted.
    """
    from gitwt.cli import report
    from gitwt.services.context import Context
    from gitwt.services.team import team_mode as team

    context = Context.discover()
    if not team.enabled(context):
        from gitwt.errors import GitParallelError

        raise GitParallelError(
            "release works in team mode only: config 'remote' is not set",
            "set 'remote = \"origin\"' in .gitparallel.toml",
        )
    entry = team.release(context, task_id, force)
    emit(
        as_json,
        lambda: {
            "schema": report.schema("release"),
            "released": entry.id,
            "machine": entry.machine,
            "user": entry.user,
            "branch": entry.branch,
        },
        lambda: click.echo(
            f"released task {entry.id} of {entry.where()}; its branch {entry.branch} stays"
        ),
        0,
    )
