"""The calendar's days as people write them: `calendar.holidays` (a country or an ISO 3166-2
subdivision such as DE-BY, as the `holidays` package knows them) and the days of `off`/`workdays`
(a date 2026-12-31, a day of every year 12-24, and ranges A..B of either).

Both are checked when the spec is loaded (a ValueError with a suggestion) and expanded here when
the files are generated (generator/emit/zones.py) and explained (generator/explain.py)."""

from __future__ import annotations

import contextlib
import datetime
import difflib
import functools
import json
import os
import re
from dataclasses import dataclass
from typing import Any

from generator.cachedir import cache_dir

MAX_RANGE_DAYS = 366  # a range is at most a year: anything longer is a mistake in a year

_DATE = r"\d{4}-\d{2}-\d{2}"
_MONTH_DAY = r"\d{2}-\d{2}"
_DAY_RE = re.compile(rf"^\s*(?P<a>{_DATE}|{_MONTH_DAY})\s*(?:\.\.\s*(?P<b>{_DATE}|{_MONTH_DAY})\s*)?$")
_HELP = "write a date 2026-12-31, a day of every year 12-24, or a range 12-24..12-31 / 2027-07-01..2027-07-14"


@dataclass(frozen=True)
class DaySpan:
    """One item of `off`/`workdays`: dates first..last (`yearly`: month-day pairs of every year,
    the range may run over New Year: 12-28..01-06)."""

    text: str
    yearly: bool
    first: tuple[int, int, int]  # (year, month, day); year 0 when yearly
    last: tuple[int, int, int]

    def dates(self, years: range) -> list[datetime.date]:
        """The days this item covers within `years`."""
        if not self.yearly:
            a, b = datetime.date(*self.first), datetime.date(*self.last)
            return [
                a + datetime.timedelta(n) for n in range((b - a).days + 1) if (a + datetime.timedelta(n)).year in years
            ]
        out = []
        for year in years:
            for day in self.month_days():
                month, dom = (int(p) for p in day.split("-"))
                try:
                    out.append(datetime.date(year, month, dom))
                except ValueError:  # 02-29 outside a leap year
                    continue
        return sorted(d for d in out if d.year in years)

    def month_days(self) -> list[str]:
        """A yearly item as "MM-DD" texts (02-29 included), in calendar order from its first day."""
        leap = 2000  # a leap year: every month-day exists
        start = datetime.date(leap, self.first[1], self.first[2])
        end = datetime.date(leap, self.last[1], self.last[2])
        if end < start:
            end = end.replace(year=leap + 1)
        days = [start + datetime.timedelta(n) for n in range((end - start).days + 1)]
        return [d.strftime("%m-%d") for d in days]

    def runtime_entries(self) -> list[str]:
        """What the generated file holds for this item: "Y-m-d" dates, or "m-d" for every year."""
        if self.yearly:
            return self.month_days()
        return [d.isoformat() for d in self.dates(range(self.first[0], self.last[0] + 1))]


def _as_text(value: Any) -> str:
    # An unquoted 2026-12-31 is a YAML date: take it as the text it was written as.
    if isinstance(value, datetime.date) and not isinstance(value, datetime.datetime):
        return value.isoformat()
    if not isinstance(value, str):
        raise ValueError(f"{value!r} is not a day: {_HELP}")
    return value


def _one(text: str, whole: str) -> tuple[bool, tuple[int, int, int]]:
    where = f"{whole!r}: {text}" if whole.strip() != text else repr(text)
    parts = [int(p) for p in text.split("-")]
    if len(parts) == 3:
        try:
            datetime.date(*parts)
        except ValueError:
            raise ValueError(f"{where} is not a date of the calendar; {_HELP}") from None
        return False, (parts[0], parts[1], parts[2])
    month, day = parts
    try:
        datetime.date(2000, month, day)  # a leap year: 02-29 is a day of every leap year
    except ValueError:
        hint = f" (month-day: did you mean {day:02d}-{month:02d}?)" if day <= 12 and month <= 31 and month > 12 else ""
        raise ValueError(f"{where} is not a month-day{hint}; {_HELP}") from None
    return True, (0, month, day)


def parse_day(value: Any) -> DaySpan:
    """One item of `off`/`workdays`, or a ValueError saying how to write it."""
    text = _as_text(value)
    m = _DAY_RE.match(text)
    if not m:
        hint = ""
        if re.fullmatch(r"\s*\d{1,2}\.\d{1,2}\.(\d{4})?\s*", text):
            hint = " (day.month is not read: write month-day, e.g. 12-24)"
        elif re.fullmatch(rf"\s*({_DATE}|{_MONTH_DAY})\s*(-|–|—|\.|\.\.\.|to|bis)\s*({_DATE}|{_MONTH_DAY})\s*", text):
            hint = " (a range is written with two dots: 12-24..12-31)"
        shown = text if len(text) <= 40 else text[:40] + "..."
        raise ValueError(f"{shown!r} is not a day{hint}: {_HELP}")
    yearly_a, first = _one(m.group("a"), text)
    if m.group("b") is None:
        return DaySpan(text.strip(), yearly_a, first, first)
    yearly_b, last = _one(m.group("b"), text)
    if yearly_a != yearly_b:
        raise ValueError(
            f"{text!r}: a range joins two dates (2027-07-01..2027-07-14) or two days of every year "
            "(12-24..12-31), not one of each"
        )
    if not yearly_a:
        a, b = datetime.date(*first), datetime.date(*last)
        if b < a:
            raise ValueError(f"{text!r}: the range ends before it starts")
        if (b - a).days + 1 > MAX_RANGE_DAYS:
            raise ValueError(f"{text!r}: a range is at most {MAX_RANGE_DAYS} days long (is a year mistyped?)")
    return DaySpan(text.strip(), yearly_a, first, last)


def check_day(value: Any) -> str:
    return parse_day(value).text


# --- holidays: countries and subdivisions ------------------------------------------------------


@functools.lru_cache(maxsize=1)
def supported() -> dict[str, list[str]]:
    """Country code -> its subdivision codes, as the holidays package knows them.  The package's
    own list imports all its ~280 country modules (1.5 s at every start of a command that loads a
    spec with holidays), so it is kept on disk per installed copy of the package (its place and
    the time it was written: asking importlib.metadata for the version costs a scan of
    site-packages, as slow as the list)."""
    import hashlib
    import importlib.util

    folder = cache_dir("holidays")
    path = None
    found = importlib.util.find_spec("holidays")
    if folder is not None and found is not None and found.origin:
        with contextlib.suppress(OSError):
            stat = os.stat(found.origin)
            key = hashlib.sha256(f"{found.origin}\0{stat.st_mtime_ns}\0{stat.st_size}".encode()).hexdigest()[:16]
            path = folder / f"supported-{key}.json"
    if path is not None:
        with contextlib.suppress(OSError, ValueError):
            data = json.loads(path.read_text(encoding="utf-8"))
            if isinstance(data, dict) and all(isinstance(v, list) for v in data.values()):
                return data
    import holidays

    data = {code: list(subdivs) for code, subdivs in holidays.list_supported_countries().items()}
    if path is not None:
        with contextlib.suppress(OSError):  # no cache is only slower
            path.parent.mkdir(parents=True, exist_ok=True)
            partial = path.with_name(f".{path.name}.{os.getpid()}")
            partial.write_text(json.dumps(data), encoding="utf-8")
            os.replace(partial, path)  # whole or not at all, also with two commands at once
    return data


@functools.lru_cache(maxsize=1)
def country_names() -> dict[str, str]:
    """ISO code -> the country's English name, as the holidays package names it."""
    from holidays.registry import COUNTRIES

    # The registry's keys are the names in words ("united_states"; its class is "UnitedStates").
    small = {"and", "of", "the"}
    return {
        entry[1]: " ".join(w if w in small else w[:1].upper() + w[1:] for w in key.split("_"))
        for key, entry in COUNTRIES.items()
    }


@functools.lru_cache(maxsize=256)
def subdivision_names(country: str) -> dict[str, str]:
    """A country's subdivision code -> its name (the package's first alias for it), when known."""
    import holidays

    try:
        aliases = getattr(holidays.country_holidays(country), "subdivisions_aliases", {}) or {}
    except (NotImplementedError, KeyError, ValueError):
        return {}
    names: dict[str, str] = {}
    for name, code in aliases.items():
        names.setdefault(str(code), str(name))
    return names


def split(code: str) -> tuple[str, str | None]:
    """ "DE-BY" -> ("DE", "BY"); "KZ" -> ("KZ", None)."""
    country, _, subdiv = code.partition("-")
    return country, subdiv or None


def describe(code: str) -> str:
    """ "DE-BY" -> "Germany, Bayern (DE-BY)"; "BY" -> "Belarus (BY)"."""
    country, subdiv = split(code)
    name = country_names().get(country, country)
    if subdiv:
        name += ", " + subdivision_names(country).get(subdiv, subdiv)
    return f"{name} ({code})"


def check_region(value: Any) -> str:
    """A country or subdivision code as the holidays package knows it, upper-cased; else a
    ValueError naming the valid ones with a suggestion."""
    if not isinstance(value, str) or not value.strip():
        raise ValueError("holidays: give a country (KZ) or a subdivision (DE-BY), or a list of them")
    text = value.strip()
    countries = supported()
    country, subdiv = split(text.upper())
    if country not in countries:
        close = difflib.get_close_matches(country, sorted(countries), n=3)
        named = [c for c, n in country_names().items() if n.lower() == text.lower()]
        hint = f" (did you mean {', '.join(named or close)}?)" if named or close else ""
        raise ValueError(f"the holidays package has no country {value!r}{hint}")
    if subdiv is None:
        return country
    valid = countries[country]
    by_upper = {s.upper(): s for s in valid}
    if subdiv in by_upper:
        return f"{country}-{by_upper[subdiv]}"
    # "DE-Bayern": a subdivision's name instead of its code
    wanted = text.partition("-")[2].lower()
    by_name = {name.lower(): code for code, name in subdivision_names(country).items()}
    close = [by_name[wanted]] if wanted in by_name else difflib.get_close_matches(subdiv, sorted(by_upper), n=1)
    if not close:
        named = difflib.get_close_matches(wanted, sorted(by_name), n=1, cutoff=0.7)
        close = [by_name[named[0]]] if named else []
    hint = f"did you mean {country}-{close[0]}? " if close else ""
    # Only ISO 3166-2 codes are offered: the package also accepts a few cities ("DE-Augsburg",
    # "CH-Stadt Zurich") under `subdivisions`, which are no codes a reader could look up.
    iso = [s for s in valid if re.fullmatch(r"[A-Z0-9]{1,3}", s)]
    listed = ", ".join(f"{country}-{s}" for s in iso) if iso else f"none: {country} has no subdivisions"
    raise ValueError(f"the holidays package has no subdivision {value!r}; {hint}valid: {listed}")


def holiday_dates(codes: tuple[str, ...], years: range) -> tuple[dict[datetime.date, str], set[datetime.date]]:
    """(public holidays by date with their names, weekend days worked) of every region in `codes`."""
    import holidays

    off: dict[datetime.date, str] = {}
    on: set[datetime.date] = set()
    for code in codes:
        country, subdiv = split(code)
        calendar = holidays.country_holidays(country, subdiv=subdiv, years=years)
        for day, name in sorted(calendar.items()):
            if day.year in years:
                off.setdefault(day, name)
        on |= {d for d in getattr(calendar, "weekend_workdays", ()) if d.year in years}
    return off, on
