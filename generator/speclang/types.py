"""The spec language's shared types: conditions, rules, values, and their validation.

The key names are a public contract (docs/design/spec-language.md): never rename one.  Every
model forbids unknown keys, so a misspelt key is an error with its line and column instead of a
silently ignored setting.  Values that may be written several ways (a string or a list, a regex
object) are normalised by validators rather than by unions, so that one mistake gives one message.
"""

from __future__ import annotations

import difflib
import functools
import re
import typing
import zoneinfo
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationInfo,
    WithJsonSchema,
    field_validator,
    model_serializer,
    model_validator,
)

from generator.speclang import days, placeholders

STAGES = ("conversation_requested", "conversation_accepted", "conversation_ended", "call_ended")
DIRECTIONS = ("incoming", "outgoing", "local", "unknown")
NUMBER_TYPE_NAMES = ("mobile", "fixed_line", "toll_free", "premium_rate", "voip", "unknown")
FORMATS = ("e164", "national", "digits", "keep")
PHP_VERSIONS = (
    "5.2",
    "5.3",
    "5.4",
    "5.5",
    "5.6",
    "7.0",
    "7.1",
    "7.2",
    "7.3",
    "7.4",
    "8.0",
    "8.1",
    "8.2",
    "8.3",
    "8.4",
    "8.5",
)
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
CALLERID_LIMIT = 20  # Asterisk's limit on the CallerID name, in characters


def _choices(annotation: Any) -> tuple[str, ...]:
    """The fixed words a field allows (`Literal["start", "now"]`, also inside `| None` or a tuple)."""
    if typing.get_origin(annotation) is Literal:
        return tuple(a for a in typing.get_args(annotation) if isinstance(a, str))
    return tuple(c for arg in typing.get_args(annotation) for c in _choices(arg))


def fold_case(value: Any, choices: tuple[str, ...]) -> Any:
    """A fixed word written in another case (`at: NOW`, `direction: Incoming`) is that word, as country
    and holiday codes are read in any case: the meaning is the same, so refusing it helps nobody."""
    if isinstance(value, list):
        return [fold_case(v, choices) for v in value]
    if isinstance(value, str) and value not in choices:
        same = [c for c in choices if c.lower() == value.strip().lower()]
        if len(same) == 1:
            return same[0]
    return value


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    @field_validator("*", mode="before")
    @classmethod
    def _any_case(cls, value: Any, info: ValidationInfo) -> Any:
        field = cls.model_fields.get(info.field_name or "")
        choices = _choices(field.annotation) if field is not None else ()
        return fold_case(value, choices) if choices else value


class Section(Strict):
    """What every customization's section may say besides its own keys."""

    shadow: bool | None = Field(
        default=None,
        description="true: this file decides and logs as usual, but answers as the pass-through "
        "(default: the spec's `shadow`)",
    )


# --- small value types ---------------------------------------------------------------------


def _check_regex(pattern: str) -> str:
    # Whether the pattern compiles is decided in one place, generator/speclang/pcre.py, by PHP's own
    # PCRE (Python's re when no php is installed), for every regex of the spec at once.
    if "\x00" in pattern:
        raise ValueError("a regex may not contain a NUL character (write \\x00 instead)")
    return pattern


Regex = Annotated[str, AfterValidator(_check_regex)]


def _check_template(text: str) -> str:
    try:
        placeholders.parse(text)
    except placeholders.TemplateError as exc:
        raise ValueError(str(exc)) from None
    return text


Template = Annotated[str, AfterValidator(_check_template)]


def _check_timezone(name: str) -> str:
    # A zone name is a short IANA name; anything else never reaches the file system (a 1 MB name
    # would, through zoneinfo).
    if len(name) <= 64 and re.fullmatch(r"[A-Za-z0-9_+\-]+(/[A-Za-z0-9_+\-]+)*", name):
        try:
            zoneinfo.ZoneInfo(name)
            return name
        except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):
            pass
    shown = name if len(name) <= 64 else name[:40] + "..."
    close = difflib.get_close_matches(name[:64], _zone_names(), n=1, cutoff=0.6)
    if not close and len(name) <= 64:
        # "moscow", "Europe/moscow": compare without case, and by the city alone
        lowered = {z.lower(): z for z in _zone_names()}
        city = {z.rsplit("/", 1)[-1].lower(): z for z in _zone_names()}
        key = name.lower()
        close = [lowered.get(key) or city.get(key.rsplit("/", 1)[-1]) or ""]
        close = [c for c in close if c]
    hint = f"; did you mean {close[0]}?" if close else ": use an IANA name such as Europe/Moscow or UTC"
    raise ValueError(f"unknown timezone {shown!r}{hint}")


@functools.lru_cache(maxsize=1)
def _zone_names() -> list[str]:
    return sorted(zoneinfo.available_timezones())


TimeZone = Annotated[str, AfterValidator(_check_timezone)]


def _check_region(code: str) -> str:
    import phonenumbers

    upper = code.upper()
    if upper not in phonenumbers.SUPPORTED_REGIONS:
        import difflib

        close = difflib.get_close_matches(upper, sorted(phonenumbers.SUPPORTED_REGIONS), n=3)
        hint = f" (did you mean {', '.join(close)}?)" if close else ""
        raise ValueError(f"unknown region {code!r}: use an ISO 3166 code that libphonenumber knows{hint}")
    return upper


Region = Annotated[str, AfterValidator(_check_region)]

UNKNOWN_COUNTRY = "unknown"


@functools.lru_cache(maxsize=1)
def _country_names() -> dict[str, str]:
    """English country name (lower case) -> ISO 3166-1 code, for libphonenumber's regions."""
    import phonenumbers
    from phonenumbers.geocoder import _region_display_name

    return {
        _region_display_name(r, "en").lower(): r
        for r in phonenumbers.SUPPORTED_REGIONS
        if _region_display_name(r, "en")
    }


def _check_country(value: Any) -> Any:
    """`country: AT` or a list: ISO 3166-1 codes as libphonenumber assigns them, or `unknown`."""
    import phonenumbers

    items = value if isinstance(value, list) else [value]
    if not items:
        raise ValueError("an empty list matches no country")
    out = []
    for item in items:
        if not isinstance(item, str):
            raise ValueError(f"{item!r} is not a country: write an ISO 3166-1 code such as AT, or unknown")
        code = item.strip()
        if code.lower() == UNKNOWN_COUNTRY:
            out.append(UNKNOWN_COUNTRY)
            continue
        if code.upper() in phonenumbers.SUPPORTED_REGIONS:
            out.append(code.upper())
            continue
        named = _country_names().get(code.lower())
        close = (
            [named] if named else difflib.get_close_matches(code.upper(), sorted(phonenumbers.SUPPORTED_REGIONS), n=3)
        )
        if not close:
            close = [_country_names()[n] for n in difflib.get_close_matches(code.lower(), list(_country_names()), n=3)]
        if not close and code.lower() != UNKNOWN_COUNTRY and difflib.get_close_matches(code.lower(), [UNKNOWN_COUNTRY]):
            close = [UNKNOWN_COUNTRY]
        from phonenumbers.geocoder import _region_display_name

        shown = ", ".join(f"{c} ({_region_display_name(c, 'en')})" if c != UNKNOWN_COUNTRY else c for c in close)
        raise ValueError(
            f"{item!r} is not a country code libphonenumber knows"
            + (f" (did you mean {shown}?)" if close else "")
            + ": write ISO 3166-1 codes such as AT, or unknown for a number that is not valid"
        )
    return tuple(out)


class _CountrySchema:
    """The JSON Schema of `country`, made only when a schema is asked for (`itgrix-gen schema`):
    libphonenumber's region list is not loaded with every spec."""

    def __get_pydantic_json_schema__(self, core_schema: Any, handler: Any) -> dict[str, Any]:
        import phonenumbers

        one = {"type": "string", "enum": [*sorted(phonenumbers.SUPPORTED_REGIONS), UNKNOWN_COUNTRY]}
        return {
            "description": "the client number's country (ISO 3166-1, as libphonenumber assigns it: AT, KZ...; "
            "unknown when the number is not valid), or a list of them (any may match)",
            "anyOf": [one, {"type": "array", "items": one, "minItems": 1}],
        }


CountryList = Annotated[tuple[str, ...], BeforeValidator(_check_country), _CountrySchema()]


def _scalar_text(value: Any) -> str:
    """Condition values compare as text, the way the generated PHP compares them."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return value
    raise ValueError(f"expected text or a whole number, got {type(value).__name__}")


class Match(Strict):
    """Normalised form of a condition value: exact texts and/or regexes, any of which may match."""

    values: tuple[str, ...] = ()
    regexes: tuple[str, ...] = ()

    @model_serializer
    def _as_written(self) -> Any:
        # Dump in the form a spec writes it, so a dumped spec loads again (Python specs).
        items: list[Any] = list(self.values) + [{"regex": r} for r in self.regexes]
        return items[0] if len(items) == 1 else items


def _to_match(value: Any) -> Any:
    if isinstance(value, Match):
        return value
    items = value if isinstance(value, list) else [value]
    if not items:
        raise ValueError("an empty list matches nothing; leave the condition out instead")
    values: list[str] = []
    regexes: list[str] = []
    for item in items:
        if isinstance(item, dict):
            if set(item) != {"regex"}:
                raise ValueError("a pattern is written {regex: '...'} and nothing else")
            pattern = item["regex"]
            if not isinstance(pattern, str):
                raise ValueError("regex must be text")
            regexes.append(_check_regex(pattern))
        else:
            values.append(_scalar_text(item))
    return Match(values=tuple(values), regexes=tuple(regexes))


_SCALAR_SCHEMA = {
    "anyOf": [
        {"type": "string"},
        {"type": "integer"},
        {
            "type": "object",
            "properties": {"regex": {"type": "string", "description": "a PCRE pattern"}},
            "required": ["regex"],
            "additionalProperties": False,
        },
    ]
}


def _to_text_match(value: Any) -> Any:
    """Numbers, extensions and trunks are text: YAML reads an unquoted +74951110000 as the number
    74951110000 and 0100 as 100, so a YAML number here is refused instead of silently changed."""
    for item in value if isinstance(value, list) else [value]:
        if isinstance(item, (int, float)):
            shown = "true/false" if isinstance(item, bool) else item
            if isinstance(item, bool):
                raise ValueError(f"{shown} is a YAML boolean here; this condition compares text: write it in quotes")
            raise ValueError(
                "this is a number, not text (an unquoted number in YAML), and a number drops a leading "
                "'+' or '0' (+74951110000 becomes 74951110000, 0100 becomes 100): write it in quotes, "
                'e.g. "0100"'
            )
    return _to_match(value)


_TEXT_SCHEMA = {"anyOf": [_SCALAR_SCHEMA["anyOf"][0], _SCALAR_SCHEMA["anyOf"][2]]}
TextMatchValue = Annotated[
    Match,
    BeforeValidator(_to_text_match),
    WithJsonSchema(
        {
            "description": "exact text (quote numbers: \"0100\"), {regex: '...'}, or a list of these (any may match)",
            "anyOf": [_TEXT_SCHEMA, {"type": "array", "items": _TEXT_SCHEMA, "minItems": 1}],
        }
    ),
]
MatchValue = Annotated[
    Match,
    BeforeValidator(_to_match),
    WithJsonSchema(
        {
            "description": "an exact value, {regex: '...'}, or a list of these (any may match)",
            "anyOf": [_SCALAR_SCHEMA, {"type": "array", "items": _SCALAR_SCHEMA, "minItems": 1}],
        }
    ),
]


def enum_list(allowed: tuple[str, ...], what: str) -> Any:
    def check(value: Any) -> Any:
        items = fold_case(value if isinstance(value, list) else [value], allowed)
        if not items:
            raise ValueError(f"an empty list matches no {what}")
        for item in items:
            if item not in allowed:
                raise ValueError(f"{item!r} is not a {what}; use one of: {', '.join(allowed)}")
        return tuple(items)

    one = {"type": "string", "enum": list(allowed)}
    return Annotated[
        tuple[str, ...],
        BeforeValidator(check),
        WithJsonSchema(
            {
                "description": f"a {what} or a list of them (any may match)",
                "anyOf": [one, {"type": "array", "items": one, "minItems": 1}],
            }
        ),
    ]


_WINDOW_RE = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")


def _parse_window(text: Any) -> tuple[int, int]:
    if not isinstance(text, str):
        raise ValueError('a time window is text like "09:00-18:00"')
    m = _WINDOW_RE.match(text)
    if not m:
        raise ValueError(f'bad time window {text!r}: write it like "09:00-18:00"')
    h1, m1, h2, m2 = (int(g) for g in m.groups())
    if h1 > 24 or h2 > 24 or m1 > 59 or m2 > 59 or (h1 == 24 and m1) or (h2 == 24 and m2):
        raise ValueError(f"bad time window {text!r}: hours run 00-24, minutes 00-59")
    start, end = h1 * 60 + m1, h2 * 60 + m2
    if start == end:
        raise ValueError(f"time window {text!r} is empty (start equals end)")
    return start, end


class Hours(Strict):
    """When: one or more windows, optionally only on some days, in a timezone."""

    window: Annotated[
        tuple[str, ...],
        WithJsonSchema(
            {
                "anyOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}, "minItems": 1}],
            }
        ),
    ] = Field(default=(), description='time windows like "09:00-18:00"; "22:00-06:00" crosses midnight')
    days: tuple[Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"], ...] = ()
    timezone: TimeZone | None = None
    schedule: str | None = Field(default=None, description="a named schedule of the spec's `schedules`")
    at: Literal["start", "now"] = Field(
        default="start",
        description="start: the time the call started (CALL_START_DATE, else call_full.channel.start_time; "
        "the moment the file runs when the input has none); now: the moment of the decision",
    )

    @model_validator(mode="after")
    def _one_kind(self) -> Hours:
        if bool(self.window) == bool(self.schedule):
            raise ValueError("give time windows, or the name of a schedule, not both")
        if self.schedule and self.days:
            raise ValueError("a named schedule has its own days")
        return self

    @field_validator("window", mode="before")
    @classmethod
    def _windows(cls, value: Any) -> Any:
        items = value if isinstance(value, list) else [value]
        if not items:
            raise ValueError("give at least one time window")
        for item in items:
            _parse_window(item)
        return tuple(items)

    def minutes(self) -> list[tuple[int, int]]:
        return [_parse_window(w) for w in self.window]


def _to_hours(value: Any) -> Any:
    if isinstance(value, str) and re.fullmatch(r"[A-Za-z_][\w-]*", value):
        return {"schedule": value}  # `hours: office`: a named schedule
    if isinstance(value, (str, list)):
        return {"window": value}
    return value


DAY_SPEC = re.compile(r"(mon|tue|wed|thu|fri|sat|sun)(-(mon|tue|wed|thu|fri|sat|sun))?")


def schedule_days(spec: str) -> list[int]:
    """ "mon-fri", "sat", "mon,wed,fri", "fri-mon" -> ISO weekdays (1 = Monday)."""
    days: list[int] = []
    for part in spec.replace(" ", "").split(","):
        m = DAY_SPEC.fullmatch(part)
        if not m:
            raise ValueError(f"{spec!r}: days are written mon, tue ... sun, ranges as mon-fri, lists with ','")
        first = DAYS.index(m.group(1))
        last = DAYS.index(m.group(3)) if m.group(3) else first
        days += [(first + i) % 7 + 1 for i in range((last - first) % 7 + 1)]
    return days


def _schedule(value: Any) -> Any:
    if not isinstance(value, dict) or not value:
        raise ValueError('a schedule maps days to windows: {mon-fri: "09:00-18:00", sat: "10:00-14:00"}')
    seen: set[int] = set()
    for key, windows in value.items():
        days = schedule_days(str(key))
        if seen & set(days):
            raise ValueError(f"{key!r}: a day is given twice in this schedule")
        seen |= set(days)
        for window in windows if isinstance(windows, list) else [windows]:
            _parse_window(window)
    return value


Schedule = Annotated[
    dict[str, str | list[str]],
    AfterValidator(_schedule),
    WithJsonSchema(
        {
            "description": 'days ("mon-fri", "sat", "mon,wed") to windows ("09:00-18:00", or a list); a window that '
            "crosses midnight belongs to the day it starts",
            "type": "object",
            "additionalProperties": {"anyOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}]},
        }
    ),
]


_DAYS_SCHEMA = {
    "description": "days: a date 2026-12-31, a day of every year 12-24, or a range of either "
    "(12-24..12-31, 2027-07-01..2027-07-14)",
    "type": "array",
    "items": {"type": "string"},
}
_REGIONS_SCHEMA = {
    "description": "a country (KZ) or an ISO 3166-2 subdivision (DE-BY, CH-ZH, US-NY) as the holidays "
    "package knows them, or a list of them (BY is Belarus; Bavaria is DE-BY)",
    "anyOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}, "minItems": 1}],
}


def _as_list(value: Any) -> Any:
    return value if isinstance(value, list) else [value]


DaySpec = Annotated[str, BeforeValidator(days.check_day)]
HolidayRegion = Annotated[str, BeforeValidator(days.check_region)]


class Calendar(Strict):
    holidays: (
        Annotated[list[HolidayRegion], BeforeValidator(_as_list), Field(min_length=1), WithJsonSchema(_REGIONS_SCHEMA)]
        | None
    ) = Field(
        default=None,
        description="public holidays (and transferred working days) of a country or subdivision, e.g. KZ, DE-BY",
    )
    off: Annotated[list[DaySpec], BeforeValidator(_as_list), WithJsonSchema(_DAYS_SCHEMA)] = Field(
        default_factory=list, description="extra days off: 2026-12-31, 12-24 (every year), 12-24..12-31"
    )
    workdays: Annotated[list[DaySpec], BeforeValidator(_as_list), WithJsonSchema(_DAYS_SCHEMA)] = Field(
        default_factory=list,
        description="days worked although they are off (a weekend or holiday), with Monday's hours: same forms as off",
    )

    @field_validator("holidays", mode="before")
    @classmethod
    def _some_holidays(cls, value: Any) -> Any:
        if value is None or value == [] or value == "":
            raise ValueError(
                "give a country or subdivision code (e.g. KZ, DE-BY), a list of them, or leave holidays out"
            )
        return value

    def regions(self) -> tuple[str, ...]:
        return tuple(self.holidays or ())


class FieldCondition(Strict):
    path: str | list[str] = Field(
        description='dotted path from the root of $params ("*" for any member), or a list of keys'
    )
    in_: list[str | int | bool] | None = Field(default=None, alias="in")
    regex: Regex | None = None

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    @model_validator(mode="after")
    def _one_test(self) -> FieldCondition:
        if (self.in_ is None) == (self.regex is None):
            raise ValueError("a field condition needs exactly one of 'in' or 'regex'")
        if self.in_ is not None and not self.in_:
            raise ValueError("'in' needs at least one value")
        if not self.keys():
            raise ValueError("path is empty")
        return self

    def keys(self) -> tuple[str, ...]:
        if isinstance(self.path, list):
            return tuple(self.path)
        return tuple(p for p in self.path.split(".") if p != "")

    def match(self) -> Match:
        if self.regex is not None:
            return Match(regexes=(self.regex,))
        return Match(values=tuple(_scalar_text(v) for v in self.in_ or ()))


def _to_field_list(value: Any) -> Any:
    return value if isinstance(value, list) else [value]


MAX_SECONDS = 2**31 - 1  # PHP's integer on a 32-bit build: 68 years of talk, more than any call


class Duration(Strict):
    """Talk seconds compared: `duration: 10`, or any of gte/gt/lte/lt (all given must hold)."""

    eq: int | None = Field(default=None, ge=0, le=MAX_SECONDS)
    gte: int | None = Field(default=None, ge=0, le=MAX_SECONDS)
    gt: int | None = Field(default=None, ge=0, le=MAX_SECONDS)
    lte: int | None = Field(default=None, ge=0, le=MAX_SECONDS)
    lt: int | None = Field(default=None, ge=0, le=MAX_SECONDS)

    @model_validator(mode="after")
    def _something(self) -> Duration:
        if all(getattr(self, k) is None for k in ("eq", "gte", "gt", "lte", "lt")):
            raise ValueError("give seconds, or at least one of gte, gt, lte, lt")
        return self

    def tests(self) -> list[tuple[str, int]]:
        ops = {"eq": "==", "gte": ">=", "gt": ">", "lte": "<=", "lt": "<"}
        return [(ops[k], v) for k in ("eq", "gte", "gt", "lte", "lt") if (v := getattr(self, k)) is not None]


def _to_duration(value: Any) -> Any:
    if isinstance(value, bool):
        raise ValueError("duration is seconds (a number) or {gte: 10}, {lt: 5}, ...")
    if isinstance(value, int):
        return {"eq": value}
    return value


# What each condition key wants, said when the key is written with nothing after it (`country:`):
# a key left empty must never vanish, or the rule would hold for every call.
_GIVE = {
    "direction": "give a direction: " + ", ".join(DIRECTIONS),
    "stage": "give a call stage: " + ", ".join(STAGES),
    "extension": "give an extension (the employee's internal number), a list, or {regex: '…'}",
    "trunk": "give a trunk's number or name, a list, or {regex: '…'}",
    "client_phone": "give a phone number, a list, or {regex: '…'}",
    "client_phone_raw": "give a phone number as sent, a list, or {regex: '…'}",
    "country": "give a country code (e.g. KZ), a list, or unknown",
    "line": "give a line number, a list, or {regex: '…'}",
    "status": "give a status code (e.g. \"304\"), a list, or {regex: '…'}",
    "number_type": "give a number type: " + ", ".join(NUMBER_TYPE_NAMES),
    "answered": "write true or false",
    "is_ivr": "write true or false",
    "hours": 'give a time window ("09:00-18:00"), a list of them, or a schedule\'s name',
    "days": "give days of the week: mon, tue ... sun",
    "timezone": "give a timezone (e.g. Europe/Berlin)",
    "field": "give {path: …, in: […]} or {path: …, regex: '…'}, or a list of them",
    "duration": "give seconds, or {gte: 10}, {lt: 5} ...",
    "not_": "give the conditions that must not hold",
    "any_": "give a list of condition maps, one of which must hold",
}
_NO_CONDITION = "give at least one condition, or leave 'when' out to match every call"


class When(Strict):
    """All keys must hold (AND); a list means any of (OR). A `when` written but left empty is refused
    (leaving `when` out is how a rule says "every call"), and so is a key left empty."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    @model_validator(mode="before")
    @classmethod
    def _written(cls, value: Any) -> Any:
        if value is None or value == {}:
            raise ValueError(_NO_CONDITION)
        return value

    @field_validator("*", mode="before")
    @classmethod
    def _key_given(cls, value: Any, info: ValidationInfo) -> Any:
        if value is None or (isinstance(value, (dict, list)) and not value):
            raise ValueError(_GIVE.get(info.field_name or "", "give a value"))
        return value

    direction: enum_list(DIRECTIONS, "direction") | None = None  # type: ignore[valid-type]
    stage: enum_list(STAGES, "call stage") | None = None  # type: ignore[valid-type]
    extension: TextMatchValue | None = Field(
        default=None, description="the employee's internal number (any taking part)"
    )
    trunk: TextMatchValue | None = Field(default=None, description="the trunk's number or name")
    client_phone: TextMatchValue | None = Field(
        default=None,
        description="the client's number: holds when the number as sent, or as phones.client writes it, "
        "matches (a value written in any notation is compared in both forms too)",
    )
    client_phone_raw: TextMatchValue | None = Field(
        default=None, alias="client_phone.raw", description="the client's number exactly as the connector sent it"
    )
    country: CountryList | None = Field(
        default=None,
        description="the country of the client's number (ISO 3166-1 as libphonenumber assigns it, e.g. AT; "
        "unknown when the number is not valid), read with phones.client.region",
    )
    line: TextMatchValue | None = Field(default=None, description="the external line number (LINE_NUMBER)")
    status: MatchValue | None = Field(default=None, description='STATUS_CODE / call result, e.g. "304"')
    number_type: enum_list(NUMBER_TYPE_NAMES, "number type") | None = Field(  # type: ignore[valid-type]
        default=None,
        description="type of the client's number (libphonenumber's plan of the region it belongs to, among those of "
        "the spec region's calling code): " + ", ".join(NUMBER_TYPE_NAMES),
    )
    answered: bool | None = Field(default=None, description="the call was answered")
    is_ivr: bool | None = Field(default=None, description="a call missed in the IVR")
    hours: (
        Annotated[
            Hours,
            BeforeValidator(_to_hours),
            WithJsonSchema(
                {
                    "description": 'a time window "09:00-18:00", a list of them, a schedule\'s name, or '
                    "{window or schedule, days, timezone, at}",
                    "anyOf": [
                        {"type": "string"},
                        {"type": "array", "items": {"type": "string"}},
                        Hours.model_json_schema(),
                    ],
                }
            ),
        ]
        | None
    ) = None
    days: tuple[Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"], ...] | None = Field(
        default=None, description="days of the week; with hours, the days the window applies"
    )
    timezone: TimeZone | None = Field(default=None, description="timezone for hours/days")
    field: (
        Annotated[
            list[FieldCondition],
            BeforeValidator(_to_field_list),
            WithJsonSchema(
                {
                    "description": "a condition on any input path, or a list of them (all must hold)",
                    "anyOf": [
                        FieldCondition.model_json_schema(by_alias=True),
                        {"type": "array", "items": FieldCondition.model_json_schema(by_alias=True)},
                    ],
                }
            ),
        ]
        | None
    ) = None

    duration: (
        Annotated[
            Duration,
            BeforeValidator(_to_duration),
            WithJsonSchema(
                {
                    "description": "talk seconds (answer to end; 0 when unanswered): a number, or {gte, gt, lte, lt}",
                    "anyOf": [{"type": "integer", "minimum": 0, "maximum": MAX_SECONDS}, Duration.model_json_schema()],
                }
            ),
        ]
        | None
    ) = None
    not_: When | None = Field(default=None, alias="not", description="holds when the inner conditions do not all hold")
    any_: list[When] | None = Field(
        default=None, alias="any", min_length=1, description="holds when one of the condition maps holds"
    )

    @model_validator(mode="after")
    def _not_empty(self) -> When:
        if self.days is not None and not self.days:
            raise ValueError("days: give at least one day")
        return self

    def is_empty(self) -> bool:
        return all(getattr(self, name) is None for name in type(self).model_fields)


When.model_rebuild()


def whens(node: Any) -> typing.Iterator[When]:
    """Every condition block in a model (the spec, a section), those inside `not` and `any` too."""
    if isinstance(node, When):
        yield node
    if isinstance(node, BaseModel):
        for name in type(node).model_fields:
            yield from whens(getattr(node, name))
    elif isinstance(node, list | tuple):
        for item in node:
            yield from whens(item)
    elif isinstance(node, dict):
        for item in node.values():
            yield from whens(item)


SetValue = Any  # text (a template), number, bool, null, or lists/maps of those


def _check_set_value(value: Any, where: str) -> None:
    def fail(message: str) -> None:
        raise ValueError(f"{where}: {message}" if where else message)

    if isinstance(value, str):
        try:
            placeholders.parse(value)
        except placeholders.TemplateError as exc:
            fail(str(exc))
        from generator.php.literals import LiteralError, php_string

        try:
            php_string(value)
        except LiteralError as exc:
            fail(str(exc))
    elif isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            fail("NaN and infinity cannot be sent")
    elif isinstance(value, bool) or value is None:
        pass
    elif isinstance(value, int):
        if not -(2**63) < value < 2**63:
            fail(f"{value} does not fit in a 64-bit integer")
    elif isinstance(value, list):
        for i, item in enumerate(value):
            _check_set_value(item, f"{where}[{i}]")
    elif isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, (str, int)) or isinstance(key, bool):
                fail(f"key {key!r} must be text")
            _check_set_value(item, f"{where}.{key}" if where else str(key))
    else:
        fail(f"unsupported value of type {type(value).__name__}")


def _check_set_value_here(value: Any) -> Any:
    _check_set_value(value, "")
    return value


SetMap = Annotated[dict[str, Annotated[Any, AfterValidator(_check_set_value_here)]], Field()]


class Rewrite(Strict):
    match: Regex
    replace: str = Field(description="PCRE replacement: $1 or ${1} for groups, \\$ for a dollar")

    @field_validator("replace")
    @classmethod
    def _utf8(cls, value: str) -> str:
        from generator.php.literals import LiteralError, php_string

        try:
            php_string(value)
        except LiteralError as exc:
            raise ValueError(str(exc)) from None
        return value

    @model_validator(mode="after")
    def _groups_exist(self) -> Rewrite:
        try:
            groups = re.compile(self.match).groups
        except re.error:
            return self
        for ref in re.findall(r"(?<!\\)(?:\$\{?|\\)(\d{1,2})", self.replace):
            if int(ref) > groups:
                raise ValueError(f"replace refers to group {ref} but the pattern has only {groups} group(s)")
        return self


class PhoneSection(Section):
    region: Region | None = Field(default=None, description="ISO 3166 region for numbers without a country code")
    format: Literal["e164", "national", "digits", "keep"] | None = Field(
        default=None, description="e164 | national | digits | keep (default: e164 with a region, else keep)"
    )

    @field_validator("format", mode="before")
    @classmethod
    def _not_dial(cls, value: Any) -> Any:
        if isinstance(value, str) and value.strip().lower() == "dial":
            raise ValueError(
                "'dial' (the number as dialled from the region) belongs only in originate.format; "
                "here use e164, national, digits or keep"
            )
        return value

    rewrite: list[Rewrite] = Field(
        default_factory=list, description="regex rewrites applied in order before formatting"
    )
    internal_max_digits: int | None = Field(
        default=None,
        ge=0,
        le=15,
        description="numbers of at most this many digits are internal and stay unchanged "
        "(default: one less than the region's shortest national number)",
    )
    invalid: Literal["keep", "normalize"] = Field(
        default="keep",
        description="keep: a number the region's numbering plan does not allow comes back as it arrived; "
        "normalize: it is written in the format anyway",
    )

    @model_validator(mode="after")
    def _region_needed(self) -> PhoneSection:
        if self.format not in (None, "keep") and self.region is None:
            raise ValueError(f"format {self.format} needs a region (e.g. region: RU)")
        return self

    def effective_format(self) -> str:
        if self.format is not None:
            return self.format
        return "e164" if self.region else "keep"


class Rule(Strict):
    when: When = Field(default_factory=When.model_construct, description="conditions; all must hold")
    set: SetMap = Field(default_factory=dict, description="fields to set; text values may hold {placeholders}")
    cancel: bool = Field(default=False, description="cancel the connector's request (empty data)")
    then: Literal["cancel"] | None = Field(default=None, description="'cancel': same as cancel: true")

    def cancels(self) -> bool:
        return self.cancel or self.then == "cancel"

    @model_validator(mode="after")
    def _says_something(self) -> Rule:
        if self.cancels() and self.set:
            raise ValueError("a rule that cancels the request cannot also set fields")
        if not self.cancels() and not self.set:
            raise ValueError("a rule needs 'set' or 'then: cancel'")
        return self


class ParamsSection(Section):
    set: SetMap = Field(default_factory=dict, description="fields applied to every call")
    rules: list[Rule] = Field(default_factory=list, description="then every matching rule, in order")


def _server_dir(value: str) -> str:
    if not value.startswith("/") or any(ord(c) < 32 or c == "\x7f" for c in value):
        raise ValueError("write the capture folder as an absolute path on the server, e.g. /var/log/itgrix-gen")
    if any(part == ".." for part in value.split("/")):
        raise ValueError("the capture folder may not contain '..'")
    return value.rstrip("/") or "/"


class Capture(Strict):
    dir: Annotated[str, AfterValidator(_server_dir)] = Field(
        description="folder on the server (created with mode 0700; files 0600), one <customization>.jsonl each"
    )
    max_mb: float = Field(default=50, gt=0, le=10240, description="a log file's size before it is rotated")
    keep: int = Field(default=5, ge=1, le=100, description="rotated files kept (<name>.jsonl.1 ... .N)")
    redact: bool = Field(
        default=False,
        description="phone digits and personal names become stable pseudonyms before they are written",
    )


FIELD_PATH = re.compile(r"[^\s.]+(\.[^\s.]+)*")


def _field_paths(value: Any) -> Any:
    items = value if isinstance(value, list) else [value]
    if not items:
        raise ValueError("give at least one path")
    for item in items:
        if not isinstance(item, str) or not FIELD_PATH.fullmatch(item):
            raise ValueError(
                f"{item!r} is not a path: write dotted keys from the root of the input, "
                "e.g. call_full.channel.trunk.title ('*' for any member)"
            )
    return items


FieldPaths = Annotated[
    list[str],
    BeforeValidator(_field_paths),
    WithJsonSchema(
        {
            "description": "dotted input paths, tried in order ('*' for any member)",
            "anyOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}, "minItems": 1}],
        }
    ),
]


class ReplacePaths(Strict):
    """`{replace: [paths]}`: only these paths, the field table's own general sources dropped."""

    replace: FieldPaths = Field(description="paths read INSTEAD of the field table's own (tried in order)")


def _field_override(value: Any) -> Any:
    if isinstance(value, dict) and set(value) != {"replace"}:
        raise ValueError("write paths (tried before the table's own) or {replace: [paths]} (only these)")
    return value


# A key's override: paths tried BEFORE the table's own sources (which stay, so one spec works on
# servers that keep the value in either place), or {replace: [...]} to read only those paths.
FieldOverride = Annotated[FieldPaths | ReplacePaths, BeforeValidator(_field_override)]


def _target_text(value: Any) -> Any:
    from generator.errors import UsageProblem
    from generator.target import parse

    if not isinstance(value, str) or not value:
        raise ValueError("a target is a folder or ssh://[user@]host[:port]/path")
    try:
        parse(value)
    except UsageProblem as exc:
        raise ValueError(str(exc)) from None
    return value


def _php_bin(value: Any) -> Any:
    if not isinstance(value, str) or not value.strip() or re.search(r"[\x00-\x1f\x7f]", value):
        raise ValueError("give the path of the server's php, e.g. /opt/php56/bin/php")
    if value.startswith("-"):
        raise ValueError(f"{value!r}: a php binary's path does not start with '-'")
    return value


class DeployTarget(Strict):
    """One entry of deploy.to with settings of its own: `{to: ssh://…, php_bin: /opt/php56/bin/php}`."""

    to: Annotated[str, BeforeValidator(_target_text)] = Field(
        description="the target: a folder, or ssh://[user@]host[:port]/path"
    )
    php_bin: Annotated[str | None, BeforeValidator(_php_bin)] = Field(
        default=None,
        description="the php the server runs the checks with (php -l, its version against php:, "
        "status --enabled without curl); --php-bin overrides it, default php",
    )


def _targets(value: Any) -> Any:
    items = value if isinstance(value, list) else [value]
    if not items:
        raise ValueError("give at least one target")
    # A plain string is the short form of {to: ...}; a string's problem is reported at its place.
    return [{"to": item} if not isinstance(item, dict) else item for item in items]


_TARGET_OBJECT = {
    "type": "object",
    "properties": {
        "to": {"type": "string", "description": "a folder, or ssh://[user@]host[:port]/path"},
        "php_bin": {"type": "string", "description": "the server's php for this target (e.g. /opt/php56/bin/php)"},
    },
    "required": ["to"],
    "additionalProperties": False,
}


class DeployTo(Strict):
    to: Annotated[
        list[DeployTarget],
        BeforeValidator(_targets),
        WithJsonSchema(
            {
                "description": "where the files go: a folder, or ssh://[user@]host[:port]/path (host may be "
                "an alias from ~/.ssh/config), or {to: target, php_bin: path}; one or a list",
                "anyOf": [
                    {"type": "string"},
                    _TARGET_OBJECT,
                    {
                        "type": "array",
                        "items": {"anyOf": [{"type": "string"}, _TARGET_OBJECT]},
                        "minItems": 1,
                    },
                ],
            }
        ),
    ] = Field(description="targets of `itgrix-gen deploy` and `status` when --to is not given")
