"""Team mode (DESIGN §11): the shared registry of live tasks, and what each command does with it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from gitwt.services.context import Context


def team_seam(context: Context) -> Any:
    """The team-mode seam (DESIGN §11): the team service when config `remote` is set."""
    if context.config.remote is None:
        return None
    from gitwt.services.team import team_mode as team

    return team
