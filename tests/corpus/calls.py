"""Call data as real Itgrix connectors send it, generated from a seed: importable without pytest
(the replay benchmark builds a month of capture lines from it).

    from tests.corpus.calls import generate_calls
    for call in generate_calls(seed=1, n=1000, regions=("RU", "KZ")):
        call["customization"], call["input"], call["at"], call["now"]

Every call is a dict:
- "customization": the file the connector would run (one of the fourteen);
- "input": the JSON object the connector passes as $params, in one of the documented shapes
  (connector 3.13+: `call_full` only; 3.10-3.12: `call_full` and the old root `call` and
  `conversation`; before 3.10: only `call` and `conversation`), with null objects, missing and
  unknown inner field names (`num`, `exten`, `callerid`, ...) as some PBX setups send them;
- "at": when the connector ran it (ISO 8601, UTC), "now": the same as a unix time;
- "shape": which of the shapes above, "region": the region its client number was drawn from.

Names are in Russian, Kazakh, Uzbek (Latin and Cyrillic) and German, with emoji; with
`invalid_bytes=True` (the default) a few strings carry a stray byte that is not UTF-8, as the
Python string that bytes.decode("utf-8", "surrogateescape") gives (a lone surrogate U+DC80..U+DCFF);
`to_bytes_json()` writes such a call as the raw bytes, `to_json()` replaces the byte by U+FFFD.

Client numbers come from libphonenumber's example numbers of each region (every number type it
knows there), with their last digits varied (so some are no longer valid, as in real life), written
in every notation a PBX or a CRM produces: E.164, international, national, digits with the country
code, the international call prefix (00, 810, 011, 8~10), RFC 3966, the `~` separator, stray
spaces and punctuation; plus extensions, anonymous and empty callers.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import phonenumbers

# Regions whose calling code is shared (+7, +1, +44, +47, +39, +262, +590, +61, +358, +599) and
# the single-region neighbours the users of this tool call every day.
SHARED = ("RU", "KZ", "US", "CA", "JM", "PR", "BS", "GB", "GG", "JE", "IM", "NO", "SJ", "IT", "VA", "RE", "YT")
SHARED += ("GP", "BL", "MF", "AU", "CX", "FI", "AX", "CW", "BQ")
SINGLE = ("DE", "AT", "CH", "BY", "UZ", "UA", "KG", "TJ", "AM", "GE", "AZ", "TR", "FR", "PL", "CN", "IN", "AE", "IL")
REGIONS: tuple[str, ...] = SHARED + SINGLE

CUSTOMIZATIONS = (
    "need_registration",
    "process_client_phone",
    "process_user_phone",
    "process_registration_params",
    "process_final_params",
    "process_task_creation_params",
    "customize_activity",
    "customize_entity",
    "process_originate_params",
    "process_record_file_path",
    "customize_autodistribution",
    "post_registration",
    "customize_show_call_card",
    "customize_attach_record_url",
)
STAGES = ("conversation_requested", "conversation_accepted", "conversation_ended", "call_ended")
# The stages each customization is documented to run at.
STAGES_OF = {
    "process_registration_params": ("conversation_requested", "call_ended"),
    "post_registration": ("conversation_requested", "call_ended"),
}

PEOPLE = (
    "Иванов Иван Иванович",
    "Анна Петрова",
    "Ёлкина Алёна",
    "Әлия Нұрланқызы",
    "Қайрат Өмірбеков",
    "Ұлан Жүсіпов",
    "Gʻulom Shoʻxratov",
    "Oʻktam Yoʻldoshev",
    "Ғулом Шўхратов",
    "Ўктам Йўлдошев",
    "Jürgen Größ",
    "Müller-Lüdenscheidt, Björn",
    "Anna Petrova",
    "O'Brien",
    "📞 Дежурный",
    "Ольга 🌸",
    'Алишер "Шеф" Каримов\\',
)
COMPANIES = (
    "ООО «Ромашка»",
    "ИП Сидоров — автосервис",
    "ЖШС «Өркен»",
    "«Қазақ Тағам» АҚ",
    "Oʻzbekiston Temir Yoʻllari",
    "«Ўзбекистон» МЧЖ",
    "Bäckerei Müller GmbH & Co. KG",
    "Straßenbau Größ",
    "🚗 Автосалон «Алматы»",
    "Acme Corp",
    'Quote "and" backslash \\ company',
    "Tab\there",
    # what a CRM field pasted from elsewhere carries: a line break, escape sequences, U+2028, DEL
    'ТОО "Кавычки" \\ и\r\nперенос',
    "Ctrl\x01\x1b[0m\x7f end",
    "Line\u2028Separator ГмбХ",
)
TRUNKS = ("sip-moscow", "sip-spam", "test-trunk", "Мегафон-вход", "kcell-almaty", "telekom_de", "74957654321")
TRUNKS += ("88007654321", "+73432723033", "74950000001", "beeline.uz", "")
EXTENSIONS = ("100", "101", "102", "105", "200", "201", "202", "2005", "9101", "0", "700")
STATUSES = (200, 304, 404, 486, 603, 0)
DIAL = ("ANSWER", "BUSY", "NOANSWER", "CANCEL", "CONGESTION", "CHANUNAVAIL", "")
POSITIONS = ("Менеджер", "Intern", "Intern 2", "Стажёр", "Direktor", "")
# Inner field names some setups send for a number (the fields table reads number/phone/num/
# extension/exten) and ones no table reads.
NUMBER_KEYS = ("number", "number", "number", "number", "phone", "num", "exten", "extension")
UNKNOWN_KEYS = ("callerid", "cid_num", "linkedid", "uniqueid2", "Номер", "x-custom")
NOTATIONS = ("e164", "international", "national", "digits", "idd", "rfc3966", "tilde", "spaced", "junk")
NOTATIONS += ("unicode",)
# What a number copied from a web page, a spreadsheet or a phone's contact card carries instead of
# ASCII: no-break and other Unicode spaces, Unicode hyphens and dashes, a full-width plus, digits
# of other scripts (full-width, Arabic-Indic, Eastern Arabic-Indic), a tab inside or around.
UNICODE_SPACES = ("\u00a0", "\u202f", "\u2009", "\u3000", "\t", "\u200b")
UNICODE_DASHES = ("\u2010", "\u2011", "\u2013", "\u2014", "\u2212", "\uff0d")
DIGIT_SCRIPTS = (0xFF10, 0x0660, 0x06F0, 0x0966)  # full-width, Arabic-Indic, Eastern Arabic-Indic, Devanagari
EMPTY_TIME = "0001-01-01 00:00:00"


def _number_types() -> tuple[int, ...]:
    t = phonenumbers.PhoneNumberType
    return (t.FIXED_LINE, t.MOBILE, t.TOLL_FREE, t.FIXED_LINE_OR_MOBILE, t.VOIP, t.PREMIUM_RATE)


def _examples(region: str) -> list[phonenumbers.PhoneNumber]:
    found = []
    for kind in _number_types():
        number = phonenumbers.example_number_for_type(region, kind)
        if number is not None:
            found.append(number)
    return found


_EXAMPLES: dict[str, list[phonenumbers.PhoneNumber]] = {}


def client_number(rng: random.Random, region: str) -> str:
    """A client's number of `region`, in one of the notations a PBX or a CRM writes."""
    if region not in _EXAMPLES:
        _EXAMPLES[region] = _examples(region)
    examples = _EXAMPLES[region]
    if not examples:
        return str(rng.randrange(10**9, 10**10))
    base = rng.choice(examples)
    national = str(base.national_number)
    if rng.random() < 0.6 and len(national) > 4:  # vary the subscriber part
        keep = len(national) - rng.randint(1, 4)
        national = national[:keep] + "".join(str(rng.randrange(10)) for _ in range(len(national) - keep))
    number = phonenumbers.PhoneNumber(
        country_code=base.country_code,
        national_number=int(national),
        italian_leading_zero=base.italian_leading_zero,
        number_of_leading_zeros=base.number_of_leading_zeros,
    )
    return notate(rng, number, region, rng.choice(NOTATIONS))


def notate(rng: random.Random, number: phonenumbers.PhoneNumber, region: str, notation: str) -> str:
    fmt = phonenumbers.PhoneNumberFormat
    e164 = phonenumbers.format_number(number, fmt.E164)
    if notation == "e164":
        return e164
    if notation == "international":
        return phonenumbers.format_number(number, fmt.INTERNATIONAL)
    if notation == "national":
        return phonenumbers.format_number(number, fmt.NATIONAL)
    if notation == "digits":
        return e164[1:]
    if notation == "idd":
        prefix = rng.choice(
            {"RU": ("810", "8~10"), "KZ": ("810", "8~10"), "US": ("011",), "CA": ("011",)}.get(region, ("00",))
        )
        return prefix + e164[1:]
    if notation == "rfc3966":
        return phonenumbers.format_number(number, fmt.RFC3966)
    if notation == "tilde":
        return phonenumbers.format_number(number, fmt.NATIONAL).replace(" ", "~")
    if notation == "spaced":
        text = phonenumbers.format_number(number, rng.choice((fmt.NATIONAL, fmt.INTERNATIONAL)))
        return rng.choice((" ", "\t", "")) + text.replace(" ", rng.choice(("  ", ".", "-", "\u00a0"))) + " "
    if notation == "unicode":
        text = phonenumbers.format_number(number, rng.choice((fmt.NATIONAL, fmt.INTERNATIONAL)))
        text = text.replace(" ", rng.choice(UNICODE_SPACES)).replace("-", rng.choice(UNICODE_DASHES))
        if rng.random() < 0.3:
            zero = rng.choice(DIGIT_SCRIPTS)
            text = "".join(chr(zero + int(c)) if c.isdigit() and rng.random() < 0.8 else c for c in text)
            if zero == 0xFF10:
                text = text.replace("+", "\uff0b")
        return rng.choice(("", "\t", "\u00a0")) + text + rng.choice(("", "\t", "\u00a0"))
    # junk: what a hand-typed CRM field holds
    return (
        rng.choice(("tel. ", "т. ", "", "("))
        + phonenumbers.format_number(number, fmt.NATIONAL)
        + rng.choice(("", ")", " доб. 12", ";"))
    )


def other_script(rng: random.Random, number: str) -> str:
    """The number with (most of) its digits in one of DIGIT_SCRIPTS."""
    zero = rng.choice(DIGIT_SCRIPTS)
    return "".join(chr(zero + int(c)) if c.isdigit() and rng.random() < 0.9 else c for c in number)


def _odd_number(rng: random.Random) -> str:
    return rng.choice(("", "anonymous", "Anonymous", "unknown", "+", "0", "123", "8", "+7", "+99999999999999999"))


def _with_stray_byte(rng: random.Random, text: str) -> str:
    cut = rng.randrange(len(text) + 1)
    return text[:cut] + chr(0xDC00 + rng.choice((0x80, 0xC3, 0xD0, 0xE9, 0xFF))) + text[cut:]


class _Maker:
    def __init__(
        self, rng: random.Random, regions: Sequence[str], invalid_bytes: bool, hints: Mapping[str, Sequence[Any]]
    ):
        self.rng = rng
        self.regions = list(regions)
        self.invalid_bytes = invalid_bytes
        self.hints = hints

    def pick(self, key: str, pool: Sequence[Any]) -> Any:
        extra = list(self.hints.get(key, ()))
        if extra and self.rng.random() < 0.4:
            return self.rng.choice(extra)
        return self.rng.choice(pool)

    def text(self, pool: Sequence[str]) -> str:
        value = self.rng.choice(pool)
        if self.invalid_bytes and self.rng.random() < 0.03:
            value = _with_stray_byte(self.rng, value)
        return value

    def number_obj(self, number: str | None, name: str | None = None) -> dict[str, Any] | None:
        rng = self.rng
        if number is None or rng.random() < 0.03:
            return None if rng.random() < 0.5 else {}
        obj: dict[str, Any] = {rng.choice(NUMBER_KEYS): number}
        if name is not None and rng.random() < 0.5:
            obj["name"] = name
        if rng.random() < 0.1:
            obj[rng.choice(UNKNOWN_KEYS)] = rng.choice((number, self.text(PEOPLE), None, 17))
        return obj

    def client(self) -> tuple[str, str]:
        rng = self.rng
        region = rng.choice(self.regions)
        if rng.random() < 0.06:
            return _odd_number(rng), region
        hinted = list(self.hints.get("client_phone", ()))
        if hinted and rng.random() < 0.15:
            number = str(rng.choice(hinted))
            if rng.random() < 0.25:  # the spec's own number, copied from a page in another script
                number = other_script(rng, number)
            return number, region
        return client_number(rng, region), region

    def times(self, now: datetime, answered: bool) -> tuple[str, str, str]:
        rng = self.rng
        start = now - timedelta(seconds=rng.randint(5, 900))
        fmt = "%Y-%m-%d %H:%M:%S"
        if not answered:
            end = start + timedelta(seconds=rng.randint(0, 60))
            return start.strftime(fmt), EMPTY_TIME, end.strftime(fmt)
        answer = start + timedelta(seconds=rng.randint(0, 40))
        end = answer + timedelta(seconds=rng.choice((0, 3, 9, 10, 11, 59, 60, 61, rng.randint(0, 3600))))
        if rng.random() < 0.05:
            end = start  # a PBX whose end time is missing or wrong
        return start.strftime(fmt), answer.strftime(fmt), end.strftime(fmt)

    def channel(
        self,
        uid: str,
        kind: str,
        client: str,
        ext: str,
        trunk: str,
        when: tuple[str, str, str],
        answered: bool,
        primary: bool,
    ) -> dict[str, Any]:
        rng = self.rng
        name = self.text(PEOPLE)
        outside = self.number_obj(client, name if rng.random() < 0.5 else None)
        inside = self.number_obj(ext)
        if kind == "incoming":
            frm, to = outside, inside
        elif kind == "outgoing":
            frm, to = inside, outside
        elif kind == "local":
            frm, to = inside, self.number_obj(self.pick("extension", EXTENSIONS))
        else:
            frm, to = outside, inside
        trunk_obj: dict[str, Any] | None = None
        if kind != "local" and trunk:
            style = rng.random()
            if style < 0.5:
                trunk_obj = {"number": trunk, "name": self.pick("trunk", TRUNKS)}
            elif style < 0.8:
                trunk_obj = {"name": trunk}
            elif style < 0.9:
                trunk_obj = {"id": trunk}
            else:
                trunk_obj = {"title": trunk, "number": trunk}
        elif rng.random() < 0.3:
            trunk_obj = None if rng.random() < 0.5 else {}
        start, answer, end = when
        channel: dict[str, Any] = {
            "answer_time": answer,
            "end_time": end,
            "extra": {"dial_status": self.pick("dial_status", DIAL), "hangup_cause": rng.choice((16, 17, 19, 21, 0))},
            "from": frm,
            "id": uid,
            "is_primary": primary,
            "name": f"PJSIP/{trunk or ext}-{rng.randrange(16**8):08x}",
            "start_time": start,
            "state": rng.choice(("ringing", "talking", "ended", "processed")),
            "to": to,
            "trunk": trunk_obj,
            "type": kind,
            "was_answered": answered,
        }
        if rng.random() < 0.3:  # where some connectors keep the line, the agent and the caller
            channel["did"] = self.pick("line", ("74950000001", "74957654321", trunk, ""))
        if rng.random() < 0.3:
            channel["extra"]["agent"] = self.pick("extension", EXTENSIONS)
        if rng.random() < 0.2:
            channel["extra"]["caller"] = client if rng.random() < 0.5 else client_number(rng, rng.choice(self.regions))
        if rng.random() < 0.05:
            del channel[rng.choice(("extra", "from", "to", "trunk", "state", "start_time"))]
        if rng.random() < 0.05:
            channel[rng.choice(UNKNOWN_KEYS)] = rng.choice(("x", 1, None, {"y": "Ж"}))
        return channel

    def record(self, start: str, linked: str) -> str:
        """A recording's path, or the link some setups keep (a query with '&', a name with quotes)."""
        rng = self.rng
        style = rng.random()
        if style < 0.15:
            return f"https://pbx.example/rec?id={linked}&fmt=mp3&t={rng.randrange(10**6)}"
        if style < 0.2:
            return f'/var/spool/asterisk/monitor/O\'Brien "VIP" <{linked}>.wav'
        return f"/var/spool/asterisk/monitor/{start[:10].replace('-', '/')}/{linked}.wav"

    def user(self, ext: str) -> dict[str, Any] | None:
        rng = self.rng
        if rng.random() < 0.1:
            return None
        phones = [ext] if rng.random() < 0.8 else [ext, client_number(rng, rng.choice(self.regions))]
        return {
            "id": self.pick("user.id", (7, 12, 456, 5, 900, 1)),
            "name": self.text(PEOPLE),
            "phones": phones,
            "email": "user@example.com",
            "position": self.pick("position", POSITIONS),
        }

    def entity(self) -> dict[str, Any] | None:
        rng = self.rng
        if rng.random() < 0.2:
            return None
        return {
            "type": rng.choice(("lead", "contact", "company")),
            "id": rng.randint(1, 99999),
            "name": self.text(COMPANIES + tuple(PEOPLE)),
            "responsible_id": rng.choice((1, 7, 12)),
        }

    def call_full(self, now: datetime) -> tuple[dict[str, Any], dict[str, Any]]:
        """call_full and what it was made of (for the old root fields)."""
        rng = self.rng
        kind = rng.choice(("incoming", "incoming", "incoming", "outgoing", "outgoing", "local", "unknown"))
        client, region = self.client()
        ext = str(self.pick("extension", EXTENSIONS))
        trunk = str(self.pick("trunk", TRUNKS))
        answered = rng.random() < 0.6
        when = self.times(now, answered)
        base = int(now.timestamp()) - rng.randint(0, 900)
        linked = f"{base}.{rng.randint(1, 9999)}"
        conversations: dict[str, Any] = {}
        for i in range(rng.choice((0, 1, 1, 1, 2, 3))):
            uid = f"{base}.{rng.randint(1, 9999) + i}"
            conv_ext = ext if i == 0 else str(self.pick("extension", EXTENSIONS))
            conversations[uid] = {
                "channel": self.channel(uid, kind, client, conv_ext, trunk, when, answered and i == 0, False),
                "is_parked": rng.random() < 0.05,
                "user": self.user(conv_ext),
            }
        call = {
            "active_conversation_id": next(iter(conversations), ""),
            "channel": self.channel(linked, kind, client, ext, trunk, when, answered, True),
            "conversations": conversations if conversations or rng.random() < 0.7 else [],
            "deal": None if rng.random() < 0.7 else {"id": rng.randint(1, 9999), "title": self.text(COMPANIES)},
            "entity": self.entity(),
            "is_ivr": (not answered) and rng.random() < 0.3,
            "record": "" if not answered else self.record(when[0], linked),
            "registration": None if rng.random() < 0.5 else {"id": f"externalCall.{rng.randrange(16**12):012x}"},
            "result": self.pick("status", STATUSES),
        }
        facts = {
            "kind": kind,
            "client": client,
            "region": region,
            "ext": ext,
            "trunk": trunk,
            "answered": answered,
            "when": when,
            "linked": linked,
        }
        return call, facts

    def old_fields(self, facts: dict[str, Any]) -> dict[str, Any]:
        """The root `call` and `conversation` of connectors before 3.13 (type 2 = incoming)."""
        type_code = {"incoming": 2, "outgoing": 1}.get(facts["kind"], 0)
        client, ext = facts["client"], facts["ext"]
        frm, to = (client, ext) if facts["kind"] == "incoming" else (ext, client)
        return {
            "call": {
                "id": facts["linked"],
                "from": frm,
                "to": to,
                "trunk": facts["trunk"],
                "type": type_code,
                "start_time": facts["when"][0],
            },
            "conversation": {"id": facts["linked"], "type": type_code, "from": frm, "to": to, "user_id": 7},
        }


def _reply_fields(
    m: _Maker, name: str, call: dict[str, Any] | None, facts: dict[str, Any], now: datetime
) -> dict[str, Any]:
    """The customization's own documented input keys."""
    rng = m.rng
    kind = facts["kind"]
    if name in ("process_client_phone",):
        return {"phone": facts["client"] if rng.random() < 0.9 else _odd_number(rng)}
    if name == "process_user_phone":
        ext = facts["ext"]
        return {
            "phone": rng.choice(
                (ext, "9" + ext[-3:] if len(ext) >= 3 else ext, client_number(rng, rng.choice(m.regions)))
            )
        }
    if name == "process_registration_params":
        return {
            "CALL_START_DATE": rng.choice((facts["when"][0], now.strftime("%Y-%m-%dT%H:%M:%S+00:00"), "")),
            "CRM_CREATE": rng.choice((0, 1)),
            "CRM_SOURCE": rng.choice(("CALL", "", "1")),
            "LINE_NUMBER": str(m.pick("line", (facts["trunk"], "74950000001", "74957654321", ""))),
            "PHONE_NUMBER": facts["client"],
            "SHOW": 0,
            "TYPE": 2 if kind == "incoming" else 1,
            "USER_ID": m.pick("user.id", (7, 12, 456)),
        }
    if name == "process_final_params":
        duration = rng.choice((0, 5, 9, 10, 11, 59, 60, 61, rng.randint(0, 7200)))
        return {
            "ADD_TO_CHAT": rng.choice((0, 1)),
            "CALL_ID": f"externalCall.{rng.randrange(16**12):012x}",
            "DURATION": duration if rng.random() < 0.9 else str(duration),
            "STATUS_CODE": str(m.pick("status", ("200", "304", "404", "486", "603"))),
            "USER_ID": m.pick("user.id", (7, 12, 456, 5)),
        }
    if name == "process_task_creation_params":
        # DEADLINE in the notations connectors write: the server's local time, ISO 8601 with an
        # offset (Bitrix24's own), d.m.Y H:i:s (a Russian-locale portal)
        due = now + timedelta(hours=rng.choice((1, 2, 24)))
        notation = rng.choice(("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M:%S", "iso", "%d.%m.%Y %H:%M:%S"))
        if notation == "iso":
            offset = timedelta(hours=rng.choice((3, 5, 6, -5)))
            deadline = due.astimezone(timezone(offset)).isoformat(timespec="seconds")
        else:
            deadline = due.strftime(notation)
        return {
            "fields": {
                "CREATED_BY": 1,
                "DEADLINE": deadline,
                "RESPONSIBLE_ID": m.pick("user.id", (7, 12)),
                "TITLE": "Пропущенный звонок " + facts["client"],
                "UF_CRM_TASK": [f"{rng.choice('LC')}_{rng.randint(1, 99999)}"],
            }
        }
    if name in ("customize_activity", "customize_attach_record_url"):
        fields: dict[str, Any] = {
            "activity": {
                "id": str(rng.randint(1, 99999)),
                "is_new": False,
                "name": "Входящий звонок " + facts["client"],
                "phones": [],
                "raw": {"SUBJECT": "Звонок", "DIRECTION": 1 if kind == "incoming" else 2},
                "responsible": m.user(facts["ext"]),
                "responsible_id": str(m.pick("user.id", (7, 12))),
                "type": "activity",
            }
        }
        if name == "customize_attach_record_url":
            url = "https://pbx.example/rec/" + facts["linked"] + ".mp3"
            fields["DESCRIPTION"] = f'<audio controls src="{url}"></audio>'
            fields["DESCRIPTION_TYPE"] = 3
        return fields
    if name == "customize_autodistribution":
        ext = facts["ext"]
        return {
            "number": ext,
            "name": m.text(PEOPLE),
            "from": facts["client"],
            "user": m.user(ext),
            "entity": m.entity(),
            "error": "" if rng.random() < 0.9 else "user not found",
        }
    if name == "customize_show_call_card":
        return {"CALL_ID": f"externalCall.{rng.randrange(16**12):012x}", "USER_ID": m.pick("user.id", (7, 12))}
    if name == "process_record_file_path":
        path = (call or {}).get("record") or f"/var/spool/asterisk/monitor/{facts['linked']}.wav"
        return {"path": path, "call_id": facts["linked"], "from": facts["client"], "to": facts["ext"]}
    return {}


def _originate(m: _Maker) -> dict[str, Any]:
    """Click-to-call: the documented `params` wrapper, or the same keys at the root."""
    rng = m.rng
    client, _region = m.client()
    inner = {
        "caller_id": str(m.pick("caller_id", ("100", "101", "200", "2005"))),
        "channel": "PJSIP/" + str(m.pick("extension", EXTENSIONS)),
        "context": "from-internal",
        "extension": client,
        "priority": rng.choice(("1", 1)),
        "request_data": rng.choice(("", "{}", '{"entity":"C_12"}')),
    }
    return {"params": inner} if rng.random() < 0.7 else inner


def generate_calls(
    seed: int,
    n: int,
    regions: Sequence[str] | None = None,
    *,
    customizations: Sequence[str] = CUSTOMIZATIONS,
    invalid_bytes: bool = True,
    hints: Mapping[str, Sequence[Any]] | None = None,
    start: datetime | None = None,
    days: int = 31,
) -> Iterator[dict[str, Any]]:
    """`n` calls drawn from `seed` (the same arguments give the same calls, on every machine).
    `regions`: where client numbers come from (default REGIONS); `hints`: extra values to mix in
    per key ("extension", "trunk", "status", "line", "client_phone", "user.id", "caller_id",
    "dial_status", "position"; "day": dates on which a third of the calls fall), so that a spec's
    own values occur; calls are spread over `days`
    days from `start` (default 2026-11-01 UTC)."""
    rng = random.Random(seed)
    maker = _Maker(rng, regions or REGIONS, invalid_bytes, hints or {})
    first = start or datetime(2026, 11, 1, tzinfo=UTC)
    span = days * 86400
    for _ in range(n):
        now = first + timedelta(seconds=rng.randrange(span))
        on_days = (hints or {}).get("day")
        if on_days and rng.random() < 0.35:  # a day the spec's calendar names (a holiday, a day off...)
            day = rng.choice(list(on_days))
            now = datetime(day.year, day.month, day.day, tzinfo=UTC) + timedelta(seconds=rng.randrange(-7200, 86400))
        name = rng.choice(customizations)
        shape = rng.choice(("3.13", "3.13", "3.13", "3.10", "pre-3.10"))
        if name == "process_originate_params":
            params = _originate(maker)
            region = ""
        else:
            call, facts = maker.call_full(now)
            region = facts["region"]
            params = {}
            if shape != "pre-3.10":
                params["call_full"] = call
            if name in (
                "need_registration",
                "process_client_phone",
                "process_user_phone",
                "customize_show_call_card",
                "post_registration",
                "process_registration_params",
            ):
                params["call_stage"] = rng.choice(STAGES_OF.get(name, STAGES))
            if shape != "3.13" and name not in ("process_client_phone", "process_user_phone"):
                params.update(maker.old_fields(facts))
            params.update(_reply_fields(maker, name, call if shape != "pre-3.10" else None, facts, now))
        yield {
            "customization": name,
            "input": params,
            "at": now.isoformat(),
            "now": int(now.timestamp()),
            "shape": shape,
            "region": region,
        }


def _clean(value: Any) -> Any:
    if isinstance(value, str):
        return value.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    if isinstance(value, dict):
        return {_clean(k): _clean(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_clean(v) for v in value]
    return value


def to_json(value: Any) -> str:
    """JSON text, each stray byte replaced by U+FFFD (what a JSON encoder that cannot carry it does)."""
    return json.dumps(_clean(value), ensure_ascii=False)


def to_bytes_json(value: Any) -> bytes:
    """JSON as bytes, stray bytes written raw (not valid UTF-8, as PHP's own strings may be)."""
    return json.dumps(value, ensure_ascii=False).encode("utf-8", "surrogateescape")


def has_stray_byte(value: Any) -> bool:
    if isinstance(value, str):
        return any(0xDC80 <= ord(c) <= 0xDCFF for c in value)
    if isinstance(value, dict):
        return any(has_stray_byte(k) or has_stray_byte(v) for k, v in value.items())
    if isinstance(value, list):
        return any(has_stray_byte(v) for v in value)
    return False
