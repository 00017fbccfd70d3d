"""process_registration_params.php: the parameters the call is registered with (CRM_SOURCE,
CRM_CREATE, LINE_NUMBER...).  Section `registration_params`: `set` and `rules`."""

from __future__ import annotations

from generator.customizations.reply_map import ReplyMapCustomization

CUSTOMIZATION = ReplyMapCustomization(
    "process_registration_params",
    "registration_params",
    "Change the call registration parameters.",
    keys=("CALL_START_DATE", "CRM_CREATE", "CRM_SOURCE", "LINE_NUMBER", "PHONE_NUMBER", "SHOW", "TYPE", "USER_ID"),
    can_cancel=True,
    inputs=(
        "CALL_START_DATE",
        "CRM_CREATE",
        "CRM_SOURCE",
        "LINE_NUMBER",
        "PHONE_NUMBER",
        "SHOW",
        "TYPE",
        "USER_ID",
        "call_full",
        "call_stage",
    ),
)
