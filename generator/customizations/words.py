"""Plain-language pieces shared by the customizations' `explain` texts.

Values from the spec are quoted as inline code (with a longer fence when they hold a backtick),
so no value can change the Markdown document's structure."""

from __future__ import annotations

from typing import Any

from generator.speclang.types import DAYS, Match, When

DIRECTION = {
    "incoming": "incoming",
    "outgoing": "outgoing",
    "local": "internal (local)",
    "unknown": "of unknown direction",
}
STAGE = {
    "conversation_requested": "the call is ringing (conversation requested)",
    "conversation_accepted": "the call is answered",
    "conversation_ended": "a conversation ends",
    "call_ended": "the call ends",
}
FORMAT = {
    "e164": "international E.164 ({e164})",
    "national": "national notation ({national})",
    "digits": "digits with the country code ({digits})",
    "keep": "the notation it arrived in",
    "dial": "the digits dialled from {region} ({national} at home, {abroad} abroad)",
}


def number_format(fmt: str, region: str | None) -> str:
    """A format in words, with an example number of the spec's own region (a German client reads
    German numbers), as phonenumbers writes it."""
    import re

    import phonenumbers as pn

    region = region or "RU"
    number = pn.example_number_for_type(region, pn.PhoneNumberType.FIXED_LINE) or pn.example_number(region)
    if number is None:  # a region without example numbers: the words alone
        return re.sub(r" \(.*\)$", "", FORMAT[fmt]).replace("{region}", region)
    foreign = pn.example_number_for_type("DE" if region != "DE" else "AT", pn.PhoneNumberType.FIXED_LINE)
    e164 = pn.format_number(number, pn.PhoneNumberFormat.E164)
    return FORMAT[fmt].format(
        e164=e164,
        digits=e164[1:],
        national=re.sub(r"\D", "", pn.format_out_of_country_calling_number(number, region))
        if fmt == "dial"
        else re.sub(r"\D", "", pn.format_number(number, pn.PhoneNumberFormat.NATIONAL)),
        abroad=re.sub(r"[^0-9+]", "", pn.format_out_of_country_calling_number(foreign, region)) if foreign else "",
        region=region,
    )


def code(text: object) -> str:
    value = str(text).replace("\r", " ").replace("\n", " ")
    fence = "``" if "`" in value else "`"
    return f"{fence} {value} {fence}" if fence == "``" else f"`{value}`"


def any_of(values: list[str]) -> str:
    quoted = [code(v) for v in values]
    if len(quoted) == 1:
        return quoted[0]
    return ", ".join(quoted[:-1]) + " or " + quoted[-1]


def match(m: Match) -> str:
    parts = []
    if m.values:
        parts.append(("is " if len(m.values) == 1 else "is one of ") + any_of(list(m.values)))
    if m.regexes:
        parts.append("matches the pattern " + any_of(list(m.regexes)))
    return " or ".join(parts)


def _country(code_: str) -> str:
    """`KZ` -> "from Kazakhstan (`KZ`)", so a reader sees which country a code is."""
    if code_ == "unknown":
        return "not a valid number (`unknown`)"
    from phonenumbers.geocoder import _region_display_name

    name = _region_display_name(code_, "en")
    return f"from {name} ({code(code_)})" if name else f"from {code(code_)}"


def condition(when: When, spec: Any) -> str:
    parts = []
    if when.direction:
        parts.append("the call is " + " or ".join(DIRECTION[d] for d in when.direction))
    if when.stage:
        parts.append(" or ".join(STAGE[s] for s in when.stage))
    labels = {
        "extension": "an employee's extension",
        "trunk": "the trunk (number or name)",
        "client_phone": "the client's number",
        "client_phone_raw": "the client's number exactly as sent",
        "line": "the line number",
        "status": "the call status",
    }
    for key, label in labels.items():
        value = getattr(when, key)
        if value is not None:
            client = spec.phones.client if spec.phones else None
            written = client is not None and (client.effective_format() != "keep" or bool(client.rewrite))
            parts.append(
                f"{label} {match(value)}" + (" (in any notation)" if key == "client_phone" and written else "")
            )
    if when.country is not None:
        parts.append("the client's number is " + " or ".join(_country(c) for c in when.country))
    if when.number_type is not None:
        parts.append("the client's number is " + " or ".join(t.replace("_", " ") for t in when.number_type))
    if when.answered is not None:
        parts.append("the call was answered" if when.answered else "the call was not answered")
    if when.is_ivr is not None:
        parts.append("the call was missed in the IVR" if when.is_ivr else "the call was not an IVR miss")
    if when.hours is not None or when.days is not None:
        zone = (when.hours.timezone if when.hours and when.hours.timezone else None) or when.timezone or spec.timezone
        text = (
            schedule_words(spec, when.hours.schedule)
            if when.hours and when.hours.schedule
            else "the time is within " + windows_words(when.hours.window)
            if when.hours
            else "it is"
        )
        days = list(when.days or (when.hours.days if when.hours else ()) or ())
        if days:
            text += " on " + ", ".join(d.capitalize() for d in sorted(days, key=DAYS.index))
        moment = "at the moment of the decision" if when.hours and when.hours.at == "now" else "when the call started"
        parts.append(f"{text} ({zone} time, {moment})")
    for fc in when.field or ():
        path = ".".join(fc.keys())
        test = (
            f"matches the pattern {code(fc.regex)}"
            if fc.regex
            else ("is one of " if len(fc.in_ or []) > 1 else "is ") + any_of([str(v) for v in fc.in_ or []])
        )
        parts.append(f"the input field {code(path)} {test}")
    if when.duration is not None:
        names = {"==": "exactly", ">=": "at least", ">": "more than", "<=": "at most", "<": "less than"}
        parts.append("the talk lasted " + " and ".join(f"{names[op]} {s} s" for op, s in when.duration.tests()))
    if when.not_ is not None:
        parts.append(f"not ({condition(when.not_, spec)})")
    if when.any_ is not None:
        parts.append("any of: " + "; or ".join(f"({condition(branch, spec)})" for branch in when.any_))
    return " and ".join(parts) if parts else "always"


def assignments(values: dict[str, Any]) -> str:
    return ", ".join(f"{code(key)} = {code(value)}" for key, value in values.items())


def placeholder_notes(texts: list[str], spec: Any) -> list[str]:
    """What the computed placeholders among `texts` stand for."""
    from generator.speclang import placeholders

    keys = set()
    for text in texts:
        try:
            keys |= {p.key for p in placeholders.each(placeholders.parse(text))}
        except placeholders.TemplateError:
            continue
    notes = []
    client = spec.phones.client if spec.phones else None
    if "client_phone" in keys and client is not None and (client.effective_format() != "keep" or client.rewrite):
        notes.append(
            f"{code('{client_phone}')} is the number as process_client_phone.php answers it "
            f"({number_format(client.effective_format(), client.region)}); {code('{client_phone.raw}')} is the number as it came."
        )
    dates = sorted(keys & set(placeholders.DATE_NAMES))
    if dates:
        notes.append(
            ", ".join(code("{" + d + "}") for d in dates)
            + (" is the call's time" if len(dates) == 1 else " are the call's times")
            + f" in {code(str(spec.timezone))}: ISO 8601 with its offset, or the format after ':'."
        )
    return notes


def set_and_rules(section: Any, spec: Any) -> list[str]:
    """`set` and `rules` of a section of fields, in words."""
    out = []
    if getattr(section, "set", None):
        out.append("Always: " + assignments(section.set) + ".")
    for rule in getattr(section, "rules", []):
        if rule.cancels():
            out.append(f"When {condition(rule.when, spec)}: the request is **cancelled**.")
        else:
            out.append(f"When {condition(rule.when, spec)}: " + assignments(rule.set) + ".")
    from generator.speclang.placeholders import texts as walk

    values = [getattr(section, "set", None)] + [r.set for r in getattr(section, "rules", [])]
    texts = [text for value in values for _path, text in walk(value)]
    return out + placeholder_notes(texts, spec)


def windows_words(windows: Any) -> str:
    """Time windows as people read them: "09:00–13:00, 14:00–18:00"."""
    from generator.speclang.types import _parse_window

    def clock(minutes: int) -> str:
        return f"{minutes // 60:02d}:{minutes % 60:02d}"

    return ", ".join(f"{clock(a)}–{clock(b)}" for a, b in (_parse_window(w) for w in windows))


def schedule_words(spec: Any, name: str) -> str:
    """`hours: office` in words: its days and windows, and the calendar's days off."""
    windows = spec.schedules[name] if spec.schedules and name in spec.schedules else {}
    days = "; ".join(
        f"{key.replace('-', '–').replace(',', ', ').title()} "
        + windows_words(value if isinstance(value, list) else [value])
        for key, value in windows.items()
    )
    text = f"the time is within the schedule {code(name)} ({days}"
    cal = spec.calendar
    if cal and (cal.holidays or cal.off or cal.workdays):
        text += "; days off and days worked as listed under Calendar below"
    return text + ")"
