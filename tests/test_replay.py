"""Replay you can act on, and `cases import` that names a case after what decides it (issues 19,
22, 23): calls driven through deployed capture + shadow files the way the connector runs them (a
fresh php per call), then read back by the commands; logs that stream in flat memory."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT, cli_here, load_text, render_to
from tests.test_capture import Connector, call_with

SPEC = """version: 1
name: trial
timezone: Asia/Almaty
capture: {{dir: {log}}}
shadow: {shadow}
registration:
  rules:
    - when: {{extension: ['100']}}
      then: skip
    - when: {{trunk: sip-test}}
      then: skip
final_params:
  rules:
    - when: {{trunk: sip-moscow}}
      set: {{USER_ID: 9}}
post_registration:
  webhook:
    url: "https://hooks.example.com/itgrix?phone={{client_phone}}"
    timeout_s: 2
    json: {{trunk: "{{trunk}}", phone: "{{client_phone}}"}}
"""

TRUNKS = ["sip-moscow", "sip-test", "kcell-gsm"]
# Numbers of regions that share +7, in the notations PBXs use.
NUMBERS = ["+77012345678", "87272501010", "+74951234567", "8 (916) 123-45-67", "+7 727 250 10 10", "77781234567"]


def drive(tmp_path: Path, php: str, shadow: bool = True, folder: str = "pbx1") -> tuple[Path, Path]:
    """A spec deployed with capture (and shadow), 18 calls to three of its files as the connector
    makes them; returns (the log folder, the spec file)."""
    log = tmp_path / "captures" / folder
    text = SPEC.format(log=json.dumps(str(log)), shadow="true" if shadow else "false")
    loaded = load_text(tmp_path, text)
    files = render_to(loaded, tmp_path / "actions")
    connector = Connector(php, tmp_path)
    calls = [call_with(TRUNKS[i % 3], NUMBERS[i % 6]) for i in range(6)]
    for call in calls:
        for conversation in call["call_full"]["conversations"].values():
            conversation["user"]["name"] = "Әлия Төлеуова"
    final = [{"STATUS_CODE": "200", "USER_ID": 3, "call_full": c["call_full"]} for c in calls]
    post = [dict(c, call_stage="conversation_requested") for c in calls]
    # One call at a time: a busy test machine may hold the log's lock past the 0.2 s a call waits
    # for it (then the call is answered but not captured), and these tests count lines.
    for name, inputs in (("need_registration", calls), ("process_final_params", final), ("post_registration", post)):
        for params in inputs:
            connector.call(files[name], params)
    return log, tmp_path / "spec.yaml"


@pytest.fixture
def shadowed(tmp_path, php):
    return drive(tmp_path, php, shadow=True)


def insert_rule(spec: Path) -> None:
    """A rule inserted at the top of registration: every old rule moves down one place."""
    text = spec.read_text(encoding="utf-8")
    first = "  rules:\n    - when: {extension: ['100']}"
    spec.write_text(
        text.replace(first, "  rules:\n    - when: {trunk: kcell-gsm}\n      then: skip\n" + first[9:], 1),
        encoding="utf-8",
    )


def replay_json(*args: str) -> tuple[int, dict]:
    proc = cli_here("replay", *args, "--format", "json")
    assert "Traceback" not in proc.stderr, proc.stderr
    return proc.returncode, (json.loads(proc.stdout) if proc.stdout.strip() else {"stderr": proc.stderr})


def test_shadow_capture_replayed_through_the_same_spec_changes_nothing(shadowed):
    log, spec = shadowed
    code, data = replay_json(str(spec), str(log), "--check")
    assert code == 0, data
    assert data["calls"] == 18 and data["changed"] == 0 and data["baseline"] == "decided"
    # What the connector got in shadow is the pass-through: against it the skips are changes.
    code, data = replay_json(str(spec), str(log), "--baseline", "answered")
    assert code == 0 and data["by_customization"]["need_registration"]["changed"] == 2
    assert data["by_customization"]["process_final_params"]["changed"] == 2
    assert {c["rule"] for c in data["changes"]} == {"registration.rules[1]", "final_params.rules[0]"}


def test_changed_calls_are_labelled_with_the_new_and_the_old_rule(shadowed):
    log, spec = shadowed
    insert_rule(spec)  # every old rule moves down one place
    code, data = replay_json(str(spec), str(log))
    assert code == 0 and data["changed"] == 2, data
    assert data["by_rule"] == [
        {"customization": "need_registration", "was": "default", "rule": "registration.rules[0]", "changed": 2}
    ]
    change = data["changes"][0]
    assert change["rule"] == "registration.rules[0]" and change["was"] == "default"
    assert change["captured"]["data"] == {"result": True} and change["now"]["data"] == {"result": False}
    # The moved rule still decides its calls the same way: not a change, whatever its new place.
    proc = cli_here("replay", str(spec), str(log), "--check", "--show", "1")
    assert proc.returncode == 1
    assert "need_registration: default -> registration.rules[0]: 2" in proc.stdout
    assert "decided by registration.rules[0] now, default before" in proc.stdout
    assert "... and 1 more" in proc.stdout and "2 of 18 calls would now get another reply" in proc.stdout
    # Filters: by rule (old or new), by customization.
    _, only_rule = replay_json(str(spec), str(log), "--rule", "registration.rules[2]")
    assert only_rule["calls"] == 2 and only_rule["changed"] == 0
    _, section = replay_json(str(spec), str(log), "--rule", "registration")
    assert section["calls"] == 4 and section["changed"] == 2
    _, final = replay_json(str(spec), str(log), "--customization", "process_final_params")
    assert final["calls"] == 6 and set(final["by_customization"]) == {"process_final_params"}
    assert cli_here("replay", str(spec), str(log), "--customization", "nope").returncode == 2


def test_the_webhook_that_would_fire_is_part_of_the_decision(shadowed):
    log, spec = shadowed
    spec.write_text(spec.read_text(encoding="utf-8").replace("?phone=", "?caller="), encoding="utf-8")
    before = spec.parent / "reviewed.yaml"
    before.write_text(spec.read_text(encoding="utf-8").replace("?caller=", "?phone="), encoding="utf-8")
    # Against another spec, a webhook that changes is a change even when the reply is the same.
    code, data = replay_json(str(spec), str(log), "--baseline", str(before), "--customization", "post_registration")
    assert code == 0 and data["calls"] == 6 and data["changed"] == 6, data
    change = data["changes"][0]
    assert change["now"] == change["captured"]
    (hook,) = change["webhooks"]
    assert hook["method"] == "POST" and hook["url"].startswith("https://hooks.example.com/itgrix?caller=")
    assert json.loads(hook["body"])["trunk"] == "74957654321"  # caught by the harness stub: no network
    assert change["webhooks_before"][0]["url"].startswith("https://hooks.example.com/itgrix?phone=")
    # The same spec as its own baseline: nothing changes.
    code, data = replay_json(str(spec), str(log), "--baseline", str(spec))
    assert code == 0 and data["changed"] == 0 and data["calls"] == 18
    assert cli_here("replay", str(spec), str(log), "--baseline", "nothing-like-this").returncode == 2


def test_logs_are_files_or_folders_searched_recursively_and_no_call_is_exit_2(tmp_path, php):
    log, spec = drive(tmp_path, php, shadow=False, folder="pbx1")
    other = log.parent / "pbx2" / "rotated"
    other.mkdir(parents=True)
    (other / "need_registration.jsonl.1").write_bytes((log / "need_registration.jsonl").read_bytes())
    code, data = replay_json(str(spec), str(log.parent))  # captures/: pbx1/ and pbx2/rotated/
    assert code == 0 and data["calls"] == 24
    code, data = replay_json(str(spec), str(log / "need_registration.jsonl"), str(log.parent / "pbx2"))
    assert code == 0 and data["calls"] == 12
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "notes.txt").write_text("not a log\n", encoding="utf-8")
    wrong = tmp_path / "wrong.jsonl"
    wrong.write_text('{"hello": "world"}\n', encoding="utf-8")
    for args in (
        ("replay", str(spec), str(empty)),
        ("replay", str(spec), str(wrong)),
        ("cases", "import", str(empty), "--spec", str(spec)),
        ("fields", "--probe", str(wrong)),
    ):
        proc = cli_here(*args)
        assert proc.returncode == 2, proc.stdout + proc.stderr
        assert "no captured call in " in proc.stderr
    proc = cli_here("replay", str(spec), str(tmp_path / "missing"))
    assert proc.returncode == 2 and "no such file or folder" in proc.stderr


def test_lines_old_and_new_are_read_alike(shadowed):
    """Lines with the spec's version (newer writers) and without it replay the same; a call too
    large to have been captured is skipped and counted."""
    log, spec = shadowed
    path = log / "need_registration.jsonl"
    lines = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    for i, entry in enumerate(lines):
        if i % 2:
            entry["spec_version"] = "sha256:0123abcd"
            entry["deployed_by"] = "root"
    lines.append(dict(lines[0], input={"itgrix_gen_not_captured": "too large: 900000 values"}))
    path.write_text("".join(json.dumps(e, ensure_ascii=False) + "\n" for e in lines), encoding="utf-8")
    code, data = replay_json(str(spec), str(log), "--check")
    assert code == 0 and data["calls"] == 18 and data["changed"] == 0
    assert data["skipped"] == {"calls too large to have been captured": 1}


# --- cases import ----------------------------------------------------------------------------


def case_names(spec: Path) -> list[str]:
    return sorted(p.name for p in (spec.parent / "cases").iterdir())


def test_import_names_cases_after_the_rule_deciding_now_and_adds_new_rules_cases(shadowed):
    log, spec = shadowed
    first = cli_here("cases", "import", str(log), "--spec", str(spec))
    assert first.returncode == 0, first.stdout + first.stderr
    assert case_names(spec) == [
        "need_registration-default",
        "need_registration-registration-rules-1",
        "post_registration-post_registration-webhook",
        "process_final_params-default",
        "process_final_params-final_params-rules-0",
    ]
    # A rule inserted above the others: old cases keep counting for the rule that decides them
    # now, whatever their names say; the new rule gets a case named after its place.
    insert_rule(spec)
    before = case_names(spec)
    again = cli_here("cases", "import", str(log), "--spec", str(spec))
    assert again.returncode == 0, again.stdout + again.stderr
    added = sorted(set(case_names(spec)) - set(before))
    assert added == ["need_registration-registration-rules-0"], added
    case = spec.parent / "cases" / added[0]
    assert "decided by registration.rules[0]" in (case / "case.yaml").read_text(encoding="utf-8")
    assert json.loads((case / "expected.json").read_text(encoding="utf-8"))["data"] == {"result": False}
    third = cli_here("cases", "import", str(log), "--spec", str(spec))
    assert third.returncode == 0 and "0 new case(s)" in third.stdout
    tested = cli_here("test", str(spec))
    # The case named after rules[1] was captured on sip-test: still decided by that rule, now
    # rules[2]; the spec's reply to it is unchanged, so every case passes.
    assert tested.returncode == 0, tested.stdout + tested.stderr


def test_import_with_redaction_never_labels_a_case_with_a_rule_that_does_not_decide_it(tmp_path, php):
    log = tmp_path / "captures"
    text = (
        "version: 1\nname: redacted\ntimezone: Asia/Almaty\n"
        f"capture: {{dir: {json.dumps(str(log))}}}\n"
        "registration:\n  rules:\n"
        "    - when: {client_phone: '+77012345678'}\n      then: skip\n"  # one client's number
        "    - when: {trunk: sip-test}\n      then: skip\n"
    )
    loaded = load_text(tmp_path, text)
    files = render_to(loaded, tmp_path / "actions")
    connector = Connector(php, tmp_path)
    connector.call(files["need_registration"], call_with("kcell-gsm", "+77012345678"))
    connector.call(files["need_registration"], call_with("sip-moscow", "+74951234567"))
    spec = tmp_path / "spec.yaml"
    proc = cli_here("cases", "import", str(log), "--spec", str(spec), "--redact")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    # The redacted number no longer matches rules[0]: its call decides by default, which the other
    # call already gives a case; no case claims rules[0] with a default reply.
    assert case_names(spec) == ["need_registration-default"]
    case = spec.parent / "cases" / "need_registration-default"
    assert json.loads((case / "expected.json").read_text(encoding="utf-8"))["data"] == {"result": True}
    assert "decided by default" in (case / "case.yaml").read_text(encoding="utf-8")
    for case in (spec.parent / "cases").iterdir():
        body = json.loads((case / "input.json").read_text(encoding="utf-8"))
        assert "+77012345678" not in json.dumps(body) and "+74951234567" not in json.dumps(body)
    assert cli_here("test", str(spec)).returncode == 0


def test_a_redacted_capture_replays_with_no_change_on_the_spec_that_made_it(tmp_path, php):
    """A rule on one client's number cannot match that number's pseudonym, and a name built from
    the number is logged as a pseudonym: the spec that decided the calls still replays with 0
    changes (issue 19); an edited spec still shows its real changes."""
    log = tmp_path / "captures"
    head = (
        "version: 1\nname: redacted\ntimezone: Asia/Almaty\n"
        f"capture: {{dir: {json.dumps(str(log))}, redact: true}}\n"
        "registration:\n  rules:\n"
        "    - when: {client_phone: '+77012345678'}\n      then: skip\n"
        "    - when: {trunk: sip-test}\n      then: skip\n"
    )
    loaded = load_text(tmp_path, head)
    files = render_to(loaded, tmp_path / "actions")
    connector = Connector(php, tmp_path)
    for trunk, number in (("kcell-gsm", "+77012345678"), ("sip-moscow", "+74951234567"), ("sip-test", "87272501010")):
        connector.call(files["need_registration"], call_with(trunk, number))
    spec = tmp_path / "spec.yaml"
    proc = cli_here("replay", str(spec), str(log), "--check")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "1 calls of the redacted capture replay differently only because" in proc.stderr
    as_json = cli_here("replay", str(spec), str(log), "--format", "json")
    report = json.loads(as_json.stdout)
    assert (report["changed"], report["redaction_only"]) == (0, 1)
    # The spec edited: sip-moscow is skipped too.  That change is real and is shown; the
    # pseudonymised call is no longer judged by the capture's spec (another version).
    spec.write_text(head + "    - when: {trunk: sip-moscow}\n      then: skip\n", encoding="utf-8")
    edited = json.loads(cli_here("replay", str(spec), str(log), "--format", "json").stdout)
    rules = {(r["was"], r["rule"]) for r in edited["by_rule"]}
    assert ("default", "registration.rules[2]") in rules and edited["redaction_only"] == 0


REDACTED_TWO = (
    "version: 1\nname: redacted-two\ntimezone: Asia/Almaty\n"
    "capture: {{dir: {log}, redact: true}}\n"
    "registration:\n  rules:\n"
    "    - when: {{client_phone: '+77012345678'}}\n      then: skip\n"
    "    - when: {{trunk: sip-test}}\n      then: skip\n"
    "final_params:\n  rules:\n"
    "    - when: {{client_phone: '+77012345678'}}\n      set: {{USER_ID: 9}}\n"
)


def capture_two(tmp_path: Path, php: str, old_lines: bool = False) -> tuple[Path, Path]:
    """Three calls (a Kazakh client's number among them) through need_registration and
    process_final_params of a redacting spec; `old_lines`: through the files as itgrix-gen wrote
    them before each file had its own version (every file carried the whole set's), so the
    lines are exactly what already-deployed files write.  Returns (the log folder, the spec)."""
    log = tmp_path / "captures"
    loaded = load_text(tmp_path, REDACTED_TWO.format(log=json.dumps(str(log))))
    files = render_to(loaded, tmp_path / "actions")
    if old_lines:
        from generator.pipeline import render_files

        for f in render_files(loaded):
            text = files[f.customization.name].read_text(encoding="utf-8")
            assert text.count(f.version) == 1
            files[f.customization.name].write_text(text.replace(f.version, f.spec_version), encoding="utf-8")
    connector = Connector(php, tmp_path)
    for trunk, number in (("kcell-gsm", "+77012345678"), ("sip-moscow", "+74951234567"), ("sip-test", "87272501010")):
        call = call_with(trunk, number)
        for conversation in call["call_full"]["conversations"].values():
            conversation["user"]["name"] = "Әлия Төлеуова"
        connector.call(files["need_registration"], call)
        connector.call(files["process_final_params"], {"STATUS_CODE": "304", "USER_ID": 3, **call})
    return log, tmp_path / "spec.yaml"


def insert_unmatched_rule(spec: Path) -> None:
    """A rule no captured call meets, inserted first in registration: only that file changes."""
    text = spec.read_text(encoding="utf-8")
    spec.write_text(
        text.replace(
            "registration:\n  rules:\n",
            "registration:\n  rules:\n    - when: {extension: ['555']}\n      then: skip\n",
            1,
        ),
        encoding="utf-8",
    )


def test_after_an_inserted_rule_the_other_files_calls_are_still_this_specs(tmp_path, php):
    """Issue 18: each file names its own version, so after one rule is inserted in registration the
    calls process_final_params decided are still judged as decided by this very spec's file: a
    pseudonymised number that no longer meets its rule is `redaction_only`, not a change (with one
    version for the whole set, every call of every file became "another spec's").  Registration's
    own file changed, so its call counts as changed."""
    log, spec = capture_two(tmp_path, php)
    lines = [json.loads(x) for x in (log / "need_registration.jsonl").read_text(encoding="utf-8").splitlines()]
    finals = [json.loads(x) for x in (log / "process_final_params.jsonl").read_text(encoding="utf-8").splitlines()]
    assert len(lines) == len(finals) == 3
    assert len({e["spec_version"] for e in lines}) == len({e["spec_version"] for e in finals}) == 1
    assert lines[0]["spec_version"] != finals[0]["spec_version"]  # each file its own
    code, same = replay_json(str(spec), str(log), "--check")
    assert code == 0 and (same["calls"], same["changed"], same["redaction_only"]) == (6, 0, 2), same
    insert_unmatched_rule(spec)
    code, after = replay_json(str(spec), str(log))
    assert code == 0 and (after["calls"], after["changed"], after["redaction_only"]) == (6, 1, 1), after
    assert after["by_customization"]["process_final_params"] == {"calls": 3, "changed": 0}
    assert after["by_customization"]["need_registration"] == {"calls": 3, "changed": 1}
    assert [(r["customization"], r["was"], r["rule"]) for r in after["by_rule"]] == [
        ("need_registration", "registration.rules[0]", "default")
    ]


def test_lines_of_files_that_carried_the_whole_sets_version_still_replay(tmp_path, php):
    """Lines written by already-deployed files (each naming the whole set's version): against
    the very spec that wrote them they are still its own (redaction_only, as before); against an
    edited spec that version is no file's, so each is judged like any line; a version that is not
    text, or a line with none, never breaks a replay."""
    log, spec = capture_two(tmp_path, php, old_lines=True)
    from generator.pipeline import render_files

    whole = render_files(load_text(tmp_path, spec.read_text(encoding="utf-8"), "again.yaml"))[0].spec_version
    versions = {json.loads(x)["spec_version"] for f in log.glob("*.jsonl") for x in f.read_text().splitlines()}
    assert versions == {whole}
    code, same = replay_json(str(spec), str(log), "--check")
    assert code == 0 and (same["calls"], same["changed"], same["redaction_only"]) == (6, 0, 2), same
    insert_unmatched_rule(spec)
    code, after = replay_json(str(spec), str(log))
    assert code == 0 and (after["calls"], after["changed"], after["redaction_only"]) == (6, 2, 0), after
    path = log / "process_final_params.jsonl"
    odd = [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines()]
    odd[0]["spec_version"], odd[1]["spec_version"] = {"set": whole}, None
    del odd[2]["spec_version"]
    path.write_text("".join(json.dumps(e, ensure_ascii=False) + "\n" for e in odd), encoding="utf-8")
    code, garbled = replay_json(str(spec), str(log))
    assert code == 0 and (garbled["calls"], garbled["changed"], garbled["redaction_only"]) == (6, 2, 0), garbled


def test_import_writes_only_cases_test_accepts(shadowed):
    log, spec = shadowed
    path = log / "need_registration.jsonl"
    good = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    bad_time = dict(good[1], at="yesterday")
    nan = json.dumps(dict(good[1])).replace('"result": 200', '"result": NaN')
    path.write_text(json.dumps(bad_time) + "\n" + nan + "\n", encoding="utf-8")
    proc = cli_here("cases", "import", str(log), "--spec", str(spec))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "1 lines without a valid time" in proc.stderr and "1 lines that are not JSON" in proc.stderr
    assert not any(n.startswith("need_registration") for n in case_names(spec))
    tested = cli_here("test", str(spec))
    assert tested.returncode == 0 and "3 passed, 0 failed" in tested.stdout


def test_a_broken_case_never_hides_the_rest_of_the_suite(shadowed):
    log, spec = shadowed
    assert cli_here("cases", "import", str(log), "--spec", str(spec)).returncode == 0
    total = len(case_names(spec))
    broken = spec.parent / "cases" / "zz-broken"
    broken.mkdir()
    (broken / "case.yaml").write_text("customization: need_registration\nnow: tomorrow\n", encoding="utf-8")
    (broken / "input.json").write_text('{"call_full": NaN}\n', encoding="utf-8")
    nan = spec.parent / "cases" / "zz-nan"
    nan.mkdir()
    (nan / "case.yaml").write_text("customization: need_registration\n", encoding="utf-8")
    (nan / "input.json").write_text('{"DURATION": NaN}\n', encoding="utf-8")
    (nan / "expected.json").write_text("{}\n", encoding="utf-8")
    proc = cli_here("test", str(spec))
    assert proc.returncode == 2
    assert f"{total} passed, 0 failed, 2 case(s) could not be read or written" in proc.stdout
    assert "zz-broken/case.yaml: now" in proc.stderr and "zz-nan/input.json: not valid JSON" in proc.stderr


# --- streaming ----------------------------------------------------------------------------------


PEAK = """
import resource, sys
from pathlib import Path
from generator.capture.log import open_logs
from generator.capture.replay import replay
from generator.speclang.loader import Loader
loaded = Loader().load(Path(sys.argv[1]))
report = replay(loaded, open_logs([Path(sys.argv[2])]), sys.argv[3], keep=3)
print(report.calls, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


def test_memory_stays_flat_as_the_log_grows(tmp_path, php):
    """The same replay of 8,000 and of 32,000 generated lines (over 100 MB): the peak resident
    memory of the replaying process grows by far less than the log (no timing is asserted).
    (Both sizes keep every worker's chunks in flight: below that the peak is the warm-up's.)"""
    from tests.corpus.capture import capture_lines

    peaks = {}
    for n in (8000, 32000):
        path = tmp_path / f"{n}.jsonl"
        with path.open("w", encoding="utf-8") as handle:
            handle.writelines(capture_lines(n))
        proc = subprocess.run(
            [sys.executable, "-c", PEAK, str(ROOT / "specs" / "example" / "spec.yaml"), str(path), php],
            capture_output=True,
            text=True,
            cwd=ROOT,
            timeout=900,
        )
        assert proc.returncode == 0, proc.stderr
        calls, peak_kb = map(int, proc.stdout.split())
        assert calls == n
        peaks[n] = peak_kb / 1024
    size_mb = (tmp_path / "32000.jsonl").stat().st_size / 1e6
    assert size_mb > 100
    assert peaks[32000] - peaks[8000] < 25, peaks


def test_a_call_that_kills_php_is_pinned_on_its_line_and_the_rest_replay(shadowed):
    """A line whose decoding exhausts PHP's memory kills its worker: the chunk is rerun a line per
    process, that line is reported as a failure with its place, and every other call replays."""
    log, spec = shadowed
    path = log / "need_registration.jsonl"
    lines = path.read_text(encoding="utf-8").splitlines()
    monster = json.loads(lines[0])
    monster["input"]["call_full"]["extra_blob"] = "@@"
    text = json.dumps(monster).replace('"@@"', "[" + ",".join(["[0]"] * 3_000_000) + "]")
    path.write_text("\n".join(lines[:3] + [text] + lines[3:]) + "\n", encoding="utf-8")
    code, data = replay_json(str(spec), str(log))
    assert code == 0, data
    assert data["calls"] == 19 and data["changed"] == 1
    (change,) = data["changes"]
    assert change["where"].endswith("need_registration.jsonl:4")
    assert change["problem"].startswith("PHP died on this call") and "memory" in change["problem"]


def test_entries_already_in_memory_replay_like_the_files(shadowed, php):
    """A caller that read and filtered a small log (the HTML report) passes its entries."""
    from generator.capture import log as capture_log
    from generator.capture.replay import replay
    from generator.speclang.loader import Loader

    log, spec = shadowed
    capture = capture_log.read([log])
    capture.entries = [e for e in capture.entries if e.customization == "need_registration"]
    report = replay(Loader().load(spec), capture, php)
    assert report.calls == 6 and report.changed == 0


def test_a_spec_baseline_counts_the_same_whatever_show_says(shadowed):
    """--show only limits the examples printed: against another spec every call's replies are
    compared, not counted as changed once the examples are full (issue 19)."""
    log, spec = shadowed
    same = spec.parent / "same.yaml"
    same.write_bytes(spec.read_bytes())
    for show in ("0", "1", "5"):
        proc = cli_here("replay", str(spec), str(log), "--baseline", str(same), "--show", show, "--check")
        assert proc.returncode == 0, proc.stdout + proc.stderr
        assert "0 of 18 calls would now get another reply" in proc.stdout, proc.stdout
    insert_rule(spec)  # two calls now skipped by the new first rule
    for show in ("0", "1"):
        proc = cli_here("replay", str(spec), str(log), "--baseline", str(same), "--show", show, "--check")
        assert proc.returncode == 1, proc.stdout + proc.stderr
        assert "2 of 18 calls would now get another reply" in proc.stdout, proc.stdout
        assert "need_registration: default -> registration.rules[0]: 2" in proc.stdout


def test_a_rule_that_names_no_place_of_the_spec_is_a_usage_error(shadowed):
    """--rule bogus matched no call and said "0 of 0 calls", exit 0 even with --check (issue 19):
    now exit 2 in one line, with the spec's rules or the form to choose from."""
    log, spec = shadowed
    for wrong, words in (
        ("bogus", "final_params.rules[0], registration.rules[0..1]"),
        ("registration.rules[7]", "registration.rules[0..1]"),
        ("registration.rules[x]", "a rule such as registration.rules[0]"),
    ):
        proc = cli_here("replay", str(spec), str(log), "--rule", wrong, "--check")
        assert proc.returncode == 2 and "Traceback" not in proc.stderr, proc.stdout + proc.stderr
        assert proc.stdout == "" and len(proc.stderr.strip().splitlines()) == 1, proc.stderr
        assert f"--rule {wrong}" in proc.stderr and words in proc.stderr, proc.stderr
    # A rule only the baseline spec has (the calls it decided before) is a place too.
    before = spec.parent / "before.yaml"
    before.write_bytes(spec.read_bytes())
    spec.write_text(spec.read_text(encoding="utf-8").replace("    - when: {trunk: sip-test}\n      then: skip\n", ""))
    code, data = replay_json(str(spec), str(log), "--baseline", str(before), "--rule", "registration.rules[1]")
    assert code == 0 and data["calls"] == 2 and data["changed"] == 2, data
    for fine in ("default", "registration", "post_registration.webhook"):
        assert replay_json(str(spec), str(log), "--rule", fine)[0] == 0, fine
