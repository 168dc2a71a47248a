"""The team fixture for the server-check tests: a real `git daemon`, two machines."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from gitwt.services.hooks import server_hook
from tests.services.team.team_setup import Team, serving

SPECS = {
    "a": ["src/shared/**"],
    "b": ["src/shared/x.py"],
    "c": ["src/c.py"],
}


@pytest.fixture
def team(tmp_path: Path) -> Iterator[Team]:
    """A team whose served repository runs the server check (`hooks install --server`)."""
    with serving(tmp_path, SPECS) as made:
        server_hook.install(str(made.bare))  # `hooks install --server`, in-process
        yield made
