"""The customizations whose data is a map of fields (registration and final parameters, entity,
activity, task, click-to-call, autodistribution, call card, record link): the data comes from the
documented reply keys of the input, then `set` applies on every call, then each rule whose
conditions hold, in order.  A rule that cancels answers empty data at once."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from generator.customizations import words
from generator.customizations.base import Customization, FileContext


@dataclass(frozen=True)
class ReplyMapCustomization(Customization):
    def data(self, ctx: FileContext) -> str:
        from generator.php.literals import php_array

        return f"{ctx.fn('pick')}($params, {php_array(list(self.keys))})"

    def before(self, section: Any, ctx: FileContext) -> list[str]:
        """Steps before `set` (a customization's own keys)."""
        return []

    def after(self, section: Any, ctx: FileContext) -> list[str]:
        """Steps after the rules."""
        return []

    def cancel(self, ctx: FileContext) -> str:
        return f"{ctx.fn('reply')}(array())"

    def body(self, section: Any, ctx: FileContext) -> dict[str, Any]:
        steps = self.before(section, ctx)
        steps += ctx.set_and_rules(self.section_path, section, "$data", self.cancel(ctx))
        steps += self.after(section, ctx)
        return {"data": self.data(ctx), "steps": steps, "reply": ctx.fn("reply")}

    def may_cancel(self, section: Any) -> bool:
        return any(rule.cancels() for rule in section.rules)

    def explain(self, section: Any, spec: Any) -> list[str]:
        return self.own_words(section, spec) + words.set_and_rules(section, spec) or ["Nothing changes."]

    def own_words(self, section: Any, spec: Any) -> list[str]:
        return []
