"""Pseudonyms for phone numbers, personal names and e-mails: the Python twin of runtime.php's
itgrix_rt_redact, so `cases import --redact` writes what a file with `capture.redact: true`
writes (tests/test_redact.py holds the two to the same answers on generated text).

Redaction is by value, in every text of the call (and in numbers sent as JSON numbers):
- A name: the value of a field whose name ends in "name", "fio", "title" or "mail" (any case:
  `name`, `LAST_NAME`, `caller_name`, `callerid_name`, `TITLE`, `email`, `mail`...) becomes
  "anon-" and 8 hex digits; the same text anywhere else in the call (a reply built from
  `{user.name}`) becomes the same pseudonym.
- An e-mail address anywhere becomes "anon-" and 8 hex digits.
- A phone number anywhere: a run of digits with the separators of phone notation (space, `(`, `)`,
  `.`, `/`, `-`, an optional leading `+`), whatever stands around it (`tel:+7…`, `sip:7…@`,
  `Local/7…@`, `in-102-7495…-….wav`), of 10 to 15 digits (7 to 15 after a `+` or in a phone
  field: `phone`, `number`, `PHONE_NUMBER`, `from`, `to`...) keeps its form and all but its last
  seven digits, which become seven digits of a keyed hash of them: the same number always gets the
  same pseudonym, and its national and international notations still differ only in the prefix,
  so a normalisation rule replays the same.
- Kept: dates and times (`2026-11-24 10:00:00`, `24.11.2026`, `10:00`), Asterisk call ids
  (`1732443000.1001`), a ten-digit number starting with 1 (a Unix time: no national number
  starts so), shorter numbers (extensions, ids, durations), and company data: a trunk's fields,
  `LINE_NUMBER`, `line`, and the name of a channel.
This is pseudonymisation, not anonymisation: the key is derived from the spec's name, so whoever
has the spec can test a guessed number against a pseudonym.
"""

from __future__ import annotations

import hashlib
import math
import re
from typing import Any

# A date, a time, an Asterisk call id or a pseudonym (left as they are), else a run of digits in
# phone notation.  ASCII classes only: PHP matches bytes, Python characters, and both agree.
_STAY = (
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}(?:[ T][0-9]{2}:[0-9]{2}(?::[0-9]{2})?)?"
    r"|[0-9]{2}[./][0-9]{2}[./][0-9]{4}(?: [0-9]{2}:[0-9]{2}(?::[0-9]{2})?)?"
    r"|[0-9]{1,2}:[0-9]{2}(?::[0-9]{2})?"
    r"|[0-9]{9,10}\.[0-9]{1,6}"
    r"|anon-[0-9a-f]{8}"
)
_SEP = r"(?:[ ./-]|\) ?|[ -]?\()"
_RUNS = re.compile(
    r"(?<![0-9])(?:" + _STAY + r")(?![0-9])|(\+?[0-9]+(?:" + _SEP + r"(?!(?:" + _STAY + r")(?![0-9]))[0-9]+)*)"
)
_GROUP = re.compile(r"[0-9]+")
_EMAIL = re.compile(r"[A-Za-z0-9._%+-]*[A-Za-z][A-Za-z0-9._%+-]*@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
_NAME_FIELD = re.compile(r"(name|fio|title|mail)$", re.I | re.ASCII)
_PHONE_FIELDS = frozenset(("phone", "number", "num", "PHONE_NUMBER", "extension", "exten", "from", "to", "phones"))


def _php_int_key(key: str) -> bool:
    return bool(re.fullmatch(r"-?(0|[1-9][0-9]{0,18})", key)) and -(2**63) <= int(key) < 2**63


def redact_key(spec_name: str) -> str:
    return hashlib.sha256(("itgrix-gen redact\0" + spec_name).encode("utf-8", "surrogatepass")).hexdigest()[:32]


def _sha1(key: str, text: str) -> str:
    return hashlib.sha1((key + "\0" + text).encode("utf-8", "surrogatepass")).hexdigest()


def _pseudonym(key: str, text: str) -> str:
    return "anon-" + _sha1(key, text)[:8]


def _numbers(text: str, key: str, phone: bool) -> str:
    """Phone-length digit runs of `text` with their last seven digits replaced."""
    out = list(text)
    for m in _RUNS.finditer(text):
        if m.group(1) is None:
            continue
        start = m.start(1)
        plus = text[start] == "+"
        groups = [(g.start() + start, g.end() + start) for g in _GROUP.finditer(m.group(1))]
        i = 0
        while i < len(groups):
            # Groups join into one number while it is short, or the next group is a short part
            # ("+7 495 123 45 67"); a complete number takes no suffix ("PJSIP/7495…-0001").
            j, digits = i, groups[i][1] - groups[i][0]
            while j + 1 < len(groups):
                size = groups[j + 1][1] - groups[j + 1][0]
                if digits + size > 15 or (digits >= 7 and size > 4) or (digits >= 10 and size > 2):
                    break
                j, digits = j + 1, digits + size
            first = plus and i == 0
            spans = groups[i : j + 1]
            number = "".join(text[a:b] for a, b in spans)
            unix_time = len(spans) == 1 and digits == 10 and number[0] == "1" and not first
            if (7 if (first or phone) else 10) <= digits <= 15 and not unix_time:
                fake = f"{int(_sha1(key, number[-7:])[:12], 16) % 10_000_000:07d}"
                n = 6
                for a, b in reversed(spans):
                    for k in range(b - 1, a - 1, -1):
                        if n < 0:
                            break
                        out[k] = fake[n]
                        n -= 1
            i = j + 1
    return "".join(out)


def _text(text: str, key: str, phone: bool, names: dict[str, str]) -> str:
    if names:
        text = re.sub("|".join(re.escape(n) for n in sorted(names, key=len, reverse=True)), _name_of(names), text)
    if "@" in text:
        text = _EMAIL.sub(lambda m: _pseudonym(key, m.group(0)), text)
    return _numbers(text, key, phone) if any(c in "0123456789" for c in text) else text


def _name_of(names: dict[str, str]) -> Any:
    return lambda m: names[m.group(0)]


def _exempt(field: str, parent: str) -> bool:
    return "trunk" in (field, parent) or field in ("LINE_NUMBER", "line")


def _is_name(field: str, parent: str) -> bool:
    return bool(_NAME_FIELD.search(field)) and parent != "channel"


def _gather(value: Any, key: str, names: dict[str, str], field: str = "", parent: str = "") -> None:
    if isinstance(value, dict):
        for k, v in value.items():
            if _php_int_key(k):
                _gather(v, key, names, field, parent)
            else:
                _gather(v, key, names, k, field)
    elif isinstance(value, list):
        for v in value:
            _gather(v, key, names, field, parent)
    elif isinstance(value, str) and len(value.encode("utf-8", "surrogatepass")) >= 3 and not _exempt(field, parent):
        if not _is_name(field, parent):
            return
        names[value] = _pseudonym(key, value)


def names_of(values: list[Any], key: str) -> dict[str, str]:
    """The names (values of name-like fields) found in `values`, with their pseudonyms."""
    names: dict[str, str] = {}
    for value in values:
        _gather(value, key, names)
    return names


def redact(value: Any, key: str, names: dict[str, str] | None = None, field: str = "", parent: str = "") -> Any:
    """`value` with its phone numbers, names and e-mails replaced (see the module's docstring).
    `names`: the names to replace inside other texts (default: those of `value` itself)."""
    if names is None:
        names = names_of([value], key)
    if isinstance(value, dict):
        # PHP decodes an object key such as "12" as the integer 12, and an integer key names nothing.
        return {
            k: redact(v, key, names, field, parent) if _php_int_key(k) else redact(v, key, names, k, field)
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [redact(v, key, names, field, parent) for v in value]
    if isinstance(value, bool) or value is None or _exempt(field, parent):
        return value
    phone = field in _PHONE_FIELDS
    if isinstance(value, int) or (
        isinstance(value, float) and math.isfinite(value) and value == int(value) and abs(value) < 1e15
    ):
        text = str(int(value))
        changed = _numbers(text, key, phone)
        if changed == text:
            return value
        return int(changed) if isinstance(value, int) else float(changed)
    if not isinstance(value, str) or not value:
        return value
    if _is_name(field, parent):
        return _pseudonym(key, value)
    return _text(value, key, phone, names)
