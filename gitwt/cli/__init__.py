"""The command line: click commands that parse, call the API (or one service), and render."""

# The commands modules are imported by the group, each only when one of its commands runs.
from gitwt.cli.commands import main

__all__ = ["main"]
