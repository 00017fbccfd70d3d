"""The models of the spec's customization sections (`registration`, `post_registration`,
`originate`...): their keys, defaults and checks.  The language lives here, in speclang; what a
section turns into in PHP lives with its customization (generator/customizations/), which imports
its model from this module.  So speclang's modules import nothing of the customizations when they
load (tests/test_layers.py); only the checks across sections (crosschecks.py) ask the registry,
when they run, which sections have rules, may cancel and get which placeholders.  The key names
are a public contract (docs/design/spec-language.md): never rename one."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import ConfigDict, Field, field_validator, model_validator

from generator.speclang import placeholders
from generator.speclang.types import (
    CALLERID_LIMIT,
    STAGES,
    ParamsSection,
    Region,
    Rewrite,
    Section,
    SetMap,
    Strict,
    Template,
    TimeZone,
    When,
    enum_list,
)

# --- need_registration.php --------------------------------------------------------------------


class RegistrationRule(Strict):
    when: When = Field(default_factory=When.model_construct, description="conditions; all must hold")
    then: Literal["register", "skip"]


class Registration(Section):
    default: Literal["register", "skip"] = Field(default="register", description="when no rule matches")
    rules: list[RegistrationRule] = Field(default_factory=list, description="the first matching rule decides")


# --- post_registration.php --------------------------------------------------------------------


class Webhook(Strict):
    url: Template = Field(description="http(s) URL; placeholder values are URL-encoded")
    timeout_s: float = Field(default=2.0, gt=0, le=10.0)
    method: Literal["POST", "GET", "PUT"] = "POST"
    headers: dict[str, Template] = Field(default_factory=dict)
    body: Template | None = Field(
        default=None, description="a text body with {placeholders}; default: the whole input as JSON"
    )
    json_: SetMap | None = Field(
        default=None,
        alias="json",
        description="a JSON body: a mapping whose text values may "
        "hold {placeholders}, encoded at call time (values escaped by construction)",
    )
    when: When = Field(default_factory=When.model_construct)

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    @model_validator(mode="after")
    def _one_body(self) -> Webhook:
        if self.body is not None and self.json_ is not None:
            raise ValueError("give either body (text) or json (a mapping), not both")
        if self.method == "GET" and (self.body is not None or self.json_ is not None):
            raise ValueError("a GET request sends no body: use POST or PUT, or leave body/json out")
        return self

    @field_validator("url")
    @classmethod
    def _http(cls, value: str) -> str:
        if not re.match(r"^https?://[^\s/]", value):
            raise ValueError("url must start with http:// or https://")
        if re.search(r"[\x00-\x1f\x7f\x80-\x9f\u2028\u2029]", value):
            raise ValueError("url holds a line break or a control character")
        return value

    @field_validator("headers")
    @classmethod
    def _header_names(cls, value: dict[str, str]) -> dict[str, str]:
        for name, text in value.items():
            if not re.fullmatch(r"[A-Za-z0-9-]+", name):
                raise ValueError(f"header name {name!r} may hold only letters, digits and '-'")
            # A line break would end the header (and start another): the spec's own text may not
            # hold one, nor another control character (call data filled in is cleaned at call time).
            if re.search(r"[\x00-\x08\x0a-\x1f\x7f\x80-\x9f\u2028\u2029]", text):
                raise ValueError(f"header {name!r}: its value holds a line break or a control character")
        return value


class PostRegistration(Section):
    webhook: Webhook | None = None


# --- process_originate_params.php -------------------------------------------------------------


# The click-to-call reply: the parameters of Asterisk's AMI Originate the connector sends (its docs).
ORIGINATE_KEYS = ("caller_id", "channel", "context", "extension", "priority", "request_data")


class Originate(ParamsSection):
    format: Literal["e164", "national", "digits", "keep", "dial"] = Field(
        default="keep",
        description="e164 | national | digits | keep | dial: as dialled from `region` (a number of its own "
        "calling code in national digits, another with the region's international prefix: 00431234567 "
        "from Germany, 81049301234567 from Kazakhstan)",
    )
    region: Region | None = Field(default=None, description="defaults to phones.client.region")
    prefix: str = Field(default="", description='dial prefix put before the number (e.g. "9")')
    last_digits: int | None = Field(default=None, ge=1, le=20, description="keep only the last N digits")
    rewrite: list[Rewrite] = Field(default_factory=list)
    internal_max_digits: int | None = Field(default=None, ge=0, le=15)
    invalid: Literal["keep", "normalize"] = Field(
        default="keep",
        description="keep: a number the region's numbering plan does not allow comes back as it arrived; "
        "normalize: it is written in the format anyway",
    )

    @field_validator("prefix")
    @classmethod
    def _prefix(cls, value: str) -> str:
        if not re.fullmatch(r"[0-9*#+]*", value):
            raise ValueError("prefix may hold only digits, '*', '#' and '+'")
        return value


# --- process_record_file_path.php -------------------------------------------------------------


class Convert(Strict):
    command: str = Field(description='shell command with {src} and {dst}, e.g. "lame --quiet -b 32 {src} {dst}"')
    extension: str = Field(default="mp3", pattern=r"^[A-Za-z0-9]{1,8}$")
    timeout_s: float = Field(default=8.0, gt=0, le=9.0, description="must stay under the connector's 10 s")

    @field_validator("command")
    @classmethod
    def _needs_files(cls, value: str) -> str:
        if "{src}" not in value or "{dst}" not in value:
            raise ValueError("command must contain both {src} and {dst}")
        rest = value.replace("{src}", "").replace("{dst}", "")
        if "{" in rest or "}" in rest:
            raise ValueError("only {src} and {dst} may appear in braces in the command")
        if any(ord(c) < 0x20 for c in value):
            raise ValueError("command may not contain control characters or line breaks")
        return value


class Record(Section):
    rewrite: list[Rewrite] = Field(default_factory=list, description="path rewrites, in order")
    convert: Convert | None = None


# --- process_task_creation_params.php ---------------------------------------------------------


class Tasks(ParamsSection):
    deadline_hours: float | None = Field(
        default=None,
        gt=0,
        le=24 * 366,
        description="DEADLINE = now (the missed call's end) + this many hours, in the connector's notation",
    )
    timezone: TimeZone | None = Field(default=None, description="zone for DEADLINE written without an offset")


# --- customize_attach_record_url.php ----------------------------------------------------------


class RecordLink(ParamsSection):
    description: Template | None = Field(default=None, description="DESCRIPTION text; {record} is the link")
    description_type: Literal[1, 2, 3] | None = Field(
        default=None, description="1 text, 2 BBCode, 3 HTML (placeholders are HTML-escaped under 3)"
    )


# --- customize_autodistribution.php -----------------------------------------------------------


class Autodistribution(ParamsSection):
    callerid_name: Template | None = Field(
        default=None, description="CallerID name from placeholders; always cut to 20 characters"
    )

    @field_validator("callerid_name")
    @classmethod
    def _can_fit(cls, value: str | None) -> str | None:
        if value is None:
            return value
        parts = placeholders.parse(value)
        fixed = placeholders.literal_length(parts)
        if fixed >= CALLERID_LIMIT and placeholders.has_placeholders(parts):
            raise ValueError(
                f"the fixed text alone is {fixed} characters, so no placeholder value would ever "
                f"show in the {CALLERID_LIMIT}-character CallerID name; shorten the text"
            )
        if fixed > CALLERID_LIMIT:
            raise ValueError(f"{fixed} characters is longer than the {CALLERID_LIMIT}-character CallerID limit")
        return value


# --- customize_show_call_card.php -------------------------------------------------------------


class CallCard(ParamsSection):
    show_on: enum_list(STAGES, "call stage") | None = Field(  # type: ignore[valid-type]
        default=None, description="stages on which the card is shown; other stages cancel the request"
    )
