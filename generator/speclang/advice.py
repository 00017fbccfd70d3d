"""Warnings about a spec that is valid but probably not what its author meant: printed by the
commands that load specs (`file:line:col: warning: path: message`), never a reason to refuse it."""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable
from typing import TYPE_CHECKING

from generator.speclang.issues import SpecIssue
from generator.speclang.loader import LoadedSpec
from generator.speclang.sections import ORIGINATE_KEYS

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
    _unreadable_conditions(loaded, warn)
    _number_type_abroad(loaded, warn)
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
    """A `set` key that is none of the click-to-call parameters the connector documents (most often
    a typo such as `contxt`), and a click-to-call prefix that format e164 keeps from every valid number (the "+"
    number is not dialled through a prefix: runtime.php's dial)."""
    section = spec.originate
    if section is None:
        return
    for path, values in [(("originate", "set"), section.set)] + [
        (("originate", "rules", i, "set"), rule.set) for i, rule in enumerate(section.rules)
    ]:
        for key in values:
            if key not in ORIGINATE_KEYS:
                close = difflib.get_close_matches(key.lower(), ORIGINATE_KEYS, n=1)
                warn(
                    (*path, key),
                    f"{key!r} is not one of the click-to-call parameters the connector documents "
                    f"({', '.join(ORIGINATE_KEYS)})" + (f": did you mean {close[0]!r}?" if close else ""),
                )
    if not section.prefix or section.format != "e164":
        return
    warn(
        ("originate", "prefix"),
        f"{section.prefix!r} goes only before a number format e164 leaves as clicked (an extension, a "
        "number the plan does not allow): a '+…' number is not dialled through a prefix; format "
        "national, digits or dial puts it before every outside number",
    )


def _never(path: tuple[str | int, ...]) -> str:
    """What a condition that is never true does at `path`: directly inside a `not`, that block is
    true on every call (whatever else the rule asks); elsewhere only the condition is said."""
    if path and path[-1] == "not":
        return "it is never true, so the `not` around it is true on every call"
    return "it is never true"


# A condition key and the key of the field table it reads (README "Where each key reads").
_READS = {"client_phone_raw": "client_phone.raw", "country": "client_phone", "number_type": "client_phone"}


def _unreadable_conditions(loaded: LoadedSpec, warn: Callable[[tuple[str | int, ...], str], None]) -> None:
    """A condition on a key the customization's input never holds (`status` in click-to-call, which
    gets only the AMI parameters, unless the spec's `fields:` point it there; not `duration`, 0 s then),
    or a `field:` path outside that input: it is never true."""
    from generator.customizations import CUSTOMIZATIONS
    from generator.emit.fields import FIELDS, sources_for
    from generator.speclang.crosschecks import iter_whens

    for path, when in iter_whens(loaded.data):
        owner = next((c for c in CUSTOMIZATIONS if path[: len(c.section_path)] == c.section_path), None)
        if owner is None:
            continue
        inputs = ", ".join(owner.inputs)
        outcome = _never(path)
        for key in when:
            read = _READS.get(key, key)
            if read not in FIELDS or read == "duration":
                continue  # a call without one lasted 0 s: `duration: 0` holds
            sources = sources_for(read, owner.name, loaded.spec.fields)  # the spec's `fields:` too
            if not any(source.path[0] in (*owner.inputs, "*") for source in sources):
                # The input may hold a key of the same name that is another value (click-to-call's
                # `extension` is the clicked number, which `client_phone` reads).
                same = f"; its own `{read}` is another value (`itgrix-gen fields`)" if read in owner.inputs else ""
                warn(
                    (*path, key),
                    f"{owner.filename}'s input ({inputs}) never holds the {read!r} this condition reads{same}: "
                    + outcome,
                )
        fields = when.get("field")
        for i, item in enumerate(fields if isinstance(fields, list) else [fields] if isinstance(fields, dict) else []):
            field_path = item.get("path") if isinstance(item, dict) else None
            root = field_path.split(".", 1)[0] if isinstance(field_path, str) else None
            if root is not None and root != "*" and root not in owner.inputs:
                where = (*path, "field", i) if isinstance(fields, list) else (*path, "field")
                warn(where, f"{owner.filename}'s input ({inputs}) never holds {field_path!r}: " + outcome)


def _number_type_abroad(loaded: LoadedSpec, warn: Callable[[tuple[str | int, ...], str], None]) -> None:
    """`number_type` types only numbers of the calling code of the region it reads with (README
    "number_type": one of another code is `unknown`), so beside a `country` of other codes only
    (a Swiss spec's `country: [DE, AT], number_type: mobile`) it never holds."""
    import phonenumbers

    from generator.speclang.crosschecks import iter_whens

    data = loaded.data
    client = data.get("phones", {}).get("client", {}) if isinstance(data.get("phones"), dict) else {}
    for path, when in iter_whens(data):
        # Words and codes in any case, as the spec takes them ("MOBILE", "de", "Unknown").
        types = [str(t).lower() for t in _listed(when.get("number_type"))]
        countries = [str(c).upper() for c in _listed(when.get("country"))]
        if not types or not countries or "unknown" in types or "UNKNOWN" in countries:
            continue
        originate = data.get("originate") if path[:1] == ("originate",) else None
        region = str((originate or {}).get("region") or (client or {}).get("region") or "").upper()
        code = phonenumbers.country_code_for_region(region) if region else 0
        if code and all(phonenumbers.country_code_for_region(str(c)) != code for c in countries):
            warn(
                (*path, "number_type"),
                f"number_type types only numbers of +{code} ({region}, the region it reads with); a number of "
                f"{', '.join(map(str, countries))} is 'unknown' to it: " + _never(path),
            )


def _listed(value: object) -> list[object]:
    """A condition's value or values as a list (a text or a number alone is one value)."""
    if isinstance(value, list):
        return value
    return [] if value is None or isinstance(value, dict) else [value]
