"""Checks that span sections of a spec (a key here needs a key there).

They run on the spec's plain data, not inside the pydantic model: a model-level validator runs
only once every field is valid, so its errors would show up one run later than the others.  Here
they are reported in the same run as every field error (and tolerate data that is still wrong)."""

from __future__ import annotations

import functools
from collections.abc import Iterator
from typing import Any, get_args

from pydantic import BaseModel

from generator.speclang import placeholders
from generator.speclang.issues import KeyPath


def section_model(path: tuple[str, ...]) -> type[BaseModel]:
    """The model of the spec section at `path` ("phones", "client" -> PhoneSection)."""
    from generator.speclang.spec import Spec

    model: type[BaseModel] = Spec
    for part in path:
        annotation = model.model_fields[part].annotation
        model = next(a for a in (*get_args(annotation), annotation) if isinstance(a, type) and issubclass(a, BaseModel))
    return model


@functools.cache
def sections_with_rules() -> tuple[tuple[str, ...], ...]:
    """The section paths whose `rules` hold conditions: those of the registered customizations whose
    section model has rules.  The registry decides, so a new customization's conditions are checked
    too (a section these checks did not know let a rule's `hours` without a timezone through, to
    fail when rendering with an internal ZoneInfoNotFoundError)."""
    from generator.customizations import CUSTOMIZATIONS

    return tuple(c.section_path for c in CUSTOMIZATIONS if "rules" in section_model(c.section_path).model_fields)


def _get(data: Any, *keys: Any) -> Any:
    for key in keys:
        if isinstance(data, dict):
            data = data.get(key)
        elif isinstance(data, list) and isinstance(key, int) and 0 <= key < len(data):
            data = data[key]
        else:
            return None
    return data


def iter_whens(data: Any) -> Iterator[tuple[KeyPath, Any]]:
    """(path, when) for every condition block in plain spec data, those inside `not` and `any` too
    (each with the time zone it inherits under `zone`)."""
    for section in sections_with_rules():
        rules = _get(data, *section, "rules")
        if isinstance(rules, list):
            for i, rule in enumerate(rules):
                when = _get(rule, "when")
                if isinstance(when, dict):
                    yield from _nested((*section, "rules", i, "when"), when, None)
    hook = _get(data, "post_registration", "webhook", "when")
    if isinstance(hook, dict):
        yield from _nested(("post_registration", "webhook", "when"), hook, None)


def _nested(path: KeyPath, when: dict[str, Any], zone: Any) -> Iterator[tuple[KeyPath, Any]]:
    zone = when.get("timezone") or zone
    yield path, dict(when, timezone=zone) if zone and not when.get("timezone") else when
    if isinstance(when.get("not"), dict):
        yield from _nested(path + ("not",), when["not"], zone)
    if isinstance(when.get("any"), list):
        for i, branch in enumerate(when["any"]):
            if isinstance(branch, dict):
                yield from _nested(path + ("any", i), branch, zone)


# Fields of the connector's replies whose type is known (docs/connector/customizations-bx.txt):
# a wrong type is refused when the spec is loaded instead of reaching Bitrix24.
WHOLE_NUMBER_FIELDS = ("USER_ID", "RESPONSIBLE_ID", "CREATED_BY", "DURATION", "responsible_id")
FLAG_FIELDS = ("ADD_TO_CHAT", "CRM_CREATE", "SHOW")
PHONE_FIELDS = ("LINE_NUMBER", "PHONE_NUMBER", "phone", "number", "extension", "caller_id")


def _is_template(value: Any) -> bool:
    return isinstance(value, str) and placeholders.has_placeholders(placeholders.parse(value))


def typed_field_problem(key: str, value: Any) -> str | None:
    if value is None or _is_template(value):
        return None  # removed, or filled at call time
    if key in WHOLE_NUMBER_FIELDS:
        if isinstance(value, bool) or not (
            isinstance(value, int) or (isinstance(value, str) and value.isascii() and value.isdigit())
        ):
            return f"{key} takes a whole number (a Bitrix24 ID or seconds) or a {{placeholder}}, got {value!r}"
    elif key in FLAG_FIELDS:
        if isinstance(value, bool) or value not in (0, 1, "0", "1"):
            return f"{key} is a flag: write 1 or 0, got {value!r}"
    elif key in PHONE_FIELDS and not isinstance(value, str):
        # Not the number as YAML read it: that is what lost its '+' or '0' ("41446681800").
        return (
            f'{key} is a phone number, which is text: write it in quotes as dialled, e.g. "+74951110000" '
            "or \"0100\" (an unquoted number loses a leading '+' or '0')"
        )
    return None


def iter_set_maps(data: Any) -> Iterator[tuple[KeyPath, dict[str, Any]]]:
    """(path, map) for every `set:` of the spec's sections and their rules."""
    for section in sections_with_rules():
        block = _get(data, *section)
        if isinstance(_get(block, "set"), dict):
            yield (*section, "set"), block["set"]
        rules = _get(block, "rules")
        if isinstance(rules, list):
            for i, rule in enumerate(rules):
                if isinstance(_get(rule, "set"), dict):
                    yield (*section, "rules", i, "set"), rule["set"]


def cross_section_problems(data: Any) -> list[tuple[KeyPath, str]]:
    """(path, message) for each problem that involves more than one section."""
    if not isinstance(data, dict):
        return []
    problems: list[tuple[KeyPath, str]] = []
    originate = data.get("originate")
    if isinstance(originate, dict):
        fmt = originate.get("format", "keep")
        if fmt not in (None, "keep") and not originate.get("region") and not _get(data, "phones", "client", "region"):
            problems.append(
                (
                    ("originate", "format"),
                    f"format {fmt} needs a region: set originate.region or phones.client.region (e.g. RU)",
                )
            )
    if not data.get("timezone"):
        for path, when in iter_whens(data):
            if when.get("hours") is None and when.get("days") is None:
                continue  # absent, or left empty (refused on its own)
            if when.get("timezone") or _get(when, "hours", "timezone"):
                continue
            problems.append(
                (
                    path,
                    "hours/days conditions need a timezone: set 'timezone' in the condition or at the top of the spec",
                )
            )
    problems += _unknown_schedules(data)
    for path, when in iter_whens(data):
        for key in ("number_type", "country"):
            if (
                key in when
                and not _get(data, "phones", "client", "region")
                and not (path[0] == "originate" and _get(data, "originate", "region"))
            ):
                problems.append(
                    (
                        path + (key,),
                        f"{key} reads the numbering plan of a region: set phones.client.region (e.g. KZ)",
                    )
                )
    problems += _cancels_where_not_allowed(data)
    problems += _unavailable_placeholders(data)
    for path, fields in iter_set_maps(data):
        for key, value in fields.items():
            try:
                problem = typed_field_problem(key, value)
            except placeholders.TemplateError:
                problem = None  # the model reports the broken template itself
            if problem:
                problems.append((path + (key,), problem))
    return problems


def _unknown_schedules(data: dict[str, Any]) -> list[tuple[KeyPath, str]]:
    """`hours: office` names a schedule of the spec's `schedules` (or of a spec it extends)."""
    import difflib

    schedules = data.get("schedules")
    names = sorted(str(n) for n in schedules) if isinstance(schedules, dict) else []
    problems = []
    for path, when in iter_whens(data):
        hours = when.get("hours")
        name = hours if isinstance(hours, str) else _get(hours, "schedule")
        if not isinstance(name, str) or not name.replace("_", "a").replace("-", "a").isalnum() or name in names:
            continue
        close = difflib.get_close_matches(name, names, n=1)
        problems.append(
            (
                path + ("hours",),
                f"no schedule named {name!r} in `schedules`"
                + (f" (did you mean {close[0]!r}?)" if close else f"; defined: {', '.join(names) or 'none'}"),
            )
        )
    return problems


def _cancels_where_not_allowed(data: dict[str, Any]) -> list[tuple[KeyPath, str]]:
    """`then: cancel` only where the connector accepts empty data (see contract.md)."""
    from generator.customizations import CUSTOMIZATIONS

    problems = []
    for c in CUSTOMIZATIONS:
        rules = _get(data, *c.section_path, "rules")
        if c.can_cancel or not isinstance(rules, list):
            continue
        for i, rule in enumerate(rules):
            if not isinstance(rule, dict):
                continue
            key = "then" if rule.get("then") == "cancel" else ("cancel" if rule.get("cancel") is True else None)
            if key is not None:
                problems.append(
                    (
                        (*c.section_path, "rules", i, key),
                        f"{c.filename} cannot cancel the connector's request (it needs an answer "
                        "to go on); set fields instead",
                    )
                )
    return problems


def _section_texts(section: Any, path: KeyPath) -> Iterator[tuple[KeyPath, str]]:
    """Every text of a section that may hold placeholders."""
    if not isinstance(section, dict):
        return
    yield from placeholders.texts(section.get("set"), path + ("set",))
    rules = section.get("rules")
    for i, rule in enumerate(rules if isinstance(rules, list) else []):
        if isinstance(rule, dict):
            yield from placeholders.texts(rule.get("set"), path + ("rules", i, "set"))
    for key in ("callerid_name", "description"):
        if isinstance(section.get(key), str):
            yield path + (key,), section[key]
    hook = section.get("webhook")
    if isinstance(hook, dict):
        for key in ("url", "headers", "body", "json"):
            yield from placeholders.texts(hook.get(key), path + ("webhook", key))


def _unavailable_placeholders(data: dict[str, Any]) -> list[tuple[KeyPath, str]]:
    """A placeholder the customization's input can never provide is an error now, not an empty
    value at call time (`{duration}` in the click-to-call file, which gets no call data)."""
    from generator.customizations import CUSTOMIZATIONS

    problems = []
    for c in CUSTOMIZATIONS:
        available = c.placeholders()
        for path, text in _section_texts(_get(data, *c.section_path), c.section_path):
            try:
                parts = placeholders.parse(text)
            except placeholders.TemplateError:
                continue  # the model reports a broken template itself
            for part in placeholders.each(parts):
                if part.key in placeholders.DATE_NAMES and not data.get("timezone"):
                    problems.append(
                        (path, f"{{{part.name}}} needs the client's timezone: set 'timezone' at the top of the spec")
                    )
                root = part.name.split(".", 1)[0]
                if part.key in available or root == "input" or (root == "call_full" and "call_full" in c.inputs):
                    continue
                offer = ", ".join("{" + n + "}" for n in available)
                forms = "{input.<path>}" + (", {call_full.<path>}" if "call_full" in c.inputs else "")
                problems.append(
                    (
                        path,
                        f"{{{part.name}}} is never in {c.filename}'s input; available there: "
                        + (f"{offer}, " if offer else "")
                        + forms,
                    )
                )
    return problems
