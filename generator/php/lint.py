"""Static checks of generated PHP: phply (which knows only PHP 5-era syntax, so anything newer
fails to parse) plus a token check for short array syntax `[...]`, which phply accepts but PHP
5.2/5.3 do not."""

from __future__ import annotations

from functools import lru_cache

from phply import phplex
from phply.phpparse import make_parser

# Tokens after which "[" indexes a value rather than opening a short array literal.
_INDEXABLE = {"VARIABLE", "RBRACKET", "RPAREN", "RBRACE", "STRING", "CONSTANT_ENCAPSED_STRING"}


@lru_cache(maxsize=1)
def _parser():
    return make_parser(debug=False)


def phply_errors(code: str) -> str | None:
    """None when phply parses the code and it uses no short arrays; else a message."""
    lexer = phplex.lexer.clone()
    try:
        _parser().parse(code, lexer=lexer, tracking=True)
    except SyntaxError as exc:
        return f"phply cannot parse it (PHP-5-incompatible syntax?): {exc} (line {getattr(exc, 'lineno', '?')})"
    except Exception as exc:  # phply raises assorted errors on odd input
        return f"phply cannot parse it: {type(exc).__name__}: {exc}"
    return short_array(code)


@lru_cache(maxsize=256)
def _cached(code: str) -> str | None:
    return phply_errors(code)


def check_rendered(rendered) -> str | None:
    """Syntax check of a RenderedFile at a fraction of phply's cost on the whole file: the
    skeleton (identical for every spec with the same sections, so cached) and each literal the
    spec contributes, parsed as an expression.  A valid expression put where `array()` stood in
    a valid skeleton gives a valid file."""
    problem = _cached(rendered.skeleton)
    if problem:
        return problem
    for value in rendered.literals:
        problem = phply_errors("<?php return " + value + ";")
        if problem:
            return problem
    return None


def short_array(code: str) -> str | None:
    lexer = phplex.lexer.clone()
    lexer.input(code)
    previous = None
    while True:
        token = lexer.token()
        if token is None:
            break
        if token.type in ("WHITESPACE", "COMMENT", "DOC_COMMENT", "INLINE_HTML", "OPEN_TAG"):
            continue
        if token.type == "LBRACKET" and (previous is None or previous not in _INDEXABLE):
            return f"short array syntax '[...]' at line {token.lineno} (PHP 5.4+ only; use array())"
        if token.type == "LBRACKET" and previous == "RPAREN":
            return f"indexing a call's result '()[...]' at line {token.lineno} (PHP 5.4+ only)"
        previous = token.type
    return None
