"""Regex checks against PHP's own PCRE, done when a spec is loaded.

Python's `re` and PCRE disagree at the edges (named groups, possessive quantifiers, \\h, ...), so a
pattern is compiled by the real `php` when one is installed; without php the Python check in
models.py stands.  Patterns whose structure invites catastrophic backtracking (a repeated group
that itself repeats, such as `(a+)+`) are refused whatever PHP says: on a server such a pattern
could spend the connector's whole timeout on one phone number.
"""

from __future__ import annotations

import json
import re
import subprocess
from typing import Any, Iterator

from generator.php.literals import LiteralError, regex_source
from generator.php.runner import find_php


def iter_patterns(data: Any, path: tuple = ()) -> Iterator[tuple[tuple, str]]:
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


def check_patterns(data: Any, positions: dict, display: str) -> list:
    from generator.spec.loader import SpecIssue, _nearest

    def issue(path: tuple, message: str) -> SpecIssue:
        pos = positions.get(path + ("<value>",)) or _nearest(positions, path, (display, 1, 1))
        return SpecIssue(pos[0], pos[1], pos[2], ".".join(str(p) for p in path), message)

    issues = []
    patterns = list(iter_patterns(data))
    if not patterns:
        return issues
    compiled: list[tuple[tuple, str, str]] = []
    for path, pattern in patterns:
        problem = backtracking_risk(pattern)
        if problem is None:
            try:
                compiled.append((path, pattern, regex_source(pattern)))
                continue
            except LiteralError as exc:
                problem = str(exc)
        issues.append(issue(path, problem))
    php = find_php()
    errors = cached_pcre_errors(php, [source for _, _, source in compiled]) if php and compiled else None
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


def python_error(pattern: str) -> str | None:
    """Without php, Python's re is the judge, except for syntax only PCRE has."""
    try:
        re.compile(pattern)
    except re.error as exc:
        if not _PCRE_ONLY.search(pattern):
            return str(exc)
    return None


_PCRE_ONLY = re.compile(r"\(\?<[A-Za-z]|\(\?\||\\[KRhHvV]|\(\*|\(\?[+-]?\d|\\g[{<\d]|\(\?&|[+*?}]\+")


_PHP_CHECK = r"""
$patterns = json_decode(stream_get_contents(STDIN), true);
$out = array();
foreach ($patterns as $p) {
    $r = @preg_match($p, '');
    if ($r === false) {
        $e = error_get_last();
        $msg = $e ? preg_replace('/^preg_match\(\): /', '', $e['message']) : 'does not compile';
        $out[] = $msg;
    } else {
        $out[] = null;
    }
}
echo json_encode($out);
"""


_VERDICTS: dict[tuple[str, str], str | None] = {}


def cached_pcre_errors(php: str, sources: list[str]) -> list[str | None] | None:
    """pcre_errors, asking php only about patterns it has not judged yet in this process (a batch
    of client specs derived from one template shares most patterns)."""
    unknown = sorted({s for s in sources if (php, s) not in _VERDICTS})
    if unknown:
        verdicts = pcre_errors(php, unknown)
        if verdicts is None:
            return None
        _VERDICTS.update({(php, s): v for s, v in zip(unknown, verdicts)})
    return [_VERDICTS[(php, s)] for s in sources]


def pcre_errors(php: str, sources: list[str]) -> list[str | None] | None:
    """PCRE's verdict on each pattern; None when php could not be asked."""
    try:
        proc = subprocess.run(
            [php, "-n", "-d", "error_reporting=-1", "-d", "display_errors=0", "-r", _PHP_CHECK],
            input=json.dumps(sources), capture_output=True, text=True, timeout=30,
        )
        result = json.loads(proc.stdout)
        if isinstance(result, list) and len(result) == len(sources):
            return result
    except (OSError, subprocess.SubprocessError, ValueError):
        pass
    return None


def backtracking_risk(pattern: str) -> str | None:
    """A nested unbounded repeat, e.g. (a+)+, (\\d*)*, (?:x|y+)* : exponential on a failing input."""
    try:
        from re import _parser as sre_parse  # type: ignore[attr-defined]
    except ImportError:  # pragma: no cover - Python < 3.11
        import sre_parse  # type: ignore[no-redef]
    try:
        tree = sre_parse.parse(pattern)
    except (re.error, OverflowError, RecursionError):
        return None  # PCRE-only syntax: PHP's check decides
    if _nested_repeat(tree, inside_repeat=False):
        return ("this pattern nests one unbounded repeat inside another (like (a+)+), which can "
                "backtrack for seconds on a non-matching number; rewrite it without the nesting")
    return None


_MAXREPEAT = 4294967295


def _nested_repeat(tree, inside_repeat: bool) -> bool:
    for op, arg in tree:
        name = str(op)
        if name in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"):
            low, high, sub = arg
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
        elif name in ("ASSERT", "ASSERT_NOT"):
            if _nested_repeat(arg[1], inside_repeat):
                return True
    return False
