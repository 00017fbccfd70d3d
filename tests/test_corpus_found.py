"""Defects the differential corpus check (tests/test_corpus.py) found, each pinned by a test of its
own that failed before the fix (the golden cases of the others are under specs/)."""

from __future__ import annotations

import json

import pytest

from generator.php.matrix import run_version
from generator.php.runner import Case, run_batch
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


UNICODE_CLASSES = """\
version: 1
name: digits-anywhere
php: "5.4"
registration:
  rules:
    - when: {client_phone.raw: {regex: '^\\+?\\d{11}$'}}
      then: skip
"""


@pytest.mark.xfail(
    strict=True,
    reason="open: PHP 7.2+ compiles /u patterns with PCRE's UCP (\\d, \\w, \\s, \\b of every script), "
    "PHP 5.2 without it (ASCII only), so a spec regex judges a number in Arabic-Indic digits "
    "differently by PHP version (literals.regex_source would have to spell the classes out)",
)
def test_a_spec_regex_judges_digits_of_other_scripts_alike_on_every_php(tmp_path, php):
    """The corpus check's model (Python's re, Unicode classes) agrees with native PHP on
    '^\\+?\\d{11}$' against +٧٧٠١٢٣٤٥٦٧٨; PHP 5.2, which the spec's 5.4 floor is tested on, does not."""
    files = render_to(load_text(tmp_path, UNICODE_CLASSES), tmp_path / "out")
    call = {"call_full": {"channel": {"type": "incoming", "from": {"number": "+٧٧٠١٢٣٤٥٦٧٨"}}}}
    case = Case(str(files["need_registration"]), json.dumps(call, ensure_ascii=False))
    native = run_batch([case], php)[0]
    old = run_version("5.2", [case], php, timeout=600)[0]
    assert native.reply["data"] == {"result": False}  # skipped: eleven digits, as the spec says
    assert old.reply == native.reply
