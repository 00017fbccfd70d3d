"""Placeholder templates: "Call from {client_phone}" with "{{" / "}}" for literal braces.

A template is parsed once, when the spec is loaded, into literal texts and placeholder names, so an
unknown placeholder is a spec error and the generated PHP never parses templates at call time.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

# Names a spec may use, beside the two path forms below.  What each one reads is in
# generator/emit/fields.py (one table for conditions and placeholders alike).
NAMES = (
    "client_phone",
    "extension",
    "trunk",
    "direction",
    "line",
    "stage",
    "status",
    "duration",
    "start_time",
    "answer_time",
    "end_time",
    "client_phone.raw",
    "record",
    "user.name",
    "user.id",
    "entity.name",
    "entity.type",
    "entity.id",
)
# "{call_full.a.b}" reads any path of the call data; "{input.a.b}" any path of the input.
PATH_ROOTS = ("call_full", "input")
# "{start_time}" is ISO 8601 with the client's offset; "{start_time:d.m.Y H:i}" formats with these
# date() letters only (each a part of the local date or time, so gmdate() of the local moment is
# right on every PHP); other characters are copied, except a backslash (date()'s escape).
DATE_NAMES = ("start_time", "answer_time", "end_time")
DATE_LETTERS = "dDjmnMYyHGis"

# What each placeholder stands for (`itgrix-gen schema` prints them as "x-placeholders").
DESCRIPTIONS = {
    "client_phone": "the client's number as phones.client writes it (what process_client_phone.php answers)",
    "client_phone.raw": "the client's number as the connector sent it",
    "extension": "the employee's internal number",
    "trunk": "the trunk's number or name",
    "direction": "incoming, outgoing, local or unknown",
    "line": "the external line number (LINE_NUMBER)",
    "stage": "the call stage",
    "status": "STATUS_CODE, else the call result",
    "duration": "talk seconds: DURATION, else the channel's end minus answer time",
    "start_time": "the call's start, ISO 8601 with the client's offset; {start_time:d.m.Y H:i} formats with "
    "the date() letters " + " ".join(DATE_LETTERS),
    "answer_time": "the answer time, like start_time",
    "end_time": "the end time, like start_time",
    "record": "the recording's link or path",
    "user.name": "the employee's name",
    "user.id": "the employee's Bitrix24 ID",
    "entity.name": "the CRM entity's name",
    "entity.type": "the CRM entity's type",
    "entity.id": "the CRM entity's ID",
    "a ?? b": "{entity.name ?? client_phone}: the first of the placeholders that has a value (any number of them)",
    "call_full.<path>": "any path of the call data ('*' for any member)",
    "input.<path>": "any path of the customization's input",
}
assert set(DESCRIPTIONS) >= set(NAMES)

_PATH_RE = re.compile(r"^[^{}\s.][^{}\s]*$")


@dataclass(frozen=True)
class Placeholder:
    name: str  # "client_phone", or "call_full.channel.id" / "input.DURATION"
    # `{entity.name ?? client_phone}`: the alternatives after the first, tried in order when the
    # ones before have no value (an empty text).
    rest: tuple[Placeholder, ...] = ()

    @property
    def options(self) -> tuple[Placeholder, ...]:
        """Each alternative as a placeholder of its own, the first one first."""
        return (Placeholder(self.name), *self.rest) if self.rest else (self,)

    @property
    def key(self) -> str:
        """The name without a date format: "start_time" of "start_time:d.m.Y"."""
        return self.name.partition(":")[0].strip() if self.name.partition(":")[0].strip() in DATE_NAMES else self.name

    @property
    def format(self) -> str | None:
        """The date() format of a date placeholder ("d.m.Y"), None for ISO 8601 or other names."""
        head, colon, fmt = self.name.partition(":")
        return fmt if colon and head.strip() in DATE_NAMES else None

    @property
    def path(self) -> tuple[str, ...] | None:
        root, _, rest = self.name.partition(".")
        if root in PATH_ROOTS and rest:
            parts = tuple(rest.split("."))
            return ("call_full",) + parts if root == "call_full" else parts
        return None


Part = str | Placeholder


class TemplateError(ValueError):
    pass


def parse(text: str) -> list[Part]:
    parts: list[Part] = []
    buf: list[str] = []
    i = 0
    while i < len(text):
        ch = text[i]
        if ch == "{":
            if text.startswith("{{", i):
                buf.append("{")
                i += 2
                continue
            end = text.find("}", i + 1)
            if end < 0:
                raise TemplateError(f"unclosed '{{' at character {i + 1} (write '{{{{' for a literal brace)")
            name = text[i + 1 : end].strip()
            names = [n.strip() for n in name.split("??")]
            if len(names) > 1 and not all(names):
                raise TemplateError(
                    f"'{{{name}}}': '??' stands between two placeholders, e.g. {{entity.name ?? client_phone}}"
                )
            for one in names:
                if len(names) > 1 and not re.fullmatch(r"[\w.]+(?::[^{}]*)?", one):
                    # `{entity.name ?? "none"}`: a quoted text is not an alternative (the message
                    # about literal braces would quote text the user never wrote).
                    raise TemplateError(
                        f"'{{{name[:60]}}}': each alternative of '??' must be a placeholder, and {one[:30]!r} "
                        "is not one (a fixed text cannot be a fallback)"
                    )
                check_name(one)
            if buf:
                parts.append("".join(buf))
                buf = []
            parts.append(Placeholder(names[0], tuple(Placeholder(n) for n in names[1:])))
            i = end + 1
            continue
        if ch == "}":
            if text.startswith("}}", i):
                buf.append("}")
                i += 2
                continue
            raise TemplateError(f"lone '}}' at character {i + 1} (write '}}}}' for a literal brace)")
        buf.append(ch)
        i += 1
    if buf:
        parts.append("".join(buf))
    return parts


def check_name(name: str) -> None:
    if name in NAMES:
        return
    head, colon, fmt = name.partition(":")
    if colon and head.strip() in DATE_NAMES:
        bad = sorted({c for c in fmt if (c.isalpha() and c not in DATE_LETTERS) or c == "\\"})
        if not fmt.strip():
            raise TemplateError(f"'{{{name}}}': write a format after ':' (e.g. {{{head.strip()}:d.m.Y H:i}})")
        if bad:
            raise TemplateError(
                f"'{{{name}}}': the format may use only the date() letters {' '.join(DATE_LETTERS)} "
                f"(not {' '.join(bad)}); other characters are copied as they are"
            )
        return
    root, dot, rest = name.partition(".")
    if root in PATH_ROOTS and dot:
        if rest and all(_PATH_RE.match(seg) for seg in rest.split(".")):
            return
        raise TemplateError(f"placeholder '{{{name}}}' has an empty or invalid path")
    import difflib

    alternative = re.search(r"\|\||\?:|\?|//|\s(?:or|else)\s", name)
    if alternative and re.fullmatch(r"[\w.]+", name[: alternative.start()].strip() or "-"):
        # `{entity.name || client_phone}`, `{entity.name ? client_phone}`: a fallback meant.
        rest = name[alternative.end() :].strip()
        raise TemplateError(
            f"'{{{name}}}': did you mean {{{name[: alternative.start()].strip()} ?? {rest}}}? "
            "'??' gives the first of the placeholders that has a value"
        )
    if not re.fullmatch(r"[\w.]*", name):
        # Not a name at all: text in braces, most often a JSON body written by hand.
        raise TemplateError(
            f"'{{{name[:40]}}}' is not a placeholder: literal braces are written '{{{{' and '}}}}' "
            "(for a JSON webhook body, use `json:` with a mapping instead of `body:`)"
        )
    close = difflib.get_close_matches(name, NAMES, n=1)
    hint = f" (did you mean '{{{close[0]}}}'?)" if close else ""
    raise TemplateError(
        f"unknown placeholder '{{{name}}}'{hint}; known: "
        + ", ".join("{" + n + "}" for n in NAMES)
        + ", {call_full.<path>}, {input.<path>}"
    )


def literal_length(parts: list[Part]) -> int:
    return sum(len(p) for p in parts if isinstance(p, str))


def each(parts: list[Part]) -> list[Placeholder]:
    """Every placeholder among `parts`, each alternative of a `{a ?? b}` on its own."""
    return [option for part in parts if isinstance(part, Placeholder) for option in part.options]


def has_placeholders(parts: list[Part]) -> bool:
    return any(isinstance(p, Placeholder) for p in parts)


def texts(value: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[tuple[Any, ...], str]]:
    """Every text in plain data (the strings in nested maps and lists), with its path: the
    places a placeholder may be written."""
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from texts(item, path + (key,))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from texts(item, path + (i,))
