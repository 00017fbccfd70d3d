"""The Jinja environment that lays out a generated file (templates/*.php.j2).

Safety by construction: the `finalize` hook accepts only PhpCode values, which the emitting code
makes from generator.php.literals output and fixed text.  A template that tried to print a raw
spec value would fail to render, not emit injectable PHP; StrictUndefined makes a missing
variable an error instead of an empty string."""

from __future__ import annotations

from functools import lru_cache

import jinja2

from generator.resources import templates_dir


class PhpCode(str):
    """Text that is already valid PHP source (a literal, an identifier, code built from them)."""


class UnsafeTemplateValue(TypeError):
    pass


def _only_php(value: object) -> object:
    if isinstance(value, PhpCode):
        return value
    if isinstance(value, jinja2.Undefined):
        str(value)  # StrictUndefined: raises UndefinedError naming the missing variable
    raise UnsafeTemplateValue(
        f"a template tried to print a {type(value).__name__} that did not come from the literals module"
    )


@lru_cache(maxsize=1)
def environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(templates_dir())),
        undefined=jinja2.StrictUndefined,
        autoescape=False,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        finalize=_only_php,
    )
