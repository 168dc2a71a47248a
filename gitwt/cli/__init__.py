"""The command line: click commands that parse, call the API (or one service), and render."""

# Importing a commands module registers its commands on the group.
from gitwt.cli import check_commands as check_commands  # `check`, `hooks`
from gitwt.cli import merge_commands as merge_commands  # `merge`, `clean`
from gitwt.cli import next_commands as next_commands  # `next`
from gitwt.cli import orchestration as orchestration  # `wait`, `batch`
from gitwt.cli import plan_commands as plan_commands  # `plan`, `specs`, `trust`, `demo`
from gitwt.cli import task_commands as task_commands  # `start`, `status`, `logs`, `stop`, `claim`
from gitwt.cli import team_commands as team_commands  # `release`
from gitwt.cli.commands import main

__all__ = ["main"]
