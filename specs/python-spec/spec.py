"""A spec written in Python: build it with the same pydantic models (or a plain dict) and expose
it as SPEC.  Handy when a consultant generates many clients' rules from a table."""

from generator import Spec

BLOCKED = ["100", "101", "102"]

SPEC = Spec.model_validate(
    {
        "version": 1,
        "name": "python-spec",
        "registration": {
            "rules": [{"when": {"extension": BLOCKED}, "then": "skip"}],
        },
        "phones": {"client": {"region": "KZ", "format": "e164"}},
    }
)
