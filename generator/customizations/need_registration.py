"""need_registration.php: whether the call is registered at all (black and white lists).
Section `registration`: the first rule whose conditions hold decides; otherwise `default`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from generator.customizations import words
from generator.customizations.base import Customization, FileContext
from generator.speclang.sections import Registration


@dataclass(frozen=True)
class NeedRegistration(Customization):
    def passthrough(self, ctx: FileContext) -> str:
        return "array('state' => 'success', 'data' => array('result' => true))"

    def body(self, section: Registration, ctx: FileContext) -> dict[str, Any]:
        # A reply of one documented key needs no help turning an empty or list `data` into an object.
        reply = "array('state' => 'success', 'data' => array('result' => %s))"
        steps: list[str] = []
        for i, rule in enumerate(section.rules):
            tests, text = ctx.when(rule.when)
            answer = "return " + reply % ("true" if rule.then == "register" else "false") + ";"
            steps.append(ctx.comment(self.section_path + ("rules", i), f"{text} -> {rule.then}"))
            steps += ctx.if_block(tests, [*ctx.decided(self.section_path + ("rules", i)), answer])
        steps.append(ctx.comment(self.section_path + ("default",), section.default))
        steps.append("return " + reply % ("true" if section.default == "register" else "false") + ";")
        return {"steps": steps}

    def explain(self, section: Registration, spec: Any) -> list[str]:
        out = []
        for rule in section.rules:
            verb = "registered" if rule.then == "register" else "**not registered**"
            out.append(f"Calls are {verb} when {words.condition(rule.when, spec)}.")
        out.append(f"All other calls are {'registered' if section.default == 'register' else '**not registered**'}.")
        return out


CUSTOMIZATION = NeedRegistration(
    "need_registration",
    "registration",
    "Decide whether the call is registered (black/white lists).",
    inputs=("call_full", "call_stage"),
)
