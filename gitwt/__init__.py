"""git parallel: run independent tasks in git worktrees and keep them independent."""

# Nothing else here: the commit hook imports this package and must stay stdlib-only and fast.
__version__ = "0.1.0"
