"""`itgrix-gen explain`: what a spec makes each customization do, in plain Markdown for a client.
Each customization's module says what its section does (`explain`); this lays out the document.
Values from the spec are quoted as inline code, so no value can change the document's structure;
only the spec's `description` is Markdown as written."""

from __future__ import annotations

import datetime

from generator.customizations import CUSTOMIZATIONS
from generator.customizations.words import code
from generator.emit.fields import override_paths
from generator.speclang.spec import Spec


def explain(spec: Spec, start: datetime.date | None = None) -> str:
    """The document; `start`: the first day of the twelve months whose calendar it lists (today)."""
    lines = [f"# What the Itgrix customizations do for {code(spec.name)}", ""]
    if spec.description:
        lines += [spec.description.replace("\n", " "), ""]
    lines += ["Values in `{braces}` are filled in from the call at the time it happens.", ""]
    customized, passthrough = [], []
    for c in CUSTOMIZATIONS:
        section = c.section_of(spec)
        if section is None:
            passthrough.append(c)
            continue
        customized.append(c)
        lines += [f"## {c.filename}", "", f"*{c.summary}*", ""]
        own = getattr(section, "shadow", None)
        if own if own is not None else spec.shadow:
            lines += [
                "**Shadow mode:** this file decides and logs as below, but answers the connector as if it "
                "were not customized (no webhook is sent, no recording converted).",
                "",
            ]
        lines += [f"- {line}" for line in c.explain(section, spec)]
        lines.append("")
    lines += ["## Left unchanged", ""]
    lines += [
        ", ".join(c.filename for c in passthrough) + ": these pass the connector's data through untouched."
        if passthrough
        else "Nothing: every customization is used."
    ]
    if spec.capture is not None:
        cap = spec.capture
        lines += [
            "",
            "## Call log",
            "",
            f"Every call each file sees is appended to {code(cap.dir + '/<file>.jsonl')} (folder mode 0700, files "
            f"0600), rotated at {cap.max_mb:g} MB with {cap.keep} old files kept"
            + ("; phone digits and names are replaced by stable pseudonyms first." if cap.redact else ".")
            + " The connector calls only the files switched on below.",
        ]
    if spec.calendar is not None:
        lines += ["", *calendar_lines(spec, start or datetime.date.today())]
    if spec.fields:
        lines += ["", "## Where this connector keeps call data", ""]
        for key in spec.fields:
            found = override_paths(key, spec.fields)
            assert found is not None
            paths, replace = found
            how = "only" if replace else "first, then the field table's own paths"
            lines.append(f"- {code(key)} is read from {', '.join(code(p) for p in paths)} ({how}).")
    lines += [
        "",
        "## To switch on",
        "",
        "In the connector's admin panel (`http://<asterisk-ip>:8077` → Customizer) switch on: "
        + (", ".join(c.name for c in customized) if customized else "nothing")
        + ".",
    ]
    return "\n".join(lines) + "\n"


def calendar_lines(spec: Spec, start: datetime.date) -> list[str]:
    """The calendar's days for the twelve months from `start`, as the generated files hold them
    (so the reader sees which country a code means, and which dates it gives)."""
    from generator.emit.zones import CALENDAR_YEARS, calendar_days
    from generator.speclang.days import describe, holiday_dates, parse_day

    cal = spec.calendar
    assert cal is not None
    try:
        end = start.replace(year=start.year + 1)
    except ValueError:  # 29 February
        end = start.replace(year=start.year + 1, day=28)
    years = range(start.year, end.year + 1)
    off, work = (set(days) for days in calendar_days(cal.regions(), tuple(cal.off), tuple(cal.workdays)))
    names: dict[datetime.date, list[str]] = {}
    transfers: set[datetime.date] = set()
    for region in cal.regions():
        holidays, moved = holiday_dates((region,), years)
        for day, name in holidays.items():
            names.setdefault(day, []).append(f"{name} ({region})")
        transfers |= moved
    items = [(item, parse_day(item)) for item in cal.off], [(item, parse_day(item)) for item in cal.workdays]

    def own(day: datetime.date, which: int) -> list[str]:
        key = ("off", "workdays")[which]
        return [f"the spec's `{key}` {code(text)}" for text, span in items[which] if day in span.dates(years)]

    regions = ", ".join(describe(r) for r in cal.regions()) or "none"
    last = end - datetime.timedelta(days=1)
    out = [
        "## Calendar",
        "",
        f"Public holidays of: {regions}. Days the calendar makes off or worked, whatever their weekday, from "
        f"{start.isoformat()} to {last.isoformat()} (a day off has no working hours; a day worked has Monday's "
        "hours):",
        "",
    ]
    listed = 0
    day = start
    while day < end:
        iso, month_day = day.isoformat(), day.strftime("%m-%d")
        label = f"{day.strftime('%a')} {iso}"
        if iso in work or month_day in work:
            why = own(day, 1) or (["a transferred working day"] if day in transfers else [])
            out.append(f"- {label}: **worked** ({'; '.join(why)})")
            listed += 1
        elif iso in off or month_day in off:
            why = (names.get(day, []) if day.year in CALENDAR_YEARS else []) + own(day, 0)
            out.append(f"- {label}: off ({'; '.join(why)})")
            listed += 1
        day += datetime.timedelta(days=1)
    if not listed:
        out.append("- none")
    if cal.regions() and last.year > CALENDAR_YEARS.stop - 1:
        out += [
            "",
            f"The files hold public holidays for {CALENDAR_YEARS.start}–{CALENDAR_YEARS.stop - 1} only: render "
            "them again with a newer itgrix-gen before then.",
        ]
    return out
