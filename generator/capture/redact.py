"""Pseudonyms for phone digits and personal names: the Python twin of runtime.php's
itgrix_rt_redact, so `cases import --redact` writes what a file with `capture.redact: true` writes.

A number keeps its form (prefix, separators) and all but its last seven digits, which become seven
digits of a keyed hash of them: the same number always gives the same pseudonym, and its national
and international notations still differ only in the prefix, so a normalisation rule replays the
same.  A name or e-mail becomes "anon-" and 8 hex digits.  Company numbers (trunks, LINE_NUMBER)
and technical names (channels, trunks) stay as they are.  This is pseudonymisation, not
anonymisation: the key is derived from the spec's name, so whoever has the spec can test a
guessed number against a pseudonym.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

_NUMBER = re.compile(r"(?<![\w.:/+-])\+?[0-9](?:[ ()-]*[0-9]){6,}(?![\w.:/-])", re.ASCII)
_NAME_FIELDS = re.compile(r"^(name|NAME|LAST_NAME|SECOND_NAME|email|EMAIL)$")
_PHONE_FIELDS = re.compile(r"^(phone|number|num|PHONE_NUMBER|extension|exten|from|to|phones)$")


def _php_int_key(key: str) -> bool:
    return bool(re.fullmatch(r"-?(0|[1-9][0-9]{0,18})", key)) and -(2**63) <= int(key) < 2**63


def redact_key(spec_name: str) -> str:
    return hashlib.sha256(("itgrix-gen redact\0" + spec_name).encode("utf-8", "surrogatepass")).hexdigest()[:32]


def _sha1(key: str, text: str) -> str:
    return hashlib.sha1((key + "\0" + text).encode("utf-8", "surrogatepass")).hexdigest()


def _number(text: str, key: str, phone: bool) -> str:
    digits = re.sub(r"[^0-9]", "", text)
    if len(digits) < (7 if phone else 10):
        return text
    fake = f"{int(_sha1(key, digits[-7:])[:12], 16) % 10_000_000:07d}"
    chars = list(text)
    n = 6
    for i in range(len(chars) - 1, -1, -1):
        if n < 0:
            break
        if chars[i].isascii() and chars[i].isdigit():
            chars[i] = fake[n]
            n -= 1
    return "".join(chars)


def redact(value: Any, key: str, field: str = "", parent: str = "") -> Any:
    """`value` with its phone digits and personal names replaced (see the module's docstring)."""
    if isinstance(value, dict):
        # PHP decodes an object key such as "12" as the integer 12, and an integer key names nothing.
        return {
            k: redact(v, key, field, parent) if _php_int_key(k) else redact(v, key, k, field) for k, v in value.items()
        }
    if isinstance(value, list):
        return [redact(v, key, field, parent) for v in value]
    if not isinstance(value, str) or not value or "trunk" in (parent, field) or field in ("LINE_NUMBER", "line"):
        return value
    if _NAME_FIELDS.match(field) and parent != "channel":
        return "anon-" + _sha1(key, value)[:8]
    phone = bool(_PHONE_FIELDS.match(field))
    return _NUMBER.sub(lambda m: _number(m.group(0), key, phone), value)
