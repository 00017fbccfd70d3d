"""customize_autodistribution.php: the extension and CallerID name of an auto-distributed incoming
call.  Section `autodistribution`: `callerid_name` from placeholders (the connector's own name stays
when every placeholder is empty), then `set` and `rules`; the name is always cleaned of control
characters and double quotes and cut to Asterisk's 20 characters."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from generator.customizations import words
from generator.customizations.base import FileContext, say
from generator.customizations.reply_map import ReplyMapCustomization
from generator.emit import marked
from generator.speclang import placeholders
from generator.speclang.sections import Autodistribution
from generator.speclang.types import CALLERID_LIMIT


@dataclass(frozen=True)
class AutoDistribution(ReplyMapCustomization):
    def before(self, section: Autodistribution, ctx: FileContext) -> list[str]:
        if section.callerid_name is None:
            return []
        parts = placeholders.parse(section.callerid_name)
        comment = ctx.comment(self.section_path + ("callerid_name",), say(section.callerid_name))
        if not placeholders.has_placeholders(parts):
            text = "".join(p for p in parts if isinstance(p, str))
            return [comment] + ([f"$data['name'] = {marked.php_string(text)};"] if text.strip() else [])
        # Every placeholder empty (no entity): the connector's own name stays, not a bare "CRM: ".
        values: list[str] = []
        pieces: list[str] = []
        for part in parts:
            if isinstance(part, str):
                if part:
                    pieces.append(marked.php_string(part))
            else:
                pieces.append(f"$filled[{len(values)}]")
                values.append(ctx.placeholder(part))
        return [
            comment,
            f"$filled = array({', '.join(values)});",
            "if (implode('', $filled) !== '') {",
            f"    $callerid = {' . '.join(pieces)};",
            "    if (trim($callerid) !== '') {",
            "        $data['name'] = $callerid;",
            "    }",
            "}",
        ]

    def after(self, section: Autodistribution, ctx: FileContext) -> list[str]:
        return [
            "// Asterisk keeps 20 characters of a CallerID name; control characters, line breaks and",
            "// double quotes would break the CallerID string itself.",
            "if (isset($data['name']) && is_string($data['name'])) {",
            f"    $data['name'] = {ctx.fn('utf8_cut')}(preg_replace('/[\\x00-\\x1F\\x7F\"]/', '', $data['name']), "
            f"{CALLERID_LIMIT});",
            "}",
        ]

    def may_cancel(self, section: Any) -> bool:
        return False

    def own_words(self, section: Autodistribution, spec: Any) -> list[str]:
        if section.callerid_name:
            return [
                f"The operator's phone shows {words.code(section.callerid_name)} as the caller's name "
                "(at most 20 characters; the connector's own name when every placeholder is empty)."
            ]
        return []


CUSTOMIZATION = AutoDistribution(
    "customize_autodistribution",
    "autodistribution",
    "Change the extension and CallerID name when an incoming call is auto-distributed.",
    keys=("number", "name"),
    inputs=("number", "name", "from", "user", "entity", "error"),
)
