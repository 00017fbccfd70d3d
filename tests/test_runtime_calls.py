"""How the generated files read a call, through real PHP (a fresh process per call, as the
connector runs them): the "no value for a key" diagnostic, input that is not a call object,
numbers sent as text, and calls with many conversations."""

from __future__ import annotations

import copy
import json

import pytest

from tests.conftest import ROOT, load_text, render_to, run_one

BASE_CALL = json.loads((ROOT / "specs" / "example" / "calls" / "incoming.json").read_text(encoding="utf-8"))

TRUNK_SPEC = (
    "version: 1\nname: said\nregistration:\n  rules:\n"
    "    - when: {extension: ['999'], trunk: sip-a}\n      then: skip\n"  # trunk read only after extension
    "    - when: {trunk: sip-b}\n      then: skip\n"
    "    - when: {trunk: sip-c}\n      then: skip\n"
)


def without_trunk(direction: str) -> dict:
    call = copy.deepcopy(BASE_CALL)
    call["call_full"]["channel"]["type"] = direction
    call["call_full"]["channel"].pop("trunk", None)
    for conversation in call["call_full"]["conversations"].values():
        conversation["channel"].pop("trunk", None)
    return call


def said(result, key: str) -> list[str]:
    return [line for line in result.log if f"no value for '{key}'" in line]


@pytest.fixture
def trunk_file(tmp_path):
    return render_to(load_text(tmp_path, TRUNK_SPEC), tmp_path / "out")["need_registration"]


@pytest.mark.parametrize("direction", ["incoming", "outgoing"])
def test_a_missing_trunk_is_said_once_even_when_the_first_rule_short_circuits(trunk_file, php, direction):
    result = run_one(trunk_file, without_trunk(direction), php=php)
    assert result.clean and result.reply["data"] == {"result": True}
    lines = said(result, "trunk")
    assert len(lines) == 1, result.log
    assert "call_full.channel.trunk" in lines[0]


def test_a_local_call_has_no_trunk_and_says_nothing(tmp_path, php):
    text = "version: 1\nname: said\nregistration:\n  rules:\n    - when: {trunk: sip-b}\n      then: skip\n"
    path = render_to(load_text(tmp_path, text), tmp_path / "out")["need_registration"]
    result = run_one(path, without_trunk("local"), php=php)
    assert result.clean and result.reply["data"] == {"result": True}
    assert not said(result, "trunk"), result.log


def test_a_local_call_has_no_client_number_and_says_nothing(tmp_path, php):
    text = "version: 1\nname: said\nregistration:\n  rules:\n    - when: {client_phone: '+74950000000'}\n      then: skip\n"
    path = render_to(load_text(tmp_path, text), tmp_path / "out")["need_registration"]
    call = without_trunk("local")
    call["call_full"]["channel"]["from"] = {"number": "101"}
    call["call_full"]["channel"]["to"] = {"number": "102"}
    result = run_one(path, call, php=php)
    assert result.clean and not said(result, "client_phone"), result.log
    call["call_full"]["channel"]["type"] = "incoming"
    call["call_full"]["channel"]["from"] = {}
    result = run_one(path, call, php=php)
    assert len(said(result, "client_phone")) == 1, result.log
