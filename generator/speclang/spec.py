"""The whole spec, version 1: the top-level keys and one section per customization.

The key names are a public contract (docs/design/spec-language.md): never rename one.  The
sections' models are in generator/speclang/sections.py (the customizations that emit them import
them from there); the shared types (conditions, rules, values) in generator/speclang/types.py."""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field, StringConstraints, field_validator

from generator.speclang.sections import (
    Autodistribution,
    CallCard,
    Originate,
    PostRegistration,
    Record,
    RecordLink,
    Registration,
    Tasks,
)
from generator.speclang.types import (
    PHP_VERSIONS,
    Calendar,
    Capture,
    DeployTo,
    FieldOverride,
    ParamsSection,
    PhoneSection,
    Schedule,
    Strict,
    TimeZone,
)


class Phones(Strict):
    client: PhoneSection | None = None
    user: PhoneSection | None = None


def _no_bool(value: Any) -> Any:
    if isinstance(value, bool):
        raise ValueError(f"{str(value).lower()} is not a version: write version: 1")
    return value


def _php_text(value: Any) -> Any:
    """`php: 5.4` unquoted is the YAML number 5.4: take it as the version "5.4" it means.  The YAML
    loader keeps how a number was written, so `php: 7.10` stays "7.10" (no such version), not 7.1."""
    if isinstance(value, float) and not isinstance(value, bool):
        written = getattr(value, "text", "")
        return written if re.fullmatch(r"[0-9]+\.[0-9]+", written) else repr(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value}.0"
    return value


class Spec(Strict):
    version: Annotated[Literal[1], BeforeValidator(_no_bool)] = Field(description="spec language version; must be 1")
    name: str = Field(min_length=1, max_length=200, description="the client or setup; written into every header")
    description: str | None = None
    php: Annotated[Literal[PHP_VERSIONS], BeforeValidator(_php_text)] = Field(  # type: ignore[valid-type]
        default="5.4", description="lowest PHP the client's server runs"
    )
    extends: str | None = Field(default=None, description="a base spec (path relative to this file)")
    timezone: TimeZone | None = Field(default=None, description="default timezone for hours and deadlines")
    calendar: Calendar | None = Field(
        default=None, description="days that are not like their weekday (holidays, transfers)"
    )
    schedules: dict[Annotated[str, StringConstraints(pattern=r"^[A-Za-z_][\w-]*$")], Schedule] | None = Field(
        default=None, description="named working hours: `hours: office` in a condition"
    )

    fields: dict[str, FieldOverride] | None = Field(
        default=None,
        description="this client's connector fills these keys from other paths: key -> paths tried before "
        "the field table's own sources, or {replace: [paths]} instead of them (see `itgrix-gen fields --probe`)",
    )
    capture: Capture | None = Field(
        default=None, description="every call each file sees is appended to a JSON Lines log on the server"
    )
    deploy: DeployTo | None = Field(
        default=None, description="where `itgrix-gen deploy` puts the files (nothing here reaches the PHP)"
    )
    shadow: bool = Field(
        default=False,
        description="true: decide and log as usual, but answer as the pass-through (also allowed in any section)",
    )

    phones: Phones | None = Field(
        default=None, description="client -> process_client_phone.php, user -> process_user_phone.php"
    )
    registration: Registration | None = Field(
        default=None, description="-> need_registration.php: register the call or not (black/white lists)"
    )
    registration_params: ParamsSection | None = Field(
        default=None, description="-> process_registration_params.php (CRM_SOURCE, CRM_CREATE, LINE_NUMBER, ...)"
    )
    final_params: ParamsSection | None = Field(
        default=None, description="-> process_final_params.php (ADD_TO_CHAT, USER_ID, STATUS_CODE, ...)"
    )
    entity: ParamsSection | None = Field(
        default=None, description="-> customize_entity.php: lead/contact fields to change"
    )
    activity: ParamsSection | None = Field(default=None, description="-> customize_activity.php: case fields to change")
    tasks: Tasks | None = Field(
        default=None, description="-> process_task_creation_params.php: the missed-call task's fields"
    )
    originate: Originate | None = Field(
        default=None, description="-> process_originate_params.php: click-to-call number, context, channel"
    )
    record: Record | None = Field(
        default=None, description="-> process_record_file_path.php: recording path, optional conversion"
    )
    autodistribution: Autodistribution | None = Field(
        default=None, description="-> customize_autodistribution.php: number and CallerID name"
    )
    call_card: CallCard | None = Field(
        default=None, description="-> customize_show_call_card.php: when the call card shows"
    )
    record_link: RecordLink | None = Field(
        default=None, description="-> customize_attach_record_url.php: the case description with the record link"
    )
    post_registration: PostRegistration | None = Field(
        default=None, description="-> post_registration.php: a webhook after registration"
    )

    @field_validator("fields")
    @classmethod
    def _field_keys(cls, value: dict[str, Any] | None) -> dict[str, Any] | None:
        from generator.emit.fields import FIELDS

        for key in value or {}:
            if key not in FIELDS or key == "client_phone.raw":
                import difflib

                known = [k for k in FIELDS if k != "client_phone.raw"]
                close = difflib.get_close_matches(key, known, n=1)
                raise ValueError(
                    f"{key!r} is not a key of the field table"
                    + (f" (did you mean {close[0]!r}?)" if close else "")
                    + "; keys: "
                    + ", ".join(known)
                )
        return value

    @field_validator("name")
    @classmethod
    def _name_text(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("name must not be blank")
        value.encode("utf-8")
        return value
