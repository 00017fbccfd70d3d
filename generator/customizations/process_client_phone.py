"""process_client_phone.php: the client's number before it goes to the CRM.  Section
`phones.client`: regex `rewrite`s, then the number in `format` for `region`, parsed the way
libphonenumber does with the region's metadata copied in at generation time."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from generator.customizations import words
from generator.customizations.base import Customization, FileContext, say
from generator.emit import marked
from generator.emit.phones import dial_prefix, region_metadata
from generator.speclang.issues import KeyPath
from generator.speclang.types import PhoneSection


@lru_cache(maxsize=256)
def _formats_literal(region: str) -> str:
    """The national formats of the region's calling code as a PHP literal (computed once per region)."""
    formats = region_metadata(region)["formats"]
    # One format a line (after the call's first line, whatever their number): the call reads in 120 columns.
    rows = ""
    for fmt in formats:
        flat = marked.php_value(fmt)
        if len(flat) > 92:  # one value a line: a long pattern alone on its line
            flat = "array(\n" + "".join(f"            {marked.php_value(v)},\n" for v in fmt) + "        )"
        rows += f"        {flat},\n"
    return f"array(\n{rows}    )"


def phone_steps(
    ctx: FileContext,
    path: KeyPath,
    target: str,
    fmt: str,
    region: str | None,
    rewrites: list[Any],
    internal: int | None,
    about: str,
    strict: bool = True,
) -> list[str]:
    """Statements that rewrite the number in `target` in order, then write it in `fmt` for
    `region` (with the region's metadata, copied from the phonenumbers package)."""
    steps: list[str] = []
    for i, rewrite in enumerate(rewrites):
        steps.append(ctx.comment(path + ("rewrite", i), f"{say(rewrite.match)} -> {say(rewrite.replace)}"))
        steps.append(
            f"{target} = {ctx.fn('preg_replace')}({marked.php_regex(rewrite.match)}, "
            f"{marked.php_string(rewrite.replace)}, {target});"
        )
    if fmt == "keep" or region is None:
        return steps
    parse = ctx.phone_parser(region, internal, strict)
    steps.append(ctx.comment(path, about))
    if fmt in ("national", "dial"):
        # The national formats of the calling code's main region, and the prefix for dialling abroad.
        out = f", {marked.php_string(dial_prefix(region) or '+')}" if fmt == "dial" else ""
        call = f"{ctx.fn('phone_' + fmt)}(\n    {target}, {parse}, {_formats_literal(region)}{out}\n);"
        steps.append(f"{target} = {call}")
    else:
        steps.append(f"{target} = {ctx.fn('phone_e164')}({target}, {parse}, {'true' if fmt == 'e164' else 'false'});")
    return steps


@dataclass(frozen=True)
class PhoneCustomization(Customization):
    def body(self, section: PhoneSection, ctx: FileContext) -> dict[str, Any]:
        fmt = section.effective_format()
        about = f"format {fmt}" + (f", region {section.region}" if section.region else "")
        steps = phone_steps(
            ctx,
            self.section_path,
            "$data['phone']",
            fmt,
            section.region,
            section.rewrite,
            section.internal_max_digits,
            about,
            section.invalid == "keep",
        )
        pick = f"{ctx.fn('pick')}($params, {marked.php_array(list(self.keys))})"
        # Inside the template's `if (phone is text)`: one level deeper than the body.
        return {
            "data": pick,
            "steps": ["    " + line for line in "\n".join(steps).split("\n")],
            "reply": ctx.fn("reply"),
        }

    def explain(self, section: PhoneSection, spec: Any) -> list[str]:
        who = "client's" if self.name == "process_client_phone" else "employee's"
        out = [
            f"The {who} number is rewritten: {words.code(r.match)} → {words.code(r.replace)}." for r in section.rewrite
        ]
        region = (
            f" (numbers without a country code are taken as {words.code(section.region)})" if section.region else ""
        )
        out.append(
            f"The {who} number is written in {words.number_format(section.effective_format(), section.region)}{region}; "
            "words and short internal numbers stay as they are."
        )
        return out


CUSTOMIZATION = PhoneCustomization(
    "process_client_phone", "phones.client", "Change the client's number before it goes to the CRM.", keys=("phone",)
)
