"""The commit-time path: stdlib only, fast (DESIGN §10).

Installed shims run `from gitwt.hook import shim_main`; the console script is
`gitwt.hook:main` (hook.console).
"""

from gitwt.hook.console import main
from gitwt.hook.entry import shim_main

__all__ = ["main", "shim_main"]
