"""customize_entity.php: lead/contact fields to change at the end of the call.  Section `entity`.
Its data is the list of fields to change, so the pass-through changes nothing (empty data)."""

from __future__ import annotations

from dataclasses import dataclass

from generator.customizations.base import FileContext
from generator.customizations.reply_map import ReplyMapCustomization


@dataclass(frozen=True)
class ChangesOnly(ReplyMapCustomization):
    """Data is the fields to change: it starts empty, and the pass-through changes nothing."""

    def data(self, ctx: FileContext) -> str:
        return "array()"

    def passthrough(self, ctx: FileContext) -> str:
        return f"{ctx.fn('reply')}(array())"


CUSTOMIZATION = ChangesOnly(
    "customize_entity",
    "entity",
    "Update the lead/contact fields at the end of the call.",
    can_cancel=True,
    inputs=("call_full",),
)
