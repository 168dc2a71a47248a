#!/bin/sh
# git parallel: the @HOOK@ hook of this worktree, written by 'git parallel hooks install'.
# It checks the task's boundaries, then runs the hook that would have run without it.
# 'git parallel hooks uninstall' removes it and restores what was there before.
# (A shell wrapper because the interpreter's path cannot go on a '#!' line.)
exec @PYTHON_SH@ -I -S -c @CODE_SH@ "$@"
