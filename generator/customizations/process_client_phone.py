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
from generator.emit.phones import region_metadata
from generator.speclang.issues import KeyPath
from generator.speclang.types import PhoneSection


@lru_cache(maxsize=256)
def _metadata_literal(region: str, internal: int | None, national: bool, strict: bool, dial: bool = False) -> str:
    """A region's metadata as a PHP literal (the same for every spec of that region: computed once)."""
    meta = region_metadata(region, internal, national=national, strict=strict, dial=dial)
    return marked.php_pretty(meta, indent=0, width=200, pack=96)


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
    meta = _metadata_literal(region, internal, fmt in ("national", "dial"), strict, fmt == "dial")
    steps.append(ctx.comment(path, about))
    if fmt == "dial":
        steps.append(f"{target} = {ctx.fn('phone_dial')}({target}, {meta});")
    elif fmt == "national":
        steps.append(f"{target} = {ctx.fn('phone_national')}({target}, {meta});")
    else:
        steps.append(f"{target} = {ctx.fn('phone_e164')}({target}, {meta}, {'true' if fmt == 'e164' else 'false'});")
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
