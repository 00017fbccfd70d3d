"""A time zone's UTC offsets, taken from the tz database at generation time and written into the
generated file, so that a schedule gives the same answer on every PHP whatever zone data the
server's PHP build carries (builds older than 2024 still put Asia/Almaty at UTC+6).

A zone becomes (the offset before the first change, [UTC times of the changes], [offsets from
then on]), in seconds, for the years FIRST_YEAR to LAST_YEAR; past the last change the last offset
holds (regenerate the files to take newer tz data, `itgrix-gen render` does)."""

from __future__ import annotations

import zoneinfo
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from typing import Any

FIRST_YEAR, LAST_YEAR = 2020, 2040


def _offset(zone: zoneinfo.ZoneInfo, at: int) -> int:
    moment = datetime.fromtimestamp(at, tz=UTC).astimezone(zone)
    delta = moment.utcoffset() or timedelta(0)
    return int(delta.total_seconds())


@lru_cache(maxsize=64)
def offsets(name: str) -> tuple[int, tuple[int, ...], tuple[int, ...]]:
    zone = zoneinfo.ZoneInfo(name)
    start = int(datetime(FIRST_YEAR, 1, 1, tzinfo=UTC).timestamp())
    end = int(datetime(LAST_YEAR + 1, 1, 1, tzinfo=UTC).timestamp())
    base = _offset(zone, start)
    changes: list[int] = []
    values: list[int] = []
    current = base
    step = 6 * 3600  # offsets change at most every few months; a change is found to the second below
    at = start
    while at < end:
        nxt = at + step
        if _offset(zone, nxt) != current:
            low, high = at, nxt  # the change lies in (low, high]
            while high - low > 1:
                mid = (low + high) // 2
                if _offset(zone, mid) == current:
                    low = mid
                else:
                    high = mid
            current = _offset(zone, high)
            changes.append(high)
            values.append(current)
        at = nxt
    return base, tuple(changes), tuple(values)


CALENDAR_YEARS = range(2025, 2033)


def calendar_days(
    regions: tuple[str, ...], off: tuple[str, ...], workdays: tuple[str, ...]
) -> tuple[list[str], list[str]]:
    """(days off, days worked although off) as the generated file holds them, sorted: "Y-m-d"
    dates (the public holidays and transferred working days of `regions` from the `holidays`
    package, CALENDAR_YEARS; the spec's own dates and ranges) and "m-d" for a day of every year."""
    from generator.speclang.days import holiday_dates, parse_day

    holidays, transfers = holiday_dates(regions, CALENDAR_YEARS)
    days_off = {d.isoformat() for d in holidays}
    days_on = {d.isoformat() for d in transfers}
    for item in off:
        days_off |= set(parse_day(item).runtime_entries())
    for item in workdays:
        days_on |= set(parse_day(item).runtime_entries())
    # A day worked is not also a day off (the file looks at the days worked first anyway).
    days_off = {d for d in days_off if d not in days_on and d[-5:] not in days_on}
    return sorted(days_off), sorted(days_on)


# Generated files stay deployed for years: a range that ends sooner than this is worth a warning.
LIKELY_LIFE_YEARS = 2


def range_end() -> int:
    """The first moment (UTC) past the offsets written into the files: from then on the last
    offset is assumed, and the files say so on stderr at run time."""
    return int(datetime(LAST_YEAR + 1, 1, 1, tzinfo=UTC).timestamp())


def range_notes(spec: Any, today: date) -> list[str]:
    """Warnings at generation: the embedded time-zone offsets or holidays end within the files'
    likely life (LIKELY_LIFE_YEARS from `today`)."""
    horizon = today.year + LIKELY_LIFE_YEARS
    notes = []
    if horizon > LAST_YEAR:
        notes.append(
            f"time-zone offsets are written into the files for {FIRST_YEAR}-{LAST_YEAR} only; calls after "
            f"{LAST_YEAR} get the last offset known (a newer itgrix-gen extends the range: render again)"
        )
    calendar = getattr(spec, "calendar", None)
    last = CALENDAR_YEARS.stop - 1
    if calendar is not None and getattr(calendar, "holidays", None) and last < horizon:
        notes.append(
            f"public holidays are written into the files for {CALENDAR_YEARS.start}-{last} only; after {last} "
            "only weekends and the spec's own days count (a newer itgrix-gen extends the range: render again)"
        )
    return notes
