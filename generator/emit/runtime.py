"""The shared PHP runtime (templates/runtime.php), cut into functions that generated files copy.

A helper's content name is `itgrix_gen_<hash>_<name>`, where the hash covers the helper's code
without its comments and the content names of the helpers it calls.  A file copies exactly the
helpers it uses, and generator/emit/guard.py puts them under one guard named after all of them (so
a helper that changes gives the block new names: no stale definition can be picked up by
function_exists); editing a comment in runtime.php changes no generated line but that comment.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from functools import lru_cache

from generator.resources import template_path

_FUNC_RE = re.compile(r"^function itgrix_rt_(\w+)\(", re.M)
_CALL_RE = re.compile(r"\bitgrix_rt_(\w+)\(")
_COMMENT_LINE = re.compile(r"^\s*//.*$", re.M)
# Generated files put a function's opening brace on its own line no more (half the lines of a
# small helper would be braces); runtime.php keeps the usual style.
_OWN_LINE_BRACE = re.compile(r"\)\n\{")
PREFIX = "itgrix_gen_"


@dataclass(frozen=True)
class Helper:
    name: str  # as in runtime.php, without itgrix_rt_
    doc: str  # the comment lines above it
    code: str  # from "function" to the closing brace
    calls: frozenset[str]


@dataclass(frozen=True)
class Runtime:
    helpers: dict[str, Helper]
    order: tuple[str, ...]
    names: dict[str, str]  # name -> the PHP function name files use

    def fn(self, name: str) -> str:
        """The PHP name of a helper (KeyError for a helper runtime.php does not have)."""
        return self.names[name]

    def closure(self, code: str) -> list[str]:
        """The helpers `code` calls, with the helpers they call, in runtime.php's order."""
        needed: set[str] = set()
        todo = [n for n in self.names if self.names[n] + "(" in code]
        while todo:
            name = todo.pop()
            if name not in needed:
                needed.add(name)
                todo.extend(self.helpers[name].calls)
        return [n for n in self.order if n in needed]

    def definition(self, name: str) -> str:
        """A helper as files write it: its doc summary and code, calling the other helpers by
        their PHP names (not indented, not guarded: generator/emit/guard.py wraps it)."""
        helper = self.helpers[name]
        body = _CALL_RE.sub(lambda m: self.names[m.group(1)] + "(", helper.code)
        body = _OWN_LINE_BRACE.sub(") {", body, count=1)
        return helper.doc + body

    def emit(self, names: list[str]) -> str:
        """The helpers each in a guard of its own: a standalone script of a test.  Generated files
        put theirs under one guard (generator/emit/guard.py)."""
        return "".join(guarded(self.names[name], self.definition(name)) for name in names)


def guarded(name: str, definition: str) -> str:
    """`definition` (a function with its comment lines) indented into a guard that skips it when
    a function `name` exists already."""
    text = definition.rstrip("\n")
    indented = "\n".join(("    " + line) if line else "" for line in text.split("\n"))
    return f"if (!function_exists('{name}')) {{\n{indented}\n}}\n"


def _parse(text: str) -> tuple[dict[str, Helper], list[str]]:
    lines = text.split("\n")
    helpers: dict[str, Helper] = {}
    order: list[str] = []
    i = 0
    while i < len(lines):
        m = _FUNC_RE.match(lines[i])
        if not m:
            i += 1
            continue
        start = i
        while start > 0 and lines[start - 1].startswith("//"):
            start -= 1
        end = i
        while lines[end] != "}":
            end += 1
        name = m.group(1)
        code = "\n".join(lines[i : end + 1]) + "\n"
        # A doc comment's lines after a bare "//" are for readers of runtime.php; files get the
        # summary above it (every copy of a long doc made the example's files 130 lines longer).
        above = lines[start:i]
        if "//" in above:
            above = above[: above.index("//")]
        doc = "\n".join(above) + ("\n" if above else "")
        helpers[name] = Helper(name, doc, code, frozenset(_CALL_RE.findall(code)) - {name})
        order.append(name)
        i = end + 1
    return helpers, order


def _names(helpers: dict[str, Helper]) -> dict[str, str]:
    names: dict[str, str] = {}

    def resolve(name: str, path: tuple[str, ...]) -> str:
        if name in names:
            return names[name]
        if name in path:
            raise ValueError(f"runtime.php: helpers call each other in a cycle: {' -> '.join(path + (name,))}")
        helper = helpers[name]
        for callee in sorted(helper.calls):
            if callee not in helpers:
                raise KeyError(f"runtime.php: itgrix_rt_{name} calls unknown itgrix_rt_{callee}")
            resolve(callee, path + (name,))
        # The code without comments or trailing blanks, with the final names of what it calls.
        code = _COMMENT_LINE.sub("", helper.code)
        code = _CALL_RE.sub(lambda m: (names[m.group(1)] if m.group(1) != name else "SELF") + "(", code)
        code = "\n".join(line.rstrip() for line in code.split("\n") if line.strip())
        digest = hashlib.sha256(code.encode("utf-8")).hexdigest()[:8]
        names[name] = f"{PREFIX}{digest}_{name}"
        return names[name]

    for name in helpers:
        resolve(name, ())
    return names


@lru_cache(maxsize=1)
def runtime() -> Runtime:
    helpers, order = _parse(template_path("runtime.php").read_text(encoding="utf-8"))
    return Runtime(helpers=helpers, order=tuple(order), names=_names(helpers))
