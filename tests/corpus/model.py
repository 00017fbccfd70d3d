"""An independent model, in Python, of what a spec means: given a loaded spec, a customization and
the connector's input, the reply the generated PHP file must give.

It is written from the documentation (README.md "The spec, key by key", docs/design/
spec-language.md, the connector's contract), not from the emitter: it reuses the spec's loader and
models (what the spec *says*) but none of generator/emit or the customizations' code (how the PHP
is written).  Phone numbers go through the phonenumbers package itself, times through zoneinfo.

What it does not model raises Unmodelled(reason): the differential test counts those calls as not
covered (and reports how many), never as agreement.
"""

from __future__ import annotations

import contextlib
import html
import json
import os
import re
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta, timezone
from types import SimpleNamespace
from typing import Any
from zoneinfo import ZoneInfo

import holidays
import phonenumbers

from generator.speclang import placeholders
from generator.speclang.types import _parse_window, _scalar_text, schedule_days

CONTEXT = ("call_full", "call_stage", "call", "conversation")
# The documented reply keys each customization copies from its input (docs/connector).
REPLY_KEYS = {
    name: tuple(keys.split())
    for name, keys in {
        "process_final_params": "ADD_TO_CHAT CALL_ID DURATION STATUS_CODE USER_ID",
        "process_registration_params": "CALL_START_DATE CRM_CREATE CRM_SOURCE LINE_NUMBER PHONE_NUMBER SHOW TYPE USER_ID",
        "customize_show_call_card": "CALL_ID USER_ID",
        "customize_attach_record_url": "DESCRIPTION DESCRIPTION_TYPE",
        "customize_autodistribution": "number name",
        "process_originate_params": "caller_id channel context extension priority request_data",
        "process_client_phone": "phone",
        "process_user_phone": "phone",
        "process_task_creation_params": "fields",
        "customize_entity": "",
        "customize_activity": "",
    }.items()
}
SECTION_OF = {
    "need_registration": "registration",
    "process_registration_params": "registration_params",
    "process_final_params": "final_params",
    "customize_entity": "entity",
    "customize_activity": "activity",
    "process_task_creation_params": "tasks",
    "process_originate_params": "originate",
    "process_record_file_path": "record",
    "customize_autodistribution": "autodistribution",
    "customize_show_call_card": "call_card",
    "customize_attach_record_url": "record_link",
    "post_registration": "post_registration",
}

# Where each condition key reads its values (README "Where each condition key and placeholder
# reads its value"), written out again here on purpose: the model must not share the emitter's
# table.  (path, fields to pick in an object found there, call directions it applies to,
# customizations it applies to, every picked field counts).
NUMBER = ("number", "phone", "num", "extension", "exten")
TRUNK = ("number", "name", "id")
_ = None
TABLE: dict[str, list[tuple[str, tuple[str, ...] | None, tuple[str, ...] | None, tuple[str, ...] | None, bool]]] = {
    "direction": [("call_full.channel.type", _, _, _, False)],
    "stage": [("call_stage", _, _, _, False)],
    "extension": [
        ("phone", _, _, ("process_user_phone",), False),
        ("number", _, _, ("customize_autodistribution",), False),
        ("call_full.conversations.*.channel.to", NUMBER, ("incoming", "local"), _, False),
        ("call_full.conversations.*.channel.from", NUMBER, ("outgoing", "local"), _, False),
        ("call_full.channel.to", NUMBER, ("incoming", "local"), _, False),
        ("call_full.channel.from", NUMBER, ("outgoing", "local"), _, False),
        ("call_full.conversations.*.user.phones.*", _, _, _, False),
    ],
    "trunk": [
        ("call_full.channel.trunk", TRUNK, _, _, True),
        ("call_full.conversations.*.channel.trunk", TRUNK, _, _, True),
    ],
    "client_phone": [
        ("phone", _, _, ("process_client_phone",), False),
        ("params.extension", _, _, ("process_originate_params",), False),
        ("extension", _, _, ("process_originate_params",), False),
        ("from", _, _, ("customize_autodistribution",), False),
        ("PHONE_NUMBER", _, _, _, False),
        ("call_full.channel.from", NUMBER, ("incoming",), _, False),
        ("call_full.channel.to", NUMBER, ("outgoing",), _, False),
    ],
    "line": [("LINE_NUMBER", _, _, _, False), ("call_full.channel.trunk", TRUNK, _, _, False)],
    "status": [("STATUS_CODE", _, _, _, False), ("call_full.result", _, _, _, False)],
    "answered": [("call_full.channel.was_answered", _, _, _, False)],
    "is_ivr": [("call_full.is_ivr", _, _, _, False)],
    "duration": [("DURATION", _, _, _, False)],
    "record": [("call_full.record", _, _, _, False), ("path", _, _, ("process_record_file_path",), False)],
    "user.name": [
        ("user.name", _, _, ("customize_autodistribution",), False),
        ("activity.responsible.name", _, _, _, False),
        ("call_full.conversations.*.user.name", _, _, _, False),
    ],
    "user.id": [
        ("user.id", _, _, ("customize_autodistribution",), False),
        ("USER_ID", _, _, _, False),
        ("call_full.conversations.*.user.id", _, _, _, False),
    ],
    "entity.name": [
        ("entity.name", _, _, ("customize_autodistribution",), False),
        ("call_full.entity.name", _, _, _, False),
    ],
    "entity.type": [
        ("entity.type", _, _, ("customize_autodistribution",), False),
        ("call_full.entity.type", _, _, _, False),
    ],
    "entity.id": [("entity.id", _, _, ("customize_autodistribution",), False), ("call_full.entity.id", _, _, _, False)],
}
TABLE["client_phone.raw"] = TABLE["client_phone"]


class Unmodelled(Exception):
    """The model does not say what this spec means for this input."""


def walk(value: Any, parts: list[str]) -> list[Any]:
    """Every value at a dotted path ('*' = any member of an object or list)."""
    if not parts:
        return [value]
    head, rest = parts[0], parts[1:]
    if isinstance(value, dict):
        members = list(value.values()) if head == "*" else ([value[head]] if head in value else [])
    elif isinstance(value, list):
        if head == "*":
            members = value
        elif head.isdigit() and int(head) < len(value):
            members = [value[int(head)]]
        else:
            members = []
    else:
        return []
    out: list[Any] = []
    for member in members:
        out += walk(member, rest)
    return out


def text(value: Any) -> str | None:
    """A scalar as the generated PHP compares it (None: not a value), as the spec's own values are."""
    if value is None or isinstance(value, (dict, list)):
        return None
    if isinstance(value, float):
        raise Unmodelled("a float where text is compared")
    return _scalar_text(value)


def pcre(pattern: str) -> re.Pattern[str]:
    """A spec's PCRE pattern in Python's re (the specs' patterns use the common subset)."""
    if re.search(r"\\[pPXRhHvVKGQE]|\(\?[<>|P]|\(\*|\\[0-9]", pattern):
        raise Unmodelled(f"PCRE construct beyond Python's re: {pattern}")
    return re.compile(pattern)


def php_replacement(replace: str) -> str:
    """preg_replace's $1 / ${1} / \\$ in Python's re.sub syntax."""
    out, i = [], 0
    while i < len(replace):
        c = replace[i]
        if c == "\\" and i + 1 < len(replace) and replace[i + 1] == "$":
            out.append("$")
            i += 2
        elif c == "$" and i + 1 < len(replace) and replace[i + 1] == "{":
            end = replace.index("}", i)
            out.append(f"\\g<{replace[i + 2 : end]}>")
            i = end + 1
        elif c == "$" and i + 1 < len(replace) and replace[i + 1].isdigit():
            j = i + 1
            while j < len(replace) and replace[j].isdigit() and j < i + 3:
                j += 1
            out.append(f"\\g<{replace[i + 1 : j]}>")
            i = j
        elif c == "\\":
            out.append("\\\\")
            i += 1
        else:
            out.append(c)
            i += 1
    return "".join(out)


# --- phone numbers ------------------------------------------------------------------------------

SEPARATORS = " -./()[]~"
# README "Phone numbers": the Unicode spaces, hyphens, dashes and brackets libphonenumber reads as
# punctuation are separators too (a number pasted from a web page or a spreadsheet), and
# full-width digits and plus, Arabic-Indic and Eastern Arabic-Indic digits are digits.  A tab,
# a narrow or thin no-break space inside a number is not (libphonenumber refuses them; around it
# they are dropped), nor are digits of other scripts: such a number stays as it arrived.
UNICODE_SEPARATORS = "\u00a0\u00ad\u200b\u2060\u3000\u2010\u2011\u2012\u2013\u2014\u2015\u2212"
UNICODE_SEPARATORS += "\u30fc\uff0d\uff0e\uff0f\uff08\uff09\uff3b\uff3d\u2053\u223c\uff5e"
UNICODE_DIGITS = {chr(zero + n): str(n) for zero in (0xFF10, 0x0660, 0x06F0) for n in range(10)}
UNICODE_DIGITS["\uff0b"] = "+"
# Dropped around a number, refused inside one (libphonenumber): ASCII whitespace and form feed,
# the other Unicode spaces (thin, narrow no-break, figure...), line and paragraph separators, and
# invisible marks (BOM, direction marks, embeddings and isolates, zero-width joiners, NEL...).
AROUND = (
    " \t\n\r\0\x0b\x0c\u1680" + "".join(map(chr, range(0x2000, 0x200B))) + "\u200e\u200f\u2028\u2029\u202f\u205f\ufeff"
)
AROUND += "\u0085\u061c\u180e\u200c\u200d\u202a\u202b\u202c\u202d\u202e\u2061\u2062\u2063\u2064"
AROUND += "\u2066\u2067\u2068\u2069"


def shortest_national(region: str) -> int:
    meta = phonenumbers.PhoneMetadata.metadata_for_region(region)
    lengths = [n for n in (meta.general_desc.possible_length or ()) if n > 0]
    return min(lengths) if lengths else 1


@dataclass(frozen=True)
class PhoneRules:
    region: str | None
    format: str
    rewrites: tuple[tuple[str, str], ...] = ()
    internal_max_digits: int | None = None
    invalid: str = "keep"


def rewrite(number: str, rewrites: tuple[tuple[str, str], ...]) -> str:
    for match, replacement in rewrites:
        number = pcre(match).sub(php_replacement(replacement), number)
    return number


def bare_number(number: str) -> str | None:
    """The digits (and a leading +) of a number written with separators; None: not a number."""
    bare = "".join(UNICODE_DIGITS.get(c, " " if c in UNICODE_SEPARATORS else c) for c in number)
    bare = bare.strip(AROUND)  # spaces and marks around the number, as libphonenumber drops them
    for c in SEPARATORS:
        bare = bare.replace(c, "")
    return bare if re.fullmatch(r"\+?[0-9]+", bare) else None


def other_code_digits(number: str, region: str) -> str | None:
    """README "Phone numbers": numbers of other calling codes than the spec region's are written
    when they have 7 to 17 digits and begin with a calling code that exists (their plans are not
    carried): the digits after + or the
    region's international prefix, None when the number is not one of those."""
    bare = bare_number(number)
    if bare is None:
        return None
    if bare.startswith("+"):
        digits = bare[1:]
    else:
        prefix = phonenumbers.PhoneMetadata.metadata_for_region(region).international_prefix
        m = re.match(prefix, bare) if prefix else None
        if not m or not m.group(0):
            return None
        digits = bare[m.end() :]
    if digits.startswith("0") or digits.startswith(str(phonenumbers.country_code_for_region(region))):
        return None
    code = next((str(c) for c in phonenumbers.COUNTRY_CODE_TO_REGION_CODE if digits.startswith(str(c))), None)
    if code is None:
        return None  # no calling code that exists: libphonenumber refuses it, the number is kept
    rest = digits[len(code) :]
    # "+44 (0) 20 ...", "+7 (8) 701 ...": the national prefix its plan drops after the code, as
    # libphonenumber does (what it reads is the end of what was written)
    with contextlib.suppress(phonenumbers.NumberParseException):
        nsn = phonenumbers.national_significant_number(phonenumbers.parse("+" + digits))
        if nsn and rest != nsn and rest.endswith(nsn):
            digits = code + nsn
    return digits if 7 <= len(digits) <= 17 else None


def out_prefix(region: str) -> str:
    """The international prefix dialled from `region` as formatOutOfCountryCallingNumber writes it
    (digits only: Kazakhstan's 8~10 is 810), "+" where the region has no single one."""
    meta = phonenumbers.PhoneMetadata.metadata_for_region(region)
    prefix = meta.international_prefix or ""
    if not re.fullmatch(r"[0-9]+(?:[~\u2053\u223c\uff5e][0-9]+)?", prefix):
        prefix = meta.preferred_international_prefix or ""
    digits = re.sub(r"[^0-9]", "", prefix)
    return digits or "+"


def parse(number: str, region: str, internal_max_digits: int | None) -> phonenumbers.PhoneNumber | None:
    """The number as libphonenumber reads it with `region`'s plan, or None when the README says it
    stays as it is (words, short internal numbers, letters, '*', '#', an extension)."""
    if any(0xDC80 <= ord(c) <= 0xDCFF for c in number):
        raise Unmodelled("a stray byte in a number")
    bare = bare_number(number)
    if bare is None:
        return None
    limit = internal_max_digits if internal_max_digits is not None else shortest_national(region) - 1
    if not bare.startswith("+") and len(bare) <= limit:
        return None
    try:
        return phonenumbers.parse(bare, region)
    except phonenumbers.NumberParseException:
        return None


def format_number(parsed: Any, fmt: str, region: str) -> str:
    if isinstance(parsed, str):  # the digits of a number of another calling code
        return {"e164": "+", "national": "+", "digits": "", "dial": out_prefix(region)}[fmt] + parsed
    e164 = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
    if fmt == "e164":
        return e164
    if fmt == "digits":
        return e164[1:]
    if fmt == "national":
        if parsed.country_code != phonenumbers.country_code_for_region(region):
            return e164  # a foreign number stays E.164
        national = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.NATIONAL)
        return re.sub(r"[^0-9+]", "", national)
    if fmt == "dial":
        # README "Phone numbers": the digits of formatOutOfCountryCallingNumber from `region`;
        # inside the NANP "1" and the ten digits.
        dialled = phonenumbers.format_out_of_country_calling_number(parsed, region)
        digits = re.sub(r"[^0-9+]", "", dialled)
        if parsed.country_code == 1 and not digits.startswith("1"):
            digits = "1" + digits
        return digits
    raise Unmodelled(f"format {fmt}")


def verdict(number: str, rules: PhoneRules) -> tuple[str, str, phonenumbers.PhoneNumber | None]:
    """(the number after the rewrites, what it is, the parsed number): "kept" (keep, no region,
    words, internal numbers...), "valid" (for its calling code), "invalid" (parses, but the plan
    does not allow it)."""
    number = rewrite(number, rules.rewrites)
    if rules.format == "keep" or rules.region is None:
        return number, "kept", None
    parsed = parse(number, rules.region, rules.internal_max_digits)
    foreign = other_code_digits(number, rules.region)
    if foreign is not None and (parsed is None or parsed.country_code != own_code(rules.region)):
        return number, "valid", foreign  # README: another calling code, 7 to 17 digits: written
    if parsed is None or parsed.country_code != own_code(rules.region):
        return number, "kept", None
    return number, "valid" if phonenumbers.is_valid_number(parsed) else "invalid", parsed


def own_code(region: str) -> int:
    return phonenumbers.country_code_for_region(region)


def normalise(number: str, rules: PhoneRules) -> str:
    """What process_client_phone (process_user_phone, originate) answers for `number`."""
    number, what, parsed = verdict(number, rules)
    if what == "kept" or parsed is None or (what == "invalid" and rules.invalid == "keep"):
        return number
    if what == "invalid":
        # README "Phone numbers": `invalid: normalize` writes it in the format anyway, checking
        # only the spec region's lengths (one of a length the region's plan has no place for
        # stays as it arrived); national and dial as libphonenumber formats such a number.
        assert rules.region is not None
        if parsed.country_code != phonenumbers.country_code_for_region(rules.region):
            raise Unmodelled("invalid: normalize of a number of another calling code")
        nsn = phonenumbers.national_significant_number(parsed)
        meta = phonenumbers.PhoneMetadata.metadata_for_region(rules.region)
        if len(nsn) not in (meta.general_desc.possible_length or ()):
            return number
        e164 = f"+{parsed.country_code}{nsn}"
        if rules.format in ("e164", "digits"):
            return e164 if rules.format == "e164" else e164[1:]
    assert rules.region is not None
    return format_number(parsed, rules.format, rules.region)


def number_text(number: str) -> str | None:
    """The number as README "Phone numbers" reads it (Unicode digits as ASCII, its punctuation as
    spaces, the spaces and marks around it dropped), None when it is not a number."""
    if bare_number(number) is None:
        return None
    return "".join(UNICODE_DIGITS.get(c, " " if c in UNICODE_SEPARATORS else c) for c in number).strip(AROUND)


def last_digits(number: str, n: int) -> str:
    """originate.last_digits: "keep only the last N digits" of the number as normalised.  The
    digits are those README "Phone numbers" reads as digits (ASCII, full-width, Arabic-Indic and
    Eastern Arabic-Indic: a clicked number in those is cut like one in ASCII, and dialled in ASCII);
    every other character goes.  A number without digits (a word) stays as it is, and so does one
    that holds digits of another script (Devanagari...), which the README leaves as it arrived:
    cutting only the digits it can read would dial another number."""
    # README: only a number written as one (digits and the usual separators) is cut; "*72" or a
    # number with an extension stays as it is.
    text = number_text(number)
    if text is None:
        return number
    return "".join(c for c in text if "0" <= c <= "9")[-n:]


def country_of(number: str, rules: PhoneRules, carried: set[int]) -> str:
    """`country:` (README "Conditions"): the region libphonenumber assigns a valid number
    (getRegionCodeForNumber), "unknown" for one that is not valid or not a number at all; a number
    without its country code is read with the rules' region.  The file carries the plans of the
    calling codes in `carried` (the spec region's and the named countries'); a number of another
    code is `unknown`, valid or not (README "Conditions")."""
    if rules.region is None:
        raise Unmodelled("country without a region")
    number = rewrite(number, rules.rewrites)
    parsed = parse(number, rules.region, rules.internal_max_digits)
    digits = other_code_digits(number, rules.region)
    if digits is not None and (parsed is None or parsed.country_code not in carried):
        # README: the file carries no plan for it, and cannot tell a valid number from a garbled one
        return "unknown"
    if parsed is None or not phonenumbers.is_valid_number(parsed):
        return "unknown"
    return phonenumbers.region_code_for_number(parsed) or "unknown"


NUMBER_TYPES = {
    phonenumbers.PhoneNumberType.MOBILE: ("mobile",),
    phonenumbers.PhoneNumberType.FIXED_LINE: ("fixed_line",),
    phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE: ("mobile", "fixed_line"),
    phonenumbers.PhoneNumberType.TOLL_FREE: ("toll_free",),
    phonenumbers.PhoneNumberType.PREMIUM_RATE: ("premium_rate",),
    phonenumbers.PhoneNumberType.VOIP: ("voip",),
}


def types_of(number: str, rules: PhoneRules) -> tuple[str, ...]:
    """`number_type` (README): libphonenumber's type of the number read with the rules' region,
    typed by its own region's plan; another calling code, or a number no plan allows: unknown.
    A plan that cannot tell mobiles from landlines makes a number both."""
    if rules.region is None:
        raise Unmodelled("number_type without a region")
    parsed = parse(rewrite(number, rules.rewrites), rules.region, rules.internal_max_digits)
    if parsed is None or parsed.country_code != phonenumbers.country_code_for_region(rules.region):
        return ("unknown",)
    if not phonenumbers.is_valid_number(parsed):
        return ("unknown",)
    kind = phonenumbers.number_type(parsed)
    if kind not in NUMBER_TYPES:
        raise Unmodelled(f"a number of libphonenumber type {kind}, which number_type does not name")
    return NUMBER_TYPES[kind]


def html_escape(value: str) -> str:
    """htmlspecialchars with quotes: & < > " and ' (as &#039;)."""
    return html.escape(value, quote=True).replace("&#x27;", "&#039;")


YEARS = range(2025, 2033)  # README: the holidays are written for 2025-2032


def calendar_days(items: list[str]) -> set[date]:
    """`off`/`workdays` (README "calendar"): a date YYYY-MM-DD, a day of every year MM-DD, and
    ranges A..B of either (a yearly range may run over New Year: 12-28..01-06)."""
    out: set[date] = set()
    for item in items:
        first, _, last = (p.strip() for p in item.partition(".."))
        last = last or first
        if len(first) == 10:
            a, b = date.fromisoformat(first), date.fromisoformat(last)
            out |= {a + timedelta(n) for n in range((b - a).days + 1)}
            continue
        (m1, d1), (m2, d2) = ((int(x) for x in t.split("-")) for t in (first, last))
        for year in YEARS:
            # every day from (m1, d1) to (m2, d2) of a leap year, then placed in `year`
            start = date(2000, m1, d1)
            end = date(2000 if (m2, d2) >= (m1, d1) else 2001, m2, d2)
            for n in range((end - start).days + 1):
                day = start + timedelta(n)
                with contextlib.suppress(ValueError):  # 02-29 of a year that has none
                    out.add(date(year + day.year - 2000, day.month, day.day))
    return out


def clean_utf8(value: Any) -> Any:
    """A value as a JSON body carries it: each stray byte (U+DC80..U+DCFF) as U+FFFD, valid text
    untouched."""
    if isinstance(value, str):
        return value.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    if isinstance(value, dict):
        return {clean_utf8(k): clean_utf8(v) for k, v in value.items()}
    if isinstance(value, list):
        return [clean_utf8(v) for v in value]
    return value


# --- the model ----------------------------------------------------------------------------------


@dataclass
class Call:
    customization: str
    params: Any
    now: int
    sent: list[tuple[str, str, Any]] = field(default_factory=list)
    headers: list[list[str] | None] = field(default_factory=list)  # None: not modelled
    # spec-language.md "Capture log": the rule that decided (its place in the spec), "default"
    # when none did; in a section whose rules all apply in turn, the last one that held
    decided: str = "default"


class Model:
    def __init__(self, loaded: Any, converts: Callable[[str], bool] | None = None):
        """`converts(path)`: whether record.convert's command, run on the file at `path`, exits 0
        and writes a non-empty file (what the command does is the test's to know; without it a
        conversion of a file that exists is not modelled)."""
        self.spec = loaded.spec
        self.converts = converts
        spec = self.spec
        for key in spec.fields or {}:
            if key not in TABLE:
                raise Unmodelled(f"fields: an override of {key}")
        self.client = self._phone_rules(spec.phones.client if spec.phones else None)
        self.raw_only = False  # client_phone conditions test the number only as sent (a known defect's reading)
        self.user = self._phone_rules(spec.phones.user if spec.phones else None)

    @staticmethod
    def _phone_rules(section: Any) -> PhoneRules | None:
        if section is None:
            return None
        return PhoneRules(
            region=section.region,
            format=section.effective_format(),
            rewrites=tuple((r.match, r.replace) for r in section.rewrite),
            internal_max_digits=section.internal_max_digits,
            invalid=section.invalid,
        )

    # What each customization answers ------------------------------------------------------------

    def reply(self, customization: str, params: Any, now: int) -> Any:
        call = Call(customization, params, now)
        if not isinstance(params, dict):
            raise Unmodelled("input that is not an object")
        section = self.section(customization)
        handler = getattr(self, "_" + customization)
        decided = handler(call, section)
        if self.shadowed(customization):
            return self.pass_through(call)
        return decided

    def decision(self, customization: str, params: Any, now: int) -> Any:
        """What the spec decides (in shadow mode: the capture log's would_reply)."""
        call = Call(customization, params, now)
        return getattr(self, "_" + customization)(call, self.section(customization))

    def decided_by(self, customization: str, params: Any, now: int) -> str:
        """The capture log's decided_by: the rule's place, "default" when no rule decided."""
        call = Call(customization, params, now)
        getattr(self, "_" + customization)(call, self.section(customization))
        return call.decided

    def section(self, customization: str) -> Any:
        if customization in ("process_client_phone", "process_user_phone"):
            phones = self.spec.phones
            return getattr(phones, customization.split("_")[1]) if phones is not None else None
        name = SECTION_OF.get(customization)
        return getattr(self.spec, name) if name else None

    def shadowed(self, customization: str) -> bool:
        """`shadow: true` at the top or in the section; a section's own `shadow` wins (README
        "Trying a spec on a live server": `final_params: {shadow: false}` acts)."""
        section = self.section(customization)
        own = getattr(section, "shadow", None) if section is not None else None
        return bool(self.spec.shadow if own is None else own)

    def pass_through(self, call: Call) -> Any:
        """README "Pass-through": the documented reply keys; need_registration registers,
        post_registration answers only state."""
        if call.customization == "need_registration":
            return self.ok({"result": True})
        if call.customization == "post_registration":
            return {"state": "success"}
        return self.passthrough(call)

    @staticmethod
    def ok(data: Any) -> dict[str, Any]:
        return {"state": "success", "data": data}

    def passthrough(self, call: Call) -> dict[str, Any]:
        params = call.params
        if call.customization == "process_record_file_path":
            return self.ok({k: v for k, v in params.items() if k not in CONTEXT})
        source = params
        if call.customization == "process_originate_params" and isinstance(params.get("params"), dict):
            source = params["params"]
        return self.ok({k: source[k] for k in REPLY_KEYS[call.customization] if k in source})

    def _need_registration(self, call: Call, section: Any) -> Any:
        if section is None:
            return self.ok({"result": True})
        for i, rule in enumerate(section.rules):
            if self.holds(rule.when, call):
                call.decided = f"registration.rules[{i}]"
                return self.ok({"result": rule.then == "register"})
        return self.ok({"result": section.default == "register"})

    def _phone(self, call: Call, rules: PhoneRules | None) -> Any:
        reply = self.passthrough(call)
        phone = call.params.get("phone")
        if rules is None or not isinstance(phone, str):
            if rules is not None and "phone" in call.params:
                raise Unmodelled("a phone that is not text")
            return reply
        reply["data"]["phone"] = normalise(phone, rules)
        return reply

    def _process_client_phone(self, call: Call, section: Any) -> Any:
        return self._phone(call, self.client)

    def _process_user_phone(self, call: Call, section: Any) -> Any:
        return self._phone(call, self.user)

    def _params_section(self, call: Call, section: Any) -> Any:
        if section is None:
            return self.passthrough(call)
        reply = self.passthrough(call)
        data = reply["data"]
        self._apply(section.set, call, data)
        for i, rule in enumerate(section.rules):
            if self.holds(rule.when, call):
                call.decided = f"{SECTION_OF[call.customization]}.rules[{i}]"
                if rule.cancels():
                    return self.ok({})
                self._apply(rule.set, call, data)
        return reply

    _process_registration_params = _params_section
    _process_final_params = _params_section
    _customize_entity = _params_section
    _customize_activity = _params_section

    def _customize_show_call_card(self, call: Call, section: Any) -> Any:
        if section is not None and section.show_on is not None:
            # spec-language.md: "stages on which the card is shown; on other stages the file
            # cancels the card request (empty data)"
            stages = self.texts("stage", call)
            if not stages:
                raise Unmodelled("call_card.show_on on a call without a stage")
            if not any(stage in section.show_on for stage in stages):
                return self.ok({})
        return self._params_section(call, section)

    def _customize_attach_record_url(self, call: Call, section: Any) -> Any:
        reply = self._params_section(call, section)
        if section is None or not reply["data"]:
            return reply
        for key in ("DESCRIPTION", "DESCRIPTION_TYPE"):
            if key in section.set or any(key in rule.set for rule in section.rules):
                raise Unmodelled(f"record_link.description beside a set of {key}")
        kind = section.description_type if section.description_type is not None else 3
        if section.description is not None:
            # README: "In an HTML record link the values are HTML-escaped" (3, HTML, is the
            # default type); in text (1) and BBCode (2) they go as they are, a stray byte as U+FFFD
            # (a reply the connector's JSON cannot carry would break the call).
            escape = html_escape if kind == 3 else clean_utf8
            reply["data"]["DESCRIPTION"] = "".join(
                part if isinstance(part, str) else escape(self.placeholder(part, call))
                for part in placeholders.parse(section.description)
            )
        if section.description_type is not None:
            reply["data"]["DESCRIPTION_TYPE"] = section.description_type
        return reply

    def _customize_autodistribution(self, call: Call, section: Any) -> Any:
        reply = self._params_section(call, section)
        if section is None or section.callerid_name is None or not reply["data"]:
            return reply
        if "name" in section.set or any("name" in rule.set for rule in section.rules):
            raise Unmodelled("callerid_name beside a set of name")
        parts = placeholders.parse(section.callerid_name)
        values = [self.placeholder(part, call) for part in parts if not isinstance(part, str)]
        if not values:
            raise Unmodelled("callerid_name without placeholders")
        if all(v == "" for v in values):
            # README: every placeholder empty: the connector's own name stays (cut like any
            # CallerID name: "always cut to 20 characters")
            name = reply["data"].get("name")
            if not isinstance(name, str):
                return reply
        else:
            name = "".join(part if isinstance(part, str) else values.pop(0) for part in parts)
        if any(0xDC80 <= ord(c) <= 0xDCFF for c in name):
            raise Unmodelled("a stray byte in a CallerID name")
        # spec-language.md: control characters, CR/LF and '"' removed, then cut to 20 characters
        name = "".join(c for c in name if c != '"' and ord(c) >= 0x20 and ord(c) != 0x7F)
        reply["data"]["name"] = name[:20]
        return reply

    def _process_task_creation_params(self, call: Call, section: Any) -> Any:
        reply = self.passthrough(call)
        if section is None:
            return reply
        fields = reply["data"].get("fields")
        if not isinstance(fields, dict):
            raise Unmodelled("task fields that are not an object")
        fields = dict(fields)
        reply["data"]["fields"] = fields
        # README "Sections": tasks sets task `fields`; set on every call, then every matching rule
        self._apply(section.set, call, fields)
        for i, rule in enumerate(section.rules):
            if self.holds(rule.when, call):
                call.decided = f"tasks.rules[{i}]"
                if rule.cancels():
                    return self.ok({})
                self._apply(rule.set, call, fields)
        if section.deadline_hours is not None:
            if "DEADLINE" in section.set or any("DEADLINE" in rule.set for rule in section.rules):
                raise Unmodelled("deadline_hours beside a set of DEADLINE")
            fields["DEADLINE"] = self.deadline(fields.get("DEADLINE"), section, call)
        return reply

    def deadline(self, sent: Any, section: Any, call: Call) -> str:
        """README: DEADLINE = now + N h, written in the notation the connector sent (ISO with its
        offset; Y-m-d H:i:s or d.m.Y H:i:s in the section's or the spec's timezone)."""
        at = datetime.fromtimestamp(call.now, UTC) + timedelta(hours=section.deadline_hours)
        if not isinstance(sent, str):
            raise Unmodelled("a DEADLINE that is not text")
        m = re.fullmatch(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}([+-]\d{2}):(\d{2})", sent)
        if m:
            sign = -1 if m.group(1)[0] == "-" else 1
            offset = timedelta(hours=int(m.group(1)[1:]), minutes=int(m.group(2))) * sign
            local = at.astimezone(timezone(offset))
            return local.strftime("%Y-%m-%dT%H:%M:%S") + m.group(1) + ":" + m.group(2)
        zone_name = section.timezone or self.spec.timezone
        if zone_name is None:
            raise Unmodelled("a deadline without a timezone")
        local = at.astimezone(ZoneInfo(zone_name))
        if re.fullmatch(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}", sent):
            return local.strftime("%Y-%m-%d %H:%M:%S")
        if re.fullmatch(r"\d{2}\.\d{2}\.\d{4} \d{2}:\d{2}:\d{2}", sent):
            return local.strftime("%d.%m.%Y %H:%M:%S")
        raise Unmodelled(f"a DEADLINE written {sent!r}")

    def _process_record_file_path(self, call: Call, section: Any) -> Any:
        reply = self.passthrough(call)
        if section is None:
            return reply
        path = reply["data"].get("path")
        if not isinstance(path, str):
            raise Unmodelled("a record path that is not text")
        if any(0xDC80 <= ord(c) <= 0xDCFF for c in path):
            raise Unmodelled("a stray byte in a record path")
        # README "Sections": record: path rewrites, in order
        path = rewrite(path, tuple((r.match, r.replace) for r in section.rewrite))
        if section.convert is not None:
            call.decided = "record.convert"
            if not self.shadowed(call.customization):  # README: in shadow "a recording is not converted"
                path = self.convert(path, section.convert)
        reply["data"]["path"] = path
        return reply

    def convert(self, path: str, convert: Any) -> str:
        """README "Sections", record.convert: the command makes `<path without its extension>.<ext>`
        from the recording; the converted path when it exits 0 and writes a non-empty file, else
        (it fails, writes nothing, the recording is not there, or is not a file) the original."""
        target = re.sub(r"\.[^./]*$", "", path) + "." + convert.extension
        if target == path or not os.path.isfile(path):
            return path
        if self.converts is None:
            raise Unmodelled("record.convert of a file that exists, without knowing the command")
        return target if self.converts(path) else path

    def _post_registration(self, call: Call, section: Any) -> Any:
        hook = section.webhook if section is not None else None
        if hook is not None and self.holds(hook.when, call):
            call.decided = "post_registration.webhook"
            url = "".join(
                # URL-encoding is of bytes: a stray byte goes as %XX
                part
                if isinstance(part, str)
                else urllib.parse.quote(self.placeholder(part, call), safe="", errors="surrogateescape")
                for part in placeholders.parse(hook.url)
            )
            headers: list[str] | None = None
            if hook.body is not None:
                body: Any = self.text_body(hook, call)
                headers = self.hook_headers(hook, call)
            elif hook.json_ is not None:
                body = clean_utf8(self.value(hook.json_, call))  # JSON is UTF-8: a stray byte is U+FFFD
            elif hook.method == "GET":
                body = ""
            else:
                body = clean_utf8(call.params)
            call.sent.append((hook.method, url, body))
            call.headers.append(headers)
        return {"state": "success"}

    @staticmethod
    def body_type(hook: Any) -> tuple[str, bool]:
        """README "Sections", post_registration: a text body's Content-Type is the one `headers`
        gives, else application/json when it starts with { or [, else text/plain; charset=utf-8.
        (the media type, whether the file adds it)"""
        given = [v for k, v in hook.headers.items() if k.lower() == "content-type"]
        if given:
            return given[0], False
        first = hook.body.lstrip()[:1]
        return ("application/json" if first in ("{", "[") else "text/plain; charset=utf-8"), True

    def text_body(self, hook: Any, call: Call) -> Any:
        """The body's placeholders escaped for its type: JSON string characters for JSON,
        URL-encoding for x-www-form-urlencoded, as they are otherwise."""
        media = self.body_type(hook)[0].lower()
        out = []
        for part in placeholders.parse(hook.body):
            if isinstance(part, str):
                out.append(part)
                continue
            value = self.placeholder(part, call)
            # A stray byte: U+FFFD in JSON (which is UTF-8 text), %XX in a form (URL-encoding is
            # of bytes), as it is in any other text ("values as they are")
            if "json" in media:
                value = json.dumps(clean_utf8(value), ensure_ascii=False)[1:-1]
            elif "x-www-form-urlencoded" in media:
                value = urllib.parse.quote(value, safe="", errors="surrogateescape")
            out.append(value)
        text_value = "".join(out)
        if "json" in media:
            try:
                return json.loads(text_value)  # compared as JSON: how a character is escaped is free
            except ValueError:
                raise Unmodelled("a JSON body that the placeholders' values make invalid") from None
        return text_value

    def hook_headers(self, hook: Any, call: Call) -> list[str]:
        """The spec's headers with their placeholders filled (a line break would end the header:
        CR/LF and every other control character but tab, C1 controls and U+2028/U+2029 become spaces),
        and the Content-Type the file adds."""
        out = []
        for name, template in hook.headers.items():
            value = self.fill(template, call)  # a stray byte goes as it is (obs-text)
            out.append(f"{name}: " + re.sub(r"[\x00-\x08\x0a-\x1f\x7f\x80-\x9f\u2028\u2029]", " ", value))
        media, added = self.body_type(hook)
        if added:
            out.append(f"Content-Type: {media}")
        return out

    def webhooks(self, customization: str, params: Any, now: int) -> list[tuple[str, str, Any]]:
        """The requests the file sends for this call: (method, URL, body as a JSON value); none in
        shadow mode (README: "a webhook is not sent")."""
        return self.requests(customization, params, now).sent

    def requests(self, customization: str, params: Any, now: int) -> Call:
        call = Call(customization, params, now)
        if customization == "post_registration" and isinstance(params, dict) and not self.shadowed(customization):
            self._post_registration(call, self.spec.post_registration)
        return call

    def _process_originate_params(self, call: Call, section: Any) -> Any:
        reply = self.passthrough(call)
        if section is None:
            return reply
        data = reply["data"]
        number = data.get("extension")
        if not isinstance(number, str):
            raise Unmodelled("a clicked number that is not text")
        rules = self.originate_rules(section)
        number = normalise(number, rules)
        read = bare_number(number)
        if section.last_digits:
            number = last_digits(number, section.last_digits)
        # README: the prefix goes before a number written as one (not "anonymous", "+49...", "*72"),
        # dialled as it is read (without the spaces and marks around it, in ASCII digits).
        if section.prefix and read is not None and (section.last_digits or not read.startswith("+")):
            number = section.prefix + (number_text(number) or number)
        data["extension"] = number
        for i, rule in enumerate([None, *section.rules]):
            when_set = (section.set, None) if rule is None else (rule.set, rule)
            values, this = when_set
            if this is not None:
                if not self.holds(this.when, call):
                    continue
                call.decided = f"originate.rules[{i - 1}]"
                if this.cancels():
                    return self.ok({})
            self._apply(values, call, data)
        return reply

    def originate_rules(self, section: Any) -> PhoneRules:
        return PhoneRules(
            region=section.region or (self.client.region if self.client else None),
            format=section.format,
            rewrites=tuple((r.match, r.replace) for r in section.rewrite),
            internal_max_digits=section.internal_max_digits,
            invalid=section.invalid,
        )

    def phone_of(self, customization: str, params: Any) -> tuple[PhoneRules, str] | None:
        """The number a phone customization formats, and the rules it follows (None: none)."""
        if not isinstance(params, dict):
            return None
        if customization == "process_originate_params" and self.spec.originate is not None:
            inner = params.get("params") if isinstance(params.get("params"), dict) else params
            number = inner.get("extension")
            return (self.originate_rules(self.spec.originate), number) if isinstance(number, str) else None
        rules = {"process_client_phone": self.client, "process_user_phone": self.user}.get(customization)
        number = params.get("phone")
        return (rules, number) if rules is not None and isinstance(number, str) else None

    # Set values ---------------------------------------------------------------------------------

    def _apply(self, values: dict[str, Any], call: Call, data: dict[str, Any]) -> None:
        for key, value in values.items():
            data[key] = self.value(value, call)

    def value(self, value: Any, call: Call) -> Any:
        """A `set` value at call time: texts with their placeholders filled, lists and maps
        member by member, other scalars as they are."""
        if isinstance(value, str):
            # A filled text goes into a reply: a stray byte becomes U+FFFD (the connector could not
            # encode the reply as JSON otherwise, and the call would break).
            return clean_utf8(self.fill(value, call))
        if isinstance(value, list):
            return [self.value(v, call) for v in value]
        if isinstance(value, dict):
            return {k: self.value(v, call) for k, v in value.items()}
        return value

    def fill(self, template: str, call: Call) -> str:
        out = []
        for part in placeholders.parse(template):
            if isinstance(part, str):
                out.append(part)
            else:
                out.append(self.placeholder(part, call))
        return "".join(out)

    def placeholder(self, part: Any, call: Call) -> str:
        """The text of one placeholder: the first value found, "" when none."""
        if part.rest:
            # spec-language.md: `{a ?? b ?? c}`: the first alternative that has a value
            for option in part.options:
                value = self.placeholder(option, call)
                if value != "":
                    return value
            return ""
        if part.path is not None:
            found = walk(call.params, list(part.path))
            first = next((v for v in found if v is not None), None)
            return self.scalar(first)
        key = part.key
        if key in ("start_time", "answer_time", "end_time"):
            return self.time_text(key, part.format, call)
        if key == "duration":
            return str(self.seconds(call))
        if key == "client_phone":
            first = self.first("client_phone", call)
            if first == "" or self.client is None:
                return first
            return normalise(first, self.client)
        return self.first(key, call)

    def first(self, key: str, call: Call) -> str:
        for value in self.values(key, call):
            if value is not None and value != "":
                return self.scalar(value)
        return ""

    @staticmethod
    def scalar(value: Any) -> str:
        if value is None:
            return ""
        if isinstance(value, (bool, float, dict, list)):
            raise Unmodelled(f"a placeholder whose value is a {type(value).__name__}")
        return str(value)

    # Times --------------------------------------------------------------------------------------

    def zone(self) -> ZoneInfo:
        if self.spec.timezone is None:
            raise Unmodelled("times without the spec's timezone")
        return ZoneInfo(self.spec.timezone)

    def moment(self, key: str, call: Call) -> datetime | None:
        """The first value of a time key as an aware datetime in the spec's zone (None: unset)."""
        text_value = self.first(key if key != "start_time" else "start_time", call) if key in TABLE else ""
        if key not in TABLE:
            found = [v for v in self.values_of_time(key, call) if v not in (None, "")]
            text_value = self.scalar(found[0]) if found else ""
        if text_value == "" or text_value.startswith("0001-01-01"):
            return None
        zone = self.zone()
        m = re.fullmatch(r"(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})(Z|[+-]\d{2}:?\d{2})?", text_value)
        if not m:
            raise Unmodelled(f"a time written {text_value!r}")
        naive = datetime(*(int(g) for g in m.groups()[:6]))
        if m.group(7):
            aware = datetime.fromisoformat(text_value.replace("Z", "+00:00").replace(" ", "T"))
            return aware.astimezone(zone)
        return naive.replace(tzinfo=zone)

    def values_of_time(self, key: str, call: Call) -> list[Any]:
        paths = {
            "start_time": ["CALL_START_DATE", "call_full.channel.start_time"],
            "answer_time": ["call_full.channel.answer_time"],
            "end_time": ["call_full.channel.end_time"],
        }[key]
        out: list[Any] = []
        for path in paths:
            out += walk(call.params, path.split("."))
        return out

    def time_text(self, key: str, fmt: str | None, call: Call) -> str:
        moment = self.moment(key, call)
        if moment is None:
            return ""
        if fmt is None:
            return moment.isoformat()
        letters = {
            "d": "%d", "j": str(moment.day), "m": "%m", "n": str(moment.month), "Y": "%Y", "y": "%y",
            "H": "%H", "G": str(moment.hour), "i": "%M", "s": "%S", "D": "%a", "M": "%b",
        }  # fmt: skip
        return "".join(moment.strftime(letters[c]) if c in letters else c for c in fmt)

    def seconds(self, call: Call) -> int:
        """Talk seconds: DURATION, else the channel's end minus answer time; 0 unanswered."""
        found = self.values("duration", call)
        if found:
            value = found[0]
            if isinstance(value, bool) or not isinstance(value, int):
                raise Unmodelled("DURATION that is not a whole number")
            return value
        answer = [v for v in walk(call.params, ["call_full", "channel", "answer_time"]) if isinstance(v, str)]
        end = [v for v in walk(call.params, ["call_full", "channel", "end_time"]) if isinstance(v, str)]
        if not answer or not end or answer[0].startswith("0001-01-01") or end[0].startswith("0001-01-01"):
            return 0
        fmt = "%Y-%m-%d %H:%M:%S"
        try:
            delta = datetime.strptime(end[0], fmt) - datetime.strptime(answer[0], fmt)
        except ValueError:
            raise Unmodelled("channel times in another notation") from None
        return max(0, int(delta.total_seconds()))

    # Conditions ---------------------------------------------------------------------------------

    def values(self, key: str, call: Call) -> list[Any]:
        """Every value the README's table finds for `key`, in order."""
        params = call.params
        direction = None
        out: list[Any] = []
        for path, pick, dirs, only, every in self.sources(key):
            if only is not None and call.customization not in only:
                continue
            if dirs is not None:
                if direction is None:
                    found = [text(v) for v in walk(params, ["call_full", "channel", "type"])]
                    direction = found[0] if found else ""
                if direction not in dirs:
                    continue
            for value in walk(params, path.split(".")):
                if pick is None:
                    out.append(value)
                    continue
                if not isinstance(value, dict):
                    continue
                for name in pick:
                    if name in value and value[name] not in (None, ""):
                        out.append(value[name])
                        if not every:
                            break
        if key == "direction" and call.customization == "process_registration_params":
            for value in walk(params, ["TYPE"]):
                mapped = {"1": "outgoing", "2": "incoming"}.get(text(value) or "")
                if mapped:
                    out.append(mapped)
        return out

    def sources(self, key: str) -> list[tuple[str, Any, Any, Any, bool]]:
        """README "Where each condition key ... reads its value": a `fields:` override's paths are
        tried before the table's general sources, which stay; `{replace: [...]}` reads only the
        paths given.  The sources that read a customization's own input (the table's `[only …]`
        rows) stay first either way."""
        table = TABLE[key]
        fields = self.spec.fields or {}
        # the number as sent is the same number: client_phone's override moves it too
        override = fields.get(key, fields.get("client_phone") if key == "client_phone.raw" else None)
        if override is None:
            return table
        replacing = not isinstance(override, list)
        paths = list(override.replace) if replacing else list(override)
        own = [row for row in table if row[3] is not None]
        general = [row for row in table if row[3] is None]
        given = [(path, None, None, None, False) for path in paths]
        return own + given + ([] if replacing else general)

    def texts(self, key: str, call: Call) -> list[str]:
        return [t for t in (text(v) for v in self.values(key, call)) if t is not None and t != ""]

    @staticmethod
    def matches(match: Any, candidates: list[str]) -> bool:
        for candidate in candidates:
            if candidate in match.values:
                return True
            for pattern in match.regexes:
                if pcre(pattern).search(candidate):
                    return True
        return False

    def named_codes(self) -> set[int]:
        """The calling codes of every country the spec's `country` conditions name."""
        found: set[int] = set()

        def visit(value: Any) -> None:
            if isinstance(value, dict):
                for key, item in value.items():
                    if key == "country" and item:
                        for code in item if isinstance(item, (list, tuple)) else [item]:
                            if code != "unknown":
                                found.add(phonenumbers.country_code_for_region(code))
                    else:
                        visit(item)
            elif isinstance(value, (list, tuple)):
                for item in value:
                    visit(item)

        visit(self.spec.model_dump(by_alias=True, exclude_none=True))
        return found

    def number_rules(self, call: Call) -> PhoneRules | None:
        """How the client's number is read: originate's rules (its region first) in click-to-call,
        phones.client elsewhere (README "Conditions")."""
        if call.customization == "process_originate_params" and self.spec.originate is not None:
            return self.originate_rules(self.spec.originate)
        return self.client

    def holds(self, when: Any, call: Call) -> bool:
        if when.country is not None or when.number_type is not None:
            rules = self.number_rules(call)
            numbers = self.texts("client_phone", call)
            if any(0xDC80 <= ord(c) <= 0xDCFF for r in numbers for c in r):
                raise Unmodelled("a stray byte in the client's number")
            if rules is None or rules.region is None:
                raise Unmodelled("country or number_type without a region")
            if when.country is not None:
                # README: a condition holds when any value found matches; no number is unknown
                carried = {own_code(rules.region)} | self.named_codes()
                countries = [country_of(n, rules, carried) for n in numbers] or ["unknown"]
                if not any(c in when.country for c in countries):
                    return False
            if when.number_type is not None:
                kinds = [k for n in numbers for k in types_of(n, rules)] or ["unknown"]
                if not any(k in when.number_type for k in kinds):
                    return False
        raw = when.client_phone_raw
        if raw is not None and not self.matches(raw, self.texts("client_phone.raw", call)):
            return False
        if (when.hours is not None or when.days is not None) and not self._in_hours(when, call):
            return False
        if when.direction is not None and not any(v in when.direction for v in self.texts("direction", call)):
            return False
        if when.stage is not None and not any(v in when.stage for v in self.texts("stage", call)):
            return False
        for key in ("extension", "trunk", "line", "status"):
            match = getattr(when, key)
            if match is not None and not self.matches(match, self.texts(key, call)):
                return False
        if when.client_phone is not None:
            raw = self.texts("client_phone", call)
            if any(0xDC80 <= ord(c) <= 0xDCFF for r in raw for c in r):
                raise Unmodelled("a stray byte in the client's number")
            written = self.client
            if call.customization == "process_originate_params" and self.spec.originate is not None:
                # README: in originate rules the written form is the clicked number in E.164
                written = replace(self.originate_rules(self.spec.originate), format="e164")
            both = raw + ([normalise(r, written) for r in raw] if written and not self.raw_only else [])
            match = when.client_phone
            if written and not self.raw_only and match.values:
                # README "Numbers in conditions": the spec's exact values are compared in both
                # forms too ("71 234-56-78" matches +998712345678)
                values = tuple(match.values) + tuple(normalise(v, written) for v in match.values)
                match = SimpleNamespace(values=values, regexes=match.regexes)
            if not self.matches(match, both):
                return False
        for key in ("answered", "is_ivr"):
            wanted = getattr(when, key)
            if wanted is not None:
                found = self.values(key, call)
                if not any(v is wanted for v in found):
                    if any(not isinstance(v, bool) for v in found):
                        raise Unmodelled(f"{key} that is not a JSON boolean")
                    return False
        if when.field is not None:
            for condition in when.field:
                if not self._field(condition, call):
                    return False
        if when.duration is not None and not self._duration(when.duration, call):
            return False
        if when.not_ is not None and self.holds(when.not_, call):
            return False
        return not (when.any_ is not None and not any(self.holds(w, call) for w in when.any_))

    def _field(self, condition: Any, call: Call) -> bool:
        found = [text(v) for v in walk(call.params, list(condition.keys()))]
        candidates = [f for f in found if f is not None]
        if condition.in_ is not None:
            wanted = {text(v) for v in condition.in_}
            return any(c in wanted for c in candidates)
        return any(pcre(condition.regex).search(c) for c in candidates)

    def _duration(self, duration: Any, call: Call) -> bool:
        seconds = self.seconds(call)
        return all(
            {"==": seconds == n, ">=": seconds >= n, ">": seconds > n, "<=": seconds <= n, "<": seconds < n}[op]
            for op, n in duration.tests()
        )

    def _judged_moment(self, hours: Any, call: Call) -> datetime:
        """The moment hours, days and schedules judge (README): the call's start, CALL_START_DATE
        else call_full.channel.start_time (read in the spec's timezone unless it has its own
        offset); the moment the file runs with `at: now` or when the input has no start."""
        if getattr(hours, "at", None) != "now":
            for value in self.values_of_time("start_time", call):
                if isinstance(value, str) and value and not value.startswith("0001-01-01"):
                    m = re.fullmatch(r"(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})(Z|[+-]\d{2}:?\d{2})?", value)
                    if not m:
                        raise Unmodelled(f"a start time written {value!r}")
                    if m.group(7):
                        return datetime.fromisoformat(value.replace("Z", "+00:00").replace(" ", "T"))
                    return datetime(*(int(g) for g in m.groups()[:6]), tzinfo=self.zone())
                if value not in (None, ""):
                    raise Unmodelled("a start time that is not text")
        return datetime.fromtimestamp(call.now, UTC)

    def _calendar(self) -> tuple[set[date], set[date]]:
        """Days off and weekend days worked: the `holidays` package's public holidays and
        transfers of the spec's country, then the spec's own."""
        cal = self.spec.calendar
        off: set[date] = set()
        on: set[date] = set()
        if cal is None:
            return off, on
        # README "calendar": a country, an ISO 3166-2 subdivision (DE-BY) or a list of them
        for code in [cal.holidays] if isinstance(cal.holidays, str) else list(cal.holidays or ()):
            country, _, subdivision = code.partition("-")
            days = holidays.country_holidays(country, subdiv=subdivision or None, years=YEARS)
            off |= set(days.keys())
            on |= set(getattr(days, "weekend_workdays", ()))
        off |= calendar_days(cal.off)
        on |= calendar_days(cal.workdays)
        return off - on, on

    def _in_schedule(self, name: str, today: date, minute: int) -> bool:
        """A named schedule: each day's windows; a day off has none, a weekend day worked has
        Monday's; a window that crosses midnight belongs to the day it starts."""
        if not 2025 <= today.year <= 2032:
            raise Unmodelled("a date outside the calendar's years")
        off, on = self._calendar()
        windows: dict[int, list[tuple[int, int]]] = {}
        for key, value in (self.spec.schedules or {})[name].items():
            for day in schedule_days(key):
                windows[day] = [_parse_window(w) for w in (value if isinstance(value, list) else [value])]

        def of(day: date) -> list[tuple[int, int]]:
            if day in off:
                return []
            return windows.get(1 if day in on else day.isoweekday(), [])

        for start, end in of(today):
            if (start < end and start <= minute < end) or (start > end and minute >= start):
                return True
        return any(start > end and minute < end for start, end in of(today - timedelta(days=1)))

    def _in_hours(self, when: Any, call: Call) -> bool:
        hours = when.hours
        zone = (hours.timezone if hours is not None else None) or when.timezone or self.spec.timezone
        if zone is None:
            raise Unmodelled("hours without a timezone")
        local = self._judged_moment(hours, call).astimezone(ZoneInfo(zone))
        minute = local.hour * 60 + local.minute
        weekday = local.isoweekday()
        if hours is not None and hours.schedule:
            return self._in_schedule(hours.schedule, local.date(), minute)
        days = tuple(hours.days or ()) if hours is not None else ()
        if when.days:
            days = tuple(when.days)
        names = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
        windows = hours.minutes() if hours is not None else [(0, 24 * 60)]
        for start, end in windows:
            if start < end:
                if start <= minute < end and (not days or names[weekday - 1] in days):
                    return True
            else:  # crosses midnight: belongs to the day it starts
                if minute >= start and (not days or names[weekday - 1] in days):
                    return True
                if minute < end and (not days or names[(weekday - 2) % 7] in days):
                    return True
        return False
