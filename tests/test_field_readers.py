"""The readers the generated files ship (each key's reader, written for the key's sources, and the
file's field reader it calls: generator/emit/fields.py) read exactly what the documented field
table says, on every malformed shape a connector may send: call_full a string, a list or null, a
channel that is a number, a trunk that is a list or a Cyrillic name, conversations that hold no
objects, floats and booleans.  Each call runs in a fresh php, as the connector runs the files, and
the values are compared with probe.collect, the table's Python twin (tests/test_probe.py proves it
equal to the reader on random shapes); a few answers are also written out here by hand."""

from __future__ import annotations

import copy
import json
import re
import subprocess

import pytest

from generator.capture import probe
from generator.emit.fields import FIELDS, sources_for
from tests.conftest import ROOT, load, load_text, render_to

BASE = json.loads((ROOT / "specs" / "example" / "calls" / "incoming.json").read_text(encoding="utf-8"))
_, CONVERSATION = next(iter(BASE["call_full"]["conversations"].items()))

# A spec whose files read every key of the table (conditions: all values; placeholders: the first).
EVERY_KEY = """\
version: 1
name: readers
timezone: Europe/Moscow
registration:
  rules:
    - when: {extension: ["999"], trunk: x, line: x, client_phone: "+70000000000", status: "1"}
      then: skip
    - when: {direction: local, stage: call_ended, answered: true, is_ivr: true}
      then: skip
    - when: {field: {path: "call_full.conversations.*.user.id", in: ["0"]}}
      then: skip
activity:
  set:
    DESCRIPTION: "{user.name}|{user.id}|{entity.name}|{entity.type}|{entity.id}|{record}|{client_phone.raw}"
    SUBJECT: "{trunk}|{line}|{extension}|{status}|{direction}|{call_full.channel.trunk.name}"
"""


def shaped(path: str, value: object) -> dict:
    """The example's incoming call with the value at a dotted path ("*": every conversation) replaced."""
    call = copy.deepcopy(BASE)
    keys = path.split(".")

    def put(node: dict, rest: list[str]) -> None:
        if rest[0] == "*":
            for member in node.values():
                put(member, rest[1:])
        elif len(rest) == 1:
            node[rest[0]] = copy.deepcopy(value)
        else:
            put(node[rest[0]], rest[1:])

    put(call, keys)
    return call


SHAPES = {
    "as sent": BASE,
    "call_full a string": {**BASE, "call_full": "incoming"},
    "call_full an empty string": {**BASE, "call_full": ""},
    "call_full a list": {**BASE, "call_full": ["incoming", {"channel": {"type": "incoming"}}]},
    "call_full null": {**BASE, "call_full": None},
    "channel a number": shaped("call_full.channel", 42),
    "channel a text": shaped("call_full.channel", "channel"),  # PHP 5.3: isset($text['type']) was true
    "type a number": shaped("call_full.channel.type", 1),
    "trunk a list": shaped("call_full.channel.trunk", ["sip-a", {"number": "1"}]),
    "trunk a Cyrillic name": shaped("call_full.channel.trunk", "sip-москва"),
    "trunk of float, bool, Cyrillic": shaped(
        "call_full.channel.trunk", {"number": 88007654321.0, "name": "Транк №1 🙂", "id": True}
    ),
    "trunk fields empty": shaped("call_full.channel.trunk", {"number": "", "name": None, "id": 0}),
    "conversations of non-objects": shaped("call_full.conversations", {"a": "x", "b": 5, "c": None, "d": [1, 2]}),
    "conversations a text": shaped("call_full.conversations", "1.1"),
    "conversations a list": shaped("call_full.conversations", [CONVERSATION, CONVERSATION]),
    "phones of every kind": shaped(
        "call_full.conversations.*.user.phones", ["101", 102, 103.0, None, ["x"], "", False]
    ),
    "user a name": shaped("call_full.conversations.*.user", "Анна"),
    "to a number": shaped("call_full.channel.to", {"number": 102.5, "phone": "103"}),
    "to a float number": shaped("call_full.channel.to", {"number": 102.0}),
    "to a text": shaped("call_full.channel.to", "102"),
    "to false": shaped("call_full.channel.to", {"number": False, "name": "x"}),
    "floats and flags": {
        **BASE,
        "STATUS_CODE": 304.0,
        "PHONE_NUMBER": 1e20,
        "LINE_NUMBER": -0.0,
        "call_stage": True,
        "call_full": {**BASE["call_full"], "is_ivr": False, "result": 1e15, "record": 0.5},
    },
    "stage and status lists": {**BASE, "call_stage": ["call_ended"], "STATUS_CODE": {"code": 304}},
}

# Written out from the table by hand, so that the twin itself is checked on these shapes too:
# (shape, customization, key) -> values.
BY_HAND = {
    ("call_full a string", "need_registration", "direction"): [],
    ("call_full a string", "need_registration", "trunk"): [],
    ("channel a text", "need_registration", "direction"): [],
    ("type a number", "need_registration", "direction"): ["1"],
    ("trunk a list", "need_registration", "trunk"): ["74957654321", "sip-moscow"],  # the conversation's
    ("trunk a Cyrillic name", "need_registration", "trunk"): ["sip-москва", "74957654321", "sip-moscow"],
    ("trunk a Cyrillic name", "need_registration", "line"): ["sip-москва"],
    ("trunk of float, bool, Cyrillic", "need_registration", "line"): ["88007654321"],
    ("trunk of float, bool, Cyrillic", "need_registration", "trunk"): [
        "88007654321",
        "Транк №1 🙂",
        "true",
        "74957654321",
        "sip-moscow",
    ],
    ("trunk fields empty", "need_registration", "line"): ["0"],
    ("conversations of non-objects", "need_registration", "extension"): ["102"],
    ("phones of every kind", "need_registration", "extension"): ["102", "102", "101", "102", "103", "false"],
    ("to a float number", "need_registration", "extension"): ["102", "102", "102"],
    ("to a text", "need_registration", "extension"): ["102", "102", "102"],
    ("to false", "need_registration", "extension"): ["102", "false", "102"],
    ("floats and flags", "process_final_params", "status"): ["304", "1.0E+15"],
    ("floats and flags", "need_registration", "client_phone"): ["1.0E+20", "+74951234567"],
    ("floats and flags", "need_registration", "is_ivr"): ["false"],
    ("stage and status lists", "need_registration", "stage"): [],
}

DRIVER = r"""<?php
$params = json_decode(file_get_contents($argv[2]), true);
ob_start();
$reply = include $argv[1];
ob_end_clean();
$out = array();
foreach (array_slice($argv, 3) as $reader) {
    $out[$reader] = $reader($params);
}
echo json_encode($out);
"""

_KEYS = {key.replace(".", "_"): key for key in FIELDS if key != "duration"}  # duration: its own helper
_READER = re.compile(
    r"^    function (itgrix_gen_[0-9a-f]{8}_(\w+?)(?:_\d+)?)\(\$params(?:, \$name = null)?\) \{$", re.M
)


def readers(text: str) -> dict[str, str]:
    """The key readers a generated file defines: PHP name -> the key it reads."""
    return {m.group(1): _KEYS[m.group(2)] for m in _READER.finditer(text) if m.group(2) in _KEYS}


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("readers")
    out = {}
    for name, loaded in (("every", load_text(folder, EVERY_KEY)), ("example", load(ROOT / "specs/example/spec.yaml"))):
        for customization, path in render_to(loaded, folder / name).items():
            found = readers(path.read_text(encoding="utf-8"))
            if found:
                out[(name, customization)] = (path, found, loaded.spec.fields)
    (folder / "driver.php").write_text(DRIVER, encoding="utf-8")
    return folder / "driver.php", out


def read_in_php(php: str, driver, path, params: object, names: list[str], folder) -> dict:
    data = folder / "params.json"
    data.write_text(json.dumps(params, ensure_ascii=False), encoding="utf-8")
    proc = subprocess.run(
        [
            php,
            "-n",
            "-d",
            "error_reporting=-1",
            "-d",
            "display_errors=stderr",
            str(driver),
            str(path),
            str(data),
            *names,
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0 and "Notice" not in proc.stderr and "Warning" not in proc.stderr, proc.stderr
    return json.loads(proc.stdout)


@pytest.mark.parametrize("shape", list(SHAPES))
def test_every_reader_reads_what_the_table_says(php, files, shape, tmp_path):
    driver, rendered = files
    params = json.loads(json.dumps(SHAPES[shape]))  # as the connector's JSON decodes
    checked = 0
    for (spec, customization), (path, found, overrides) in sorted(rendered.items()):
        got = read_in_php(php, driver, path, params, sorted(found), tmp_path)
        call = probe.direction_of(params, customization, overrides)
        for name, key in found.items():
            want = probe.collect(params, sources_for(key, customization, overrides), call)[1]
            assert got[name] == want, (spec, customization, key, got[name], want)
            hand = BY_HAND.get((shape, customization, key))
            if hand is not None:
                assert got[name] == hand, (customization, key, got[name])
            checked += 1
    assert checked > 40  # the two specs read every key in many files


def test_the_hand_written_answers_are_all_checked(files):
    _driver, rendered = files
    read = {(c, key) for (_spec, c), (_p, found, _o) in rendered.items() for key in found.values()}
    assert {(shape, c, key) for shape, c, key in BY_HAND} <= {(s, c, k) for s in SHAPES for c, k in read}


# --- every PHP the connector runs on -----------------------------------------------------------

FIRST = {  # the activity's texts: each placeholder's first value ('' for none)
    "DESCRIPTION": ("user.name", "user.id", "entity.name", "entity.type", "entity.id", "record", "client_phone.raw"),
    "SUBJECT": ("trunk", "line", "extension", "status", "direction", ("call_full", "channel", "trunk", "name")),
}


def first_texts(params: object) -> dict[str, str]:
    """The activity's DESCRIPTION and SUBJECT as the table says they are filled."""
    from generator.emit.fields import Source

    call = probe.direction_of(params, "customize_activity", None)
    out = {}
    for field, keys in FIRST.items():
        texts = []
        for key in keys:
            sources = [Source(key)] if isinstance(key, tuple) else sources_for(key, "customize_activity")
            texts.append((probe.collect(params, sources, call)[1] or [""])[0])
        out[field] = "|".join(texts)
    return out


@pytest.mark.parametrize("version", ["native", "5.2", "7.4", "8.5"])
def test_the_readers_read_alike_on_every_php(tmp_path, php, version):
    """PHP 5.2 and 5.3 answered isset($text['type']) with true (a text's first character was then
    read as the call's direction); only arrays are walked into, on every version."""
    from generator.php.matrix import run_version
    from generator.php.runner import Case

    path = render_to(load_text(tmp_path, EVERY_KEY), tmp_path / "out")["customize_activity"]
    shapes = {name: json.loads(json.dumps(call)) for name, call in SHAPES.items()}
    cases = [Case(str(path), json.dumps(call, ensure_ascii=False), 1764000000) for call in shapes.values()]
    for (name, call), result in zip(shapes.items(), run_version(version, cases, php)):
        assert result.clean, (version, name, result.errors)
        assert result.reply["data"] == first_texts(call), (version, name)
