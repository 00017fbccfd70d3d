"""`itgrix-gen explain`: what a spec makes each customization do, in plain Markdown for a client.
Each customization's module says what its section does (`explain`); this lays out the document.
Values from the spec are quoted as inline code, so no value can change the document's structure;
only the spec's `description` is Markdown as written."""

from __future__ import annotations

from generator.customizations import CUSTOMIZATIONS
from generator.customizations.words import code
from generator.speclang.spec import Spec


def explain(spec: Spec) -> str:
    lines = [f"# What the Itgrix customizations do for {code(spec.name)}", ""]
    if spec.description:
        lines += [spec.description.replace("\n", " "), ""]
    lines += ["Values in `{braces}` are filled in from the call at the time it happens.", ""]
    customized, passthrough = [], []
    for c in CUSTOMIZATIONS:
        section = c.section_of(spec)
        if section is None:
            passthrough.append(c)
            continue
        customized.append(c)
        lines += [f"## {c.filename}", "", f"*{c.summary}*", ""]
        lines += [f"- {line}" for line in c.explain(section, spec)]
        lines.append("")
    lines += ["## Left unchanged", ""]
    lines += [
        ", ".join(c.filename for c in passthrough) + ": these pass the connector's data through untouched."
        if passthrough
        else "Nothing: every customization is used."
    ]
    lines += [
        "",
        "## To switch on",
        "",
        "In the connector's admin panel (`http://<asterisk-ip>:8077` → Customizer) switch on: "
        + (", ".join(c.name for c in customized) if customized else "nothing")
        + ".",
    ]
    return "\n".join(lines) + "\n"
