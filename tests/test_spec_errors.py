"""Snapshot tests of spec errors: each folder under tests/bad_specs/ holds a bad spec.yaml and the
exact stderr `itgrix-gen validate spec.yaml` must print (file:line:col: path: message, all errors
at once), with exit code 2 and no traceback.  UPDATE_SNAPSHOTS=1 rewrites the expected files."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.conftest import cli_here

BAD = sorted(p for p in (Path(__file__).parent / "bad_specs").iterdir() if p.is_dir())


@pytest.mark.parametrize("folder", BAD, ids=[p.name for p in BAD])
def test_bad_spec_message(folder, php):
    proc = cli_here("validate", "spec.yaml", cwd=folder)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    expected = folder / "expected.txt"
    if os.environ.get("UPDATE_SNAPSHOTS"):
        expected.write_text(proc.stderr, encoding="utf-8")
    assert proc.stderr == expected.read_text(encoding="utf-8")


def test_every_line_has_a_position():
    import re

    for folder in BAD:
        for line in (folder / "expected.txt").read_text(encoding="utf-8").splitlines():
            assert re.match(r"^[\w./-]+:\d+:\d+: ", line), line


def _section_yaml(path: tuple[str, ...], body: str) -> str:
    text, indent = "", ""
    for part in path:
        text += f"{indent}{part}:\n"
        indent += "  "
    return text + "".join(f"{indent}{line}\n" for line in body.splitlines())


def _has_rules(customization) -> bool:
    from generator.speclang.crosschecks import section_model

    return "rules" in section_model(customization.section_path).model_fields


def test_every_section_with_rules_has_its_conditions_checked(tmp_path):
    """The registry drives the spec checks: a rule's `hours` without any timezone is a spec error
    (file:line: path: message) in every customization's section that has rules, never an internal
    error when the file is rendered (a section the checks did not know ended in ZoneInfoNotFoundError)."""
    from generator.customizations import CUSTOMIZATIONS
    from generator.pipeline import render_files
    from generator.speclang.loader import SpecError
    from tests.conftest import load_text

    checked = 0
    for c in CUSTOMIZATIONS:
        if not _has_rules(c):
            continue
        then = "then: register" if c.name == "need_registration" else "set: {ITGRIX_NOTE: Привет}"
        body = f"rules:\n  - when: {{hours: '09:00-18:00'}}\n    {then}"
        text = 'version: 1\nname: "Клиент"\n' + _section_yaml(c.section_path, body)
        folder = tmp_path / c.name
        folder.mkdir()
        with pytest.raises(SpecError) as caught:
            render_files(load_text(folder, text))
        where = ".".join(c.section_path) + ".rules.0.when"
        assert any(i.path == where and "timezone" in i.message for i in caught.value.issues), (c.name, caught.value)
        checked += 1
    assert checked >= 10


def test_click_to_call_keys_and_conditions_it_cannot_have_are_said(tmp_path):
    """New-user check: `originate.set` took `contxt` (a typo the connector never reads) and
    YAML numbers for the dialled number without a word, and an originate rule on `status` (which
    click-to-call never gets) was accepted silently.  Second check: under `not` such a condition
    makes the rule apply to every call; `extension` there is not the clicked number; a `field:`
    path outside the input is said too."""
    from tests.conftest import cli_here, validate_warnings

    said = validate_warnings(
        tmp_path,
        "version: 1\nname: o\noriginate:\n  set: {contxt: a, priority: '1'}\n  rules:\n"
        "    - when: {status: '304', client_phone: '+7495'}\n      set: {exten: '1'}\n"
        "    - when: {not: {status: '5'}}\n      set: {context: b}\n"
        "    - when: {extension: '100'}\n      set: {context: c}\n"
        "    - when: {field: [{path: call_full.result, in: ['200']}, {path: params.context, in: [x]}]}\n"
        "      set: {context: d}\n"
        "    - when: {field: {path: [call_full, result], in: ['200']}}\n"
        "      set: {context: d}\n",
        "typo.yaml",
    )
    documented = "(caller_id, channel, context, extension, priority, request_data)"
    gets = (
        "process_originate_params.php's input (params, caller_id, channel, context, extension, priority, request_data)"
    )
    assert said == [
        f"typo.yaml:4:9: warning: originate.set.contxt: 'contxt' is not one of the click-to-call parameters "
        f"the connector documents {documented}: did you mean 'context'?",
        f"typo.yaml:7:13: warning: originate.rules.0.set.exten: 'exten' is not one of the click-to-call "
        f"parameters the connector documents {documented}: did you mean 'extension'?",
        f"typo.yaml:6:14: warning: originate.rules.0.when.status: {gets} never holds the 'status' this "
        "condition reads: it is never true",
        f"typo.yaml:8:20: warning: originate.rules.1.when.not.status: {gets} never holds the 'status' this "
        "condition reads: it is never true, so the `not` around it is true on every call",
        f"typo.yaml:10:14: warning: originate.rules.2.when.extension: {gets} never holds the 'extension' this "
        "condition reads; its own `extension` is another value (`itgrix-gen fields`): it is never true",
        f"typo.yaml:12:22: warning: originate.rules.3.when.field.0: {gets} never holds 'call_full.result': "
        "it is never true",
        f"typo.yaml:14:14: warning: originate.rules.4.when.field: {gets} never holds 'call_full.result': "
        "it is never true",
    ]
    (tmp_path / "number.yaml").write_text(
        "version: 1\nname: o\noriginate:\n  set: {extension: 0043123}\n", encoding="utf-8"
    )
    proc = cli_here("validate", "number.yaml", cwd=tmp_path)
    assert proc.returncode == 2
    assert (
        'originate.set.extension: extension is a phone number, which is text: write it in quotes as dialled, e.g. "+74951110000"'
        in proc.stderr
    )
    assert "43123" not in proc.stderr  # the number as YAML read it, its 00 lost, is no hint


def test_number_type_beside_countries_of_other_calling_codes_is_said(tmp_path):
    """Second new-user check: a Swiss spec's `country: [DE, AT], number_type: mobile` can never hold
    (number_type types only +41 numbers; README "number_type"), and validate said nothing."""
    from tests.conftest import validate_warnings

    said = validate_warnings(
        tmp_path,
        "version: 1\nname: ch\nphones: {client: {region: CH}}\nfinal_params:\n  rules:\n"
        "    - when: {country: [DE, AT], number_type: mobile}\n      set: {USER_ID: 12}\n"
        "    - when: {country: [CH, DE], number_type: mobile}\n      set: {USER_ID: 13}\n"
        "    - when: {not: {country: AT, number_type: [mobile]}}\n      set: {USER_ID: 14}\n",
    )
    assert said == [
        "spec.yaml:6:33: warning: final_params.rules.0.when.number_type: number_type types only numbers of "
        "+41 (CH, the region it reads with); a number of DE, AT is 'unknown' to it: it is never true",
        "spec.yaml:10:33: warning: final_params.rules.2.when.not.number_type: number_type types only numbers of "
        "+41 (CH, the region it reads with); a number of AT is 'unknown' to it: it is never true, so the `not` around it is true on every call",
    ]


def test_never_true_warnings_follow_what_the_file_does(tmp_path):
    """Third new-user check: no warning where the file does read the value (a `fields:` override
    pointing a key into the input, a `field:` path starting with "*", values written in another
    case), and no claim about the rule under `not` when `any` or other keys decide too."""
    from tests.conftest import validate_warnings

    said = validate_warnings(
        tmp_path,
        "version: 1\nname: w\nfields: {status: [params.status], trunk: [user.trunk], answered: ['*.answered']}\n"
        "phones: {client: {region: de}}\noriginate:\n  rules:\n"
        "    - when: {status: x}\n      set: {context: s}\n"
        "    - when: {field: {path: '*.context', in: [z]}}\n      set: {context: star}\n"
        "    - when: {country: DE, number_type: MOBILE}\n      set: {context: g}\n"
        "    - when: {country: [AT], number_type: [mobile, UNKNOWN]}\n      set: {context: h}\n"
        "    - when: {country: [at], number_type: Mobile}\n      set: {context: i}\n"
        "    - when: {not: {any: [{is_ivr: true}, {client_phone: '+4930123457'}]}}\n      set: {context: b}\n"
        "    - when: {duration: {lte: 5}}\n      set: {context: short}\n"
        "autodistribution:\n  rules:\n    - when: {trunk: t1}\n      set: {number: '5'}\n"
        "    - when: {answered: false}\n      set: {number: '6'}\n",
    )
    assert said == [
        "spec.yaml:17:27: warning: originate.rules.5.when.not.any.0.is_ivr: process_originate_params.php's "
        "input (params, caller_id, channel, context, extension, priority, request_data) never holds the "
        "'is_ivr' this condition reads: it is never true",
        "spec.yaml:15:29: warning: originate.rules.4.when.number_type: number_type types only numbers of +49 "
        "(DE, the region it reads with); a number of AT is 'unknown' to it: it is never true",
    ]
