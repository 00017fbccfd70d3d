"""The literals module's functions, with every literal they return marked in the code being
built: `\\x01literal\\x02`, and comment text `\\x03text\\x04`.  The pipeline takes the marks out of
the final file, and uses them to check it fast: the file with every literal replaced by `null`
(a skeleton that is the same for every spec with rules of the same shape, so its check is cached)
must parse, and every marked literal must be one constant literal (generator.php.lint).  A valid
constant put where `null` stood in valid code gives valid code.  Generated PHP never holds these
control characters otherwise: literals write them as \\xNN escapes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from generator.php import literals as _plain

OPEN, CLOSE = "\x01", "\x02"
COMMENT_OPEN, COMMENT_CLOSE = "\x03", "\x04"
MARKS = OPEN + CLOSE + COMMENT_OPEN + COMMENT_CLOSE

LiteralError = _plain.LiteralError
regex_source = _plain.regex_source


def _marked(function: Callable[..., str]) -> Callable[..., str]:
    def wrapper(*args: Any, **kwargs: Any) -> str:
        return OPEN + function(*args, **kwargs) + CLOSE

    wrapper.__doc__ = function.__doc__
    wrapper.__name__ = function.__name__
    return wrapper


php_string = _marked(_plain.php_string)
php_int = _marked(_plain.php_int)
php_float = _marked(_plain.php_float)
php_bool = _marked(_plain.php_bool)
php_value = _marked(_plain.php_value)
php_array = _marked(_plain.php_array)
php_pretty = _marked(_plain.php_pretty)
php_regex = _marked(_plain.php_regex)


def php_comment_text(value: str) -> str:
    return COMMENT_OPEN + _plain.php_comment_text(value) + COMMENT_CLOSE
