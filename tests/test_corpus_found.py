"""Defects the differential corpus check (tests/test_corpus.py) found, each pinned by a test of its
own that failed before the fix (the golden cases of the others are under specs/)."""

from __future__ import annotations

from tests.conftest import load_text, render_to, run_one

NORMALIZE_ORIGINATE = """\
version: 1
name: click-almaty
originate:
  format: digits
  region: KZ
  invalid: normalize
  rules:
    - when: {client_phone: {regex: '^\\+7727'}}
      set: {context: "almaty"}
"""


def test_originate_rules_see_e164_of_a_number_no_plan_allows_under_invalid_normalize(tmp_path, php):
    """README: in originate rules the written form is the clicked number in E.164.  8 (727) 123 4567
    is no valid Kazakh number; `invalid: normalize` dials it as 77271234567 all the same, so the
    rules see +77271234567 (they saw only the number as clicked, and '^\\+7727' never held)."""
    files = render_to(load_text(tmp_path, NORMALIZE_ORIGINATE), tmp_path / "out")
    clicked = {"params": {"caller_id": "101", "channel": "PJSIP/101", "context": "from-internal",
                          "extension": "8 (727) 123 4567", "priority": "1", "request_data": ""}}  # fmt: skip
    result = run_one(files["process_originate_params"], clicked, php=php)
    assert result.clean, result
    assert result.reply["data"]["extension"] == "77271234567"
    assert result.reply["data"]["context"] == "almaty"
