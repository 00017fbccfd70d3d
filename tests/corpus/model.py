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

import re
import urllib.parse
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
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

SEPARATORS = " -./()~"


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
    for match, replace in rewrites:
        number = pcre(match).sub(php_replacement(replace), number)
    return number


def parse(number: str, region: str, internal_max_digits: int | None) -> phonenumbers.PhoneNumber | None:
    """The number as libphonenumber reads it with `region`'s plan, or None when the README says it
    stays as it is (words, short internal numbers, letters, '*', '#', an extension)."""
    if any(0xDC80 <= ord(c) <= 0xDCFF for c in number):
        raise Unmodelled("a stray byte in a number")
    bare = number.strip(" ")
    for c in SEPARATORS:
        bare = bare.replace(c, "")
    if not re.fullmatch(r"\+?[0-9]+", bare):
        if re.search(r"[\t\u00a0]", number) and re.fullmatch(r"\+?[0-9]+", re.sub(r"[\t\u00a0]", "", bare)):
            raise Unmodelled("a tab or no-break space inside a number (separator or not: not documented)")
        return None
    limit = internal_max_digits if internal_max_digits is not None else shortest_national(region) - 1
    if not bare.startswith("+") and len(bare) <= limit:
        return None
    try:
        return phonenumbers.parse(bare, region)
    except phonenumbers.NumberParseException:
        return None


def format_number(parsed: phonenumbers.PhoneNumber, fmt: str, region: str) -> str:
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
    raise Unmodelled(f"format {fmt}")


def verdict(number: str, rules: PhoneRules) -> tuple[str, str, phonenumbers.PhoneNumber | None]:
    """(the number after the rewrites, what it is, the parsed number): "kept" (keep, no region,
    words, internal numbers...), "valid" (for its calling code), "invalid" (parses, but the plan
    does not allow it)."""
    number = rewrite(number, rules.rewrites)
    if rules.format == "keep" or rules.region is None:
        return number, "kept", None
    parsed = parse(number, rules.region, rules.internal_max_digits)
    if parsed is None:
        return number, "kept", None
    return number, "valid" if phonenumbers.is_valid_number(parsed) else "invalid", parsed


def normalise(number: str, rules: PhoneRules) -> str:
    """What process_client_phone (process_user_phone, originate) answers for `number`."""
    number, what, parsed = verdict(number, rules)
    if what == "kept" or parsed is None or (what == "invalid" and rules.invalid == "keep"):
        return number
    if what == "invalid":
        # "written in the format anyway": for a number of a length the plan has no place for
        # (a foreign number without its prefix, 13 digits in Belarus) the docs do not say what
        # that means; the model leaves it out.
        raise Unmodelled("invalid: normalize of a number libphonenumber finds invalid")
    assert rules.region is not None
    return format_number(parsed, rules.format, rules.region)


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


class Model:
    def __init__(self, loaded: Any):
        self.spec = loaded.spec
        spec = self.spec
        if spec.fields:
            raise Unmodelled("fields: overrides")
        if spec.shadow:
            raise Unmodelled("shadow")
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
        section_name = SECTION_OF.get(customization)
        section = getattr(self.spec, section_name) if section_name else None
        if section is not None and getattr(section, "shadow", None):
            raise Unmodelled("shadow")
        handler = getattr(self, "_" + customization)
        return handler(call, section)

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
        for rule in section.rules:
            if self.holds(rule.when, call):
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
        for rule in section.rules:
            if self.holds(rule.when, call):
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
            raise Unmodelled("call_card.show_on")
        return self._params_section(call, section)

    def _customize_attach_record_url(self, call: Call, section: Any) -> Any:
        if section is not None and (section.description is not None or section.description_type is not None):
            raise Unmodelled("record_link.description")
        return self._params_section(call, section)

    def _customize_autodistribution(self, call: Call, section: Any) -> Any:
        if section is not None and section.callerid_name is not None:
            raise Unmodelled("autodistribution.callerid_name")
        return self._params_section(call, section)

    def _process_task_creation_params(self, call: Call, section: Any) -> Any:
        if section is not None:
            raise Unmodelled("tasks")
        return self.passthrough(call)

    def _process_record_file_path(self, call: Call, section: Any) -> Any:
        if section is not None:
            raise Unmodelled("record")
        return self.passthrough(call)

    def _post_registration(self, call: Call, section: Any) -> Any:
        hook = section.webhook if section is not None else None
        if hook is not None and self.holds(hook.when, call):
            if hook.body is not None or hook.headers:
                raise Unmodelled("webhook text body or headers")
            url = "".join(
                part if isinstance(part, str) else urllib.parse.quote(self.placeholder(part, call), safe="")
                for part in placeholders.parse(hook.url)
            )
            if hook.json_ is not None:
                body: Any = self.value(hook.json_, call)
            elif hook.method == "GET":
                body = ""
            else:
                body = call.params
            call.sent.append((hook.method, url, clean_utf8(body)))
        return {"state": "success"}

    def webhooks(self, customization: str, params: Any, now: int) -> list[tuple[str, str, Any]]:
        """The requests the file sends for this call: (method, URL, body as a JSON value)."""
        call = Call(customization, params, now)
        if customization == "post_registration" and isinstance(params, dict):
            self._post_registration(call, self.spec.post_registration)
        return call.sent

    def _process_originate_params(self, call: Call, section: Any) -> Any:
        reply = self.passthrough(call)
        if section is None:
            return reply
        data = reply["data"]
        number = data.get("extension")
        if not isinstance(number, str) or number == "":
            raise Unmodelled("a clicked number that is not text")
        rules = self.originate_rules(section)
        number = normalise(number, rules)
        if section.last_digits:
            if not re.fullmatch(r"\+?[0-9]+", number):
                raise Unmodelled("last_digits of a number with other characters than digits")
            digits = number.lstrip("+")
            number = digits[-section.last_digits :]
        number = section.prefix + number
        data["extension"] = number
        for rule in [None, *section.rules]:
            when_set = (section.set, None) if rule is None else (rule.set, rule)
            values, this = when_set
            if this is not None:
                if this.when.client_phone is not None:
                    raise Unmodelled("client_phone in originate rules (the clicked number in E.164)")
                if not self.holds(this.when, call):
                    continue
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
            return self.fill(value, call)
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
        for path, pick, dirs, only, every in TABLE[key]:
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

    def holds(self, when: Any, call: Call) -> bool:
        if when.number_type is not None:
            raise Unmodelled("number_type")
        if getattr(when, "country", None) is not None:
            raise Unmodelled("country")
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
            both = raw + ([normalise(r, self.client) for r in raw] if self.client and not self.raw_only else [])
            if not self.matches(when.client_phone, both):
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
        plain = re.compile(r"\d{4}-\d{2}-\d{2}")
        if not isinstance(cal.holidays, (str, type(None))) or (cal.holidays and "-" in cal.holidays):
            raise Unmodelled("holidays of a subdivision or a list of countries")
        if not all(isinstance(d, str) and plain.fullmatch(d) for d in [*cal.off, *cal.workdays]):
            raise Unmodelled("calendar days of every year or ranges")
        if cal.holidays:
            days = holidays.country_holidays(cal.holidays, years=range(2025, 2033))
            off |= set(days.keys())
            on |= set(getattr(days, "weekend_workdays", ()))
        off |= {date.fromisoformat(d) for d in cal.off}
        on |= {date.fromisoformat(d) for d in cal.workdays}
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
