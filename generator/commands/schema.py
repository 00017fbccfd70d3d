"""`itgrix-gen schema`: the JSON Schema of the spec, for editor completion and validation."""

from __future__ import annotations

from typing import Any


def schema() -> dict[str, Any]:
    from generator.speclang import placeholders
    from generator.speclang.spec import Spec

    data = Spec.model_json_schema(by_alias=True)
    data["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    data["title"] = "itgrix-gen spec, version 1"
    data["x-placeholders"] = placeholders.DESCRIPTIONS  # text values' {names}: not expressible as schema
    return data
