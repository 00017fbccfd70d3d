"""process_user_phone.php: the employee's number before the user lookup.  Section `phones.user`,
with the same keys as `phones.client`."""

from __future__ import annotations

from generator.customizations.process_client_phone import PhoneCustomization

CUSTOMIZATION = PhoneCustomization(
    "process_user_phone", "phones.user", "Change the employee's number before the user lookup.", keys=("phone",)
)
