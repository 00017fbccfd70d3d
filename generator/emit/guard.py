"""A generated file's helpers under ONE `function_exists` guard, named after that guard's code.

Each helper used to sit in a guard of its own, named after its own code so that files shared
identical helpers by name.  A guard costs the connector about 1.5 us per call (the example's files
had some 215 of them, two lines each), so a file now defines its helpers in one block:

    if (!function_exists('itgrix_gen_<block>_collect')) {
        function itgrix_gen_<block>_collect(...) {...}
        function itgrix_gen_<block>_seen(...) {...}
    }

`<block>` is a hash of the block's code as written with the helpers' own content names (without
comments: a comment renames nothing), and every helper in the block is renamed to it, calls
included.  So two files (two specs, two versions of one file, a replay baseline beside the new
spec) whose blocks are the same share names and code, and the second one's guard skips its copy;
two different blocks never share a name, so no PHP process can meet "Cannot redeclare function".
A rule whose values change leaves the block, so its names, as they were.

The helpers the test harness defines itself before it includes a file (runner.harness_hooks:
the clock, the stderr log, the HTTP transport) keep a guard each and their content names, which
the harness must know before it has read any file.  A hook calls the helpers of its own file's
block by their block names (the HTTP transport calls http_curl...): whichever file's copy of a hook
is defined first, the block it calls was defined by the same include, so the call always lands on
the same runtime code.
"""

from __future__ import annotations

import hashlib
import re

from generator.emit.fields import code_only
from generator.emit.marked import CLOSE, COMMENT_CLOSE, COMMENT_OPEN, OPEN
from generator.emit.runtime import PREFIX, Runtime, guarded

HOOKS = ("now", "log", "http")  # defined by the harness first (generator/php/harness.php)
_NAME = re.compile(rf"^{PREFIX}[0-9a-f]{{8}}_(\w+)$")
# A name outside a marked literal or comment (spec text is never renamed).
_NAME_OR_MARKED = re.compile(
    f"({OPEN}[^{OPEN}{CLOSE}]*{CLOSE}|{COMMENT_OPEN}[^{COMMENT_OPEN}{COMMENT_CLOSE}]*{COMMENT_CLOSE})"
    rf"|\b({PREFIX}[0-9a-f]{{8}}_\w+)"
)


def helpers(rt: Runtime, names: list[str], own: list[tuple[str, str]]) -> tuple[str, dict[str, str]]:
    """A file's helpers: the runtime's `names` (rt.closure's order) and the file's `own` functions
    (name, definition), as PHP text, and how to rename them in the file (old name -> new name;
    rename() applies it).  The block first, then the harness's hooks, each in its guard."""
    hooks = [n for n in names if n in HOOKS]
    block = [(rt.fn(n), rt.definition(n)) for n in names if n not in HOOKS] + own
    out = ""
    renames: dict[str, str] = {}
    if block:
        code = "".join(definition for _name, definition in block)
        digest = hashlib.sha256(code_only(code).encode("utf-8")).hexdigest()[:8]
        renames = _block_names([name for name, _definition in block], digest)
        body = "\n".join(definition.rstrip("\n") for _name, definition in block)
        out = guarded(renames[block[0][0]], body)
    return out + "".join(guarded(rt.fn(n), rt.definition(n)) for n in hooks), renames


def _block_names(names: list[str], digest: str) -> dict[str, str]:
    """Each old name -> itgrix_gen_<digest>_<its suffix>; two functions with one suffix (two
    readers of `direction`: one says when it finds nothing, one does not) take `_2`, `_3`...
    in the order of their old names."""
    taken: set[str] = set()
    out: dict[str, str] = {}
    for name in sorted(set(names), key=lambda n: (_suffix(n), n)):
        suffix, n = _suffix(name), 1
        while suffix in taken:
            n += 1
            suffix = f"{_suffix(name)}_{n}"
        taken.add(suffix)
        out[name] = f"{PREFIX}{digest}_{suffix}"
    return out


def _suffix(name: str) -> str:
    m = _NAME.match(name)
    if m is None:
        raise ValueError(f"not a helper's name: {name}")
    return m.group(1)


def rename(code: str, renames: dict[str, str]) -> str:
    """`code` with each helper called or defined by its new name; marked literals and comments
    (spec text) stay as written."""
    if not renames:
        return code

    def one(m: re.Match[str]) -> str:
        return m.group(1) or renames.get(m.group(2), m.group(2))

    return _NAME_OR_MARKED.sub(one, code)
