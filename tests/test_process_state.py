"""A generated file leaves the php process as it found it (the connector may run several files in
one process).  A file that matches patterns answers with PCRE's JIT compiler off (runtime.php's
answer()): in a fresh php per call, compiling a phone plan's 2 KB patterns with the JIT cost more
than the whole rest of the call.  Off only during the call (set back after), only where PCRE
matches on the heap (PCRE2 10.30+), and nothing changes where ini_set is disabled.  The cycle
collector, paused while a long list of conversations is read, is switched on again."""

from __future__ import annotations

import json
import subprocess

import pytest

from tests.conftest import load_text, render_to

DRIVER = r"""<?php
$params = json_decode(file_get_contents($argv[2]), true);
$reply = include $argv[1];
echo json_encode(array('reply' => $reply, 'jit' => ini_get('pcre.jit')));
"""

SPEC = (
    "version: 1\nname: jit\nregistration:\n  rules:\n"
    "    - when: {client_phone: {regex: '^(\\d)+$'}}\n      then: skip\n"
)


def heap_pcre(php: str) -> bool:
    code = "echo version_compare(PCRE_VERSION, '10.30', '>=') ? 'yes' : 'no';"
    return subprocess.run([php, "-n", "-r", code], capture_output=True, text=True).stdout == "yes"


def call(php: str, tmp_path, *ini: str) -> tuple[dict, str]:
    files = render_to(load_text(tmp_path, SPEC), tmp_path / "out")
    (tmp_path / "driver.php").write_text(DRIVER, encoding="utf-8")
    # 300 digits: a capturing group repeated 300 times, deeper than the depth limit set below,
    # which PCRE applies only without its JIT.
    (tmp_path / "in.json").write_text(json.dumps({"PHONE_NUMBER": "7" * 300}), encoding="utf-8")
    proc = subprocess.run(
        [php, "-n", *ini, str(tmp_path / "driver.php"), str(files["need_registration"]), str(tmp_path / "in.json")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout), proc.stderr


def test_the_call_runs_without_the_jit_and_sets_it_back(php, tmp_path):
    if not heap_pcre(php):
        pytest.skip("this php's PCRE recurses on the stack: the files keep its JIT")
    out, said = call(php, tmp_path, "-d", "pcre.jit=1", "-d", "pcre.recursion_limit=50")
    # Without the JIT, the depth limit holds: the pattern fails, is said on stderr, and counts as
    # no match (with the JIT on it would have matched and skipped the call).
    assert out["reply"] == {"state": "success", "data": {"result": True}}
    assert "recursion limit hit" in said
    assert out["jit"] == "1", "set back after the call"
    out, _said = call(php, tmp_path, "-d", "pcre.jit=0")
    assert out["jit"] == "0"
    assert out["reply"] == {"state": "success", "data": {"result": False}}, "the rule matches within the limits"


def test_a_server_without_ini_set_gets_the_same_answer(php, tmp_path):
    out, said = call(php, tmp_path, "-d", "disable_functions=ini_set")
    assert out["reply"] == {"state": "success", "data": {"result": False}}
    assert "Warning" not in said and "Fatal" not in said


def test_the_cycle_collector_is_on_again_after_a_long_call(php, tmp_path):
    spec = "version: 1\nname: gc\nregistration:\n  rules:\n    - when: {extension: '101'}\n      then: skip\n"
    files = render_to(load_text(tmp_path, spec), tmp_path / "out")
    conversations = {f"c{i}": {"channel": {"to": {"number": str(200 + i % 50)}}} for i in range(1500)}
    call = {"call_full": {"channel": {"type": "incoming"}, "conversations": conversations}}
    (tmp_path / "in.json").write_text(json.dumps(call), encoding="utf-8")
    driver = tmp_path / "gc.php"
    driver.write_text(
        "<?php gc_enable(); $params = json_decode(file_get_contents($argv[2]), true);"
        " $reply = include $argv[1]; echo json_encode(array($reply, gc_enabled()));",
        encoding="utf-8",
    )
    proc = subprocess.run(
        [php, "-n", str(driver), str(files["need_registration"]), str(tmp_path / "in.json")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    reply, enabled = json.loads(proc.stdout)
    assert reply == {"state": "success", "data": {"result": True}}, proc.stderr
    assert enabled is True, "the reader switched the cycle collector off and left it so"
