"""A new worktree's own files that git would otherwise write one process at a time: its
`config.worktree` values and its sparse patterns (`info/sparse-checkout`).

`start` creates a worktree and then sets a few of its per-worktree values (core.hooksPath; with
--sparse core.sparseCheckout, core.sparseCheckoutCone and the patterns). `git config --worktree`
and `git sparse-checkout set` cost a process each (and `sparse-checkout set` rereads the whole
config); for a worktree gitwt made a moment ago, whose own config file holds only what gitwt
wrote, appending the same lines in git's config syntax (git-config(1), CONFIGURATION FILE)
is the same file git would write. extensions.worktreeConfig must be on (the hook installer turns
it on once), or git does not read the file.
"""

from __future__ import annotations

import os

from gitwt.infra.git_output import ConfigEntry

WORKTREE_CONFIG = "config.worktree"  # in the worktree's private git dir
SPARSE_FILE = os.path.join("info", "sparse-checkout")  # ditto (per worktree, not shared)
# What `git sparse-checkout set --no-cone` sets in the worktree's config, and what
# `set --cone --sparse-index` sets.
SPARSE_VALUES = (("core.sparseCheckout", "true"), ("core.sparseCheckoutCone", "false"))
CONE_VALUES = (
    ("core.sparseCheckout", "true"),
    ("core.sparseCheckoutCone", "true"),
    ("index.sparse", "true"),
)


def quoted(value: str) -> str:
    """A config value in double quotes, escaped as git's parser reads it back (quotes keep
    leading and trailing spaces, `#` and `;`; backslash escapes the rest)."""
    escaped = value.replace("\\", "\\\\").replace('"', '\\"')
    return '"' + escaped.replace("\n", "\\n").replace("\t", "\\t") + '"'


def append_values(git_dir: str, values: list[tuple[str, str]]) -> list[ConfigEntry]:
    """Append `section.key = value` lines to the worktree's config file (a key set again is
    read last-one-wins, as git does); the entries as `config --show-scope --list` shows them."""
    lines: list[str] = []
    section = None
    for key, value in values:
        name, _, variable = key.rpartition(".")
        if not name or "." in name or not variable.isalnum():
            raise ValueError(f"not a plain section.key config name: {key!r}")
        if name != section:
            lines.append(f"[{name}]")
            section = name
        lines.append(f"\t{variable} = {quoted(value)}")
    path = os.path.join(git_dir, WORKTREE_CONFIG)
    with open(path, "a", encoding="utf-8", errors="surrogateescape") as handle:
        handle.write("\n".join(lines) + "\n")
    return [ConfigEntry("worktree", key.lower(), value) for key, value in values]


def write_sparse_patterns(
    git_dir: str, patterns: list[str], *, cone: bool = False
) -> list[ConfigEntry]:
    """The sparse patterns and the config that turns them on, as `git sparse-checkout set
    --no-cone --stdin` (or, with `cone`, `set --cone --sparse-index`) leaves a worktree that has
    no index yet; `read-tree -mu HEAD` then checks out what they select. The config entries
    written are returned."""
    path = os.path.join(git_dir, SPARSE_FILE)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8", errors="surrogateescape") as handle:
        handle.write("".join(pattern + "\n" for pattern in patterns))
    return append_values(git_dir, list(CONE_VALUES if cone else SPARSE_VALUES))
