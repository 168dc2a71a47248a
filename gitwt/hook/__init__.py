"""The commit-time path: stdlib only, fast (DESIGN §10).

Installed shims run `from gitwt.hook import shim_main`; the console script is `gitwt.hook:main`.
"""

from gitwt.hook.entry import main, shim_main

__all__ = ["main", "shim_main"]
