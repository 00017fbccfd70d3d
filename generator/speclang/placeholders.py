"""Placeholder templates: "Call from {client_phone}" with "{{" / "}}" for literal braces.

A template is parsed once, when the spec is loaded, into literal texts and placeholder names, so an
unknown placeholder is a spec error and the generated PHP never parses templates at call time.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

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
    "record",
    "user.name",
    "user.id",
    "entity.name",
    "entity.type",
    "entity.id",
)
# "{call_full.a.b}" reads any path of the call data; "{input.a.b}" any path of the input.
PATH_ROOTS = ("call_full", "input")

_PATH_RE = re.compile(r"^[^{}\s.][^{}\s]*$")


@dataclass(frozen=True)
class Placeholder:
    name: str  # "client_phone", or "call_full.channel.id" / "input.DURATION"

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
            check_name(name)
            if buf:
                parts.append("".join(buf))
                buf = []
            parts.append(Placeholder(name))
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
    root, dot, rest = name.partition(".")
    if root in PATH_ROOTS and dot:
        if rest and all(_PATH_RE.match(seg) for seg in rest.split(".")):
            return
        raise TemplateError(f"placeholder '{{{name}}}' has an empty or invalid path")
    import difflib

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


def has_placeholders(parts: list[Part]) -> bool:
    return any(isinstance(p, Placeholder) for p in parts)
