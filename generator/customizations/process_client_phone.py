"""process_client_phone.php: the client's number before it goes to the CRM.  Section
`phones.client`: regex `rewrite`s, then the number in `format` for `region`, parsed the way
libphonenumber does with the region's metadata copied in at generation time."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from generator.customizations import words
from generator.customizations.base import Customization, FileContext
from generator.emit.phones import region_metadata
from generator.php import literals
from generator.speclang.types import PhoneSection


def phone_config(fmt: str, region: str | None, rewrite: list, internal: int | None) -> dict:
    """What the runtime's phone() takes: rewrites, format, and the region's metadata."""
    return {
        "format": fmt,
        "rewrite": [[literals.regex_source(r.match), r.replace] for r in rewrite],
        "region": region_metadata(region, internal, national=fmt == "national") if region and fmt != "keep" else None,
    }


@dataclass(frozen=True)
class PhoneCustomization(Customization):
    def body(self, section: PhoneSection, ctx: FileContext) -> dict:
        config = phone_config(section.effective_format(), section.region, section.rewrite, section.internal_max_digits)
        about = f"format {section.effective_format()}" + (f", region {section.region}" if section.region else "")
        # Inside the template's `if (phone is text)`: one level deeper than the body.
        steps = [
            "    " + ctx.comment(self.section_path, about),
            f"    $data['phone'] = {ctx.fn('phone')}($data['phone'], {literals.php_pretty(config, indent=4)});",
        ]
        pick = f"{ctx.fn('pick')}($params, {literals.php_array(list(self.keys))})"
        return {"data": pick, "steps": steps, "reply": ctx.fn("reply")}

    def explain(self, section: PhoneSection, spec: Any) -> list[str]:
        who = "client's" if self.name == "process_client_phone" else "employee's"
        out = [f"The {who} number is rewritten: {words.code(r.match)} → {words.code(r.replace)}." for r in section.rewrite]
        region = f" (numbers without a country code are taken as {words.code(section.region)})" if section.region else ""
        out.append(f"The {who} number is written in {words.FORMAT[section.effective_format()]}{region}; "
                   "words and short internal numbers stay as they are.")
        return out


CUSTOMIZATION = PhoneCustomization("process_client_phone", "phones.client",
                                   "Change the client's number before it goes to the CRM.", keys=("phone",))
