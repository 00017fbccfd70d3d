"""process_record_file_path.php: the path of the call's recording.  Section `record`: regex
`rewrite`s of the path, then an optional `convert` command run with a hard deadline (the connector
waits 10 s at most and then uses the original file)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from generator.customizations import words
from generator.customizations.base import CONTEXT_KEYS, Customization, FileContext, say
from generator.emit import marked
from generator.speclang.sections import Record


def shell_parts(command: str) -> list[Any]:
    """Split "lame {src} {dst}" into text and 0 (source) / 1 (target) markers; the PHP side puts
    escapeshellarg()-quoted paths where the markers are."""
    out: list[Any] = []
    rest = command
    while rest:
        i_src, i_dst = rest.find("{src}"), rest.find("{dst}")
        candidates = [(i, m) for i, m in ((i_src, 0), (i_dst, 1)) if i >= 0]
        if not candidates:
            out.append(rest)
            break
        i, marker = min(candidates)
        if i:
            out.append(rest[:i])
        out.append(marker)
        rest = rest[i + 5 :]
    return out


@dataclass(frozen=True)
class RecordFilePath(Customization):
    def passthrough(self, ctx: FileContext) -> str:
        return f"{ctx.fn('reply')}({ctx.fn('omit')}($params, {marked.php_array(list(CONTEXT_KEYS))}))"

    def body(self, section: Record, ctx: FileContext) -> dict[str, Any]:
        steps: list[str] = []
        for i, rewrite in enumerate(section.rewrite):
            steps.append(
                ctx.comment(self.section_path + ("rewrite", i), f"{say(rewrite.match)} -> {say(rewrite.replace)}")
            )
            steps.append(
                f"$path = {ctx.fn('preg_replace')}({marked.php_regex(rewrite.match)}, "
                f"{marked.php_string(rewrite.replace)}, $path);"
            )
        if section.convert is not None:
            c = section.convert
            steps.append(
                ctx.comment(
                    self.section_path + ("convert",), f"{say(c.command)} to .{c.extension}, at most {c.timeout_s:g} s"
                )
            )
            steps += ctx.decided(self.section_path + ("convert",))
            if ctx.shadow:
                steps.append("// shadow: the recording is not converted")
            else:
                steps.append(
                    f"$path = {ctx.fn('convert_recording')}($path, {marked.php_value(shell_parts(c.command))}, "
                    f"{marked.php_string(c.extension)}, {marked.php_float(float(c.timeout_s))}, $name, "
                    f"{ctx.redaction_key()});"
                )
        data = f"{ctx.fn('omit')}($params, {marked.php_array(list(CONTEXT_KEYS))})"
        return {"data": data, "steps": steps, "reply": ctx.fn("reply")}

    def explain(self, section: Record, spec: Any) -> list[str]:
        out = [
            f"The recording path is rewritten: {words.code(r.match)} → {words.code(r.replace)}."
            for r in section.rewrite
        ]
        if section.convert:
            c = section.convert
            out.append(
                f"The recording is converted to {words.code(c.extension)} with {words.code(c.command)}; "
                f"if that takes longer than {c.timeout_s:g} s or fails, the original file is used."
            )
        return out or ["Nothing changes."]


CUSTOMIZATION = RecordFilePath(
    "process_record_file_path",
    "record",
    "Change (or convert) the path of the call recording.",
    inputs=("call_id", "from", "to", "path"),
)
