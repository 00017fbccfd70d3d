"""customize_attach_record_url.php: the case description that carries the recording link.
Section `record_link`: `description` with {record} and other placeholders (HTML-escaped under
description_type 3, the connector's default), `description_type`, then `set` and `rules`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from generator.customizations import words
from generator.customizations.base import FileContext, say
from generator.customizations.reply_map import ReplyMapCustomization
from generator.emit import marked
from generator.speclang.sections import RecordLink


@dataclass(frozen=True)
class AttachRecordUrl(ReplyMapCustomization):
    def before(self, section: RecordLink, ctx: FileContext) -> list[str]:
        out = []
        if section.description is not None:
            html = (section.description_type or 3) == 3
            out.append(
                ctx.comment(
                    self.section_path + ("description",),
                    say(section.description) + (" (values HTML-escaped)" if html else ""),
                )
            )
            text = (
                ctx.template(section.description, "html") if html else ctx.reply_text(ctx.template(section.description))
            )
            out.append(f"$data['DESCRIPTION'] = {text};")
        if section.description_type is not None:
            out.append(f"$data['DESCRIPTION_TYPE'] = {marked.php_int(section.description_type)};")
        return out

    def own_words(self, section: RecordLink, spec: Any) -> list[str]:
        return [f"The case description becomes {words.code(section.description)}."] if section.description else []


CUSTOMIZATION = AttachRecordUrl(
    "customize_attach_record_url",
    "record_link",
    "Change the recording link written to the case.",
    keys=("DESCRIPTION", "DESCRIPTION_TYPE"),
    can_cancel=True,
    inputs=("DESCRIPTION", "DESCRIPTION_TYPE", "call_full", "call_stage"),
)
