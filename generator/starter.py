"""`itgrix-gen init`: a commented starter spec and one golden case."""

from __future__ import annotations

import json
from pathlib import Path

from generator.output import atomic_write

SPEC = """\
# itgrix-gen spec: what this client's Itgrix connector (itgrix_bx) should do.
# Validate: itgrix-gen validate spec.yaml   Render: itgrix-gen render spec.yaml
# Test:     itgrix-gen test spec.yaml        Schema: itgrix-gen schema
version: 1
name: my-client            # written into every generated file's header
php: "5.4"                 # lowest PHP version on the client's server
timezone: Europe/Moscow    # used by hours/days conditions and task deadlines

phones:
  client:                  # process_client_phone.php: the client's number before the CRM sees it
    region: RU             # numbers written without a country code are Russian
    format: e164           # e164 | national | digits | keep

registration:              # need_registration.php: register the call or not
  default: register
  rules:                   # the first matching rule decides
    - when: {extension: ["100", "101"]}   # calls of these extensions are not registered
      then: skip

# Sections you can add (see README.md): registration_params, final_params, entity,
# activity, tasks, originate, record, autodistribution, call_card, record_link,
# post_registration, phones.user.
"""

CASE_YAML = """\
customization: need_registration
description: an incoming call answered on extension 100 is not registered
"""

CASE_INPUT = {
    "call_stage": "conversation_requested",
    "call_full": {
        "active_conversation_id": "1732443000.101",
        "channel": {
            "id": "1732443000.100",
            "type": "incoming",
            "state": "ringing",
            "is_primary": True,
            "from": {"number": "+74951234567"},
            "to": {"number": "100"},
            "trunk": {"number": "74957654321", "name": "sip-moscow"},
            "start_time": "2026-11-24 10:00:00",
            "answer_time": "0001-01-01 00:00:00",
            "end_time": "0001-01-01 00:00:00",
            "was_answered": False,
            "name": "SIP/sip-moscow-0001",
            "extra": {},
        },
        "conversations": {
            "1732443000.101": {
                "channel": {
                    "id": "1732443000.101",
                    "type": "incoming",
                    "from": {"number": "+74951234567"},
                    "to": {"number": "100"},
                },
                "is_parked": False,
                "user": {"id": 7, "name": "Anna", "phones": ["100"]},
            }
        },
        "deal": None,
        "entity": None,
        "is_ivr": False,
        "record": "",
        "registration": None,
        "result": 0,
    },
}

CASE_EXPECTED = {"state": "success", "data": {"result": False}}


def write_starter(folder: Path) -> list[Path]:
    case = folder / "cases" / "skip-extension-100"
    files = {
        folder / "spec.yaml": SPEC,
        case / "case.yaml": CASE_YAML,
        case / "input.json": json.dumps(CASE_INPUT, indent=2) + "\n",
        case / "expected.json": json.dumps(CASE_EXPECTED, indent=2) + "\n",
    }
    for path, text in files.items():
        atomic_write(path, text)
    return list(files)
