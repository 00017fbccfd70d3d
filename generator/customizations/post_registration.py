"""post_registration.php: acts after the call is registered.  Section `post_registration`: a
`webhook` sent when its conditions hold, with one deadline for the whole request; its answer is
only `{"state": "success"}` and a failure is only logged."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from generator.customizations import words
from generator.customizations.base import Customization, FileContext, say
from generator.emit import marked
from generator.speclang.sections import PostRegistration, Webhook


def text_body_format(hook: Webhook) -> tuple[str | None, str | None]:
    """How a text `body:`'s placeholders are escaped ("json", "url" or None: as they are) and the
    Content-Type to add (None: the spec's `headers` name one).  The spec's Content-Type decides;
    without one, a body that starts with "{" or "[" is JSON, anything else plain text."""
    given = next((v for k, v in hook.headers.items() if k.lower() == "content-type"), None)
    media = (given or "").lower()
    if given is None:
        media = "application/json" if (hook.body or "").lstrip()[:1] in ("{", "[") else "text/plain; charset=utf-8"
    kind = "json" if "json" in media else ("url" if "x-www-form-urlencoded" in media else None)
    return kind, None if given is not None else media


@dataclass(frozen=True)
class AfterRegistration(Customization):
    def passthrough(self, ctx: FileContext) -> str:
        return "array('state' => 'success')"

    def body(self, section: PostRegistration, ctx: FileContext) -> dict[str, Any]:
        hook = section.webhook
        if hook is None:
            return {"steps": []}
        pairs = [f"{marked.php_string(name + ': ')} . {ctx.template(value)}" for name, value in hook.headers.items()]
        if hook.json_ is not None:
            body = ctx.value(hook.json_, indent=1)
        elif hook.body is not None:
            kind, content_type = text_body_format(hook)
            body = ctx.template(hook.body, kind)
            if content_type is not None:  # never curl's default: the text as form fields
                pairs.append(marked.php_string("Content-Type: " + content_type))
        else:
            body = "$params" if hook.method != "GET" else "''"
        headers = "array(" + ", ".join(pairs) + ")"
        tests, text = ctx.when(hook.when)
        call = (
            f"{ctx.fn('webhook')}({marked.php_string(hook.method)}, {ctx.template(hook.url, 'url')}, {headers}, "
            f"{body}, {marked.php_float(float(hook.timeout_s))}, $name);"
        )
        comment = ctx.comment(
            self.section_path + ("webhook",),
            f"{hook.method} {say(hook.url)}" + ("" if text == "always" else f" when {text}"),
        )
        decided = ctx.decided(self.section_path + ("webhook",))
        if ctx.shadow:
            # shadow: the request is decided and logged, never sent
            return {"steps": [comment] + ctx.if_block(tests, [*decided, "// shadow: not sent"])}
        return {"steps": [comment] + ctx.if_block(tests, [*decided, *call.split("\n")])}

    def explain(self, section: PostRegistration, spec: Any) -> list[str]:
        hook = section.webhook
        if hook is None:
            return ["Nothing happens."]
        when = words.condition(hook.when, spec)
        if hook.json_ is not None:
            sent = "It sends the JSON fields " + words.assignments(hook.json_) + "."
        elif hook.body is not None:
            sent = f"It sends the text {words.code(hook.body)}."
        elif hook.method == "GET":
            sent = "It sends no body; the URL's placeholders carry the call."
        else:
            sent = "It sends the whole input as JSON (`call_full`, `call_stage` and the connector's other fields)."
        headers = f" Headers: {words.assignments(hook.headers)}." if hook.headers else ""
        return [
            f"After registration a {hook.method} request goes to {words.code(hook.url)}"
            + ("" if when == "always" else f" when {when}")
            + f"; it gives up after {hook.timeout_s:g} s and never delays the call. {sent}{headers}"
        ] + words.placeholder_notes(_texts(hook), spec)


def _texts(hook: Webhook) -> list[str]:
    from generator.speclang.placeholders import texts as walk

    return [hook.url, hook.body or "", *hook.headers.values()] + [t for _p, t in walk(hook.json_)]


CUSTOMIZATION = AfterRegistration(
    "post_registration",
    "post_registration",
    "Act after the call is registered (webhook).",
    inputs=("call_full", "call_stage"),
)
