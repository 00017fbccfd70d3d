"""The two customizations that reach outside PHP, run for real on native php:
- process_record_file_path's conversion command (must finish inside the connector's 10 s, else
  the original file is used);
- post_registration's webhook against a local HTTP server started here (success, a slow server
  hitting the timeout, a refused connection): it never holds up the call beyond its timeout and
  always answers success."""

from __future__ import annotations

import http.server
import json
import socket
import subprocess
import threading
import time
from typing import ClassVar
from urllib.parse import parse_qs, urlparse

import pytest

from tests.conftest import load_text, render_to, run_one


def record_spec(tmp_path, command: str, timeout: float = 2.0):
    text = (
        f"version: 1\nname: rec\nrecord:\n  rewrite: [{{match: '^/spool/', replace: '{tmp_path}/'}}]\n"
        f"  convert: {{command: {json.dumps(command)}, timeout_s: {timeout}}}\n"
    )
    return render_to(load_text(tmp_path, text), tmp_path / "out")["process_record_file_path"]


def test_conversion_success(tmp_path, php):
    (tmp_path / "in call's 1.wav").write_bytes(b"RIFF....WAVE")
    path = record_spec(tmp_path, "cp {src} {dst}")
    result = run_one(path, {"call_id": "1", "path": "/spool/in call's 1.wav", "call_full": None}, php=php)
    assert result.clean, result.errors
    assert result.reply["data"] == {"call_id": "1", "path": f"{tmp_path}/in call's 1.mp3"}
    assert (tmp_path / "in call's 1.mp3").read_bytes() == b"RIFF....WAVE"


def test_conversion_timeout_keeps_original(tmp_path, php):
    (tmp_path / "a.wav").write_bytes(b"x")
    # The converter would take a minute; the file's 0.5 s deadline must end it.  The bound below is
    # a hang guard far from both (a loaded machine starts php slowly), not a measure of speed.
    path = record_spec(tmp_path, "sleep 60; cp {src} {dst}", timeout=0.5)
    started = time.monotonic()
    result = run_one(path, {"path": "/spool/a.wav"}, php=php)
    elapsed = time.monotonic() - started
    assert result.clean and result.reply["data"] == {"path": f"{tmp_path}/a.wav"}
    assert elapsed < 30, f"took {elapsed:.1f}s"
    assert any("longer than 0.5 s" in line for line in result.log)


def test_conversion_failure_keeps_original(tmp_path, php):
    (tmp_path / "a.wav").write_bytes(b"x")
    path = record_spec(tmp_path, "false {src} {dst}")
    result = run_one(path, {"path": "/spool/a.wav"}, php=php)
    assert result.clean and result.reply["data"] == {"path": f"{tmp_path}/a.wav"}
    assert any("conversion failed" in line for line in result.log)


def test_conversion_missing_file(tmp_path, php):
    path = record_spec(tmp_path, "cp {src} {dst}")
    result = run_one(path, {"path": "/spool/missing.wav"}, php=php)
    assert result.clean and result.reply["data"] == {"path": f"{tmp_path}/missing.wav"}
    assert any("not found" in line for line in result.log)


def test_conversion_cannot_inject_shell(tmp_path, php):
    """A recording name with shell syntax is one quoted argument, not a command."""
    name = "x$(touch pwned);`touch pwned2`'\".wav"
    (tmp_path / name).write_bytes(b"x")
    path = record_spec(tmp_path, "cp {src} {dst}")
    result = run_one(path, {"path": "/spool/" + name}, php=php)
    assert result.clean
    assert not (tmp_path / "pwned").exists() and not (tmp_path / "pwned2").exists()
    assert result.reply["data"]["path"].endswith(".mp3")


class Hook(http.server.BaseHTTPRequestHandler):
    received: ClassVar[list] = []
    delay = 0.0

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        Hook.received.append((self.path, dict(self.headers), body))
        time.sleep(Hook.delay)
        try:
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b"ok")
        except OSError:
            pass

    def log_message(self, *args):
        pass


@pytest.fixture
def server():
    Hook.received = []
    Hook.delay = 0.0
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Hook)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd.server_address[1]
    httpd.shutdown()


def hook_file(tmp_path, url: str, timeout: float = 2.0, extra: str = ""):
    text = (
        f"version: 1\nname: hook\npost_registration:\n  webhook:\n    url: {json.dumps(url)}\n"
        f'    timeout_s: {timeout}\n    headers: {{X-Client: "acme {{trunk}}"}}\n{extra}'
    )
    return render_to(load_text(tmp_path, text), tmp_path / "out")["post_registration"]


CALL = {
    "call_stage": "call_ended",
    "call_full": {
        "channel": {"type": "incoming", "from": {"number": "+7 495 123&x=1"}, "trunk": {"number": "74957654321"}}
    },
}


def test_webhook_success(tmp_path, server, php):
    path = hook_file(tmp_path, f"http://127.0.0.1:{server}/hook?phone={{client_phone}}")
    result = run_one(path, CALL, php=php)
    assert result.clean, result.errors
    assert result.reply == {"state": "success"}
    assert len(Hook.received) == 1
    url, headers, body = Hook.received[0]
    assert parse_qs(urlparse(url).query) == {"phone": ["+7 495 123&x=1"]}, "placeholder values are URL-encoded"
    assert json.loads(body) == CALL
    assert headers["X-Client"] == "acme 74957654321"
    assert not result.log


def test_webhook_default_body_of_a_huge_call_stays_within_memory(tmp_path, php):
    """35,000 conversations (3.7 MB): the default body (the input as JSON) was encoded from a mended
    copy of the whole input, which doubled the memory past PHP's default 128 MB and broke the call
    (a fatal error on stdout).  Valid UTF-8 is encoded as it is; with one bad byte in it, only what
    holds the byte is mended (the rest shared, not copied)."""
    path = hook_file(tmp_path, "http://127.0.0.1:9/hook", timeout=0.5)  # the discard port: refused
    conversations = {
        f"c{i}": {"channel": {"to": {"number": str(1000 + i)}, "trunk": {"name": "t"}}, "user": {"phones": [str(i)]}}
        for i in range(35000)
    }
    (tmp_path / "big.json").write_text(
        json.dumps(dict(CALL, call_full=dict(CALL["call_full"], conversations=conversations)))
    )
    for bad in ("", "$params['call_full']['entity'] = array('name' => \"\\xD0\\x98\\x80\");"):
        driver = tmp_path / "drv.php"
        driver.write_text(
            f"<?php $params = json_decode(file_get_contents($argv[2]), true); {bad} echo json_encode(include $argv[1]);"
        )
        proc = subprocess.run(
            [php, "-n", str(driver), str(path), str(tmp_path / "big.json")], capture_output=True, text=True, timeout=120
        )
        assert proc.returncode == 0 and json.loads(proc.stdout) == {"state": "success"}, (bad, proc.stdout[-300:])
        assert "webhook failed" in proc.stderr


def test_webhook_header_gets_no_control_character_of_the_call_data(tmp_path, server, php):
    """A trunk name with a line break and other control characters (\x01, DEL): the header stays one
    header (no injected X-Evil) and carries spaces for them; a tab is a header's own character."""
    path = hook_file(tmp_path, f"http://127.0.0.1:{server}/hook")
    call = {
        "call_stage": "call_ended",
        "call_full": {
            "channel": {"type": "incoming", "trunk": {"number": "sip\x01ru\x7f\tmsk\r\nX-Evil: 1\x00\u0085\u2028é"}}
        },
    }
    result = run_one(path, call, php=php)
    assert result.clean, result.errors
    assert len(Hook.received) == 1
    _url, headers, _body = Hook.received[0]
    assert "X-Evil" not in headers
    assert headers["X-Client"].encode("latin-1").decode("utf-8") == "acme sip ru \tmsk  X-Evil: 1   é"


def test_webhook_slow_server_hits_timeout(tmp_path, server, php):
    Hook.delay = 60.0  # the answer would take a minute; the 0.5 s timeout must end the wait
    path = hook_file(tmp_path, f"http://127.0.0.1:{server}/hook", timeout=0.5)
    started = time.monotonic()
    result = run_one(path, CALL, php=php)
    elapsed = time.monotonic() - started
    assert result.clean and result.reply == {"state": "success"}
    assert elapsed < 30, f"the call was held up {elapsed:.1f}s"
    assert any("webhook failed" in line for line in result.log)


def test_webhook_refused(tmp_path, php):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again at once: nothing listens there
    path = hook_file(tmp_path, f"http://127.0.0.1:{port}/hook")
    started = time.monotonic()
    result = run_one(path, CALL, php=php)
    assert result.clean and result.reply == {"state": "success"}
    assert time.monotonic() - started < 30  # a hang guard: a refused connection fails at once
    assert any("webhook failed" in line for line in result.log)


def test_webhook_condition_not_met_sends_nothing(tmp_path, server, php):
    path = hook_file(tmp_path, f"http://127.0.0.1:{server}/hook", extra="    when: {stage: conversation_requested}\n")
    result = run_one(path, CALL, php=php)
    assert result.clean and result.reply == {"state": "success"}
    assert Hook.received == []
