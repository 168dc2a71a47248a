"""The environment under which git shows the objects as they are stored (DESIGN §6).

Replace refs (`refs/replace/*`, shared by every worktree) and grafts (`info/grafts`) make git
show other objects than the ones a ref points at: an agent can `git replace <base> <fake>` so an
audit through them sees no change while the published commit holds one. Every git call of gitwt
(the runner in gitwt.infra.git, the commit hook's runner, the early diff of the pre-commit shim)
runs with this environment, so what is audited is what gets published.

`GIT_NO_REPLACE_OBJECTS` does not turn grafts off (git 2.39 still reads info/grafts under it);
pointing `GIT_GRAFT_FILE` at a path that cannot exist does. Stdlib only, nothing imported: the
commit hook loads it.
"""

from __future__ import annotations

# A child of /dev/null can never exist, so git finds no graft file and prints no warning.
NO_GRAFTS = "/dev/null/no-grafts"

ENVIRONMENT: dict[str, str] = {"GIT_NO_REPLACE_OBJECTS": "1", "GIT_GRAFT_FILE": NO_GRAFTS}

# Submodules: `.gitmodules` `ignore = all` and `diff.ignoreSubmodules` (any config scope an agent
# can write) hide a moved gitlink from diff, log and status; the commit still publishes it. So
# every such call of gitwt says `--ignore-submodules=none`, which wins over both (DESIGN §13).
ALL_SUBMODULES = "--ignore-submodules=none"
SHOWS_CHANGES = frozenset(
    {"diff", "diff-tree", "diff-index", "diff-files", "log", "show", "status", "whatchanged"}
)


def seeing_submodules(args: list[str]) -> list[str]:
    """`git ARGS` with `--ignore-submodules=none` after a subcommand that shows changes."""
    index = 0
    while index < len(args) and args[index].startswith("-"):
        index += 2 if args[index] in ("-c", "-C") else 1  # git's own options come first
    if index >= len(args) or args[index] not in SHOWS_CHANGES:
        return args
    if any(arg.startswith("--ignore-submodules") for arg in args):
        return args
    return [*args[: index + 1], ALL_SUBMODULES, *args[index + 1 :]]
