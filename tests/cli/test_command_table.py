"""The group lists every command from a table, without importing the commands' modules: the
table must name each command the modules define, with the help the command itself has."""

from __future__ import annotations

import importlib
import pkgutil
import subprocess
import sys

import click
import pytest

import gitwt.cli
from gitwt.cli.commands import COMMANDS, LazyGroup, cli


def _defined_commands() -> dict[str, click.Command]:
    """Every top-level click command a module of gitwt.cli defines, in the table or not (a
    group's own subcommands, like `hooks install`, are not the group's to list)."""
    found: list[click.Command] = []
    nested: set[int] = set()
    for module in pkgutil.iter_modules(gitwt.cli.__path__, "gitwt.cli."):
        for value in vars(importlib.import_module(module.name)).values():
            if isinstance(value, click.Command) and value is not cli:
                found.append(value)
                if isinstance(value, click.Group):
                    nested |= {id(sub) for sub in value.commands.values()}
    return {command.name or "": command for command in found if id(command) not in nested}


def test_the_table_names_every_command_and_its_own_help() -> None:
    defined = _defined_commands()
    assert sorted(defined) == sorted(COMMANDS)
    context = click.Context(cli, info_name="git parallel")
    for name, listed in COMMANDS.items():
        command = cli.get_command(context, name)
        assert command is defined[name]
        assert listed.help == (command.help or "").split("\n\n")[0], name


@pytest.mark.parametrize("width", [40, 60, 80, 100])
def test_help_lists_the_commands_as_click_would_with_every_module_loaded(width: int) -> None:
    context = click.Context(cli, info_name="git parallel", max_content_width=width)
    for name in COMMANDS:
        cli.get_command(context, name)  # loaded: click's own listing can read each command
    ours, clicks = click.HelpFormatter(width=width), click.HelpFormatter(width=width)
    cli.format_commands(context, ours)
    click.Group.format_commands(cli, context, clicks)
    assert ours.getvalue() == clicks.getvalue()
    assert isinstance(cli, LazyGroup)


def test_help_imports_no_command_module() -> None:
    shown = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys\n"
            "from gitwt.cli import main\n"
            "code = main(['-h'])\n"
            "print(sorted(m for m in sys.modules if m.startswith('gitwt.cli.')))\n"
            "sys.exit(code)",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "  start    Create a worktree and branch per task" in shown
    loaded = eval(shown.splitlines()[-1])
    assert loaded == ["gitwt.cli.commands", "gitwt.cli.emitting", "gitwt.cli.inert_output"]
