"""Generate git-parallel(1) from the click commands, so `git parallel --help` finds a man page.

git turns `git parallel --help` into `git help parallel`, which runs `man git-parallel`. The
page ships in the wheel under share/man/man1, where man finds it for the environment's bin dir.
Regenerate with `python -m gitwt.cli.manpage > man/git-parallel.1` (a test keeps it in sync).
"""

from __future__ import annotations

import inspect

import click

from gitwt import __version__


def _escape(text: str) -> str:
    lines = []
    for line in inspect.cleandoc(text).replace("\\", "\\e").splitlines():
        if not line.strip():
            lines.append(".PP")
        else:
            lines.append("\\&" + line if line.startswith((".", "'")) else line)
    return "\n".join(lines)


def _options(command: click.Command, context: click.Context) -> list[str]:
    out: list[str] = []
    for parameter in command.get_params(context):
        if not isinstance(parameter, click.Option):
            continue  # arguments are in the usage line; click versions differ on their help
        record = parameter.get_help_record(context)
        if record is None:
            continue
        names, help_text = record
        out += [".TP", f"\\fB{_escape(names)}\\fR", _escape(help_text or "")]
    return out


def render() -> str:
    from gitwt.cli.commands import cli

    root = click.Context(cli, info_name="git parallel")
    lines = [
        f'.TH GIT\\-PARALLEL 1 "" "gitwt {__version__}" "Git Manual"',
        ".SH NAME",
        "git\\-parallel \\- run independent tasks in git worktrees, and keep them independent",
        ".SH SYNOPSIS",
        "\\fBgit parallel\\fR [\\fB\\-h\\fR] [\\fB\\-\\-version\\fR]"
        " \\fICOMMAND\\fR [\\fIARGS\\fR]",
        ".SH DESCRIPTION",
        _escape(cli.help or ""),
        ".SH COMMANDS",
    ]
    for name in cli.list_commands(root):
        command = cli.get_command(root, name)
        if command is None or command.hidden:
            continue
        context = click.Context(command, info_name=name, parent=root)
        usage = " ".join(command.collect_usage_pieces(context))
        lines += [
            ".SS",
            f"\\fBgit parallel {name}\\fR {_escape(usage)}",
            ".PP",
            _escape(command.help or ""),
        ]
        options = _options(command, context)
        if options:
            lines += [".RS", *options, ".RE"]
    lines += [
        ".SH EXIT STATUS",
        "0 ok; 1 the check found a problem (conflict, violation, refused merge); "
        "2 bad usage, config or input.",
        ".SH SEE ALSO",
        "\\fBgit\\-worktree\\fR(1), \\fBgit\\-merge\\-tree\\fR(1), \\fBgithooks\\fR(5)",
    ]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(render(), end="")
