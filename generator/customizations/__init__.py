"""The fourteen customizations of itgrix_bx, one module each.

A module holds everything its customization means: the spec section's model, how that section
compiles into PHP (`body`), what the file answers unchanged (`passthrough`), its `explain` text and
whether it may cancel the connector's request; its layout is templates/<name>.php.j2.  Adding a
fifteenth customization: one module, one template, one line below and the section's key in
speclang/spec.py, and golden cases (CONTRIBUTING.md, "Adding a customization").  The order is the
order files are listed in."""

from __future__ import annotations

from generator.customizations import (
    customize_activity,
    customize_attach_record_url,
    customize_autodistribution,
    customize_entity,
    customize_show_call_card,
    need_registration,
    post_registration,
    process_client_phone,
    process_final_params,
    process_originate_params,
    process_record_file_path,
    process_registration_params,
    process_task_creation_params,
    process_user_phone,
)
from generator.customizations.base import CONTEXT_KEYS, Customization

CUSTOMIZATIONS: tuple[Customization, ...] = (
    customize_activity.CUSTOMIZATION,
    customize_entity.CUSTOMIZATION,
    need_registration.CUSTOMIZATION,
    process_client_phone.CUSTOMIZATION,
    process_final_params.CUSTOMIZATION,
    process_originate_params.CUSTOMIZATION,
    process_record_file_path.CUSTOMIZATION,
    process_registration_params.CUSTOMIZATION,
    process_task_creation_params.CUSTOMIZATION,
    process_user_phone.CUSTOMIZATION,
    customize_autodistribution.CUSTOMIZATION,
    post_registration.CUSTOMIZATION,
    customize_show_call_card.CUSTOMIZATION,
    customize_attach_record_url.CUSTOMIZATION,
)

BY_NAME = {c.name: c for c in CUSTOMIZATIONS}
NAMES = tuple(sorted(BY_NAME))

__all__ = ["BY_NAME", "CONTEXT_KEYS", "CUSTOMIZATIONS", "NAMES", "Customization"]
