"""The corpus generator (tests/corpus/calls.py): deterministic, and as varied as the brief says
real call data is; and the harness carries its stray bytes into $params unchanged."""

from __future__ import annotations

import json

import phonenumbers

from generator.php.runner import Case, run_batch
from tests.corpus.calls import CUSTOMIZATIONS, REGIONS, SHARED, generate_calls, has_stray_byte, to_bytes_json, to_json


def test_same_seed_same_calls_and_other_seed_other_calls():
    first = [to_json(c) for c in generate_calls(7, 200)]
    assert first == [to_json(c) for c in generate_calls(7, 200)]
    assert first != [to_json(c) for c in generate_calls(8, 200)]


def test_the_corpus_is_as_varied_as_real_traffic():
    calls = list(generate_calls(1, 3000))
    assert {c["customization"] for c in calls} == set(CUSTOMIZATIONS)
    assert {c["shape"] for c in calls} == {"3.13", "3.10", "pre-3.10"}
    assert any("call" in c["input"] and "call_full" not in c["input"] for c in calls)
    assert len(REGIONS) >= 20 and {c["region"] for c in calls} >= set(SHARED)
    text = "\n".join(to_json(c["input"]) for c in calls)
    for word in ("Ромашка", "Өркен", "Oʻzbekiston", "Ўзбекистон", "Müller", "Größ", "🚗"):
        assert word in text, word
    assert sum(has_stray_byte(c["input"]) for c in calls) > 20
    raw = json.dumps([c["input"] for c in calls], ensure_ascii=False)  # control characters escaped
    for seen in ("\\r\\n", "\\u0001", "\u2028", '\\"'):  # CR/LF, a control byte, U+2028, a quote
        assert seen in raw, seen
    for zero in (0xFF10, 0x0660, 0x06F0, 0x0966):  # numbers in full-width, Arabic-Indic, Devanagari digits
        assert chr(zero + 7) in raw, hex(zero)
    phones = [c["input"]["phone"] for c in calls if c["customization"] == "process_client_phone"]
    everywhere = json.dumps([c["input"] for c in calls], ensure_ascii=False)  # every number a call carries
    assert any(p.startswith("+7") for p in phones) and '"8 (' in everywhere
    assert any(p.startswith("tel:") for p in phones) and any("~" in p for p in phones)
    # Numbers of both regions of a shared code occur, valid for their own region.
    valid = set()
    sent = [c["input"].get("PHONE_NUMBER") for c in calls] + [
        c["input"].get("params", {}).get("extension") for c in calls
    ]
    for p in phones + [p for p in sent if isinstance(p, str)]:
        try:
            parsed = phonenumbers.parse(p, None)
        except phonenumbers.NumberParseException:
            continue
        if phonenumbers.is_valid_number(parsed):
            valid.add(phonenumbers.region_code_for_number(parsed))
    assert {"RU", "KZ", "US", "CA", "GB", "NO", "IT"} <= valid, valid
    for call in calls:
        json.loads(to_bytes_json(call["input"]).decode("utf-8", "surrogateescape"))


def test_hints_bring_a_spec_s_own_values_in():
    calls = list(generate_calls(3, 500, hints={"trunk": ["only-this-trunk"]}))
    assert "only-this-trunk" in "".join(to_json(c["input"]) for c in calls)


def test_stray_bytes_reach_php_as_raw_bytes(tmp_path, php):
    path = tmp_path / "echo.php"
    path.write_text(
        "<?php return array('state' => 'success', 'data' => array('hex' => bin2hex($params['a']),"
        " 'keys' => array_map('bin2hex', array_keys($params['m']))));",
        encoding="utf-8",
    )
    text = json.dumps({"a": "caf\udce9 Ж\udcff", "m": {"x\udc80": 1}}, ensure_ascii=False)
    [result] = run_batch([Case(str(path), text)], php)
    assert result.clean, result.errors
    assert result.reply["data"] == {"hex": "636166e920d096ff", "keys": ["7880"]}


def test_a_reply_that_passes_stray_bytes_back_comes_back_as_they_went(tmp_path, php):
    path = tmp_path / "echo.php"
    path.write_text("<?php return array('state' => 'success', 'data' => $params);", encoding="utf-8")
    params = {"name": "Ёлкина Ал\udcffёна", "n": [1, "x\udc80"], "k\udce9": True}
    [result] = run_batch([Case(str(path), json.dumps(params, ensure_ascii=False))], php)
    assert result.clean, result.errors
    assert result.reply == {"state": "success", "data": params}
