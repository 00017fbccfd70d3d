"""Golden cases in their compact form: a base call plus only what differs (JSON Merge Patch),
expanded to the whole input before the file sees it."""

from __future__ import annotations

import json

import pytest

from generator.cases import CaseError, load_case, merge_patch


def test_merge_patch():
    base = {"a": {"b": 1, "c": [1, 2]}, "d": "x", "e": None}
    assert merge_patch(base, {"a": {"c": [3]}, "d": None, "f": {"g": 1}}) == {
        "a": {"b": 1, "c": [3]},
        "e": None,
        "f": {"g": 1},
    }
    assert base == {"a": {"b": 1, "c": [1, 2]}, "d": "x", "e": None}


def make(tmp_path, case_yaml: str, input_json: str | None = None, base: dict | None = None):
    folder = tmp_path / "cases" / "one"
    folder.mkdir(parents=True)
    (folder / "case.yaml").write_text(case_yaml)
    if input_json is not None:
        (folder / "input.json").write_text(input_json)
    if base is not None:
        (tmp_path / "calls").mkdir()
        (tmp_path / "calls" / "incoming.json").write_text(json.dumps(base))
    return folder


def test_base_and_patch_expand_to_the_whole_input(tmp_path):
    folder = make(
        tmp_path,
        "customization: need_registration\nbase: ../../calls/incoming.json\n"
        "input: {call_full: {channel: {to: {number: '100'}}}, PHONE_NUMBER: null}\n",
        base={"call_full": {"channel": {"type": "incoming", "to": {"number": "102"}}}, "PHONE_NUMBER": "1"},
    )
    case = load_case(folder)
    assert json.loads(case.input_json) == {"call_full": {"channel": {"type": "incoming", "to": {"number": "100"}}}}


def test_inline_input_without_base(tmp_path):
    case = load_case(make(tmp_path, "customization: process_client_phone\ninput: {phone: '8 495 123-45-67'}\n"))
    assert json.loads(case.input_json) == {"phone": "8 495 123-45-67"}


@pytest.mark.parametrize(
    "case_yaml,input_json,words",
    [
        ("customization: need_registration\ninput: {a: 1}\n", "{}", "keep one"),
        ("customization: need_registration\nbase: ../../../outside.json\n", None, "must lie beside the spec"),
        ("customization: need_registration\n", None, "no input.json"),
    ],
)
def test_mistakes(tmp_path, case_yaml, input_json, words):
    (tmp_path.parent / "outside.json").write_text("{}")
    with pytest.raises(CaseError) as error:
        load_case(make(tmp_path, case_yaml, input_json))
    assert words in str(error.value)
