"""Rendering: Jinja templates + the compiled config + the shared PHP runtime -> fourteen files.

Safety by construction: the Jinja environment's `finalize` hook accepts only PhpCode values (made
by this module from generator.php.literals output or from fixed identifiers).  A template that
tried to print a raw spec value would fail to render, not emit injectable PHP.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import jinja2

from generator import __version__
from generator.errors import UserError
from generator.php import literals
from generator.render.compile import Compiler
from generator.render.customizations import CUSTOMIZATIONS, Customization, section_of
from generator.spec.models import Spec


class PhpCode(str):
    """Text that is already valid PHP source (a literal, an identifier, a comment)."""


class UnsafeTemplateValue(TypeError):
    pass


def _only_php(value):
    if isinstance(value, PhpCode):
        return value
    if isinstance(value, jinja2.Undefined):
        str(value)  # StrictUndefined: raises UndefinedError naming the missing variable
    raise UnsafeTemplateValue(
        f"a template tried to print a {type(value).__name__} that did not come from the literals module"
    )


def templates_dir() -> Path:
    here = Path(__file__).resolve().parent.parent
    packaged = here / "templates"          # inside an installed wheel
    if packaged.is_dir():
        return packaged
    return here.parent / "templates"        # a source checkout


@lru_cache(maxsize=1)
def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(templates_dir())),
        undefined=jinja2.StrictUndefined,
        autoescape=False,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        finalize=_only_php,
    )
    # A block's output is made of template text and PhpCode values already checked by finalize,
    # so re-printing it ({{ self.passthrough() | composed }}) is safe.
    env.filters["composed"] = PhpCode
    return env


# --- the shared runtime ----------------------------------------------------------------------

_FUNC_RE = re.compile(r"^function itgrix_rt_(\w+)\(", re.M)
_CALL_RE = re.compile(r"\bitgrix_rt_(\w+)\(")


@dataclass(frozen=True)
class Runtime:
    prefix: str                        # "itgrix_gen_<hash>_"
    functions: dict[str, str]          # name -> source (comment lines above it included)
    order: tuple[str, ...]
    calls: dict[str, frozenset[str]]   # name -> the runtime functions it calls
    blocks: dict[str, str]             # name -> its guarded, renamed, indented block

    def closure(self, code: str) -> list[str]:
        needed: set[str] = set()
        todo = list(set(re.findall(re.escape(self.prefix) + r"(\w+)\(", code)))
        while todo:
            name = todo.pop()
            if name in needed:
                continue
            if name not in self.functions:
                raise KeyError(f"template calls unknown runtime function itgrix_rt_{name}")
            needed.add(name)
            todo.extend(self.calls[name])
        return [n for n in self.order if n in needed]

    def emit(self, names: list[str]) -> str:
        return "".join(self.blocks[name] for name in names)


@lru_cache(maxsize=1)
def runtime() -> Runtime:
    text = (templates_dir() / "runtime.php").read_text(encoding="utf-8")
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()[:10]
    lines = text.split("\n")
    functions: dict[str, str] = {}
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
        functions[m.group(1)] = "\n".join(lines[start:end + 1]) + "\n"
        order.append(m.group(1))
        i = end + 1
    prefix = f"itgrix_gen_{digest}_"
    calls = {name: frozenset(_CALL_RE.findall(src)) - {name} for name, src in functions.items()}
    blocks = {}
    for name, src in functions.items():
        lines = src.replace("itgrix_rt_", prefix).rstrip("\n").split("\n")
        indented = "\n".join(("    " + line) if line else "" for line in lines)
        blocks[name] = f"if (!function_exists('{prefix}{name}')) {{\n{indented}\n}}\n"
    return Runtime(prefix=prefix, functions=functions, order=tuple(order), calls=calls, blocks=blocks)


# --- rendering ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class RenderedFile:
    customization: Customization
    content: str
    customized: bool  # False: a pass-through (needs no switching on in the admin panel)
    # For fast syntax checks: the file with every spec-dependent literal replaced by a fixed
    # one (the same text for every spec, so its check is cached), and those literals alone.
    skeleton: str = ""
    literals: tuple[str, ...] = ()

    @property
    def filename(self) -> str:
        return self.customization.filename


# One generated file is compiled by the connector on every call: beyond this it is refused (the
# example's largest file is about 20 KB; a spec that expands past this is almost surely a mistake).
MAX_FILE_BYTES = 1024 * 1024


class OutputTooLarge(UserError):
    pass


def render_spec(spec: Spec, digest: str) -> list[RenderedFile]:
    files = []
    for c in CUSTOMIZATIONS:
        rendered = render_one(spec, digest, c)
        size = len(rendered.content.encode("utf-8"))
        if size > MAX_FILE_BYTES:
            raise OutputTooLarge(f"{rendered.filename} would be {size:,} bytes; the limit for one generated file "
                                 f"is {MAX_FILE_BYTES:,} (the connector compiles it on every call)")
        files.append(rendered)
    return files


MAIN_TOKEN = "itgrix_gen_main_0000000000000000"
CFG_TOKEN = "/*@CFG@*/"
NAME_TOKEN = "/*@NAME@*/"


def render_one(spec: Spec, digest: str, customization: Customization) -> RenderedFile:
    rt = runtime()
    config = Compiler(spec, customization).config()
    customized = section_of(spec, customization) is not None
    cfg_literal = literals.php_pretty(config, indent=8) if config is not None else None
    name_literal = literals.php_string(f"{customization.name}:{spec.name}")
    context = {
        "rt": PhpCode(rt.prefix),
        "main": PhpCode(MAIN_TOKEN),
        "name": PhpCode(NAME_TOKEN),
        "cfg": PhpCode(CFG_TOKEN) if config is not None else None,
        "keys": PhpCode(literals.php_array(list(customization.keys))),
        "context_keys": PhpCode(literals.php_array(["call_full", "call_stage", "call", "conversation"])),
    }
    body = environment().get_template(customization.template).render(**context)
    body = body.replace("/*@RUNTIME@*/\n", rt.emit(rt.closure(body)))
    header = _header(spec, digest, customization, customized)
    code = body.replace("/*@HEADER@*/", header).replace(NAME_TOKEN, name_literal)
    if cfg_literal is not None:
        code = code.replace(CFG_TOKEN, cfg_literal)
    skeleton = body.replace("/*@HEADER@*/", "/* header */").replace(NAME_TOKEN, "''").replace(CFG_TOKEN, "array()")
    # The entry function's name is a hash of the file's own text: two files that define the same
    # name define the same function, so a customizer that loads several files in one process
    # can never get a clash or a stale definition.
    name = "itgrix_gen_main_" + hashlib.sha256(code.encode("utf-8")).hexdigest()[:16]
    code = code.replace(MAIN_TOKEN, name)
    values = (name_literal,) + ((cfg_literal,) if cfg_literal is not None else ())
    return RenderedFile(customization=customization, content=code, customized=customized,
                        skeleton=skeleton, literals=values)


def _header(spec: Spec, digest: str, c: Customization, customized: bool) -> str:
    what = f"customized by the spec's '{c.section}' section" if customized else \
        "pass-through: the spec does not customize it"
    lines = [
        "/*",
        f" * {c.filename}: generated by itgrix-gen {__version__}. Do not edit by hand:",
        " * change the spec and run `itgrix-gen render` again.",
        f" * Spec name: {literals.php_comment_text(spec.name)}",
        f" * Spec sha256: {digest}",
        f" * {what}.",
        f" * {c.summary}",
        " */",
    ]
    return "\n".join(lines)
