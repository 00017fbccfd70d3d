"""The fourteen customizations of itgrix_bx: file names, spec sections, reply shapes.

Sources: ../shared/itgrix/customizations-bx.txt and contract.md.  `keys` are the documented
reply keys: a pass-through copies exactly those from the input (never the context the connector
adds, such as call_full, which must not travel on to Bitrix24).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Customization:
    name: str
    section: str           # the spec key that drives it ("phones.client" for nested ones)
    summary: str
    keys: tuple[str, ...] = ()
    can_cancel: bool = False  # runs right before a Bitrix24 request, so empty data cancels it

    @property
    def filename(self) -> str:
        return f"{self.name}.php"

    @property
    def template(self) -> str:
        return f"{self.name}.php.j2"


CONTEXT_KEYS = ("call_full", "call_stage", "call", "conversation")

CUSTOMIZATIONS: tuple[Customization, ...] = (
    Customization("customize_activity", "activity", "Update the case (activity) fields at the end of the call.",
                  can_cancel=True),
    Customization("customize_entity", "entity", "Update the lead/contact fields at the end of the call.",
                  can_cancel=True),
    Customization("need_registration", "registration", "Decide whether the call is registered (black/white lists)."),
    Customization("process_client_phone", "phones.client", "Change the client's number before it goes to the CRM.",
                  keys=("phone",)),
    Customization("process_final_params", "final_params", "Change the call finish parameters.",
                  keys=("ADD_TO_CHAT", "CALL_ID", "DURATION", "STATUS_CODE", "USER_ID"), can_cancel=True),
    Customization("process_originate_params", "originate", "Change click-to-call parameters (number, context, trunk).",
                  keys=("caller_id", "channel", "context", "extension", "priority", "request_data")),
    Customization("process_record_file_path", "record", "Change (or convert) the path of the call recording."),
    Customization("process_registration_params", "registration_params", "Change the call registration parameters.",
                  keys=("CALL_START_DATE", "CRM_CREATE", "CRM_SOURCE", "LINE_NUMBER", "PHONE_NUMBER", "SHOW",
                        "TYPE", "USER_ID"), can_cancel=True),
    Customization("process_task_creation_params", "tasks", "Change the missed-call task.",
                  keys=("fields",), can_cancel=True),
    Customization("process_user_phone", "phones.user", "Change the employee's number before the user lookup.",
                  keys=("phone",)),
    Customization("customize_autodistribution", "autodistribution",
                  "Change the extension and CallerID name when an incoming call is auto-distributed.",
                  keys=("number", "name")),
    Customization("post_registration", "post_registration", "Act after the call is registered (webhook)."),
    Customization("customize_show_call_card", "call_card", "Choose when the call card is shown.",
                  keys=("CALL_ID", "USER_ID"), can_cancel=True),
    Customization("customize_attach_record_url", "record_link", "Change the recording link written to the case.",
                  keys=("DESCRIPTION", "DESCRIPTION_TYPE"), can_cancel=True),
)

BY_NAME = {c.name: c for c in CUSTOMIZATIONS}
NAMES = tuple(sorted(BY_NAME))


def section_of(spec, customization: Customization):
    """The spec section that drives a customization, or None when it is a pass-through."""
    node = spec
    for part in customization.section.split("."):
        node = getattr(node, part, None) if node is not None else None
    return node
