"""Smaller run-time defects of issue 22, each through real PHP (a fresh process per call): a
pattern's `\\c` escape before the delimiter, a recording link whose path is not UTF-8, a text
webhook body (JSON-injectable, sent as form fields), a converter's late grandchild on dash without
the posix extension, and calls past the time-zone and holiday data written into the files."""

from __future__ import annotations

import json
import subprocess
import time
from datetime import date

import pytest

from generator.php.literals import REGEX_DELIMITERS, regex_source
from generator.php.runner import PHP_FLAGS
from tests.conftest import load_text, render_to, run_one
from tests.test_runtime_text import with_params
from tests.test_side_effects_hostile import CALL, hook, ok_server, timed, transport  # noqa: F401 (a fixture)


def test_control_escape_before_the_delimiter_keeps_its_meaning(php):
    """`\\c~` is the character ">" (0x3E).  When the pattern holds every delimiter, the "~" is the
    one escaped, and `\\c\\~` meant control-backslash followed by "~"."""
    pattern = r"^\c~$|[" + REGEX_DELIMITERS.replace("\\", "") + "]x"
    source = regex_source(pattern, "")
    script = f"echo preg_match({json.dumps(source)}, '>'), preg_match({json.dumps(source)}, chr(28) . '~');"
    proc = subprocess.run([php, *PHP_FLAGS, "-r", script], capture_output=True, text=True, timeout=30)
    assert proc.stdout == "10", (source, proc.stdout, proc.stderr)


def test_recording_link_with_bytes_that_are_not_utf8(tmp_path, php):
    text = (
        "version: 1\nname: link\nrecord_link:\n"
        "  description: '<a href=\"{record}\">Запись {entity.name}</a>'\n  description_type: 3\n"
    )
    generated = render_to(load_text(tmp_path, text), tmp_path / "out")["customize_attach_record_url"]
    params = (
        "array('DESCRIPTION' => 'x', 'call_full' => array('record' => \"https://pbx/rec/caf\\xe9 1.wav\","
        " 'entity' => array('name' => \"\\xd0\\x9e\\xd0\\x9e\\xd0\\x9e \\xab\\\"x\\\"\")))"
    )
    path = with_params(generated, params, tmp_path / "with.php")
    proc = subprocess.run(
        [php, *PHP_FLAGS, "-r", f"$reply = include {json.dumps(str(path))}; echo json_encode($reply);"],
        capture_output=True,
        text=True,
        timeout=30,
    )
    reply = json.loads(proc.stdout)
    assert reply["data"]["DESCRIPTION"] == '<a href="https://pbx/rec/caf%E9 1.wav">Запись ООО \ufffd&quot;x&quot;</a>'


def test_text_body_is_escaped_for_json_and_never_sent_as_form_fields(tmp_path, transport):  # noqa: F811
    hostile = 'Acme", "admin": true, "x": "\\'
    server = ok_server()
    try:
        extra = '    body: \'{{"company": "{entity.name}", "duration": {duration}}}\'\n'
        path = hook(tmp_path, server.port, extra=extra)
        params = dict(CALL, DURATION="90", call_full=dict(CALL["call_full"], entity={"name": hostile}))
        result, _ = timed(path, params, transport)
    finally:
        server.close()
    assert result.clean and not result.log, result.log
    [request] = server.requests
    head, _, body = request.partition(b"\r\n\r\n")
    assert json.loads(body) == {"company": hostile, "duration": 90}
    assert b"content-type: application/json" in head.lower()
    assert b"x-www-form-urlencoded" not in head.lower()


def test_plain_text_body_says_it_is_text(tmp_path, transport):  # noqa: F811
    server = ok_server()
    try:
        path = hook(tmp_path, server.port, extra="    body: 'Call from {client_phone}&x=1'\n")
        result, _ = timed(path, CALL, transport)
    finally:
        server.close()
    assert result.clean
    [request] = server.requests
    head, _, body = request.partition(b"\r\n\r\n")
    assert body == b"Call from +74951234567&x=1"
    assert b"content-type: text/plain; charset=utf-8" in head.lower()


def test_converter_grandchildren_die_at_the_deadline_without_posix(tmp_path, php):
    """php -n has no posix extension and /bin/sh is dash here.  The processes were killed one by
    one, children first (a "sleep" killed let its shell run the copy at once), and then the group
    with "kill -9 -- -PGID", which dash refuses: the copy wrote the file the connector was about
    to use."""
    probe = subprocess.run(
        [php, "-n", "-r", "echo function_exists('posix_kill') ? 'y' : 'n';"], capture_output=True, text=True
    )
    assert probe.stdout == "n"
    (tmp_path / "a.wav").write_bytes(b"x")
    text = (
        f"version: 1\nname: rec\nrecord:\n  rewrite: [{{match: '^/spool/', replace: '{tmp_path}/'}}]\n"
        '  convert: {command: "while :; do (sleep 1; cp {src} {dst}) & sleep 0.002; done", timeout_s: 0.5}\n'
    )
    path = render_to(load_text(tmp_path, text), tmp_path / "out")["process_record_file_path"]
    result, _elapsed = timed(path, {"path": "/spool/a.wav"}, php)
    assert result.clean and result.reply["data"] == {"path": f"{tmp_path}/a.wav"}
    time.sleep(2.5)
    assert not (tmp_path / "a.mp3").exists(), "a converter's child outlived the deadline and wrote the file"


SCHEDULE = (
    "version: 1\nname: late\ntimezone: Europe/Moscow\n"
    "schedules:\n  office: {mon-fri: '09:00-18:00'}\ncalendar: {holidays: RU}\n"
    "registration:\n  rules:\n    - when: {hours: {schedule: office}}\n      then: skip\n"
)


@pytest.mark.parametrize(
    "when, said",
    [
        (1764000000, []),  # 2025-11-24: inside both ranges
        (int(time.mktime((2034, 3, 6, 12, 0, 0, 0, 0, 0))), ["public holidays"]),
        (int(time.mktime((2041, 3, 6, 12, 0, 0, 0, 0, 0))), ["public holidays", "time-zone offsets"]),
    ],
)
def test_a_call_past_the_embedded_data_says_so(tmp_path, php, when, said):
    path = render_to(load_text(tmp_path, SCHEDULE), tmp_path / "out")["need_registration"]
    result = run_one(path, CALL, now=when, php=php)
    assert result.clean
    lines = [line for line in result.log if "itgrix-gen[zones]" in line]
    assert [w for w in ("public holidays", "time-zone offsets") if any(w in line for line in lines)] == said, lines


def test_generation_warns_when_the_embedded_data_ends_soon(tmp_path):
    from generator.emit.zones import CALENDAR_YEARS, LAST_YEAR, range_notes

    spec = load_text(tmp_path, SCHEDULE).spec
    assert range_notes(spec, date(2026, 12, 1)) == []
    notes = range_notes(spec, date(CALENDAR_YEARS.stop - 2, 1, 1))
    assert len(notes) == 1 and "holidays" in notes[0]
    assert len(range_notes(spec, date(LAST_YEAR - 1, 1, 1))) == 2
