"""customize_activity.php: case (activity) fields to change at the end of the call.  Section
`activity`.  Like customize_entity, its data is the list of fields to change."""

from __future__ import annotations

from generator.customizations.customize_entity import ChangesOnly

CUSTOMIZATION = ChangesOnly(
    "customize_activity",
    "activity",
    "Update the case (activity) fields at the end of the call.",
    can_cancel=True,
    inputs=("activity", "call_full"),
)
