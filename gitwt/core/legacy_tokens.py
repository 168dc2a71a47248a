"""Which tracked file does a path a spec mentions mean? Resolution against base, with provenance.

A spec's path is read against what base holds: a bare file name or a package-relative path
means the tracked files ending with it, an absolute path through the repository's own folder
means the path after that folder, a tracked symbolic link and its target are one file, and a
path git ignores at base is a runtime file, never a new file to declare. Pure: `TrackedIndex`
comes in built (services/spec_catalog.py reads base once).
"""

from __future__ import annotations

import posixpath
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from gitwt.core.path_tokens import ABSOLUTE as ABSOLUTE
from gitwt.core.path_tokens import Classified as Classified
from gitwt.core.path_tokens import classify as classify
from gitwt.core.path_tokens import looks_like_file_name as looks_like_file_name
from gitwt.core.provenance import BARE_NAME, LEGACY_MARKER, Ignored, Origin

MAX_LINK_HOPS = 40  # as the kernel's limit on symbolic links in one lookup
GITIGNORED = "ignored by git at base: a runtime file, not a declaration"
NEW_FILE = "not tracked at base: a new file"


def _nothing_ignored(path: str) -> bool:
    return False


def gitignore_matcher(files: Mapping[str, str]) -> Callable[[str], bool]:
    """Whether git ignores a path, from the `.gitignore` files at base (path → text): each
    file's patterns apply below its folder, a deeper file's decision wins."""
    if not files:
        return _nothing_ignored
    import pathspec  # lazy: only a spec that names an untracked path needs it

    specs = sorted(
        (
            name.rsplit("/", 1)[0] + "/" if "/" in name else "",
            pathspec.GitIgnoreSpec.from_lines(text.splitlines()),
        )
        for name, text in files.items()
    )

    def ignored(path: str) -> bool:
        verdict = False
        for folder, spec in specs:  # shallow folders sort first
            if path.startswith(folder):
                found = spec.check_file(path[len(folder) :])
                if found.include is not None:
                    verdict = found.include
        return verdict

    return ignored


def link_targets(links: Mapping[str, str]) -> dict[str, str]:
    """Tracked symbolic links (path → target as stored, relative to the link's folder) as
    repo-relative targets; a link leaving the repository is left out (it is no repo path)."""
    targets: dict[str, str] = {}
    for link, target in links.items():
        if target.startswith("/"):
            continue
        joined = posixpath.normpath(posixpath.join(posixpath.dirname(link), target))
        if joined != "." and not joined.startswith("../") and joined != "..":
            targets[link] = joined
    return targets


@dataclass
class TrackedIndex:
    """What base holds, indexed for resolving the paths a spec mentions: the tracked files,
    the tracked symbolic links with their targets, what `.gitignore` ignores, and the names of
    the repository's own folder (`/home/me/src/<name>/app/x.py` is `app/x.py`)."""

    paths: frozenset[str]
    by_name: dict[str, list[str]] = field(default_factory=dict)
    symlinks: Mapping[str, str] = field(default_factory=dict)  # repo-relative targets
    repo_names: tuple[str, ...] = ()
    ignored: Callable[[str], bool] = _nothing_ignored
    _folders: dict[str, list[str]] | None = None  # folder name → folders, with a trailing '/'

    @classmethod
    def build(
        cls,
        tracked: Iterable[str],
        *,
        symlinks: Mapping[str, str] | None = None,
        gitignore: Mapping[str, str] | None = None,
        repo_names: Iterable[str] = (),
    ) -> TrackedIndex:
        """`symlinks`: tracked link → target as git stores it; `gitignore`: each `.gitignore`
        at base → its text; `repo_names`: the repository's folder name(s)."""
        paths = frozenset(tracked)
        by_name: dict[str, list[str]] = {}
        for path in sorted(paths):
            by_name.setdefault(path.rsplit("/", 1)[-1], []).append(path)
        names = tuple(dict.fromkeys(name for name in repo_names if name and "/" not in name))
        return cls(
            paths,
            by_name,
            link_targets(symlinks or {}),
            names,
            gitignore_matcher(gitignore or {}),
        )

    @property
    def folders_by_name(self) -> dict[str, list[str]]:
        """Every folder holding a tracked file, by its name (built on first use)."""
        if self._folders is None:
            found: set[str] = set()
            for path in self.paths:
                end = path.find("/")
                while end > 0:
                    found.add(path[: end + 1])
                    end = path.find("/", end + 1)
            by_name: dict[str, list[str]] = {}
            for folder in sorted(found):
                by_name.setdefault(folder[:-1].rsplit("/", 1)[-1], []).append(folder)
            self._folders = by_name
        return self._folders

    def is_folder(self, folder: str) -> bool:
        name = folder.rstrip("/").rsplit("/", 1)[-1]
        return folder in self.folders_by_name.get(name, ())

    def resolve(self, path: str) -> list[str]:
        """The tracked paths a spec most likely means by `path`; [] when nothing matches.

        A path tracked as written is itself. A bare file name (`daemon.py`) or a path written
        relative to a package (`llm/retry.py` in a spec about `app/`) means every tracked
        path ending with it, however many: the caller flags more than one as ambiguous.
        """
        if "*" in path or "?" in path:
            return [path]
        if path.endswith("/"):
            if self.is_folder(path):
                return [path]
            named = self.folders_by_name.get(path[:-1].rsplit("/", 1)[-1], [])
            return [folder for folder in named if folder.endswith("/" + path)]
        if path in self.paths or self.is_folder(path + "/"):
            return [path]
        name = path.rsplit("/", 1)[-1]
        candidates = self.by_name.get(name, [])
        if "/" not in path:
            return list(candidates)
        return [candidate for candidate in candidates if candidate.endswith("/" + path)]

    def inside(self, absolute: str) -> str | None:
        """The repo-relative path an absolute path names through the repository's own folder
        (`/home/me/src/project/app/x.py` → `app/x.py`), or None."""
        segments = absolute.split("/")
        at = [i for i, segment in enumerate(segments) if segment in self.repo_names]
        if not at:
            return None
        # A folder inside the repository may share its name: prefer the reading base knows.
        for index in at:
            rest = "/".join(segments[index + 1 :])
            top = rest.split("/", 1)[0]
            if rest and (top in self.paths or self.is_folder(top + "/")):
                return rest
        return "/".join(segments[at[-1] + 1 :]) or None

    def through_links(self, path: str) -> str:
        """The path with each tracked symbolic link on it replaced by the link's target."""
        if not self.symlinks:
            return path
        for _ in range(MAX_LINK_HOPS):
            trailing = "/" if path.endswith("/") else ""
            segments = path.rstrip("/").split("/")
            for depth in range(len(segments), 0, -1):
                target = self.symlinks.get("/".join(segments[:depth]))
                if target is not None:
                    path = "/".join([target, *segments[depth:]]) + trailing
                    break
            else:
                return path
        return path


@dataclass
class Mention:
    """A path a spec declares, before it is resolved against the files tracked at base."""

    token: str  # as written (with its line suffix)
    path: str  # repo-relative; absolute (`/home/me/src/<repo>/app/x.py`) until resolved
    line: int
    creates: bool


@dataclass
class _Resolution:
    origins: list[Origin] = field(default_factory=list)
    ignored: list[Ignored] = field(default_factory=list)


def _repo_relative(mention: Mention, index: TrackedIndex, found: _Resolution) -> str | None:
    """The mention's repo-relative path; None (reported) when it names none."""
    if not mention.path.startswith(("/", "~")):
        top, _, rest = mention.path.partition("/")
        if rest and top in index.repo_names and not index.is_folder(top + "/"):
            return rest  # a tree drawn from the repository's own folder (`project/app/x.py`)
        return mention.path
    inside = index.inside(mention.path)
    kind = classify(inside) if inside else None
    if kind is None or kind.path is None:
        reason = ABSOLUTE if kind is None else f"{ABSOLUTE[:-1]}: {kind.reason})"
        found.ignored.append(Ignored(mention.token, "", mention.line, reason))
        return None
    return kind.path


def _under_package(path: str, package: str | None, index: TrackedIndex) -> str:
    """`llm/x.py` in a spec that says its paths are relative to `app/`: `app/llm/x.py`,
    unless its first folder is one at the repository root."""
    if not package or "/" not in path or path.startswith(package):
        return path
    top = path.split("/", 1)[0]
    return path if top in index.paths or index.is_folder(top + "/") else package + path


def _resolve_one(
    mention: Mention, source: str, index: TrackedIndex, package: str | None, found: _Resolution
) -> None:
    path = _repo_relative(mention, index, found)
    if path is None:
        return
    through = f"through the repository's folder: {mention.token}" if path != mention.path else ""
    matches = index.resolve(path)
    if not matches and package:
        under = _under_package(path, package, index)
        if under != path:
            matches = index.resolve(under) or [under]
            reason = f"relative to {package}: declared as {matches[0]}"
            found.ignored.append(Ignored(mention.token, source, mention.line, reason))
            path = under if matches == [under] else path
    linked = [index.through_links(match) for match in matches]
    for match, target in zip(matches, linked, strict=True):
        if target != match:
            reason = f"a tracked symbolic link to {target}: one declaration"
            found.ignored.append(Ignored(match, source, mention.line, reason))
    targets = list(dict.fromkeys(linked))
    suffix = through or (f"from {mention.token}" if mention.token != path else "")
    if targets == [path]:
        found.origins.append(Origin(path, source, mention.line, LEGACY_MARKER, suffix))
    elif len(targets) == 1 and linked != matches:
        note = f"the target of the tracked symbolic link {matches[0]}"
        found.origins.append(Origin(targets[0], source, mention.line, LEGACY_MARKER, note))
    elif len(targets) == 1:
        note = f"{mention.token} resolved against the files tracked at base"
        found.origins.append(Origin(targets[0], source, mention.line, BARE_NAME, note))
        if "/" in path.rstrip("/") and targets[0].endswith("/" + path):
            prefix = targets[0][: -len(path)]
            reason = f"relative to {prefix}: declared as {targets[0]}"
            found.ignored.append(Ignored(mention.token, source, mention.line, reason))
    elif targets:
        note = f"ambiguous: {len(targets)} tracked files match {path}"
        found.origins += [Origin(match, source, mention.line, BARE_NAME, note) for match in targets]
    elif ("/" in path or mention.creates) and index.ignored(path):
        found.ignored.append(Ignored(mention.token, source, mention.line, GITIGNORED))
    elif "/" in path or mention.creates:
        note = "; ".join(filter(None, [suffix, NEW_FILE]))
        found.origins.append(Origin(path, source, mention.line, LEGACY_MARKER, note))
    else:
        reason = "no tracked file has this name, and the spec does not say it is created"
        found.ignored.append(Ignored(mention.token, source, mention.line, reason))


def resolve(
    mentions: Iterable[Mention], source: str, index: TrackedIndex, package: str | None = None
) -> tuple[list[Origin], list[Ignored]]:
    """Each mention as the tracked path(s) it names, with its origin; the rest reported.

    Origins come in reading order. `package` (`app/`) is the folder the spec says its relative
    paths are written from."""
    found = _Resolution()
    seen: set[tuple[str, bool]] = set()
    for mention in mentions:
        # A path written again declares nothing new (the first origin is the one kept): the
        # work is bounded by the distinct paths, however often a spec repeats one.
        if (mention.path, mention.creates) in seen:
            continue
        seen.add((mention.path, mention.creates))
        _resolve_one(mention, source, index, package, found)
    found.ignored = [
        item if item.source else Ignored(item.token, source, item.line, item.reason)
        for item in found.ignored
    ]
    return _fold_covered(found.origins, found.ignored)


def _fold_covered(
    origins: list[Origin], ignored: list[Ignored]
) -> tuple[list[Origin], list[Ignored]]:
    """A path inside a folder the spec declares whole is that declaration, not another one."""
    folders = {origin.pattern for origin in origins if origin.pattern.endswith("/")}
    if not folders:
        return origins, ignored
    kept: list[Origin] = []
    for origin in origins:
        pattern = origin.pattern.rstrip("/")
        cover = None
        end = pattern.find("/")
        while end > 0 and cover is None:  # each folder above the path, shallow first
            cover = pattern[: end + 1] if pattern[: end + 1] in folders else None
            end = pattern.find("/", end + 1)
        if cover is None:
            kept.append(origin)
        else:
            reason = f"inside {cover}, which the spec declares whole"
            ignored.append(Ignored(origin.pattern, origin.source, origin.line, reason))
    return kept, ignored
