"""The generated PHP reads like the spec and stays small and stable: size budgets, one rule = one
`if` with a comment naming its place, names that do not move when the spec changes (so a review
diff shows only what changed), helpers named after their code, and `explain` telling the truth
about cancelling."""

from __future__ import annotations

import difflib
import json
import re
import shutil

import pytest

from generator.customizations import CUSTOMIZATIONS
from generator.explain import explain
from generator.pipeline import render
from generator.speclang.loader import SpecError
from tests.conftest import ROOT, load, load_text, render_to, run_one

EXAMPLE = ROOT / "specs" / "example" / "spec.yaml"


def lines(files: dict[str, str]) -> int:
    return sum(text.count("\n") for text in files.values())


def test_example_fits_the_line_budget():
    # 2,200 before {client_phone} became the normalised number: the four example files that use it
    # (activity, tasks, webhook, originate's rules) now carry the phone parser (~140 lines each),
    # because a generated file must work alone, whatever else is deployed beside it.
    # +130 for the run-time diagnostics in the field reader (issue 13: a key a rule reads that no
    # path provides is said on stderr).
    # +240 for numbers of every region of the calling code (issue 17: a Kazakh number in a Russian
    # spec is valid; each of the six files that read numbers carries the +7 regions' validity and
    # the region lookup) and the black list's number compared as sent and as written (issue 20).
    # +50 for hours judged at the call's start (issue 20: the file that tests hours reads
    # CALL_START_DATE / the channel's start_time and parses it in the zone).
    # +325 for issues 17 and 22: the accessors' own diagnostics (once per key per call, by the
    # call's direction), links and webhook bodies whose bytes are not UTF-8 mended (not emptied),
    # the curl answer capped at 64 KiB, text bodies escaped.
    # +165 for conditions and calls laid out in lines of at most 120 columns, one clause a line
    # (issue 18: a rule's condition was up to 470 characters with its value at the end).
    # -65 for the test hooks the clock, the log and the HTTP transport no longer carry (the harness
    # defines those helpers itself).
    # +108 for numbers pasted with Unicode spaces, dashes, full-width or Arabic-Indic digits (found
    # by the corpus check: they stayed raw); the map is 12-14 lines in each of the six number readers.
    # +2 for click-to-call's last_digits reading those digits too (found by the corpus check: it cut
    # +۹۹۸ ۶6 ۹۰۵ ۰۲ ۹۹ to "6").
    # -368 for issue 18's budget: one fall-through after the catch blocks instead of a `failed`
    # helper, replies of one documented key written out, `array_intersect` instead of an `is`
    # helper, runtime doc comments copied as their one-line summary (runtime.php keeps the rest),
    # a reply's documented keys read once (the pass-through answers them), and a phone plan's short
    # settings packed into rows.
    # +116 for filled texts in replies mending bytes that are not UTF-8 (utf8_mend and utf8_valid in
    # the three files whose replies hold placeholders): such a reply broke json_encode, so the call.
    # +4 for click-to-call's prefix only before a number and header values without control characters.
    # -59 for the field reader written for the features the file's keys use (no '*' walk, 'pick',
    # 'dir' or 'map' where no source has one).
    # -318 for issue 18's cost per call: a file's helpers under one function_exists guard (each
    # guard cost about 1.5 us per call and two lines; generator/emit/guard.py).
    # +120 for answering with PCRE's JIT off (runtime.php's answer(), in the eleven files that match
    # patterns): -10 to -22 % of a call's time (0.23 ms of the example's need_registration).
    # +29 for the field reader switching the cycle collector on again, a huge webhook body encoded
    # without a mended copy, and header values without C1 controls or line separators.
    # +9 for click-to-call cutting only a number written as one, and mending only what holds a bad byte;
    # -4 for one way to encode a webhook body (utf8_clean no longer copies what needs no mending).
    # -11 for each key's reader written for its sources (one field reader call a source, lines of at
    # most 120 columns where one line held the whole table and the paths tried).
    # -493 for issue 18's budget: the phone parser written for the spec's region (its metadata as
    # literals, only the steps the region has, its calling code's regions as one `if` each: no
    # $meta array, phone_length or full_match), one phone_digits for the parser and click-to-call,
    # utf8_mend holding the check it alone called, shorter preg_* helpers, phone helpers copied with
    # their one-line summary.
    # +11: a clicked number sent as a JSON number is dialled as its digits (process_originate_params;
    # number_text, which also reads one a 32-bit PHP decoded as a float).
    # +12: phone_digits reads ASCII square brackets and drops Unicode spaces and marks around a
    # number (thin, narrow no-break, BOM...) as libphonenumber does (two more lines of codes a file).
    # +1: the dial prefix goes before a number as phone_digits reads it (marks around it dropped).
    # +6: a national prefix "0" written after another calling code ("+44 (0) 20") is dropped where
    # that code's plan drops it (one line in each of the six phone parsers).
    # +6: the invisible marks dropped around a number include embeddings, isolates, joiners, NEL.
    assert lines(render(load(EXAMPLE))) <= 2802


def test_a_long_list_of_values_is_laid_out_in_rows(tmp_path):
    """A black list of 40 extensions (and values holding ", " and quotes) was one line of 300+
    columns: its values go in rows of at most 120 columns, and the rule still holds."""
    values = [str(n) for n in range(100, 140)] + ["a, b", "it's", 'say "hi"']
    loaded = load_text(
        tmp_path,
        "version: 1\nname: long\nregistration:\n  rules:\n    - when: {extension: " + json.dumps(values) + "}\n"
        "      then: skip\n",
    )
    text = render(loaded)["need_registration.php"]
    entry = text.split("\n}\n")[0]
    assert max(len(line) for line in entry.split("\n")) <= 120, entry
    assert all(value in entry for value in ("'139',", "'a, b',", "'it\\'s',", "'say \"hi\"'"))
    out = render_to(loaded, tmp_path / "out")
    for number, skipped in (("139", True), ("it's", True), ("a, b", True), ("a", False), ("140", False)):
        call = {"call_full": {"channel": {"type": "incoming", "to": {"number": number}}}}
        result = run_one(out["need_registration"], call)
        assert result.clean and result.reply == {"state": "success", "data": {"result": not skipped}}, number


def test_the_field_reader_holds_only_what_the_files_keys_use(tmp_path):
    """A call's cost is mostly compiling the file (issue 18): a file whose keys read plain paths
    compiles no wildcard walk, no pick, no direction test; one that reads extensions has them."""
    loaded = load_text(
        tmp_path,
        "version: 1\nname: r\nfinal_params:\n  rules:\n    - when: {status: '304'}\n      set: {USER_ID: 5}\n"
        "registration:\n  rules:\n    - when: {extension: '101'}\n      then: skip\n",
    )
    files = render(loaded)
    plain = files["process_final_params.php"]
    assert "_collect(" in plain and "'*'" not in plain and "gc_disable" not in plain
    assert "$pick" not in plain and "list($call)" not in plain and "$map" not in plain and "$every" not in plain
    walk = files["need_registration.php"]
    assert "$key === '*'" in walk and "$pick" in walk and "$call === 'incoming'" in walk
    assert "$every" not in walk and "$map" not in walk
    # Each key's reader names its own sources, one call of the field reader each; no table is walked.
    assert "'call_full.conversations.*.channel.to', $pick1)" in walk and "explode('|'" not in walk
    assert "_collect(" not in files["process_user_phone.php"]  # a pass-through reads nothing
    # Both still answer as the spec says, in the real php.
    out = render_to(loaded, tmp_path / "out")
    missed = run_one(out["process_final_params"], {"STATUS_CODE": "304", "USER_ID": 1})
    assert missed.clean and missed.reply == {"state": "success", "data": {"STATUS_CODE": "304", "USER_ID": 5}}
    call = {"call_full": {"channel": {"type": "incoming", "to": {"number": "101"}}}}
    skipped = run_one(out["need_registration"], call)
    assert skipped.clean and skipped.reply == {"state": "success", "data": {"result": False}}


def test_passthrough_files_are_short():
    # 40, +5 for click-to-call's reply that sends an empty request_data back as {} (not []), +3 for
    # that reply in lines of 120 columns.
    files = render(load(ROOT / "specs" / "passthrough" / "spec.yaml"))
    long = {name: text.count("\n") for name, text in files.items() if text.count("\n") > 48}
    assert not long, long


def changed_lines(before: dict[str, str], after: dict[str, str]) -> dict[str, int]:
    out = {}
    for name in before:
        diff = [
            d
            for d in difflib.unified_diff(before[name].splitlines(), after[name].splitlines(), lineterm="", n=0)
            if d[:1] in "+-" and not d.startswith(("+++", "---"))
        ]
        if diff:
            out[name] = len([d for d in diff if d.startswith("+")])
    return out


@pytest.mark.parametrize(
    "old,new",
    [
        ('extension: ["100", "101"]', 'extension: ["100", "107"]'),
        ("set: {USER_ID: 456}", "set: {USER_ID: 457}"),
        ('callerid_name: "{entity.name}"', 'callerid_name: "Client {entity.name}"'),
    ],
)
def test_one_value_changes_few_lines_in_one_file(tmp_path, old, new):
    text = EXAMPLE.read_text(encoding="utf-8")
    assert old in text
    before = render(load_text(tmp_path, text))
    after = render(load_text(tmp_path, text.replace(old, new)))
    changed = changed_lines(before, after)
    assert len(changed) == 1, changed
    assert sum(changed.values()) <= 6, changed


def test_entry_function_name_does_not_follow_the_rules(tmp_path):
    text = EXAMPLE.read_text(encoding="utf-8")
    entry = re.compile(r"^return (itgrix_gen_\w+)\(", re.M)
    before = render(load_text(tmp_path, text))
    after = render(load_text(tmp_path, text.replace('"100", "101"', '"200"')))
    for name in before:
        assert entry.search(before[name]).group(1) == entry.search(after[name]).group(1)


def test_header_carries_no_hash_or_time():
    for text in render(load(EXAMPLE)).values():
        header = text.split("*/")[0]
        assert not re.search(r"[0-9a-f]{32}", header) and not re.search(r"\d{4}-\d\d-\d\d", header)


def test_every_rule_is_an_if_with_its_place():
    files = render(load(EXAMPLE))
    code = files["need_registration.php"]
    for i, words in enumerate(['extension is "100" or "101"', 'trunk is "test-trunk"', "client_phone matches"]):
        m = re.search(rf"// registration\.rules\[{i}\]: (.*) -> skip\n\s+if \(", code)
        assert m, f"rule {i}"
        assert words in m.group(1), m.group(1)
    assert "// registration_params.rules[0]" in files["process_registration_params.php"]


def test_a_comment_in_the_runtime_changes_no_code(tmp_path, monkeypatch):
    from generator import resources
    from generator.emit import runtime as rt_module

    folder = tmp_path / "templates"
    shutil.copytree(resources.templates_dir(), folder)
    runtime_php = folder / "runtime.php"
    text = runtime_php.read_text(encoding="utf-8")
    edited = text.replace("// Say why on stderr", "// Say why, always on stderr", 1)
    assert edited != text
    runtime_php.write_text(edited, encoding="utf-8")
    before = render(load(EXAMPLE))
    monkeypatch.setattr(rt_module, "template_path", lambda name: folder / name)
    rt_module.runtime.cache_clear()
    try:
        after = render(load(EXAMPLE))
    finally:
        rt_module.runtime.cache_clear()
    for name in before:
        diff = [
            d
            for d in difflib.unified_diff(before[name].splitlines(), after[name].splitlines(), lineterm="", n=0)
            if d[:1] in "+-" and not d.startswith(("+++", "---"))
        ]
        assert all(re.match(r"^[+-]\s*//", d) for d in diff), diff


def test_the_decisions_come_first():
    # Issue 18: the rules sat at the bottom (line 455 of 476 in post_registration.php); the entry
    # function is defined first (it calls helpers defined after it) and called on the last line.
    for spec in (EXAMPLE, ROOT / "specs" / "passthrough" / "spec.yaml"):
        for name, text in render(load(spec)).items():
            functions = re.findall(r"^    function (itgrix_gen_\w+)\(", text, re.M)
            # Called directly, or through answer() (PCRE's JIT off) in a file that matches patterns.
            entry = re.search(r"^return (?:itgrix_gen_\w+_answer\(')?(itgrix_gen_\w+)'?(?:\(|, )", text, re.M)
            assert entry and text.rstrip("\n").endswith(entry.group(0) + "isset($params) ? $params : null);"), name
            assert functions[0] == entry.group(1), (name, functions[:2])


def test_the_decisions_read_in_120_columns():
    # Issue 18: a rule's condition line was up to 470 characters, the value to check at its end;
    # times were minutes of the day.  A line of the entry function is at most 120 columns, but a
    # literal no line can hold (a phone plan's pattern, a reply's key list) and the head of an
    # argument list that continues on the next lines.
    literal_only = re.compile(r"^\s*(?:'[^']*'\s*=>\s*)?(?:'(?:[^'\\]|\\.)*'|array\([^()]*\)),?\)?;?$")
    for spec in sorted((ROOT / "specs").glob("*/spec.yaml")):
        for name, text in render(load(spec)).items():
            entry = text.split(" */\n", 1)[1].split("\n}\n", 1)[0]  # after the header
            for line in entry.split("\n"):
                if len(line) > 120 and not literal_only.match(line) and not line.endswith("("):
                    raise AssertionError(f"{spec.parent.name}/{name}: {len(line)} columns: {line}")
    code = render(load(ROOT / "specs" / "kazakhstan" / "spec.yaml"))["process_registration_params.php"]
    assert "array('09:00-18:00'),\n                array('mon', 'tue', 'wed', 'thu', 'fri')," in code


def test_no_test_hook_ships_in_a_file():
    # Issue 18: the clock, the log and the HTTP transport asked `function_exists('itgrix_gen_harness_*')`
    # on every call; the harness now defines those helpers itself before it includes a file.
    for spec in sorted((ROOT / "specs").glob("*/spec.yaml")):
        for name, text in render(load(spec)).items():
            assert "itgrix_gen_harness" not in text, f"{spec.parent.name}/{name}"


def test_a_file_holds_only_the_helpers_it_calls():
    for text in render(load(EXAMPLE)).values():
        defined = re.findall(r"^    function (itgrix_gen_[0-9a-f]{8}_\w+)\(", text, re.M)
        for name in defined:
            # called, or handed by name to a helper that calls it (a phone parser: emit/phones.py)
            assert text.count(name + "(") + text.count(f"'{name}'") >= 2, f"{name} is defined but never called"


ALWAYS_CANCEL = {"then": "cancel"}  # no `when`: every call (an empty `when` is refused)


@pytest.mark.parametrize("c", CUSTOMIZATIONS, ids=[c.name for c in CUSTOMIZATIONS])
def test_explain_and_php_agree_on_cancelling(tmp_path, c, php):
    """For every customization: a rule that always cancels is either refused when the spec is
    loaded (the connector needs an answer there), or cancels in PHP and `explain` says so."""
    section = {"rules": [ALWAYS_CANCEL]}
    data = {"version": 1, "name": "cancel"}
    node = data
    *outer, last = c.section_path
    for part in outer:
        node = node.setdefault(part, {})
    node[last] = section
    try:
        loaded = load_text(tmp_path, json.dumps(data))
    except SpecError:
        assert not c.can_cancel, f"{c.name} may cancel, yet its cancelling rule was refused"
        return
    assert c.can_cancel, f"{c.name} accepted a cancelling rule"
    paths = render_to(loaded, tmp_path / "out")
    result = run_one(
        paths[c.name], {"call_stage": "conversation_accepted", "fields": {"TITLE": "x"}, "phone": "1"}, php=php
    )
    assert result.clean and result.reply["data"] == {}, result.reply
    assert "**cancelled**" in explain(loaded.spec)
    assert c.may_cancel(c.section_of(loaded.spec))


LIVE_TRIAL = ROOT / "specs" / "live-trial" / "spec.yaml"


@pytest.mark.parametrize(
    ("spec", "anchor"),
    [(EXAMPLE, '  rules:\n    - when: {extension: ["100", "101"]}'), (LIVE_TRIAL, "registration:\n  rules:\n")],
    ids=["example", "capture-on"],
)
def test_an_inserted_rule_rewrites_only_its_file_and_a_spec_comment_none(tmp_path, spec, anchor):
    # Issue 18: rule comments carried the spec's line numbers, so one inserted rule rewrote 12 of the
    # 14 files (and a comment at the top all 14, renaming a function): 12 backups and 12 stale
    # servers on a fleet for a one-line change.  With `capture:` on, every file also carried the
    # whole set's version (a hash of all fourteen), so one inserted rule rewrote all fourteen: each
    # file now carries its own.
    from generator.pipeline import render_files

    text = spec.read_text(encoding="utf-8")
    before = render(load(spec))
    (tmp_path / "c").mkdir()
    (tmp_path / "i").mkdir()
    commented = load_text(tmp_path / "c", "# reviewed by the client on 2026-11-30\n" + text)
    assert render(commented) == before
    rule = '    - when: {extension: ["555"]}\n      then: skip\n'
    inserted = text.replace(
        anchor, anchor + rule if anchor.endswith("\n") else anchor.replace("    -", rule + "    -"), 1
    )
    assert inserted.count("555") == text.count("555") + 1
    files = render_files(load_text(tmp_path / "i", inserted))
    after = {f.filename: f.content for f in files}
    assert [name for name in before if before[name] != after[name]] == ["need_registration.php"]
    if spec == LIVE_TRIAL:  # capture is on in every file, each naming its own version
        captured = [f for f in files if "_capture(" in f.content]
        assert len(captured) == len(CUSTOMIZATIONS)
        assert all(f.version in f.content and f.content.count(f.version) == 1 for f in captured)
        assert len({f.version for f in files}) == len(files)


def test_layout_only_moves_white_space(tmp_path, php):
    """Laid out in 40 columns, the example's files say the same to PHP: the same tokens, but for
    white space and comments (never a literal split), and every file still parses."""
    import subprocess

    from generator.emit import layout
    from generator.php.runner import php_lint

    compare = tmp_path / "tokens.php"
    compare.write_text(
        "<?php\nfunction t($f) {\n    $out = array();\n"
        "    foreach (token_get_all(file_get_contents($f)) as $t) {\n"
        "        if (!is_array($t) || !in_array($t[0], array(T_WHITESPACE, T_COMMENT), true)) {\n"
        "            $out[] = is_array($t) ? array($t[0], $t[1]) : $t;\n        }\n    }\n    return $out;\n}\n"
        "echo t($argv[1]) === t($argv[2]) ? 'same' : 'different';\n",
        encoding="utf-8",
    )
    for name, text in render(load(EXAMPLE)).items():
        (tmp_path / ("wide-" + name)).write_text(text, encoding="utf-8")
        (tmp_path / name).write_text(layout.code(text, width=40), encoding="utf-8")
        assert php_lint(str(tmp_path / name), php) is None, name
        same = subprocess.run(
            [php, str(compare), str(tmp_path / ("wide-" + name)), str(tmp_path / name)], capture_output=True, text=True
        )
        assert same.stdout == "same", (name, same.stdout, same.stderr)


def test_every_way_through_the_entry_try_returns():
    # The entry function's catch blocks are empty and the failure is logged after them: a way
    # through the try that did not return would fall through into "answered unchanged" with no $e.
    for spec in sorted((ROOT / "specs").glob("*/spec.yaml")):
        for name, text in render(load(spec)).items():
            entry = text.split("\n}\n", 1)[0]  # the entry's guard (with capture, the _decide function's)
            if "} catch (Exception $e) {" not in entry:
                continue  # a pass-through answers in one return
            body = entry.split("\n        } catch (Exception $e) {", 1)[0]
            last = body.rstrip().split("\n")[-1].strip()
            assert last.startswith("return "), f"{spec.parent.name}/{name}: the try ends with {last!r}"
