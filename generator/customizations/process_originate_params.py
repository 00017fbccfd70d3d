"""process_originate_params.php: click-to-call.  Section `originate`: the dialled number is
rewritten, formatted for `region`, cut to `last_digits` and given a `prefix`; then `set` and
`rules` (context, channel...).  The input may come wrapped in "params" or flat; the connector needs
an answer, so these rules cannot cancel."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from generator.customizations import words
from generator.customizations.base import FileContext
from generator.customizations.process_client_phone import phone_steps
from generator.customizations.reply_map import ReplyMapCustomization
from generator.emit import marked
from generator.speclang.sections import ORIGINATE_KEYS, Originate


@dataclass(frozen=True)
class OriginateParams(ReplyMapCustomization):
    def data(self, ctx: FileContext) -> str:
        return f"{ctx.fn('pick')}({ctx.fn('unwrap')}($params), {marked.php_array(list(self.keys))})"

    def passthrough(self, ctx: FileContext) -> str:
        return f"{ctx.fn('originate_reply')}({self.data(ctx)})"

    def body(self, section: Originate, ctx: FileContext) -> dict[str, Any]:
        return {**super().body(section, ctx), "reply": ctx.fn("originate_reply")}

    def before(self, section: Originate, ctx: FileContext) -> list[str]:
        client = ctx.spec.phones.client if ctx.spec.phones else None
        region = section.region or (client.region if client else None)
        if region is not None:
            # Rules see the clicked number in E.164 however Bitrix24 wrote it ("+7 701 234 56 78",
            # "87012345678"), not as typed: one pattern then covers every notation.
            ctx.clicked = (region, section.internal_max_digits)
            ctx.clicked_strict = section.invalid == "keep"
        about = f"format {section.format}" + (f", region {region}" if region else "")
        steps = phone_steps(
            ctx,
            self.section_path,
            "$data['extension']",
            section.format,
            region,
            section.rewrite,
            section.internal_max_digits,
            about,
            section.invalid == "keep",
        )
        if section.last_digits or section.prefix:
            steps.append(
                f"$data['extension'] = {ctx.fn('dial')}($data['extension'], {section.last_digits or 0}, "
                f"{marked.php_string(section.prefix)});"
            )
        if not steps:
            return []
        body = "\n".join(steps).split("\n")
        return (
            # A number sent as a JSON number is dialled as its digits (the rules read it so too).
            [
                "if (isset($data['extension'])) {",
                f"    $data['extension'] = {ctx.fn('number_text')}($data['extension']);",
                "}",
            ]
            + ["if (isset($data['extension']) && is_string($data['extension'])) {"]
            + ["    " + line for line in body]
            + ["}"]
        )

    def may_cancel(self, section: Any) -> bool:
        return False

    def own_words(self, section: Originate, spec: Any) -> list[str]:
        steps = [f"rewritten {words.code(r.match)} → {words.code(r.replace)}" for r in section.rewrite]
        client = spec.phones.client if spec.phones else None
        region = section.region or (client.region if client else None)
        if section.format != "keep":
            steps.append(f"written in {words.number_format(section.format, region)}")
        if section.last_digits:
            steps.append(f"cut to its last {section.last_digits} digits")
        if section.prefix:
            steps.append(f"dialled with the prefix {words.code(section.prefix)}")
        out = ["For calls started from the CRM, the number is " + ", then ".join(steps) + "."] if steps else []
        if region and section.rules:
            out.append(
                f"The rules' `client_phone` sees the clicked number as it was written and in "
                f"{words.number_format('e164', region)}, however it was written; `client_phone.raw` only as written."
            )
        return out


CUSTOMIZATION = OriginateParams(
    "process_originate_params",
    "originate",
    "Change click-to-call parameters (number, context, trunk).",
    keys=ORIGINATE_KEYS,
    inputs=("params", *ORIGINATE_KEYS),
)
