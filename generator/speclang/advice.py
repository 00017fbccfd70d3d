"""Warnings about a spec that is valid but probably not what its author meant: printed by the
commands that load specs (`file:line:col: warning: path: message`), never a reason to refuse it."""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from generator.speclang.issues import SpecIssue
from generator.speclang.loader import LoadedSpec
from generator.speclang.sections import ORIGINATE_KEYS

if TYPE_CHECKING:
    from generator.customizations.base import Customization
    from generator.speclang.spec import Spec
    from generator.speclang.types import When


_Warn = Callable[[tuple[str | int, ...], str], None]  # warn(path, message)


def warnings(loaded: LoadedSpec) -> list[SpecIssue]:
    from generator.emit.zones import CALENDAR_YEARS
    from generator.speclang.days import describe, split, supported

    spec, out = loaded.spec, []

    def warn(path: tuple[str | int, ...], message: str) -> None:
        file, line, col = loaded.position(path)
        out.append(SpecIssue(file, line, col, "warning: " + ".".join(str(p) for p in path), message))

    _originate(spec, warn)
    conditions = list(_conditions(loaded))  # each block read once by the model, for both checks
    _unreadable_conditions(loaded, conditions, warn)
    _number_type_abroad(loaded, conditions, warn)
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


def _originate(spec: Spec, warn: _Warn) -> None:
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


_Block = tuple[tuple[str | int, ...], "Customization", dict[str, Any], "When"]


def _conditions(loaded: LoadedSpec) -> Iterator[_Block]:
    """(path, customization, the block as written, the block as the model reads it) for every
    condition block: the model's values are the ones the files compare (codes upper-cased, words
    lower-cased, one `field` a list of one); the written keys are where to point."""
    from generator.customizations import CUSTOMIZATIONS
    from generator.speclang.crosschecks import iter_whens
    from generator.speclang.types import When

    for path, when in iter_whens(loaded.data):
        owner = next((c for c in CUSTOMIZATIONS if path[: len(c.section_path)] == c.section_path), None)
        if owner is not None:
            yield path, owner, when, When.model_validate(when)  # the spec loaded: its blocks are valid


def _unreadable_conditions(loaded: LoadedSpec, conditions: list[_Block], warn: _Warn) -> None:
    """A condition on a key the customization's input never holds (`status` in click-to-call, which
    gets only the AMI parameters, unless the spec's `fields:` point it there; not `duration`, 0 s then),
    or a `field:` path outside that input: it is never true."""
    from generator.emit.fields import FIELDS, condition_reads, sources_for

    for path, owner, when, model in conditions:
        inputs = ", ".join(owner.inputs)
        outcome = _never(path)
        for key in when:
            read = condition_reads(key)
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
        for i, item in enumerate(model.field or []):
            keys = item.keys()  # a dotted path or a list of keys alike
            if keys[0] != "*" and keys[0] not in owner.inputs:
                where = (*path, "field", i) if isinstance(when.get("field"), list) else (*path, "field")
                warn(where, f"{owner.filename}'s input ({inputs}) never holds {'.'.join(keys)!r}: " + outcome)


def _number_type_abroad(loaded: LoadedSpec, conditions: list[_Block], warn: _Warn) -> None:
    """`number_type` types only numbers of the calling code of the region it reads with (README
    "number_type": one of another code is `unknown`), so beside a `country` of other codes only
    (a Swiss spec's `country: [DE, AT], number_type: mobile`) it never holds."""
    import phonenumbers

    spec = loaded.spec
    client = spec.phones.client.region if spec.phones and spec.phones.client else None
    clicked = (spec.originate.region if spec.originate else None) or client
    for path, _owner, _when, model in conditions:
        types, countries = model.number_type or (), model.country or ()
        if not types or not countries or "unknown" in types or "unknown" in countries:
            continue
        region = clicked if path[:1] == ("originate",) else client
        code = phonenumbers.country_code_for_region(region) if region else 0
        if code and all(phonenumbers.country_code_for_region(c) != code for c in countries):
            warn(
                (*path, "number_type"),
                f"number_type types only numbers of +{code} ({region}, the region it reads with); a number of "
                f"{', '.join(countries)} is 'unknown' to it: " + _never(path),
            )
