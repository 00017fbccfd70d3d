"""Real calls first (issue 13): capture and shadow in the generated files, run the way the
connector runs them (a fresh `php` process per call, many at once), and the commands that read
the capture logs: replay, cases import and fields --probe."""

from __future__ import annotations

import copy
import json
import os
import stat
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.conftest import ROOT, cli, cli_here, load_text, render_to

BASE_CALL = json.loads((ROOT / "specs" / "example" / "calls" / "incoming.json").read_text(encoding="utf-8"))

# What the connector does with an action file: $params in, the returned array out (as JSON here).
CONNECTOR = """<?php
$params = json_decode(file_get_contents($argv[2]), true);
$reply = include $argv[1];
echo json_encode($reply);
"""


def spec_text(log: Path, extra: str = "") -> str:
    return (
        "version: 1\nname: live\ntimezone: Europe/Moscow\n"
        f"capture: {{dir: {json.dumps(str(log))}}}\n"
        "registration:\n  rules:\n"
        "    - when: {extension: ['100']}\n      then: skip\n"
        "    - when: {trunk: sip-test}\n      then: skip\n"
        "final_params:\n  rules:\n    - when: {trunk: sip-moscow}\n      set: {USER_ID: 9}\n" + extra
    )


def call_with(trunk: str, number: str = "+74951234567") -> dict:
    call = copy.deepcopy(BASE_CALL)
    for channel in [call["call_full"]["channel"]] + [c["channel"] for c in call["call_full"]["conversations"].values()]:
        channel["trunk"]["name"] = trunk
        channel["from"]["number"] = number
    return call


class Connector:
    """Runs generated files as the connector does: one fresh php process per call."""

    def __init__(self, php: str, folder: Path):
        self.php = php
        self.script = folder / "connector.php"
        self.script.write_text(CONNECTOR, encoding="utf-8")
        self.folder = folder
        self.n = 0

    def call(self, file: Path, params: object) -> tuple[object, str]:
        self.n += 1
        data = self.folder / f"call-{os.getpid()}-{self.n}-{time.monotonic_ns()}.json"
        data.write_text(json.dumps(params), encoding="utf-8")
        proc = subprocess.run(
            [self.php, "-n", str(self.script), str(file), str(data)], capture_output=True, text=True, timeout=60
        )
        assert proc.returncode == 0, proc.stderr
        return json.loads(proc.stdout), proc.stderr


def lines_of(log: Path, name: str) -> list[dict]:
    return [json.loads(line) for line in (log / f"{name}.jsonl").read_text(encoding="utf-8").splitlines()]


@pytest.fixture
def live(tmp_path, php):
    log = tmp_path / "log"
    loaded = load_text(tmp_path, spec_text(log))
    files = render_to(loaded, tmp_path / "actions")
    return log, files, Connector(php, tmp_path), tmp_path


def test_each_call_is_one_line_with_the_deciding_rule(live):
    log, files, connector, _ = live
    reply, _err = connector.call(files["need_registration"], call_with("sip-test"))
    assert reply == {"state": "success", "data": {"result": False}}
    connector.call(files["need_registration"], call_with("sip-moscow"))
    connector.call(files["need_registration"], "not an object")
    first, second, third = lines_of(log, "need_registration")
    assert first["v"] == 1 and first["customization"] == "need_registration" and first["spec"] == "live"
    assert first["decided_by"] == "registration.rules[1]"
    assert first["input"] == call_with("sip-test") and first["reply"] == reply
    assert first["at"].endswith("+03:00")  # the spec's zone
    assert "would_reply" not in first
    assert second["decided_by"] == "default" and third["decided_by"] == "fallback"
    # A pass-through file (no section) logs too: capture is every call each file sees.
    connector.call(files["customize_entity"], call_with("x"))
    assert lines_of(log, "customize_entity")[0]["decided_by"] == "default"


def test_folder_0700_files_0600_whatever_the_umask(live):
    log, files, connector, _ = live
    old = os.umask(0)
    try:
        connector.call(files["need_registration"], call_with("sip-moscow"))
    finally:
        os.umask(old)
    assert stat.S_IMODE(log.stat().st_mode) == 0o700
    for path in log.iterdir():
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path


def test_sixteen_processes_at_once_never_tear_a_line(live):
    log, files, connector, _ = live
    calls = [call_with(["sip-moscow", "sip-test", "sip-spb"][i % 3], f"+7495{1000000 + i}") for i in range(96)]
    with ThreadPoolExecutor(max_workers=16) as pool:
        replies = list(pool.map(lambda c: connector.call(files["need_registration"], c)[0], calls))
    assert all(r["state"] == "success" for r in replies)
    entries = lines_of(log, "need_registration")  # every line parses
    assert len(entries) == len(calls)
    assert sorted(e["input"]["call_full"]["channel"]["from"]["number"] for e in entries) == sorted(
        c["call_full"]["channel"]["from"]["number"] for c in calls
    )


def test_rotation_keeps_keep_files_of_whole_lines(tmp_path, php):
    log = tmp_path / "log"
    text = spec_text(log).replace(
        f"capture: {{dir: {json.dumps(str(log))}}}", f"capture: {{dir: {json.dumps(str(log))}, max_mb: 0.005, keep: 2}}"
    )
    files = render_to(load_text(tmp_path, text), tmp_path / "actions")
    connector = Connector(php, tmp_path)
    calls = [call_with("sip-moscow", f"+7495{2000000 + i}") for i in range(24)]
    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(lambda c: connector.call(files["need_registration"], c), calls))
    names = sorted(p.name for p in log.iterdir() if p.name != ".lock")
    assert names == ["need_registration.jsonl", "need_registration.jsonl.1", "need_registration.jsonl.2"]
    for name in names:
        content = (log / name).read_text(encoding="utf-8")
        assert content.endswith("\n") and len(content.encode()) <= 0.005 * 1024 * 1024 + 3000
        for line in content.splitlines():
            json.loads(line)


@pytest.mark.parametrize("where", ["a-file", "no-permission"])
def test_a_log_that_cannot_be_written_never_breaks_or_delays_the_call(tmp_path, php, where):
    if where == "no-permission" and os.geteuid() == 0:
        blocked = tmp_path / "blocked"
        blocked.write_text("x")  # root passes permission checks: a file in the way instead
        log = blocked / "log"
    elif where == "no-permission":
        locked = tmp_path / "locked"
        locked.mkdir(mode=0o500)
        log = locked / "log"
    else:
        log = tmp_path / "file"
        log.write_text("not a folder")
    files = render_to(load_text(tmp_path, spec_text(log)), tmp_path / "actions")
    connector = Connector(php, tmp_path)
    started = time.monotonic()
    reply, stderr = connector.call(files["need_registration"], call_with("sip-test"))
    assert time.monotonic() - started < 30  # a hang guard: an unwritable log never holds the call
    assert reply == {"state": "success", "data": {"result": False}}
    lines = [line for line in stderr.splitlines() if "capture" in line]
    assert len(lines) == 1 and "cannot write" in lines[0], stderr


def test_shadow_answers_as_the_pass_through_and_logs_the_decision(tmp_path, php):
    log = tmp_path / "log"
    files = render_to(load_text(tmp_path, spec_text(log) + "shadow: true\n"), tmp_path / "actions")
    connector = Connector(php, tmp_path)
    reply, _ = connector.call(files["need_registration"], call_with("sip-test"))
    assert reply == {"state": "success", "data": {"result": True}}  # the pass-through: registered
    entry = lines_of(log, "need_registration")[0]
    assert entry["reply"] == reply
    assert entry["would_reply"] == {"state": "success", "data": {"result": False}}
    assert entry["decided_by"] == "registration.rules[1]"


def test_shadow_in_one_section_only(tmp_path, php):
    log = tmp_path / "log"
    text = spec_text(log).replace("final_params:\n  rules:", "final_params:\n  shadow: true\n  rules:")
    files = render_to(load_text(tmp_path, text), tmp_path / "actions")
    connector = Connector(php, tmp_path)
    params = {"STATUS_CODE": "200", "USER_ID": 3, "call_full": call_with("sip-moscow")["call_full"]}
    reply, _ = connector.call(files["process_final_params"], params)
    assert reply["data"] == {"STATUS_CODE": "200", "USER_ID": 3}
    assert lines_of(log, "process_final_params")[0]["would_reply"]["data"]["USER_ID"] == 9
    reply, _ = connector.call(files["need_registration"], call_with("sip-test"))
    assert reply["data"] == {"result": False}  # this section acts
    assert "would_reply" not in lines_of(log, "need_registration")[0]


def test_shadow_sends_no_webhook_and_converts_nothing(tmp_path):
    from generator.pipeline import render
    from tests.conftest import load_text as lt

    text = (
        "version: 1\nname: s\nshadow: true\ncapture: {dir: /tmp/x}\n"
        "post_registration:\n  webhook: {url: 'https://hooks.example.com/x'}\n"
        "record:\n  convert: {command: 'lame {src} {dst}', extension: mp3}\n"
    )
    files = render(lt(tmp_path, text))
    assert "_webhook(" not in files["post_registration.php"] and "shadow: not sent" in files["post_registration.php"]
    assert "_convert_recording(" not in files["process_record_file_path.php"]


def test_redaction_is_the_same_in_php_and_in_python(tmp_path, php):
    from generator.capture.redact import redact, redact_key

    log = tmp_path / "log"
    text = spec_text(log).replace(f"{json.dumps(str(log))}}}", f"{json.dumps(str(log))}, redact: true}}")
    files = render_to(load_text(tmp_path, text), tmp_path / "actions")
    connector = Connector(php, tmp_path)
    call = call_with("sip-moscow", "8 (495) 123-45-67")
    call["call_full"]["entity"] = {"name": "Иванов Иван", "type": "contact", "id": 5, "phone": "+74951234567"}
    call["PHONE_NUMBER"] = "+74951234567"
    call["note"] = "call back +7 912 345-67-89 at 2026-11-24 10:00:00, id 1732443000.1001"
    connector.call(files["need_registration"], call)
    entry = lines_of(log, "need_registration")[0]
    assert entry["input"] == redact(call, redact_key("live"))
    got = entry["input"]
    assert got["call_full"]["entity"]["name"].startswith("anon-")
    assert got["call_full"]["conversations"]["1732443000.1001"]["user"]["name"].startswith("anon-")
    # The same number, however written, keeps its prefix and gets the same last seven digits.
    assert got["PHONE_NUMBER"][:5] == "+7495" and got["PHONE_NUMBER"] != "+74951234567"
    assert got["PHONE_NUMBER"][-7:] == got["call_full"]["entity"]["phone"][-7:]
    assert got["call_full"]["channel"]["from"]["number"].startswith("8 (495) ")
    assert got["note"].endswith("at 2026-11-24 10:00:00, id 1732443000.1001")  # dates and ids stay
    assert "912" in got["note"] and "345-67-89" not in got["note"]
    assert got["call_full"]["channel"]["trunk"] == call["call_full"]["channel"]["trunk"]  # company data


def test_a_key_no_path_provides_is_said_on_stderr(tmp_path, php):
    files = render_to(load_text(tmp_path, spec_text(tmp_path / "log")), tmp_path / "actions")
    call = call_with("sip-moscow")
    del call["call_full"]["channel"]["trunk"]
    for conversation in call["call_full"]["conversations"].values():
        del conversation["channel"]["trunk"]
    _reply, stderr = Connector(php, tmp_path).call(files["need_registration"], call)
    said = [line for line in stderr.splitlines() if "no value for 'trunk'" in line]
    assert len(said) == 1 and "call_full.channel.trunk" in said[0], stderr


def test_fields_override_acts_at_call_time_and_shows_in_the_table(tmp_path, php):
    text = (
        "version: 1\nname: o\nfields:\n  trunk: [call_full.channel.trunk.title]\n"
        "registration:\n  rules:\n    - when: {trunk: sip-title}\n      then: skip\n"
    )
    files = render_to(load_text(tmp_path, text), tmp_path / "actions")
    call = call_with("sip-moscow")
    call["call_full"]["channel"]["trunk"]["title"] = "sip-title"
    reply, _ = Connector(php, tmp_path).call(files["need_registration"], call)
    assert reply["data"] == {"result": False}
    # The table's own paths stay, after the override: the same file works on a server that keeps
    # the trunk in `number`.
    reply, _ = Connector(php, tmp_path).call(files["need_registration"], call_with("sip-title"))
    assert reply["data"] == {"result": False}
    reply, _ = Connector(php, tmp_path).call(files["need_registration"], call_with("sip-other"))
    assert reply["data"] == {"result": True}
    shown = cli_here("fields", "--spec", str(tmp_path / "spec.yaml"))
    row = next(line for line in shown.stdout.splitlines() if line.startswith("| `trunk`"))
    assert shown.returncode == 0 and row.index("`call_full.channel.trunk.title` (the spec's `fields:`)") < row.index(
        "`call_full.channel.trunk → any of"
    ), row


def test_fields_override_with_replace_reads_only_its_paths(tmp_path, php):
    text = (
        "version: 1\nname: o\nfields:\n  trunk: {replace: [call_full.channel.trunk.title]}\n"
        "registration:\n  rules:\n    - when: {trunk: sip-title}\n      then: skip\n"
    )
    files = render_to(load_text(tmp_path, text), tmp_path / "actions")
    call = call_with("sip-moscow")
    call["call_full"]["channel"]["trunk"]["title"] = "sip-title"
    reply, _ = Connector(php, tmp_path).call(files["need_registration"], call)
    assert reply["data"] == {"result": False}
    reply, _ = Connector(php, tmp_path).call(files["need_registration"], call_with("sip-title"))
    assert reply["data"] == {"result": True}  # `number` is no longer read
    shown = cli_here("fields", "--spec", str(tmp_path / "spec.yaml"))
    row = next(line for line in shown.stdout.splitlines() if line.startswith("| `trunk`"))
    assert "replacing the table's" in row and "trunk → any of" not in row, row


@pytest.mark.parametrize(
    "fields,message",
    [
        ("{trunks: [a.b]}", "'trunks' is not a key of the field table (did you mean 'trunk'?)"),
        ("{trunk: ['a..b']}", "is not a path"),
        ("{trunk: []}", "give at least one path"),
        ("{trunk: {replce: [a.b]}}", "or {replace: [paths]}"),
        ("{trunk: {replace: []}}", "give at least one path"),
    ],
)
def test_fields_override_errors(tmp_path, fields, message):
    (tmp_path / "spec.yaml").write_text(f"version: 1\nname: o\nfields: {fields}\n", encoding="utf-8")
    proc = cli_here("validate", str(tmp_path / "spec.yaml"))
    assert proc.returncode == 2 and message in proc.stderr, proc.stderr


# --- the commands --------------------------------------------------------------------------


@pytest.fixture
def captured(live):
    """A log of real-like calls: 12 calls to each of two files."""
    log, files, connector, folder = live
    calls = [call_with(["sip-moscow", "sip-test", "sip-spb"][i % 3], f"+7495{3000000 + i}") for i in range(12)]
    final = [{"STATUS_CODE": "200", "USER_ID": 3, "call_full": c["call_full"]} for c in calls]
    # One call at a time: on a busy machine a call may find the log's lock held past the 0.2 s it
    # waits (it is then answered but not captured), and the tests below count lines.
    for call in calls:
        connector.call(files["need_registration"], call)
    for params in final:
        connector.call(files["process_final_params"], params)
    return log, folder / "spec.yaml"


def test_replay_of_the_same_spec_changes_nothing(captured):
    log, spec = captured
    proc = cli_here("replay", str(spec), str(log), "--check", "--format", "json")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    data = json.loads(proc.stdout)
    assert data["calls"] == 24 and data["changed"] == 0 and data["changes"] == []
    assert data["by_customization"] == {
        "need_registration": {"calls": 12, "changed": 0},
        "process_final_params": {"calls": 12, "changed": 0},
    }


def test_replay_counts_what_a_change_of_spec_changes(captured):
    log, spec = captured
    spec.write_text(spec.read_text().replace("{trunk: sip-test}", "{trunk: [sip-test, sip-spb]}"), encoding="utf-8")
    proc = cli_here("replay", str(spec), str(log), "--format", "json")
    assert proc.returncode == 0  # without --check a difference is a report, not a failure
    data = json.loads(proc.stdout)
    assert data["changed"] == 4 and data["by_customization"]["need_registration"]["changed"] == 4
    change = data["changes"][0]
    assert change["captured"]["data"] == {"result": True} and change["now"]["data"] == {"result": False}
    assert change["decided_by"] == "default" and change["where"].startswith(str(log))
    text = cli_here("replay", str(spec), str(log), "--check", "--show", "1")
    assert text.returncode == 1
    assert "4 of 24 calls would now get another reply" in text.stdout
    assert '-    "result": true' in text.stdout and "... and 3 more" in text.stdout


def test_bad_captures_are_skipped_and_counted(captured):
    log, spec = captured
    with (log / "need_registration.jsonl").open("a", encoding="utf-8") as handle:
        handle.write("{not json\n")
        handle.write(json.dumps({"v": 2, "customization": "need_registration"}) + "\n")
        handle.write(
            json.dumps({"v": 1, "customization": "bogus", "at": "x", "spec": "s", "decided_by": "d", "input": {}})
            + "\n"
        )
        handle.write("[1, 2]\n")
        handle.write('{"v": 1, "customization": "need_registr')  # torn: no newline
    (log / "stray.jsonl").write_bytes(b"\xff\xfe\x00garbage\n")
    proc = cli_here("replay", str(spec), str(log), "--format", "json")
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert data["calls"] == 24
    assert data["skipped"] == {
        "lines that are not JSON": 2,
        "lines of another format version": 1,
        "lines of unknown customizations": 1,
        "lines that are not JSON objects": 1,
        "torn lines": 1,
    }
    assert "skipped:" in proc.stderr


def test_replay_usage_errors(captured, tmp_path):
    log, spec = captured
    assert cli_here("replay", str(spec), str(tmp_path / "missing.jsonl")).returncode == 2
    assert cli_here("replay", str(spec)).returncode == 2
    assert cli_here("replay", str(spec), str(log), "--format", "xml").returncode == 2


def test_cases_import_one_case_per_decision_twice_adds_nothing(captured, php):
    log, spec = captured
    first = cli_here("cases", "import", str(log), "--spec", str(spec))
    assert first.returncode == 0, first.stdout + first.stderr
    names = sorted(p.name for p in (spec.parent / "cases").iterdir())
    assert names == [
        "need_registration-default",
        "need_registration-registration-rules-1",
        "process_final_params-default",
        "process_final_params-final_params-rules-0",
    ]
    case = spec.parent / "cases" / "need_registration-registration-rules-1"
    assert json.loads((case / "expected.json").read_text()) == {"state": "success", "data": {"result": False}}
    assert "decided by registration.rules[1]" in (case / "case.yaml").read_text()
    again = cli_here("cases", "import", str(log), "--spec", str(spec))
    assert again.returncode == 0 and "0 new case(s); 4 of 4 deciding rule(s) already had one" in again.stdout
    assert sorted(p.name for p in (spec.parent / "cases").iterdir()) == names
    tested = cli_here("test", str(spec))
    assert tested.returncode == 0 and "4 passed, 0 failed" in tested.stdout


def test_cases_import_limit_and_redact(captured):
    from generator.capture.redact import redact, redact_key

    log, spec = captured
    proc = cli_here("cases", "import", str(log), "--spec", str(spec), "--limit", "1", "--redact")
    assert proc.returncode == 0 and "1 new case(s)" in proc.stdout
    (case,) = (spec.parent / "cases").iterdir()
    captured_input = json.loads((log / "need_registration.jsonl").read_text().splitlines()[0])["input"]
    assert json.loads((case / "input.json").read_text()) == redact(captured_input, redact_key("live"))
    assert cli_here("test", str(spec)).returncode == 0


def test_fields_probe_counts_paths_and_suggests_an_override(captured, tmp_path):
    log, spec = captured
    proc = cli_here("fields", "--probe", str(log), "--spec", str(spec), "--format", "json")
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert data["keys"]["trunk"] == {
        "calls": 24,
        "resolved": 24,
        "sources": {
            "call_full.channel.trunk -> number/name/id": 24,
            "call_full.conversations.*.channel.trunk -> number/name/id": 24,
        },
    }
    assert "call_full.channel.extra.dial_status" in data["unread_paths"]
    # This client's connector names the trunk elsewhere: the spec's key finds nothing -> exit 1.
    moved = tmp_path / "moved"
    moved.mkdir()
    with (moved / "need_registration.jsonl").open("w", encoding="utf-8") as handle:
        for line in (log / "need_registration.jsonl").read_text().splitlines():
            entry = json.loads(line)
            for channel in [entry["input"]["call_full"]["channel"]] + [
                c["channel"] for c in entry["input"]["call_full"]["conversations"].values()
            ]:
                channel["route"] = {"trunk_title": channel.pop("trunk")["name"]}
            handle.write(json.dumps(entry) + "\n")
    proc = cli_here("fields", "--probe", str(moved), "--spec", str(spec))
    assert proc.returncode == 1 and "the spec reads trunk, which no call of moved provided (12 calls)" in proc.stderr
    assert "fields:\n    trunk: [call_full.channel.route.trunk_title" in proc.stdout


def test_fields_usage_errors(captured):
    log, _spec = captured
    assert cli_here("fields", str(log)).returncode == 2  # logs need --probe
    assert cli_here("fields", "--probe").returncode == 2  # --probe needs logs


def test_the_installed_command_runs_the_whole_loop(captured):
    """The console script, as a user runs it (one real process per command)."""
    log, spec = captured
    for args in (("replay", str(spec), str(log), "--check"), ("cases", "import", str(log), "--spec", str(spec))):
        proc = cli(*args)
        assert proc.returncode == 0 and "Traceback" not in proc.stderr, proc.stderr


def test_explain_says_what_capture_shadow_and_fields_do(tmp_path):
    text = spec_text(tmp_path / "log") + "shadow: true\nfields:\n  trunk: [call_full.channel.trunk.title]\n"
    (tmp_path / "spec.yaml").write_text(text, encoding="utf-8")
    proc = cli_here("explain", str(tmp_path / "spec.yaml"))
    assert proc.returncode == 0
    assert "**Shadow mode:**" in proc.stdout and "## Call log" in proc.stdout
    assert "`trunk` is read from `call_full.channel.trunk.title`" in proc.stdout


def test_schema_has_the_real_call_keys():
    data = json.loads(cli_here("schema").stdout)
    assert {"capture", "shadow", "fields"} <= set(data["properties"])
    assert "shadow" in data["$defs"]["ParamsSection"]["properties"]
