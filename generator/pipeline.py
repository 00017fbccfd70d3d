"""One pipeline behind every command: render a loaded spec into its fourteen files (a pure
function) and check them.  `render`, `run`, `test`, `deploy` and the tests all take their files
from here (sqlc's Generate -> map[string]string is the model); generator/output.py plans, diffs and
writes them.
"""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from generator.customizations import CUSTOMIZATIONS
from generator.customizations.base import IND, SPEC_VERSION_MARK, Customization, FileContext
from generator.emit import fields, guard, layout, marked
from generator.emit.templates import PhpCode, environment
from generator.errors import UserError
from generator.speclang.loader import LoadedSpec

# One generated file is compiled by the connector on every call: beyond this it is refused (the
# example's largest file is about 20 KB; a spec that expands past this is almost surely a mistake).
MAX_FILE_BYTES = 1024 * 1024
BODY_INDENT = IND * 3  # inside the entry function's try block


class OutputTooLarge(UserError):
    pass


class CheckFailed(RuntimeError):
    """Generated PHP that fails the syntax check: a bug of ours, never the user's."""


@dataclass(frozen=True)
class RenderedFile:
    customization: Customization
    content: str
    customized: bool  # False: a pass-through (needs no switching on in the admin panel)
    # For the fast check: the file's top-level blocks with every literal replaced by `null` and
    # comment text removed (the same for every spec of the same shape), and those literals.
    skeletons: tuple[str, ...] = ()
    literals: tuple[str, ...] = ()
    spec_version: str = ""  # the version of the set this file was rendered in (see spec_version)
    version: str = ""  # this file's own version, the one its capture lines name (see file_version)

    @property
    def filename(self) -> str:
        return self.customization.filename


def decisions_only(loaded: LoadedSpec, record: bool = False) -> LoadedSpec:
    """The spec without `capture` and `shadow`: what `test`, `run`, `replay` and `cases import`
    judge is what the spec decides, and they must never write a capture log on this machine.
    Deployed files keep both.  `record`: the files also record which rule decided ($decided, as
    deployed files with capture do), for the harness to read."""
    import dataclasses

    spec = loaded.spec
    if record:
        plain = decisions_only(loaded)
        digest = hashlib.sha256((plain.digest + "\0record").encode()).hexdigest()
        return dataclasses.replace(plain, digest=digest, record_decisions=True)
    if spec.capture is None and not spec.shadow and not _any_section_shadow(spec):
        return loaded
    update: dict[str, Any] = {"capture": None, "shadow": False}
    for c in CUSTOMIZATIONS:
        section = c.section_of(spec)
        if getattr(section, "shadow", None) is not None:
            if len(c.section_path) == 2:  # phones.client / phones.user
                parent = update.get("phones", spec.phones)
                assert parent is not None
                update["phones"] = parent.model_copy(
                    update={c.section_path[1]: section.model_copy(update={"shadow": None})}
                )
            else:
                update[c.section_path[0]] = section.model_copy(update={"shadow": None})
    # Another spec, so another digest: the render cache must not answer with the deployed files.
    digest = hashlib.sha256((loaded.digest + "\0decisions-only").encode()).hexdigest()
    return dataclasses.replace(loaded, spec=spec.model_copy(update=update), digest=digest)


def _any_section_shadow(spec: Any) -> bool:
    return any(getattr(c.section_of(spec), "shadow", None) is not None for c in CUSTOMIZATIONS)


def render(loaded: LoadedSpec) -> dict[str, str]:
    """The fourteen files of a spec: {file name: PHP text}.  Pure: the same spec gives the same
    bytes on every machine."""
    return {f.filename: f.content for f in render_files(loaded)}


def render_files(loaded: LoadedSpec) -> list[RenderedFile]:
    files = []
    for customization in CUSTOMIZATIONS:
        rendered = render_one(loaded, customization)
        size = len(rendered.content.encode("utf-8"))
        if size > MAX_FILE_BYTES:
            raise OutputTooLarge(
                f"{rendered.filename} would be {size:,} bytes; the limit for one generated file "
                f"is {MAX_FILE_BYTES:,} (the connector compiles it on every call)"
            )
        files.append(rendered)
    return _with_version(files)


def spec_version(files: list[RenderedFile]) -> str:
    """The version of the whole set, as the deploy record and manifest name it: a short hash of the
    rendered files (as rendered, before the files' versions are written into them).  Capture lines
    of older files, which wrote it into every file, carry this one (see file_version)."""
    digest = hashlib.sha256()
    for f in files:
        digest.update(f.filename.encode("utf-8") + b"\0" + f.content.encode("utf-8", "surrogatepass") + b"\0")
    return digest.hexdigest()[:12]


def file_version(f: RenderedFile) -> str:
    """One file's own version, the one its capture lines name: a short hash of that file alone (as
    rendered, before the version is written into it).  Its own, not the set's: a rule inserted in
    one section changes one file's version, so a deploy rewrites that file only (a set-wide version
    written into every file rewrote all fourteen), and a replayed line is judged against the file
    of its own customization."""
    digest = hashlib.sha256(f.filename.encode("utf-8") + b"\0" + f.content.encode("utf-8", "surrogatepass"))
    return digest.hexdigest()[:12]


def _with_version(files: list[RenderedFile]) -> list[RenderedFile]:
    """The files, each with its own version written where capture names it, and the set's version
    carried for the deploy record."""
    import dataclasses

    whole = spec_version(files)
    out = []
    for f in files:
        own = file_version(f)
        out.append(
            dataclasses.replace(f, content=f.content.replace(SPEC_VERSION_MARK, own), spec_version=whole, version=own)
        )
    return out


def _code(value: object) -> PhpCode:
    """A body fragment: lines (indented into the try block) or one expression."""
    if isinstance(value, list):
        lines = "\n".join(value).split("\n")
        return PhpCode("\n".join((BODY_INDENT + line) if line else "" for line in lines))
    return PhpCode(value)


def render_one(loaded: LoadedSpec, c: Customization) -> RenderedFile:
    spec = loaded.spec
    ctx = FileContext(c, loaded)
    section = c.section_of(spec)
    own_shadow = getattr(section, "shadow", None)
    ctx.shadow = section is not None and (own_shadow if own_shadow is not None else spec.shadow)
    ctx.track = ctx.shadow or spec.capture is not None or loaded.record_decisions
    planned: frozenset[str] = frozenset()  # the field reader's features, from the first pass
    if section is not None:
        # A first pass finds the keys the rules read, whose accessors say when they find nothing.
        first = FileContext(c, loaded)
        first.shadow, first.track = ctx.shadow, ctx.track
        c.body(section, first)
        ctx.saying = frozenset(first.reported_keys)
        if first.reads:
            # The file's field reader, written for the features its keys use.
            planned = frozenset(first.features)
            ctx.collect_name, reader = fields.collector(planned)
            ctx.accessors["collect"] = (ctx.collect_name, reader)
    variables = {key: _code(value) for key, value in (c.body(section, ctx) if section is not None else {}).items()}
    passthrough = c.passthrough(ctx)
    # The reply's data is read once, before the input check, when the pass-through answers just it.
    data_first = "data" in variables and "reply" in variables
    data_first = data_first and passthrough.translate(
        _NO_MARKS
    ) == f"{variables['reply']}({variables['data']})".translate(_NO_MARKS)
    what = f"its '{c.section}' section" if section is not None else "pass-through: the spec leaves it out"
    context = dict(
        variables,
        filename=PhpCode(c.filename),
        spec_name=PhpCode(marked.php_comment_text(spec.name)),
        what=PhpCode(what),
        summary=PhpCode(c.summary[0].lower() + c.summary[1:]),
        entry=PhpCode(c.entry(spec.name)),
        name=PhpCode(marked.php_string(f"{c.name}:{spec.name}")),
        passthrough=PhpCode(passthrough),
        passthrough_only=section is None,
        data_first=data_first,
        log=PhpCode(ctx.fn("log")),
        helpers=PhpCode("@HELPERS@"),
        tracked=ctx.track,
        shadow=ctx.shadow,
        capture=PhpCode(ctx.capture_call(c, "$would" if ctx.shadow else "null")) if spec.capture else None,
    )
    template = environment().get_template(c.template if section is not None else "_base.php.j2")
    # The entry function (what the spec decides) in lines a reviewer reads; the helpers after it
    # are laid out where they are written.
    entry_code, helpers_mark, after = template.render(**context).partition("@HELPERS@\n")
    code = layout.code(entry_code) + helpers_mark + after
    if ctx.features - planned or (ctx.reads and "collect" not in ctx.accessors):
        # A bug of ours: the second pass read what the first did not (the reader would lack it).
        raise AssertionError(f"{c.name}: the field reader lacks {sorted(ctx.features - planned)}")
    own = sorted(set(ctx.accessors.values()))
    accessors = "".join(definition for _name, definition in own)
    used = ctx.rt.closure(code + accessors + "".join(ctx.fn(h) + "(" for h in ctx.needs))
    if any("preg_" in ctx.rt.helpers[h].code for h in used) or "preg_" in code + accessors:
        # A file that matches patterns answers with PCRE's JIT off (runtime.php's answer()).
        last = f"return {c.entry(spec.name)}(isset($params) ? $params : null);"
        answer = f"return {ctx.fn('answer')}({marked.php_string(c.entry(spec.name))}, isset($params) ? $params : null);"
        assert code.rstrip("\n").endswith(last), "the template's last line calls the entry function"
        code = code.rstrip("\n")[: -len(last)] + answer + "\n"
        used = ctx.rt.closure(code + accessors + "".join(ctx.fn(h) + "(" for h in ctx.needs))
    # One guard for the file's helpers, which take that block's names (generator/emit/guard.py).
    helpers, renames = guard.helpers(ctx.rt, used, own)
    shared = helpers.rstrip("\n")
    code = guard.rename(code.replace("@HELPERS@\n", f"\n{shared}\n" if shared else "", 1), renames)
    skeletons, found = _skeleton(code)
    content = code.translate(_NO_MARKS)
    return RenderedFile(
        customization=c, content=content, customized=section is not None, skeletons=skeletons, literals=found
    )


_NO_MARKS = str.maketrans("", "", marked.MARKS)
_LITERAL = re.compile("\x01([^\x01\x02]*)\x02")
_COMMENT = re.compile("\x03[^\x03\x04]*\x04")
_BLOCK = re.compile(r"^(?=if \(!function_exists\()", re.M)
# The hashes in names: a helper's (its block's) and the entry function's (its spec name's).
_HASHES = (re.compile(r"\bitgrix_gen_[0-9a-f]{8}_"), re.compile(r"\b(itgrix_gen_[a-z_]+)_[0-9a-f]{8}(?![0-9A-Za-z])"))


def _skeleton(code: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The marked literals of `code`, and its pieces with every literal replaced by `null` and
    comment text taken out: the header, and each guard as its `if` apart from each function in it
    (each piece parses alone).  A piece depends on a spec only through its literals and the hashes
    in names, which are left out too, so its check is cached across specs (a file's one helper
    block is of its own for nearly every spec; the functions in it are not)."""
    found = tuple(_LITERAL.findall(code))
    bare = _COMMENT.sub("", _LITERAL.sub("null", code))
    bare = _HASHES[1].sub(r"\1", _HASHES[0].sub("itgrix_gen_", bare))
    pieces = []
    for block in _BLOCK.split(bare):
        if block.startswith("if (!function_exists("):
            # The guard's first line and closing brace (the one at the line's start), with what
            # follows it (the last block: the call of the entry function); then its functions.
            head, _, rest = block.partition("\n")
            inside, close, after = rest.rpartition("\n}\n")
            if close:
                pieces += [head + close + after, *_functions(inside)]
                continue
        pieces.append(block)
    return tuple(p if p.startswith("<?php") else "<?php\n" + p for p in pieces if p.strip()), found


def _functions(code: str) -> list[str]:
    """The functions of a guard's inside, each with the comment lines above it."""
    lines = code.split("\n")
    starts = [0]
    for i, line in enumerate(lines):
        if line.startswith("    function "):
            while i > 0 and lines[i - 1].lstrip().startswith("//"):
                i -= 1
            if i > starts[-1]:
                starts.append(i)
    return ["\n".join(lines[a:b]) + "\n" for a, b in zip(starts, starts[1:] + [len(lines)])]


# --- the one syntax check ----------------------------------------------------------------

_CHECK_VERSION = "3"


def check(files: list[RenderedFile]) -> list[str]:
    """The one syntax check: phply (PHP 5 syntax only) and the short-array check.  A file is
    checked in pieces (see _skeleton): each block's skeleton, parsed once and remembered by its
    hash on disk, and each literal, which must be one constant expression.  A file built without
    marks (a test may make one by hand) is parsed whole."""
    from generator.php.lint import check_literal

    problems = []
    for f in files:
        problem = next((p for p in map(_parsed, f.skeletons or (f.content,)) if p), None)
        problem = problem or next(
            (f"a literal is not a constant: {p}" for p in map(check_literal, f.literals) if p), None
        )
        if problem:
            problems.append(f"{f.filename}: {problem}")
    return problems


_PASSED: set[str] = set()  # this process's verdicts, before the disk cache is asked


def _parsed(code: str) -> str | None:
    key = hashlib.sha256((_CHECK_VERSION + code).encode("utf-8")).hexdigest()
    if key in _PASSED:
        return None
    if _cache_has(key):
        _PASSED.add(key)
        return None
    from generator.php.lint import phply_errors  # late: phply loads only when a piece is new

    problem = phply_errors(code)
    if problem is None:
        _PASSED.add(key)
        _cache_add(key)
    return problem


def checked(loaded: LoadedSpec) -> list[RenderedFile]:
    """Rendered and syntax-checked; CheckFailed names the files that fail (a bug of ours)."""
    files = render_files(loaded)
    problems = check(files)
    if problems:
        raise CheckFailed("generated PHP failed the syntax check (a bug in itgrix-gen): " + "; ".join(problems))
    return files


def _cache_dir() -> Path | None:
    return _cache_dir_for(os.environ.get("ITGRIX_GEN_NO_CACHE"), os.environ.get("XDG_CACHE_HOME"))


@lru_cache(maxsize=4)
def _cache_dir_for(disabled: str | None, xdg: str | None) -> Path | None:
    if disabled:
        return None
    return Path(xdg or str(Path.home() / ".cache")) / "itgrix-gen" / "checked"


def _cache_has(key: str) -> bool:
    folder = _cache_dir()
    return folder is not None and (folder / key[:2] / key).exists()


def _cache_add(key: str) -> None:
    folder = _cache_dir()
    if folder is None:
        return
    try:
        (folder / key[:2]).mkdir(parents=True, exist_ok=True)
        (folder / key[:2] / key).touch()
    except OSError:
        pass  # a read-only home: the check simply runs every time
