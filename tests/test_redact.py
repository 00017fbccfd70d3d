"""`redact: true`: by value, everywhere a phone-length digit run or a name-like field appears, in the
input, the reply and stderr, and the same in PHP (runtime.php) and in Python (redact.py, for
`cases import --redact`).  The leaks of issue 22 each have a case; a property test holds the two
implementations to the same answers on generated call data."""

from __future__ import annotations

import json
import subprocess

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from generator.capture.redact import redact, redact_key
from generator.php.runner import PHP_FLAGS
from tests.conftest import count, load_text, render_to
from tests.test_capture import Connector, call_with

KEY = redact_key("r")


@pytest.fixture(scope="module")
def php_redact(tmp_path_factory, php):
    """A PHP script that redacts each [value] of a JSON file as a capture line does (names
    gathered from the value), with the runtime's own helpers."""
    from generator.emit.runtime import runtime

    rt = runtime()
    script = tmp_path_factory.mktemp("redact") / "redact.php"
    script.write_text(
        "<?php\n"
        + rt.emit(rt.closure(rt.fn("redact") + "(" + rt.fn("redact_names") + "("))
        + "$values = json_decode(file_get_contents($argv[1]), true);\n$out = array();\n"
        + "foreach ($values as $value) {\n"
        + f"    $names = {rt.fn('redact_names')}($value, $argv[2], array(), '', '');\n"
        + f"    $out[] = {rt.fn('redact')}($value, $argv[2], $names, '', '');\n}}\n"
        + "echo json_encode($out);\n",
        encoding="utf-8",
    )

    def run(values: list) -> list:
        data = script.parent / "values.json"
        data.write_text(json.dumps(values, ensure_ascii=False), encoding="utf-8")
        proc = subprocess.run(
            [php, *PHP_FLAGS, str(script), str(data), KEY], capture_output=True, text=True, timeout=120
        )
        assert proc.returncode == 0 and not proc.stderr, proc.stderr
        return json.loads(proc.stdout)

    return run


LEAKS = [
    "tel:+74951234567",
    "sip:74951234567@pbx.local",
    "Local/74951234567@from-internal",
    "in-102-74951234567-20261124-100000-1732443000.1001.wav",
    "/var/spool/asterisk/monitor/2026/11/24/out-74951234567-102-20261124-100000-1732443000.1001.wav",
    "8.495.123.45.67",
    "+7 495/123-45-67",
    "8 (495) 123-45-67",
    "+7 (701) 123-45-67",
    "PJSIP/74951234567-0000001a",
]


@pytest.mark.parametrize("text", LEAKS)
def test_phone_digits_go_whatever_stands_around_them(php_redact, text):
    [got] = php_redact([{"note": text}])
    assert got == redact({"note": text}, KEY)
    digits = "".join(c for c in text if c.isdigit())
    assert "1234567" not in "".join(c for c in got["note"] if c.isdigit()) or "4951234567" not in digits
    assert "4567" not in got["note"].replace("20261124", "").replace("1732443000.1001", "")
    assert len(got["note"]) == len(text)  # the form stays


def test_dates_times_call_ids_and_short_numbers_stay(php_redact):
    text = "at 2026-11-24 10:00:00 (24.11.2026 10:00), id 1732443000.1001, ts 1764000000, ext 102, 3 min"
    [got] = php_redact([{"note": text}])
    assert got == {"note": text} == redact({"note": text}, KEY)


def test_numbers_names_and_mails_under_any_key(php_redact):
    value = {
        "PHONE_NUMBER": 74951234567,
        "amount": 74951234567.0,
        "USER_ID": 5,
        "caller_name": "Иван Петров",
        "callerid_name": "Ivan Petrov",
        "TITLE": "Сделка с Әсел",
        "mail": "ivan@example.com",
        "text": "Write to ivan.petrov@example.com",
        "summary": "Принял: Иван Петров",
        "trunk": {"number": "74957654321", "name": "sip-moscow"},
        "LINE_NUMBER": "74957654321",
        "channel": {"name": "PJSIP/sip-moscow-0000001a"},
    }
    [got] = php_redact([value])
    assert got == redact(value, KEY)
    assert got["PHONE_NUMBER"] != 74951234567 and isinstance(got["PHONE_NUMBER"], int)
    assert str(got["PHONE_NUMBER"])[:4] == "7495"
    assert got["amount"] != 74951234567.0
    assert got["USER_ID"] == 5
    for key in ("caller_name", "callerid_name", "TITLE", "mail"):
        assert got[key].startswith("anon-"), key
    assert "@" not in got["text"] and got["text"].startswith("Write to anon-")
    assert got["summary"] == "Принял: " + got["caller_name"]
    assert got["trunk"] == value["trunk"] and got["LINE_NUMBER"] == value["LINE_NUMBER"]
    assert got["channel"] == value["channel"]


PIECES = st.sampled_from(
    [
        "+",
        " ",
        "(",
        ")",
        "-",
        ".",
        "/",
        ":",
        "@",
        "T",
        "anon-",
        "a",
        "Жё",
        "ә",
        "😀",
        "tel:",
        "sip:",
        "mail.ru",
        "x@y.com",
        "2026-11-24",
        "10:00",
        "1732443000.1001",
        "0",
        "1",
        "7",
        "495",
        "1234567",
        "12",
        "8",
        "74951234567",
    ]
)
TEXTS = st.lists(PIECES, max_size=12).map("".join)
KEYS = st.sampled_from(["note", "name", "caller_name", "TITLE", "mail", "phone", "from", "trunk", "line", "12", "x"])
LEAVES = st.one_of(TEXTS, st.integers(-(10**15), 10**15), st.booleans(), st.none())
VALUES = st.recursive(
    LEAVES, lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(KEYS, inner, max_size=4)), max_leaves=8
)


def as_php(value):
    """A value as PHP's json_encode writes it back: an object with keys 0..n-1 (or none) is a list."""
    if isinstance(value, dict):
        if list(value) == [str(i) for i in range(len(value))]:
            return [as_php(v) for v in value.values()]
        return {k: as_php(v) for k, v in value.items()}
    if isinstance(value, list):
        return [as_php(v) for v in value]
    return value


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(st.lists(st.dictionaries(KEYS, VALUES, max_size=5), min_size=50, max_size=50))
def test_php_and_python_redact_alike(php_redact, values):
    count("redaction values compared in PHP and Python", len(values))
    got = php_redact(values)
    for value, php_value in zip(values, got):
        assert php_value == as_php(redact(value, KEY)), value


def test_capture_redacts_the_reply_and_the_recording_path_on_stderr(tmp_path, php):
    """The agent's name in a reply built from {user.name}, and the recording path that a failed
    conversion names on stderr."""
    log = tmp_path / "log"
    text = (
        "version: 1\nname: r\ntimezone: Europe/Moscow\n"
        f"capture: {{dir: {json.dumps(str(log))}, redact: true}}\n"
        "activity:\n  set: {SUBJECT: 'Звонок принял {user.name}'}\n"
        "record:\n  convert: {command: 'cp {src} {dst}'}\n"
    )
    files = render_to(load_text(tmp_path, text), tmp_path / "actions")
    connector = Connector(php, tmp_path)
    call = call_with("sip-moscow")
    for conversation in call["call_full"]["conversations"].values():
        conversation["user"]["name"] = "Иван Петров"
    reply, _ = connector.call(files["customize_activity"], {"SUBJECT": "x", "call_full": call["call_full"]})
    assert reply["data"]["SUBJECT"] == "Звонок принял Иван Петров"  # the connector gets the real reply
    entry = json.loads((log / "customize_activity.jsonl").read_text(encoding="utf-8"))
    assert "Иван" not in json.dumps(entry, ensure_ascii=False)
    assert entry["reply"]["data"]["SUBJECT"].startswith("Звонок принял anon-")
    missing = "/var/spool/asterisk/monitor/in-102-74951234567-20261124-100000-1732443000.1001.wav"
    reply, stderr = connector.call(files["process_record_file_path"], {"path": missing})
    assert reply["data"]["path"] == missing
    assert "not found" in stderr and "74951234567" not in stderr, stderr
    line = (log / "process_record_file_path.jsonl").read_text(encoding="utf-8")
    assert "74951234567" not in line


def test_redaction_cost_is_linear_in_the_call(php_redact):
    """A long text (many numbers and names) goes through in one pass per rule."""
    value = {"caller_name": "Иван Петров", "note": "Иван Петров +7 495 123-45-67; " * 20000}
    [got] = php_redact([value])
    assert got == redact(value, KEY)
