"""Commands that bring finished tasks home: merge into base, then clean up worktrees."""

from __future__ import annotations

import click

from gitwt.cli.emitting import emit
from gitwt.cli.options import local_option


@click.command()
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
@click.option(
    "--no-mark-done",
    "no_mark_done",
    is_flag=True,
    help="Leave the merged units' status in their plans as it is (config mark_done).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the versioned JSON report.")
@local_option
def merge(
    ids: tuple[str, ...],
    everything: bool,
    test_command: str | None,
    dry_run: bool,
    keep: bool,
    no_mark_done: bool,
    as_json: bool,
) -> None:
    """Audit, forecast and merge tasks into base, atomically; refused tasks stay as they are.

    With no IDS, merges every succeeded task. Open tasks merge only when named (or --all).
    Each merged unit of a plan is recorded as done in that plan, in the merge commit itself.
    """
    from gitwt import api
    from gitwt.cli import merge_report

    result = api.merge(
        list(ids),
        everything=everything,
        test=test_command,
        dry_run=dry_run,
        keep=keep,
        mark_done=False if no_mark_done else None,
    )
    emit(
        as_json,
        result.to_json,
        lambda: merge_report.merge_text(result.report),
        0 if result.ok else 1,
    )


@click.command()
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
    from gitwt.cli import merge_report

    result = api.clean(list(ids), force=force)
    emit(
        as_json,
        result.to_json,
        lambda: merge_report.clean_text(result.report),
        0 if result.ok else 1,
    )
