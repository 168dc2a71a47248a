"""Regexes stored with their compiled form, so the commit hook loads them without `re`'s compiler.

Each stored regex also carries the `_sre` code that `re` itself produces (with `_sre.MAGIC` and
`_sre.CODESIZE`), so loading it is one `_sre.compile` call; an interpreter with another MAGIC, or
no `_sre`, compiles the regex text with `re` as usual. The private API is only a fast path: any
change in it falls back to `re`. Stdlib only, nothing imported at load time (DESIGN §10).
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    import re
    from collections.abc import Iterable
    from typing import TypedDict

    class CompiledForm(TypedDict):
        """What `_sre.compile` takes for one regex, as stored in a rules file."""

        magic: int
        codesize: int
        flags: int
        code: list[int]
        groups: int
        groupindex: dict[str, int]
        indexgroup: list[str | None]


DOTALL = 16  # re.DOTALL: a file name may hold a newline, and `.` means any character


def compiled_form(regex: str) -> CompiledForm | None:
    """What `re.compile(regex, DOTALL)` hands to `_sre.compile`, as JSON; None if unavailable."""
    try:
        import _sre  # type: ignore[import-not-found]
        from re import _compiler, _parser  # type: ignore[attr-defined]

        parsed = _parser.parse(regex, DOTALL)
        groupindex = dict(parsed.state.groupdict)
        indexgroup: list[str | None] = [None] * parsed.state.groups
        for name, number in groupindex.items():
            indexgroup[number] = name
        form: CompiledForm = {
            "magic": _sre.MAGIC,
            "codesize": _sre.CODESIZE,
            "flags": DOTALL | parsed.state.flags,
            "code": list(_compiler._code(parsed, DOTALL)),
            "groups": parsed.state.groups - 1,
            "groupindex": groupindex,
            "indexgroup": indexgroup,
        }
        _from_form(regex, form)  # this interpreter must accept what it produced
        return form
    except Exception:  # private API: any change in it only costs the fast path
        return None


def _from_form(regex: str, form: CompiledForm) -> re.Pattern[str]:
    import _sre

    pattern: re.Pattern[str] = _sre.compile(
        regex,
        form["flags"],
        form["code"],
        form["groups"],
        form["groupindex"],
        tuple(form["indexgroup"]),
    )
    return pattern


def compile_stored(regex: str, form: CompiledForm | None = None) -> re.Pattern[str]:
    """The regex from its stored compiled form when this interpreter can take it, else `re`."""
    if form is not None:
        try:
            import _sre

            if form["magic"] == _sre.MAGIC and form["codesize"] == _sre.CODESIZE:
                return _from_form(regex, form)
        except Exception:
            pass
    import re

    return re.compile(regex, DOTALL)


def alternation_text(regexes: Iterable[str]) -> str:
    return "|".join(f"(?:{regex})" for regex in regexes) or "(?!)"


def alternation(regexes: Iterable[str]) -> re.Pattern[str]:
    return compile_stored(alternation_text(regexes))
