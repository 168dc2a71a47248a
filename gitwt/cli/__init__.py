"""The command line: click commands that parse, call the API (or one service), and render."""

from gitwt.cli import orchestration as orchestration  # registers `wait` and `batch`
from gitwt.cli import team_commands as team_commands  # registers `release`
from gitwt.cli.commands import main

__all__ = ["main"]
