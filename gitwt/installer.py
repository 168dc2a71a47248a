"""Install, inspect and remove the hook shims of a worktree (filled in by the hooks work)."""

from __future__ import annotations


def install(worktree: str) -> None:
    """Point this worktree's own core.hooksPath at the gitwt shims, chaining to the old hooks."""
