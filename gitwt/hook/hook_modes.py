"""The hooks' shared constants: exit codes, hook names, the two shim modes, markers.

Apart from `entry` so that `checks` and the agent hook can use them without importing the
entry point that imports them (no cycle).
"""

from gitwt.errors import EXIT_FOUND, EXIT_USAGE
from gitwt.errors import EXIT_OK as EXIT_OK

# The hooks' names for the exit codes of `gitwt.errors` (one table for every layer): a violation
# is what `check` calls "found", rules that cannot be read are bad input (fail closed).
EXIT_VIOLATION: int = EXIT_FOUND
EXIT_UNREADABLE: int = EXIT_USAGE

NULL_OID = "0" * 40
BLOCKING_HOOKS = frozenset({"pre-commit", "pre-merge-commit", "pre-push"})
CHECKED_HOOKS = ("pre-commit", "post-commit", "pre-merge-commit", "pre-push")
TASK, GUARD = "task", "guard"
RAISE_FAILPOINT = "GIT_PARALLEL_FAILPOINT_RAISE"  # = failpoints.RAISE_VARIABLE, not imported
# The base guard in the common hooks folder says so in its first lines, and keeps the hook it
# displaced next to itself under this suffix (gitwt.services.hooks.base_guard).
BASE_GUARD_MARKER = b"git parallel: the base guard"
SAVED_SUFFIX = ".parallel-saved"
