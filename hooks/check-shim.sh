#!/bin/sh
@ABOUT@
# (A shell wrapper because the interpreter's path cannot go on a '#!' line.)
exec @PYTHON_SH@ -I -S -c @CODE_SH@ "$@"
