"""customize_show_call_card.php: when the call card is shown.  Section `call_card`: on a stage not
in `show_on` the card request is cancelled (empty data); then `set` and `rules`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from generator.customizations import words
from generator.customizations.base import FileContext, say
from generator.customizations.reply_map import ReplyMapCustomization
from generator.emit import marked
from generator.speclang.sections import CallCard


@dataclass(frozen=True)
class ShowCallCard(ReplyMapCustomization):
    def before(self, section: CallCard, ctx: FileContext) -> list[str]:
        if section.show_on is None:
            return []
        stages = marked.php_array(list(section.show_on))
        return [
            ctx.comment(
                self.section_path + ("show_on",),
                " or ".join(say(s) for s in section.show_on) + "; other stages cancel the card request",
            ),
            f"if (!array_intersect({ctx.acc('stage')}, {stages})) {{",
            f"    return {self.cancel(ctx)};",
            "}",
        ]

    def may_cancel(self, section: CallCard) -> bool:
        return section.show_on is not None or super().may_cancel(section)

    def own_words(self, section: CallCard, spec: Any) -> list[str]:
        if section.show_on:
            return [
                "The call card is shown only when "
                + " or ".join(words.STAGE[x] for x in section.show_on)
                + "; on other stages the card request is **cancelled**."
            ]
        return []


CUSTOMIZATION = ShowCallCard(
    "customize_show_call_card",
    "call_card",
    "Choose when the call card is shown.",
    keys=("CALL_ID", "USER_ID"),
    can_cancel=True,
    inputs=("CALL_ID", "USER_ID", "call_full", "call_stage"),
)
