"""The one place where Python values become PHP source text.

Every value that comes from a spec and reaches a generated PHP file goes through this module;
templates only ever paste the strings it returns.  The encodings are chosen so that no input can
leave the literal it is in, on any PHP from 5.2 to 8.5:

* Strings are single-quoted when they hold only printable characters (inside single quotes PHP
  interprets nothing but ``\\\\`` and ``\\'``), and double-quoted with ``\\xNN`` escapes when they
  hold control characters (so that a generated file never contains a raw NUL, CR or other control
  byte, and ``$`` / ``{$`` can never interpolate: ``$`` is always written ``\\$`` there).
* Regex patterns get a delimiter that does not occur in the pattern, so the pattern cannot end the
  delimiter early, and fixed flags.
* Text that goes into a PHP comment is JSON-escaped ASCII with ``*/`` and ``?>`` escaped, so it
  can contain neither (nor a line break), and a URL still reads as written.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping, Sequence
from typing import Any

# PHP's integer range on the 64-bit builds every supported distribution ships.  -2**63 itself is
# left out because PHP parses the literal "9223372036854775808" (before the unary minus) as a float.
PHP_INT_MAX = 2**63 - 1
PHP_INT_MIN = -(2**63) + 1

# Candidate regex delimiters, in order of preference.  None of them is alphanumeric, a backslash or
# white space, which PCRE forbids as a delimiter; bracket pairs are avoided on purpose because they
# nest.
REGEX_DELIMITERS = "~#%!@;,`|=:/&'\"<>"

# The flags every generated regex gets: UTF-8 mode, so that character classes and "." work on
# Cyrillic and other non-ASCII text the same way on every PHP version.
REGEX_FLAGS = "u"


class LiteralError(ValueError):
    """A value that has no safe PHP literal (NaN, a too-large int, a lone surrogate...)."""


def _check_text(value: str) -> bytes:
    try:
        return value.encode("utf-8")
    except UnicodeEncodeError as exc:  # lone surrogates from YAML "\ud800" escapes
        raise LiteralError(f"text contains a character that is not valid in UTF-8 (position {exc.start})") from None


def php_string(value: str) -> str:
    """A PHP string literal whose value is exactly the UTF-8 bytes of ``value``."""
    if not isinstance(value, str):
        raise LiteralError(f"expected text, got {type(value).__name__}")
    _check_text(value)
    if not _CONTROL.search(value):
        return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"
    out = ['"']
    for ch in value:
        if ch == "\\":
            out.append("\\\\")
        elif ch == '"':
            out.append('\\"')
        elif ch == "$":
            out.append("\\$")
        elif _is_control(ch):
            out.append(f"\\x{ord(ch):02x}")
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def _is_control(ch: str) -> bool:
    code = ord(ch)
    return code < 0x20 or code == 0x7F


def php_int(value: int) -> str:
    if isinstance(value, bool) or not isinstance(value, int):
        raise LiteralError(f"expected an integer, got {type(value).__name__}")
    if not PHP_INT_MIN <= value <= PHP_INT_MAX:
        raise LiteralError(f"integer {value} does not fit in PHP's 64-bit integer")
    return str(value)


def php_float(value: float) -> str:
    if not isinstance(value, float):
        raise LiteralError(f"expected a float, got {type(value).__name__}")
    if math.isnan(value) or math.isinf(value):
        raise LiteralError("NaN and infinity have no PHP literal")
    text = repr(value)  # shortest round-trip form: "0.1", "1e+16", "-2.5"
    if "e" not in text and "." not in text:
        text += ".0"
    return text


def php_bool(value: bool) -> str:
    if not isinstance(value, bool):
        raise LiteralError(f"expected a boolean, got {type(value).__name__}")
    return "true" if value else "false"


def php_value(value: object) -> str:
    """Any JSON-like value: None, bool, int, float, str, lists and string-keyed mappings."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return php_bool(value)
    if isinstance(value, int):
        return php_int(value)
    if isinstance(value, float):
        return php_float(value)
    if isinstance(value, str):
        return php_string(value)
    if isinstance(value, Mapping):
        return php_array(value)
    if isinstance(value, Sequence):
        return php_array(list(value))
    raise LiteralError(f"no PHP literal for a value of type {type(value).__name__}")


def php_array(value: Mapping[Any, Any] | Sequence[Any]) -> str:
    """``array(...)`` (never ``[...]``: short arrays need PHP 5.4 and the floor is lower)."""
    if isinstance(value, Mapping):
        items = []
        for key, item in value.items():
            if isinstance(key, bool) or not isinstance(key, (str, int)):
                raise LiteralError(f"array keys must be text or integers, got {type(key).__name__}")
            key_text = php_int(key) if isinstance(key, int) else php_string(key)
            items.append(f"{key_text} => {php_value(item)}")
        return "array(" + ", ".join(items) + ")"
    return "array(" + ", ".join(php_value(item) for item in value) + ")"


def php_pretty(value: object, indent: int = 0, width: int = 100, step: int = 4, pack: int = 0) -> str:
    """Like php_value, laid out over several lines where one would be longer than `width`, so a
    reviewer can read a generated file's configuration.  Only layout differs: the value is the
    same as php_value's.  `pack`: a map's one-line members share rows of at most that many
    characters (a phone plan's short settings take a few lines, not one each)."""
    if not isinstance(value, (Mapping, list, tuple)) or not value:
        return php_value(value)
    items = []
    if isinstance(value, Mapping):
        for key, item in value.items():
            if isinstance(key, bool) or not isinstance(key, (str, int)):
                raise LiteralError(f"array keys must be text or integers, got {type(key).__name__}")
            key_text = php_int(key) if isinstance(key, int) else php_string(key)
            items.append(key_text + " => " + php_pretty(item, indent + step, width, step, pack))
    else:
        items = [php_pretty(item, indent + step, width, step, pack) for item in value]
    if not any("\n" in item for item in items):
        flat = "array(" + ", ".join(items) + ")"
        if indent + len(flat) <= width:
            return flat
    inner = " " * (indent + step)
    if pack and isinstance(value, Mapping):
        packed: list[str] = []
        for item in items:
            fits = packed and "\n" not in item and "\n" not in packed[-1]
            if fits and len(packed[-1]) + len(item) + 2 <= pack:
                packed[-1] += " " + item + ","
            else:
                packed.append(item + ",")
        return "array(\n" + "".join(inner + row + "\n" for row in packed) + " " * indent + ")"
    if not isinstance(value, Mapping) and not any(item.startswith("array(") for item in items):
        # A long list of plain values (dates, offsets) fills its lines instead of one per line.
        rows: list[str] = []
        for item in items:
            if rows and len(inner) + len(rows[-1]) + len(item) + 2 <= width:
                rows[-1] += " " + item + ","
            else:
                rows.append(item + ",")
        return "array(\n" + "".join(inner + row + "\n" for row in rows) + " " * indent + ")"
    return "array(\n" + "".join(inner + item + ",\n" for item in items) + " " * indent + ")"


def choose_delimiter(pattern: str) -> str | None:
    for delim in REGEX_DELIMITERS:
        if delim not in pattern:
            return delim
    return None


def escape_delimiter(pattern: str, delim: str) -> str:
    """Make every `delim` in the pattern an escaped literal, so it cannot end the pattern.  PCRE
    reads `\\<punctuation>` as that character, inside a class too; inside `\\Q...\\E` (where a
    backslash is literal) the quote is closed around it: `\\E\\<delim>\\Q`."""
    out = []
    i = 0
    quoted = False
    while i < len(pattern):
        ch = pattern[i]
        if quoted:
            if pattern.startswith("\\E", i):
                quoted = False
                out.append("\\E")
                i += 2
                continue
            out.append("\\E\\" + ch + "\\Q" if ch == delim else ch)
            i += 1
            continue
        if pattern.startswith("\\c", i) and i + 2 < len(pattern):
            # "\cX" is one character (X upper-cased, bit 6 flipped).  X cannot be the delimiter,
            # escaped or not (PHP would end the pattern there): write that character in hex.
            target = pattern[i + 2]
            out.append(f"\\x{ord(target.upper()) ^ 0x40:02x}" if target == delim else pattern[i : i + 3])
            i += 3
            continue
        if ch == "\\" and i + 1 < len(pattern):
            if pattern[i + 1] == "Q":
                quoted = True
            out.append(pattern[i : i + 2])
            i += 2
            continue
        out.append("\\" + ch if ch == delim else ch)
        i += 1
    return "".join(out)


def regex_source(pattern: str, flags: str = REGEX_FLAGS) -> str:
    """The PCRE string (delimiters and flags included) that PHP's preg_* functions take."""
    _check_text(pattern)
    if "\x00" in pattern:
        raise LiteralError("a regex may not contain a NUL character (write \\x00 instead)")
    delim = choose_delimiter(pattern)
    if delim is None:  # the pattern holds every candidate: escape the first one inside it
        delim = REGEX_DELIMITERS[0]
        pattern = escape_delimiter(pattern, delim)
    return delim + pattern + delim + flags


def php_regex(pattern: str, flags: str = REGEX_FLAGS) -> str:
    """A PHP string literal holding ``pattern`` ready for preg_match/preg_replace."""
    return php_string(regex_source(pattern, flags))


def php_comment_text(value: str) -> str:
    """Text safe inside a ``/* */`` or ``//`` comment: printable ASCII in JSON quotes, no ``*/``,
    no ``?>``, no line break.  A URL reads as written (``"https://example.com/hook?a=1"``): only
    the sequences that would end the comment are escaped, in JSON's own notation."""
    text = json.dumps(value, ensure_ascii=True)  # line breaks and control bytes as \n, \u0000
    # "*/" would end a /* */ comment and "?>" any comment (PHP leaves PHP mode there): JSON allows
    # "\/" for "/" and "\u003e" for ">", so the text still reads back exactly.
    return text.replace("*/", "*\\/").replace("?>", "?\\u003e")
