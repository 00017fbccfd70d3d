"""Static checks of generated PHP: phply (which knows only PHP 5-era syntax, so anything newer
fails to parse) plus a token check for short array syntax `[...]`, which phply accepts but PHP
5.2/5.3 do not."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from phply import phplex
from phply.phpparse import make_parser

# Tokens after which "[" indexes a value rather than opening a short array literal.
_INDEXABLE = {"VARIABLE", "RBRACKET", "RPAREN", "RBRACE", "STRING", "CONSTANT_ENCAPSED_STRING"}


@lru_cache(maxsize=1)
def _parser() -> Any:
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


_LITERAL_TOKEN = re.compile(
    r"""
    (?P<ws>[ \n]+)
  | (?P<array>array\()
  | (?P<close>\))
  | (?P<comma>,)
  | (?P<arrow>=>)
  | (?P<single>'(?:[^'\\\x00-\x1f\x7f]|\\[^\x00-\x1f\x7f])*')
  | (?P<double>"(?:[^"\\$\x00-\x1f\x7f]|\\[^\x00-\x1f\x7f])*")
  | (?P<number>-?\d+(?:\.\d+)?(?:e[+-]?\d+)?)
  | (?P<const>true|false|null)
""",
    re.X,
)


@lru_cache(maxsize=8192)
def check_literal(text: str) -> str | None:
    """Is `text` exactly one constant PHP literal as generator.php.literals writes them: strings
    (a double-quoted one never holds an unescaped `$`, so nothing can interpolate), numbers,
    true/false/null and array(...) of those, with `key => value` pairs?  Stricter than phply,
    which would accept "$x" or a function call, and a hundred times faster."""
    tokens: list[str] = []
    pos = 0
    while pos < len(text):
        m = _LITERAL_TOKEN.match(text, pos)
        if not m:
            return f"not a constant literal at character {pos}: {text[pos : pos + 20]!r}"
        if m.lastgroup != "ws":
            tokens.append(m.lastgroup or "")
        pos = m.end()
    try:
        end = _value(tokens, 0)
    except IndexError:
        return "literal ends early"
    except ValueError as exc:
        return str(exc)
    return None if end == len(tokens) else f"extra tokens after the literal at token {end}"


def _value(tokens: list[str], i: int) -> int:
    kind = tokens[i]
    if kind in ("single", "double", "number", "const"):
        return i + 1
    if kind != "array":
        raise ValueError(f"unexpected {kind} at token {i}")
    i += 1
    while tokens[i] != "close":
        start = tokens[i]
        i = _value(tokens, i)
        if tokens[i] == "arrow":
            if start not in ("single", "double", "number"):
                raise ValueError(f"array key must be text or a number at token {i}")
            i = _value(tokens, i + 1)
        if tokens[i] == "comma":
            i += 1
        elif tokens[i] != "close":
            raise ValueError(f"expected ',' or ')' at token {i}")
    return i + 1


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
