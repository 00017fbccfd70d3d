"""`itgrix-gen explain`: what a spec makes each customization do, in plain Markdown for a client.
Each customization's module says what its section does (`explain`); this lays out the document.
Values from the spec are quoted as inline code, so no value can change the document's structure;
only the spec's `description` is Markdown as written."""

from __future__ import annotations

from generator.customizations import CUSTOMIZATIONS
from generator.customizations.words import code
from generator.emit.fields import override_paths
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
        own = getattr(section, "shadow", None)
        if own if own is not None else spec.shadow:
            lines += [
                "**Shadow mode:** this file decides and logs as below, but answers the connector as if it "
                "were not customized (no webhook is sent, no recording converted).",
                "",
            ]
        lines += [f"- {line}" for line in c.explain(section, spec)]
        lines.append("")
    lines += ["## Left unchanged", ""]
    lines += [
        ", ".join(c.filename for c in passthrough) + ": these pass the connector's data through untouched."
        if passthrough
        else "Nothing: every customization is used."
    ]
    if spec.capture is not None:
        cap = spec.capture
        lines += [
            "",
            "## Call log",
            "",
            f"Every call each file sees is appended to {code(cap.dir + '/<file>.jsonl')} (folder mode 0700, files "
            f"0600), rotated at {cap.max_mb:g} MB with {cap.keep} old files kept"
            + ("; phone digits and names are replaced by stable pseudonyms first." if cap.redact else ".")
            + " The connector calls only the files switched on below.",
        ]
    if spec.fields:
        lines += ["", "## Where this connector keeps call data", ""]
        for key in spec.fields:
            found = override_paths(key, spec.fields)
            assert found is not None
            paths, replace = found
            how = "only" if replace else "first, then the field table's own paths"
            lines.append(f"- {code(key)} is read from {', '.join(code(p) for p in paths)} ({how}).")
    lines += [
        "",
        "## To switch on",
        "",
        "In the connector's admin panel (`http://<asterisk-ip>:8077` → Customizer) switch on: "
        + (", ".join(c.name for c in customized) if customized else "nothing")
        + ".",
    ]
    return "\n".join(lines) + "\n"
