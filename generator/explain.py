"""`itgrix-gen explain`: what a spec makes each customization do, in plain Markdown for a client.

Values from the spec are quoted as inline code (with a longer fence when they hold a backtick),
so no value can change the document's structure; only the spec's `description` is Markdown as
written."""

from __future__ import annotations

from generator.render.customizations import CUSTOMIZATIONS, section_of
from generator.spec.models import DAYS, Match, Spec, When

DIRECTION = {"incoming": "incoming", "outgoing": "outgoing", "local": "internal (local)", "unknown": "of unknown direction"}
STAGE = {"conversation_requested": "the call is ringing (conversation requested)",
         "conversation_accepted": "the call is answered",
         "conversation_ended": "a conversation ends", "call_ended": "the call ends"}
FORMAT = {"e164": "international E.164 (+74951234567)", "national": "national notation (84951234567)",
          "digits": "digits with the country code (74951234567)", "keep": "the notation it arrived in"}


def code(text: object) -> str:
    value = str(text).replace("\r", " ").replace("\n", " ")
    fence = "``" if "`" in value else "`"
    return f"{fence} {value} {fence}" if fence == "``" else f"`{value}`"


def any_of(values: list[str]) -> str:
    quoted = [code(v) for v in values]
    if len(quoted) == 1:
        return quoted[0]
    return ", ".join(quoted[:-1]) + " or " + quoted[-1]


def match(m: Match) -> str:
    parts = []
    if m.values:
        parts.append(("is " if len(m.values) == 1 else "is one of ") + any_of(list(m.values)))
    if m.regexes:
        parts.append("matches the pattern " + any_of(list(m.regexes)))
    return " or ".join(parts)


def condition(when: When, spec: Spec) -> str:
    parts = []
    if when.direction:
        parts.append("the call is " + " or ".join(DIRECTION[d] for d in when.direction))
    if when.stage:
        parts.append(" or ".join(STAGE[s] for s in when.stage))
    labels = {"extension": "an employee's extension", "trunk": "the trunk (number or name)",
              "client_phone": "the client's number", "line": "the line number", "status": "the call status"}
    for key, label in labels.items():
        value = getattr(when, key)
        if value is not None:
            parts.append(f"{label} {match(value)}")
    if when.answered is not None:
        parts.append("the call was answered" if when.answered else "the call was not answered")
    if when.is_ivr is not None:
        parts.append("the call was missed in the IVR" if when.is_ivr else "the call was not an IVR miss")
    if when.hours is not None or when.days is not None:
        zone = (when.hours.timezone if when.hours and when.hours.timezone else None) or when.timezone or spec.timezone
        text = "the time is " + " or ".join(
            f"between {w.split('-')[0].strip()} and {w.split('-')[1].strip()}" for w in when.hours.window
        ) if when.hours else "it is"
        days = list(when.days or (when.hours.days if when.hours else ()) or ())
        if days:
            text += " on " + ", ".join(d.capitalize() for d in sorted(days, key=DAYS.index))
        parts.append(f"{text} ({zone} time)")
    for fc in when.field or ():
        path = ".".join(fc.keys())
        test = f"matches the pattern {code(fc.regex)}" if fc.regex else \
            ("is one of " if len(fc.in_ or []) > 1 else "is ") + any_of([str(v) for v in fc.in_ or []])
        parts.append(f"the input field {code(path)} {test}")
    return " and ".join(parts) if parts else "always"


def assignments(values: dict) -> str:
    items = []
    for key, value in values.items():
        shown = code(value) if not isinstance(value, (dict, list)) else code(value)
        items.append(f"{code(key)} = {shown}")
    return ", ".join(items)


def explain(spec: Spec) -> str:
    lines = [f"# What the Itgrix customizations do for {code(spec.name)}", ""]
    if spec.description:
        lines += [spec.description.replace("\n", " "), ""]
    lines += ["Values in `{braces}` are filled in from the call at the time it happens.", ""]
    customized, passthrough = [], []
    for c in CUSTOMIZATIONS:
        section = section_of(spec, c)
        if section is None:
            passthrough.append(c)
            continue
        customized.append(c)
        lines += [f"## {c.filename}", "", f"*{c.summary}*", ""]
        lines += [f"- {line}" for line in describe(c.name, section, spec)]
        lines.append("")
    lines += ["## Left unchanged", ""]
    lines += [", ".join(c.filename for c in passthrough) + ": these pass the connector's data through untouched."
              if passthrough else "Nothing: every customization is used."]
    lines += ["", "## To switch on", "",
              "In the connector's admin panel (`http://<asterisk-ip>:8077` → Customizer) switch on: "
              + (", ".join(c.name for c in customized) if customized else "nothing") + "."]
    return "\n".join(lines) + "\n"


def describe(name: str, s, spec: Spec) -> list[str]:
    out: list[str] = []
    if name in ("process_client_phone", "process_user_phone"):
        who = "client's" if name == "process_client_phone" else "employee's"
        for r in s.rewrite:
            out.append(f"The {who} number is rewritten: {code(r.match)} → {code(r.replace)}.")
        fmt = s.effective_format()
        region = f" (numbers without a country code are taken as {code(s.region)})" if s.region else ""
        out.append(f"The {who} number is written in {FORMAT[fmt]}{region}; words and short internal numbers stay as they are.")
        return out
    if name == "need_registration":
        for r in s.rules:
            verb = "registered" if r.then == "register" else "**not registered**"
            out.append(f"Calls are {verb} when {condition(r.when, spec)}.")
        default = "registered" if s.default == "register" else "**not registered**"
        out.append(f"All other calls are {default}.")
        return out
    if name == "process_record_file_path":
        for r in s.rewrite:
            out.append(f"The recording path is rewritten: {code(r.match)} → {code(r.replace)}.")
        if s.convert:
            out.append(f"The recording is converted to {code(s.convert.extension)} with {code(s.convert.command)}; "
                       f"if that takes longer than {s.convert.timeout_s:g} s or fails, the original file is used.")
        return out
    if name == "post_registration":
        if s.webhook:
            when = condition(s.webhook.when, spec)
            out.append(f"After registration a {s.webhook.method} request goes to {code(s.webhook.url)}"
                       + ("" if when == "always" else f" when {when}")
                       + f"; it gives up after {s.webhook.timeout_s:g} s and never delays the call.")
        return out
    if name == "process_originate_params":
        steps = [f"rewritten {code(r.match)} → {code(r.replace)}" for r in s.rewrite]
        if s.format != "keep":
            steps.append(f"written in {FORMAT[s.format]}")
        if s.last_digits:
            steps.append(f"cut to its last {s.last_digits} digits")
        if s.prefix:
            steps.append(f"dialled with the prefix {code(s.prefix)}")
        if steps:
            out.append("For calls started from the CRM, the number is " + ", then ".join(steps) + ".")
    if name == "customize_autodistribution" and s.callerid_name:
        out.append(f"The operator's phone shows {code(s.callerid_name)} as the caller's name (at most 20 characters).")
    if name == "customize_show_call_card" and s.show_on:
        out.append("The call card is shown only when " + " or ".join(STAGE[x] for x in s.show_on)
                   + "; on other stages the card request is cancelled.")
    if name == "customize_attach_record_url":
        if s.description:
            out.append(f"The case description becomes {code(s.description)}.")
    if name == "process_task_creation_params" and s.deadline_hours:
        out.append(f"The task's deadline is {s.deadline_hours:g} hours after the missed call.")
    if getattr(s, "set", None):
        out.append("Always: " + assignments(s.set) + ".")
    for r in getattr(s, "rules", []):
        if r.cancels():
            out.append(f"When {condition(r.when, spec)}: the request is **cancelled**.")
        else:
            out.append(f"When {condition(r.when, spec)}: " + assignments(r.set) + ".")
    return out or ["Nothing changes."]
