"""Regex checks against PHP's own PCRE, done when a spec is loaded.

Python's `re` and PCRE disagree at the edges (named groups, possessive quantifiers, \\h, ...), so a
pattern is compiled by the real `php` when one is installed; without php the Python check in
models.py stands.  Patterns whose structure invites catastrophic backtracking (a repeated group
that itself repeats, such as `(a+)+`) are refused whatever PHP says: on a server such a pattern
could spend the connector's whole timeout on one phone number.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from generator.php import pcre as php_pcre
from generator.php.literals import LiteralError, regex_source
from generator.php.runner import find_php
from generator.speclang.issues import KeyPath, Positions, SpecIssue


def iter_patterns(data: Any, path: KeyPath = ()) -> Iterator[tuple[KeyPath, str]]:
    """(path, pattern) for every regex in plain spec data: `match:` of rewrites, `regex:` anywhere."""
    if isinstance(data, dict):
        for key, value in data.items():
            if key in ("regex", "match") and isinstance(value, str):
                yield path + (key,), value
            else:
                yield from iter_patterns(value, path + (key,))
    elif isinstance(data, list):
        for i, item in enumerate(data):
            yield from iter_patterns(item, path + (i,))


def check_patterns(data: Any, positions: Positions, display: str) -> list[SpecIssue]:
    from generator.speclang.validation import nearest

    def issue(path: KeyPath, message: str) -> SpecIssue:
        pos = positions.get(path + ("<value>",)) or nearest(positions, path, (display, 1, 1))
        return SpecIssue(pos[0], pos[1], pos[2], ".".join(str(p) for p in path), message)

    issues: list[SpecIssue] = []
    patterns = list(iter_patterns(data))
    if not patterns:
        return issues
    floor = php_floor(data)
    compiled: list[tuple[KeyPath, str, str]] = []
    for path, pattern in patterns:
        problem = backtracking_risk(pattern) or newer_syntax(pattern, floor)
        if problem is None:
            try:
                compiled.append((path, pattern, regex_source(pattern)))
                continue
            except LiteralError as exc:
                problem = str(exc)
        issues.append(issue(path, problem))
    php = usable_php()
    errors = php_pcre.cached_errors(php, [source for _, _, source in compiled]) if php and compiled else None
    if errors is not None:
        for (path, _pattern, _source), error in zip(compiled, errors):
            if error:
                issues.append(issue(path, f"PHP's PCRE rejects this pattern: {error}"))
    else:
        for path, pattern, _source in compiled:
            error = python_error(pattern)
            if error:
                issues.append(issue(path, f"invalid regex: {error}"))
    return issues


def usable_php() -> str | None:
    """The local php if it answers (probed once, with a deadline); else None: Python judges."""
    from generator.php.runner import PhpMissing, php_version

    php = find_php()
    if php is None:
        return None
    try:
        php_version(php)
    except PhpMissing:
        return None
    return php


def python_error(pattern: str) -> str | None:
    """Without php, Python's re is the judge, except for syntax only PCRE has."""
    try:
        re.compile(pattern)
    except re.error as exc:
        if not _PCRE_ONLY.search(pattern):
            return str(exc)
    return None


_PCRE_ONLY = re.compile(r"\(\?<[A-Za-z]|\(\?\||\\[KRhHvV]|\(\*|\(\?[+-]?\d|\\g[{<\d]|\(\?&|[+*?}]\+")


# Syntax that only newer PCRE understands, with the first PHP whose bundled PCRE does.  PHP up to
# 7.2 has PCRE 8.x; 7.3 brought PCRE2 10.32, 7.4 10.33, 8.0 10.35.  The local php (often new) cannot
# judge this for the client's server, so the spec's `php:` floor decides.
_NEWER_SYNTAX = (
    (
        re.compile(
            r"\(\*(?:pla|plb|nla|nlb|positive_look(?:ahead|behind)|negative_look(?:ahead|behind)|atomic"
            r"|sr|asr|script_run|atomic_script_run):"
        ),
        "7.4",
        "an alpha assertion such as (*pla:...)",
    ),
    (
        re.compile(r"\(\*(?:napla|naplb|non_atomic_positive_look(?:ahead|behind)):|\(\?\*|\(\?<\*"),
        "8.0",
        "a non-atomic assertion such as (*napla:...)",
    ),
    (re.compile(r"\\N\{U\+"), "7.4", "a \\N{U+...} code point"),
    (re.compile(r"\(\?\^"), "7.3", "the (?^) option reset"),
    (re.compile(r"\(\?[imsxJU-]*n[imsxJUn-]*[):]"), "7.3", "the (?n) no-auto-capture option"),
    (re.compile(r"\(\*LIMIT_(?:HEAP|DEPTH)="), "7.3", "a (*LIMIT_HEAP=...) or (*LIMIT_DEPTH=...) setting"),
)


def php_floor(data: Any) -> str:
    value = data.get("php", "5.4") if isinstance(data, dict) else "5.4"
    if isinstance(value, float):
        value = repr(value)
    return value if isinstance(value, str) and re.fullmatch(r"\d+\.\d+", value) else "5.4"


def _version(text: str) -> tuple[int, int]:
    major, minor = text.split(".")
    return int(major), int(minor)


def newer_syntax(pattern: str, floor: str) -> str | None:
    """The first construct of `pattern` that PHP `floor` cannot compile, in words."""
    bare = _outside_classes(pattern)
    for finder, since, what in _NEWER_SYNTAX:
        if _version(floor) < _version(since) and finder.search(bare):
            return (
                f"this pattern uses {what}, which PHP understands only from {since}, but the spec's "
                f"php: floor is {floor}; rewrite the pattern, or raise php: if every server runs {since}+"
            )
    return None


def _outside_classes(pattern: str) -> str:
    """The pattern with escaped characters other than \\N and character classes blanked out, so
    that a literal "(*pla:" written as "\\(\\*pla:" or inside [...] is not taken for syntax."""
    out: list[str] = []
    i, n, in_class = 0, len(pattern), False
    while i < n:
        c = pattern[i]
        if c == "\\" and i + 1 < n:
            pair = pattern[i : i + 2]
            out.append(pair if pair == "\\N" and not in_class else "__")
            i += 2
            continue
        if in_class:
            out.append("_")
            if c == "]":
                in_class = False
        elif c == "[":
            in_class = True
            out.append("_")
            if pattern[i + 1 : i + 2] == "^":
                out.append("_")
                i += 1
            if pattern[i + 1 : i + 2] == "]":  # a leading ] is a literal
                out.append("_")
                i += 1
        else:
            out.append(c)
        i += 1
    return "".join(out)


_NESTED_HINT = (
    "this pattern nests one unbounded repeat inside another (like (a+)+), which can "
    "backtrack for seconds on a non-matching number; rewrite it without the nesting"
)


def backtracking_risk(pattern: str) -> str | None:
    """A nested unbounded repeat, e.g. (a+)+, (\\d*)*, (?:x|y+)*, (?<n>\\d+)+ : exponential on a
    failing input.  Python's parser judges the structure; PCRE-only syntax it cannot read goes
    through a coarser structural scan instead of passing unchecked."""
    if _python_nested_repeat(_as_python(pattern)) or _scan_nested_repeat(pattern):
        return _NESTED_HINT
    return None


def _as_python(pattern: str) -> str:
    """PCRE's spellings of named groups and references in Python's."""
    pattern = re.sub(r"\(\?<([A-Za-z_]\w*)>", r"(?P<\1>", pattern)
    pattern = re.sub(r"\(\?'([A-Za-z_]\w*)'", r"(?P<\1>", pattern)
    return re.sub(r"\\k[<{']([A-Za-z_]\w*)[>}']", r"(?P=\1)", pattern)


_UNBOUNDED = re.compile(r"[*+]|\{\d*,\}")
_GROUP = re.compile(r"\(([^()]*)\)((?:[*+?]|\{\d*(?:,\d*)?\})[+?]?)?")


def _scan_nested_repeat(pattern: str) -> bool:
    """Innermost groups first: a group repeated without bound whose body repeats without bound."""
    text = _outside_classes(pattern).replace("__", "_")
    while True:
        match = _GROUP.search(text)
        if match is None:
            return False
        body, quantifier = match.group(1), match.group(2) or ""
        body = re.sub(r"(?:[*+?]|\{\d*(?:,\d*)?\})\+", "_", body)  # possessive: never backtracks
        inner = "U" in body or bool(_UNBOUNDED.search(body))
        possessive = len(quantifier) > 1 and quantifier.endswith("+")  # a++ never backtracks
        outer = not possessive and bool(re.fullmatch(r"[*+]\??|\{\d*,\}\??", quantifier))
        if inner and outer:
            return True
        text = text[: match.start()] + ("U" if inner or outer else "_") + text[match.end() :]


def _python_nested_repeat(pattern: str) -> bool:
    """A nested unbounded repeat, e.g. (a+)+, (\\d*)*, (?:x|y+)* : exponential on a failing input."""
    from re import _parser as sre_parse  # type: ignore[attr-defined]  # Python 3.11+: re's own parser

    try:
        tree = sre_parse.parse(pattern)
    except (re.error, OverflowError, RecursionError):
        return False  # PCRE-only syntax: the structural scan decides
    return _nested_repeat(tree, inside_repeat=False)


_MAXREPEAT = 4294967295


def _nested_repeat(tree: Any, inside_repeat: bool) -> bool:
    for op, arg in tree:
        name = str(op)
        if name in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"):
            _low, high, sub = arg
            unbounded = high >= 100 or str(high) == "MAXREPEAT" or high == _MAXREPEAT
            if unbounded and inside_repeat and name != "POSSESSIVE_REPEAT":
                return True
            if _nested_repeat(sub, inside_repeat or (unbounded and name != "POSSESSIVE_REPEAT")):
                return True
        elif name == "SUBPATTERN":
            if _nested_repeat(arg[-1], inside_repeat):
                return True
        elif name == "BRANCH":
            for branch in arg[1]:
                if _nested_repeat(branch, inside_repeat):
                    return True
        elif name in ("ASSERT", "ASSERT_NOT") and _nested_repeat(arg[1], inside_repeat):
            return True
    return False
