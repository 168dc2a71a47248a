"""The text of the hook shims: the templates in `hooks/` filled in for this interpreter.

The templates ship in the wheel as `gitwt/_hooks` (`hooks/` next to the package in a checkout).
They are filled in with this interpreter's path, as the pre-commit framework does, so the
shims work without an activated venv.
"""

from __future__ import annotations

import os
import sys

import gitwt
from gitwt.errors import GitParallelError
from gitwt.hook.entry import diff_args
from gitwt.hook.hook_modes import TASK
from gitwt.infra import real_objects

WORKTREE_ABOUT = """\
# git parallel: the @HOOK@ hook of this worktree, written by 'git parallel hooks install'.
# It checks the task's boundaries, then runs the hook that would have run without it.
# 'git parallel hooks uninstall' removes it and restores what was there before."""
SHEBANG_LIMIT = 120
# The pre-commit shim of a task worktree starts `git diff --cached` before importing anything of
# gitwt, so git reads the index while Python loads the check (gitwt.hook.shim_main takes it).
EARLY_DIFF = """\
read_end, write_end = os.pipe()
started = os.posix_spawnp(
    "git",
    @DIFF_ARGV@,
    {**os.environ, **@REAL_OBJECTS@},
    file_actions=[
        (os.POSIX_SPAWN_OPEN, 0, os.devnull, os.O_RDONLY, 0),
        (os.POSIX_SPAWN_DUP2, write_end, 1),
        (os.POSIX_SPAWN_CLOSE, read_end),
        (os.POSIX_SPAWN_CLOSE, write_end),
    ],
), read_end
os.close(write_end)
""".replace("@DIFF_ARGV@", repr(["git", *diff_args(cached=True)])).replace(
    "@REAL_OBJECTS@",
    repr(real_objects.ENVIRONMENT),  # the audit sees the stored objects
)  # kernels before Linux 5.1 cut '#!' lines at 127 bytes


# --- filling in -------------------------------------------------------------------------------


def templates_dir() -> str:
    """The shim templates: `gitwt/_hooks` in a wheel, `hooks/` next to the package in a checkout."""
    package = os.path.dirname(os.path.abspath(gitwt.__file__))
    for candidate in (os.path.join(package, "_hooks"), os.path.join(package, "..", "hooks")):
        if os.path.isfile(os.path.join(candidate, "check-shim")):
            return os.path.normpath(candidate)
    raise GitParallelError(
        f"the hook templates are missing from {package}",
        "reinstall gitwt (pip install --force-reinstall gitwt)",
    )


def _template(name: str) -> str:
    with open(os.path.join(templates_dir(), name), encoding="utf-8") as handle:
        return handle.read()


def _sh_quote(text: str) -> str:
    return "'" + text.replace("'", "'\\''") + "'"


def _fill(template: str, values: dict[str, str]) -> str:
    for key, value in values.items():
        template = template.replace(f"@{key}@", value)
    return template


def interpreter() -> str:
    """The Python that runs the shims: this one, by the path it was started with (venvs too)."""
    if not sys.executable:
        raise GitParallelError(
            "cannot tell which Python runs git parallel", "run it with a regular Python"
        )
    return sys.executable


def check_shim(hook: str, mode: str, chain: str, about: str = WORKTREE_ABOUT) -> str:
    """A shim running the `mode` check of `hook`, then the hook at `chain` (a folder holding
    the hook, or the hook file itself); `about` is the comment saying what wrote it."""
    python = interpreter()
    package_root = os.path.dirname(os.path.dirname(os.path.abspath(gitwt.__file__)))
    values = {
        "ABOUT": about.replace("@HOOK@", hook),
        "HOOK": hook,
        "HOOK_NAME": repr(hook),
        "MODE": repr(mode),
        "CHAIN": repr(chain),
        "PACKAGE_ROOT": repr(package_root),
        "PYTHON": python,
    }
    values["EARLY_DIFF"] = (
        EARLY_DIFF if hook == "pre-commit" and mode == TASK else "started = None\n"
    )
    script = _fill(_template("check-shim"), values)
    shebang = f"#!{python} -IS"
    if python.isascii() and not any(c.isspace() for c in python) and len(shebang) < SHEBANG_LIMIT:
        return script
    code = script.split("\n", 1)[1]
    return _fill(
        _template("check-shim.sh"),
        {
            "ABOUT": values["ABOUT"],
            "PYTHON_SH": _sh_quote(python),
            "CODE_SH": _sh_quote(code),
        },
    )


def pass_through_shim(hook: str, chain: str) -> str:
    return _fill(
        _template("pass-through"),
        {"HOOK": hook, "CHAIN_HOOK_SH": _sh_quote(os.path.join(chain, hook))},
    )
