"""`itgrix-gen run`: one customization of a spec on one input, with real PHP, as the connector
would run it.  Webhooks are not sent unless asked (trying a case must not post test data to a
client's live URL): each is said as `would send: METHOD URL BODY`, its headers below."""

from __future__ import annotations

import json
import sys
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from generator.commands.say import Say
from generator.errors import UsageProblem

if TYPE_CHECKING:
    from generator.speclang.loader import LoadedSpec

MAX_INPUT_BYTES = 16 * 1024 * 1024  # one call's $params; real ones are a few kilobytes
STUBBED = "http stub: "  # how the harness's HTTP stub logs a request it answered instead of the network


def run(loaded: LoadedSpec, key: str, text: str, moment: int | None, php: str, live_network: bool, say: Say) -> int:
    """The reply on stdout, what the file logged or printed on stderr; exit code 0 when the call
    ran cleanly, else 1."""
    from generator.php import specfiles
    from generator.php.runner import Case

    if loaded.spec.capture is not None or loaded.spec.shadow:
        say.err("note: run shows what the spec decides; capture and shadow act only in deployed files")
    with specfiles.spec_files(loaded) as paths:
        result = specfiles.run([Case(str(paths[key]), text, moment)], php, live_network=live_network)[0]
    requests = iter(result.headers)
    for line in result.log + [f"PHP {e}" for e in result.errors]:
        if line.startswith(STUBBED):
            say.err("would send (not sent: --live-network sends it): " + line[len(STUBBED) :])
            for header in next(requests, []):  # what the client's endpoint would see besides the body
                say.err(f"    {header}")
            continue
        say.err(line)
    if result.output:
        say.err(f"the file printed: {result.output!r}")
    if result.crash:
        say.err(result.crash)
    if result.reply_json is not None:
        say.write(result.reply_json + "\n")
    return 0 if result.clean else 1


def command(
    spec: str,
    name: str | None,
    input: str | None,
    case: Path | None,
    php: str | None,
    now: str | None,
    live_network: bool,
    root: Path | None,
    say: Say,
) -> int:
    """The whole command: the call (name and input, or a case) checked, the spec loaded, the call run."""
    from generator.commands import specs
    from generator.php.runner import require_php

    key, text, moment = call(name, input, case, now)
    return run(specs.one(spec, root, say), key, text, moment, require_php(php), live_network, say)


def call(name: str | None, input: str | None, case: Path | None, now: str | None) -> tuple[str, str, int | None]:
    """`run`'s arguments checked: (customization, input JSON text, pinned clock or None)."""
    from generator.cases import load_case
    from generator.customizations import BY_NAME, NAMES

    if case is not None and input is not None:
        raise UsageProblem("give --input or --case, not both")
    golden = load_case(case) if case is not None else None
    key = name or (golden.meta.customization if golden else None)
    if key is None:
        raise UsageProblem("name the customization, e.g. need_registration (or give --case)")
    key = key[:-4] if key.endswith(".php") else key
    if key not in BY_NAME:
        raise UsageProblem(f"unknown customization {key!r}; one of: {', '.join(NAMES)}")
    text = golden.input_json if golden else read_input(input or "-")
    moment = golden.meta.unix_now() if golden and not now else None
    if now:
        try:
            parsed = datetime.fromisoformat(now)
            if parsed.tzinfo is None:
                raise ValueError("missing offset")
            moment = int(parsed.timestamp())
        except ValueError:
            raise UsageProblem("--now takes ISO 8601 with an offset, e.g. 2026-11-24T10:00:00+03:00") from None
    return key, text, moment


def read_input(source: str) -> str:
    """A call's input JSON from a file or stdin (-): UTF-8, within the size limit, valid JSON."""
    if source == "-" and sys.stdin.isatty():
        raise UsageProblem("give the input JSON with --input FILE or --case DIR (or pipe it on stdin)")
    try:
        if source == "-":
            data = sys.stdin.buffer.read(MAX_INPUT_BYTES + 1)
        else:
            with open(source, "rb") as handle:  # /dev/zero and friends: read no more than the limit
                data = handle.read(MAX_INPUT_BYTES + 1)
    except OSError as exc:
        raise UsageProblem(f"cannot read {source}: {exc.strerror or exc}") from None
    if len(data) > MAX_INPUT_BYTES:
        raise UsageProblem(f"{source}: larger than {MAX_INPUT_BYTES:,} bytes; not a call's input")
    try:
        text = data.decode("utf-8")
        json.loads(text)
    except UnicodeDecodeError as exc:
        raise UsageProblem(
            f"{source}: not UTF-8 ({exc.reason} at byte {exc.start}); the connector sends UTF-8 JSON"
        ) from None
    except ValueError as exc:
        raise UsageProblem(f"{source}: not valid JSON: {exc}") from None
    return text
