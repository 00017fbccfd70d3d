"""process_task_creation_params.php: the task created for a missed call.  Section `tasks`: the
task's `fields` get `set` and `rules`, and `deadline_hours` moves DEADLINE to the call's end plus
that many hours, written in the notation the connector sent."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from generator.customizations.base import FileContext
from generator.customizations.reply_map import ReplyMapCustomization
from generator.emit import marked
from generator.speclang.sections import Tasks


@dataclass(frozen=True)
class TaskCreation(ReplyMapCustomization):
    def body(self, section: Tasks, ctx: FileContext) -> dict[str, Any]:
        steps: list[str] = []
        if section.deadline_hours is not None:
            zone = section.timezone or ctx.spec.timezone or "UTC"
            steps.append(ctx.comment(self.section_path + ("deadline_hours",), f"{section.deadline_hours:g} h ({zone})"))
            steps.append("$sent = array_key_exists('DEADLINE', $fields) ? $fields['DEADLINE'] : null;")
            steps.append(
                f"$fields['DEADLINE'] = {ctx.fn('deadline')}($sent, {marked.php_float(float(section.deadline_hours))}, "
                f"{ctx.zone(zone)});"
            )
        steps += ctx.set_and_rules(self.section_path, section, "$fields", self.cancel(ctx))
        fields = "isset($params['fields']) && is_array($params['fields']) ? $params['fields'] : array()"
        return {"fields": fields, "steps": steps, "reply": ctx.fn("reply")}

    def own_words(self, section: Tasks, spec: Any) -> list[str]:
        if section.deadline_hours:
            return [f"The task's deadline is {section.deadline_hours:g} hours after the missed call."]
        return []


CUSTOMIZATION = TaskCreation(
    "process_task_creation_params",
    "tasks",
    "Change the missed-call task.",
    keys=("fields",),
    can_cancel=True,
    inputs=("fields", "call_full"),
)
