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
