"""Is a token from a legacy spec a repository path? And which tracked file does a name mean?

Legacy specs write paths among function names (`build_spec_context()`), placeholders
(`REPORT_YYYY_MM_DD.md`), line ranges (`daemon.py:1042-1054`), URLs and commands. Only plausible
repository paths survive `classify`; everything else gets a reason a person can read. Pure.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from gitwt.core import patterns
from gitwt.core.provenance import BARE_NAME, LEGACY_MARKER, Ignored, Origin


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Extensions that make a slash-less token a file name rather than a dotted identifier
# (`daemon.py` is a file, `logging.config` and `self.registry` are not).
KNOWN_EXTENSIONS = _words(
    """
    py pyi pyx ipynb md markdown rst txt adoc json jsonl yaml yml toml cfg ini conf env lock
    js mjs cjs ts tsx jsx vue svelte html htm css scss sass less svg png jpg jpeg gif ico
    sh bash zsh fish ps1 bat cmd rs go java kt kts scala groovy gradle rb php pl pm lua r
    c h cc cpp cxx hpp hh cs fs swift m mm dart ex exs erl hrl hs ml clj sql graphql gql proto
    xml csv tsv tf tfvars hcl j2 jinja jinja2 tpl tmpl mk cmake dockerfile properties plist
    template example sample bak backup log db sqlite pem crt
    """
)
# File names that are paths without an extension.
KNOWN_NAMES = _words(
    "Makefile Dockerfile Containerfile Procfile Gemfile Rakefile Justfile Vagrantfile "
    "Jenkinsfile README LICENSE CHANGELOG CODEOWNERS AUTHORS NOTICE VERSION"
)
COMMANDS = _words(
    "pytest python python3 pip pip3 uv poetry pipx git gh npm npx yarn pnpm node make cargo go "
    "cd ls cat grep rg find sed awk bash sh zsh source export echo curl wget docker kubectl "
    "mypy ruff black isort flake8 pylint tox nox pre-commit sudo rm cp mv mkdir touch chmod"
)
_URL = re.compile(r"^(?:[A-Za-z][A-Za-z0-9+.-]*://|www\.|mailto:)")
_CALL = re.compile(r"^[\w.$:<>\[\]]*\(.*\)?$|\(\)")
_PLACEHOLDER = re.compile(
    r"<[^>]*>|\{[^}]*\}|\$\{?\w|%[sd]|(?<![A-Za-z])(?:YYYY|YY|MM|DD|HH|XXX+|NNN+|N{2,})(?![a-z])"
)
_LINE_SUFFIX = re.compile(r"(?::\d+(?:-\d+)?(?::\d+)?|#L\d+(?:-L?\d+)?|\s+\(?lines?\s+\d+.*)$")
_NOT_PATH_CHARS = re.compile(r"[\s|;&=\"'`,\\^!<>{}$]")
_PATH_SEGMENT = re.compile(r"^[\w.@+\-\[\]()*?~%#]+$")


@dataclass(frozen=True)
class Classified:
    path: str | None  # the normalized candidate path, None when the token is not one
    reason: str = ""  # why it is not a path
    stripped: str = ""  # what was cut off (a line suffix), for the origin's note


def _extension(name: str) -> str:
    return name.rsplit(".", 1)[1].lower() if "." in name.strip(".") else ""


def looks_like_file_name(name: str) -> bool:
    """A slash-less token that names a file: a known extension, a dot file or a known name."""
    if name in KNOWN_NAMES or (name.startswith(".") and len(name) > 1 and "/" not in name):
        return True
    return _extension(name) in KNOWN_EXTENSIONS


def _not_a_path_reason(token: str) -> str | None:
    if _URL.match(token):
        return "a URL"
    if token.startswith(("/", "~")) or re.match(r"^[A-Za-z]:[\\/]", token):
        return "an absolute path (outside the repository)"
    first = token.split()[0] if token.split() else token
    if " " in token.strip() and (
        first in COMMANDS or first.startswith(("./", "-")) or " -" in token
    ):
        return "a command"
    if _CALL.search(token) and not token.endswith("/"):
        return "a function call"
    if _PLACEHOLDER.search(token):
        return "a placeholder"
    return None


def classify(raw: str) -> Classified:
    """The repository path a token names, or why it names none."""
    token = raw.strip().strip("*_").strip()
    token = token.rstrip(".,;:")
    if not token:
        return Classified(None, "empty")
    reason = _not_a_path_reason(token)
    if reason:
        return Classified(None, reason)
    suffix = _LINE_SUFFIX.search(token)
    stripped = ""
    if suffix and suffix.start() > 0:
        stripped, token = token[suffix.start() :].strip(), token[: suffix.start()]
    while token.startswith("./"):
        token = token[2:]
    if _NOT_PATH_CHARS.search(token):
        return Classified(None, "not a path (spaces or punctuation)")
    segments = token.rstrip("/").split("/")
    if ".." in segments:
        return Classified(None, "outside the repository ('..')")
    if not all(_PATH_SEGMENT.match(segment) for segment in segments):
        return Classified(None, "not a path")
    if "/" not in token and not looks_like_file_name(token):
        return Classified(None, "an identifier, not a file name")
    try:
        patterns.validate(token)
    except patterns.PatternError as error:
        return Classified(None, error.message.replace("declared path ", "", 1))
    return Classified(token, stripped=stripped)


@dataclass
class TrackedIndex:
    """The files tracked at base, indexed for resolving bare names and partial paths."""

    paths: frozenset[str]
    by_name: dict[str, list[str]] = field(default_factory=dict)
    _folders: frozenset[str] | None = None

    @classmethod
    def build(cls, tracked: Iterable[str]) -> TrackedIndex:
        paths = frozenset(tracked)
        by_name: dict[str, list[str]] = {}
        for path in sorted(paths):
            by_name.setdefault(path.rsplit("/", 1)[-1], []).append(path)
        return cls(paths, by_name)

    @property
    def folders(self) -> frozenset[str]:
        """Every folder holding a tracked file, with its trailing '/' (built on first use)."""
        if self._folders is None:
            found: set[str] = set()
            for path in self.paths:
                parts = path.split("/")[:-1]
                for depth in range(1, len(parts) + 1):
                    found.add("/".join(parts[:depth]) + "/")
            self._folders = frozenset(found)
        return self._folders

    def resolve(self, path: str) -> list[str]:
        """The tracked paths a spec most likely means by `path`; [] when nothing matches.

        A path tracked as written is itself. A bare file name (`daemon.py`) or a path written
        relative to a package (`llm/retry.py` in a spec about `app/`) means every tracked
        path ending with it, however many: the caller flags more than one as ambiguous.
        """
        if any(char in path for char in "*?"):
            return [path]
        if path.endswith("/"):
            if path in self.folders:
                return [path]
            return sorted(folder for folder in self.folders if folder.endswith("/" + path))
        if path in self.paths or path + "/" in self.folders:
            return [path]
        name = path.rsplit("/", 1)[-1]
        candidates = self.by_name.get(name, [])
        if "/" not in path:
            return list(candidates)
        return [candidate for candidate in candidates if candidate.endswith("/" + path)]


@dataclass
class Mention:
    """A path a spec declares, before it is resolved against the files tracked at base."""

    token: str  # as written (with its line suffix)
    path: str
    line: int
    creates: bool


def resolve(
    mentions: Iterable[Mention], source: str, index: TrackedIndex
) -> tuple[list[Origin], list[Ignored]]:
    """Each mention as the tracked path(s) it names, with its origin; the rest reported."""
    origins: list[Origin] = []
    ignored: list[Ignored] = []
    for mention in mentions:
        matches = index.resolve(mention.path)
        suffix = f"from {mention.token}" if mention.token != mention.path else ""
        if matches == [mention.path]:
            origins.append(Origin(mention.path, source, mention.line, LEGACY_MARKER, suffix))
        elif len(matches) == 1:
            note = f"{mention.token} resolved against the files tracked at base"
            origins.append(Origin(matches[0], source, mention.line, BARE_NAME, note))
        elif matches:
            note = f"ambiguous: {len(matches)} tracked files match {mention.path}"
            origins += [Origin(path, source, mention.line, BARE_NAME, note) for path in matches]
        elif "/" in mention.path or mention.creates:
            note = "; ".join(filter(None, [suffix, "not tracked at base: a new file"]))
            origins.append(Origin(mention.path, source, mention.line, LEGACY_MARKER, note))
        else:
            reason = "no tracked file has this name, and the spec does not say it is created"
            ignored.append(Ignored(mention.token, source, mention.line, reason))
    return origins, ignored
