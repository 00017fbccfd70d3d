"""A filled text in a reply never carries a byte that is not UTF-8.  The connector takes the
file's return value and encodes it as JSON; PHP's json_encode fails on such a byte, so a reply
holding one (a CallerID name in CP1251 from an old phone, copied into a comment) broke the call.
Each file runs in a fresh `php` process, `$params` set as the connector hands it."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from generator.pipeline import render
from tests.conftest import load_text

SPEC = """\
version: 1
name: ромашка
timezone: Asia/Almaty
entity:
  set: {COMMENTS: "Қоңырау: {entity.name} — {direction}"}
activity:
  set: {SUBJECT: "Звонок {entity.name}"}
autodistribution:
  set: {name: "Клиент {entity.name}"}
record_link:
  description: "Запись {entity.name}"
  description_type: 1
"""

# The call as PHP holds it, with a stray byte added to the entity's name after decoding (JSON
# cannot carry one; PHP's own strings can).
DRIVER = r"""<?php
$params = json_decode(file_get_contents($argv[2]), true);
$params['call_full']['entity']['name'] = "ООО \xABРомашка\xBB \xff 🌷";
$params['entity']['name'] = $params['call_full']['entity']['name'];
$reply = include $argv[1];
$json = json_encode($reply);
echo $json === false ? 'json_encode failed: ' . json_last_error() : $json;
"""

CALL = {
    "CALL_ID": "1",
    "COMMENTS": "",
    "SUBJECT": "",
    "DESCRIPTION": "",
    "name": "Айгүл",
    "call_full": {"channel": {"type": "incoming", "from": {"number": "+77272500000"}}, "entity": {"name": ""}},
    "entity": {"name": ""},
}


@pytest.mark.parametrize(
    ("customization", "key", "want"),
    [
        ("customize_entity", "COMMENTS", "Қоңырау: ООО \ufffdРомашка\ufffd \ufffd 🌷 — incoming"),
        ("customize_activity", "SUBJECT", "Звонок ООО \ufffdРомашка\ufffd \ufffd 🌷"),
        ("customize_autodistribution", "name", "Клиент ООО \ufffdРомашка\ufffd"),  # cut to 20 characters
        ("customize_attach_record_url", "DESCRIPTION", "Запись ООО \ufffdРомашка\ufffd \ufffd 🌷"),
    ],
)
def test_a_stray_byte_in_a_filled_reply_text_becomes_u_fffd(
    tmp_path: Path, php: str, customization: str, key: str, want: str
) -> None:
    files = render(load_text(tmp_path, SPEC))
    target = tmp_path / f"{customization}.php"
    target.write_text(files[f"{customization}.php"], encoding="utf-8")
    (tmp_path / "driver.php").write_text(DRIVER, encoding="utf-8")
    (tmp_path / "call.json").write_text(json.dumps(CALL, ensure_ascii=False), encoding="utf-8")
    done = subprocess.run(
        [php, str(tmp_path / "driver.php"), str(target), str(tmp_path / "call.json")],
        capture_output=True,
        timeout=60,
        check=False,
    )
    out = done.stdout.decode("utf-8", "replace")
    assert not out.startswith("json_encode failed"), (out, done.stderr)
    assert json.loads(out)["data"][key] == want, (out, done.stderr)
