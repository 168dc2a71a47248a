"""`git-parallel-hook`, the console script: which hook to run, from its first argument.

The agent hooks are imported only when asked for; the commit hooks go through `entry`.
"""

from __future__ import annotations

import os
import sys

from gitwt.hook import entry
from gitwt.hook.git_runner import HookError, layout
from gitwt.hook.hook_modes import CHECKED_HOOKS, EXIT_OK, EXIT_UNREADABLE, GUARD, TASK

USAGE = """\
usage: git-parallel-hook boundaries          (the pre-commit framework's git-parallel-boundaries)
       git-parallel-hook agent < PAYLOAD     (an agent's pre-edit hook: Claude Code PreToolUse
                                             or Gemini CLI BeforeTool JSON, or paths one per line)
       git-parallel-hook agent-shell < PAYLOAD
                                            (an agent's after-shell hook: Claude Code PostToolUse
                                             or Gemini CLI AfterTool JSON)
       git-parallel-hook HOOK [ARGS...]     (HOOK: pre-commit, post-commit, pre-merge-commit,
                                             pre-push; what the installed shims run)
"""


def main(argv: list[str] | None = None) -> int:
    """`git-parallel-hook`: every unexpected exception is an internal error (exit 3)."""
    try:
        return dispatch(sys.argv[1:] if argv is None else argv)
    except Exception as error:
        return entry.internal_error(error)


def dispatch(args: list[str]) -> int:
    if not args or args[0] in ("-h", "--help"):
        sys.stdout.write(USAGE) if args else sys.stderr.write(USAGE)
        return EXIT_OK if args else EXIT_UNREADABLE
    what, rest = args[0], args[1:]
    if what == "agent":
        from gitwt.hook import agent

        return agent.main(sys.stdin.buffer.read(), os.getcwd())
    if what == "agent-shell":
        from gitwt.hook import agent_shell

        return agent_shell.main(sys.stdin.buffer.read(), os.getcwd())
    if what == "boundaries":
        try:
            return entry.framework_boundaries()
        except HookError as error:
            from gitwt.core.display import inert

            sys.stderr.write(inert(error.render(), lines=True) + "\n")
            return EXIT_UNREADABLE
    if what in CHECKED_HOOKS:
        from gitwt.hook import rules_file  # `re`: only once the hook is known

        entry.load_checker()
        where = layout()
        has_rules = os.path.exists(rules_file.rules_path(where.git_dir))
        return entry.shim_main(what, TASK if has_rules else GUARD, "", rest)
    sys.stderr.write(f"git parallel: error: unknown hook {what!r}\n{USAGE}")
    return EXIT_UNREADABLE


if __name__ == "__main__":
    sys.exit(main())
