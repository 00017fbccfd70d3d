"""process_final_params.php: the parameters the call is finished with (USER_ID, ADD_TO_CHAT,
STATUS_CODE...).  Section `final_params`: `set` and `rules`."""

from __future__ import annotations

from generator.customizations.reply_map import ReplyMapCustomization

CUSTOMIZATION = ReplyMapCustomization(
    "process_final_params",
    "final_params",
    "Change the call finish parameters.",
    keys=("ADD_TO_CHAT", "CALL_ID", "DURATION", "STATUS_CODE", "USER_ID"),
    can_cancel=True,
    inputs=("ADD_TO_CHAT", "CALL_ID", "DURATION", "STATUS_CODE", "USER_ID", "call_full"),
)
