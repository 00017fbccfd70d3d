"""Warnings about a spec that is valid but probably not what its author meant: printed by the
commands that load specs (`file:line:col: warning: path: message`), never a reason to refuse it."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING

from generator.speclang.issues import SpecIssue
from generator.speclang.loader import LoadedSpec

if TYPE_CHECKING:
    from generator.speclang.spec import Spec


def warnings(loaded: LoadedSpec) -> list[SpecIssue]:
    from generator.emit.zones import CALENDAR_YEARS
    from generator.speclang.days import describe, split, supported

    spec, out = loaded.spec, []

    def warn(path: tuple[str | int, ...], message: str) -> None:
        file, line, col = loaded.position(path)
        out.append(SpecIssue(file, line, col, "warning: " + ".".join(str(p) for p in path), message))

    _originate(spec, warn)
    cal = spec.calendar
    if cal is None:
        return out
    first, last = CALENDAR_YEARS.start, CALENDAR_YEARS.stop - 1
    for key in ("off", "workdays"):
        for i, item in enumerate(getattr(cal, key)):
            years = sorted({int(y) for y in re.findall(r"(?<!\d)(\d{4})-\d{2}-\d{2}", item)} - set(CALENDAR_YEARS))
            if years:
                # Such a date is written into the files but can only matter outside the years they
                # cover: most often a mistyped year (2024 for 2025).
                warn(
                    ("calendar", key, i),
                    f"{item!r} lies outside {first}–{last}, the years the generated files cover: a mistyped year?",
                )
    client = spec.phones.client if spec.phones else None
    region = client.region if client else None
    if region:
        for i, code in enumerate(cal.regions()):
            country = split(code)[0]
            if country == region:
                continue
            meant = f"{region}-{country}"
            hint = f" (for {describe(meant)} write {meant})" if country in supported().get(region, []) else ""
            warn(
                ("calendar", "holidays", i),
                f"holidays of {describe(code)}, but phones.client.region is {region}{hint}",
            )
    return out


def _originate(spec: Spec, warn: Callable[[tuple[str | int, ...], str], None]) -> None:
    """A click-to-call prefix that format e164 keeps from every valid number (the "+" number is
    not dialled through a prefix: runtime.php's dial)."""
    section = spec.originate
    if section is None or not section.prefix or section.format != "e164":
        return
    warn(
        ("originate", "prefix"),
        f"{section.prefix!r} goes only before a number format e164 leaves as clicked (an extension, a "
        "number the plan does not allow): a '+…' number is not dialled through a prefix; format "
        "national, digits or dial puts it before every outside number",
    )
