"""The command line as a user drives it: exit codes, messages, files written."""

from __future__ import annotations

import json

from generator.cases import load_case
from tests.conftest import ROOT, cli_here

EXAMPLE = ROOT / "specs" / "example" / "spec.yaml"
CASE = ROOT / "specs" / "example" / "cases" / "registration-skips-extension-100"


def test_help_everywhere():
    for command in ("", "validate", "render", "run", "test", "schema", "init", "fields"):
        proc = cli_here(*([command] if command else []), "--help")
        assert proc.returncode == 0, command
        assert "Usage" in proc.stdout


def test_version():
    proc = cli_here("--version")
    assert proc.returncode == 0 and proc.stdout.startswith("itgrix-gen ")


def test_misspelled_key_reported_with_line_and_column(tmp_path):
    spec = tmp_path / "spec.yaml"
    spec.write_text("version: 1\nname: acme\nregistration:\n  defualt: skip\n")
    proc = cli_here("validate", str(spec))
    assert proc.returncode == 2
    assert f"{spec}:4:3: registration.defualt: unknown key 'defualt'; did you mean 'default'?" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_render_writes_fourteen_then_identical(tmp_path):
    proc = cli_here("render", str(EXAMPLE), "-o", str(tmp_path / "o"))
    assert proc.returncode == 0, proc.stderr
    files = sorted((tmp_path / "o").iterdir())
    assert len(files) == 14 and all(f.suffix == ".php" for f in files)
    assert proc.stdout.count("create") == 14
    again = cli_here("render", str(EXAMPLE), "-o", str(tmp_path / "o"))
    assert again.stdout.count("identical") == 14
    assert "Switch on in the connector's admin panel" in again.stdout


def test_default_output_folder_is_out_name(tmp_path):
    spec = tmp_path / "spec.yaml"
    spec.write_text("version: 1\nname: Клиент №1/../x\n")
    proc = cli_here("render", str(spec), cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    folders = list((tmp_path / "out").iterdir())
    assert len(folders) == 1 and folders[0].name == "Клиент-1-..-x"
    assert len(list(folders[0].iterdir())) == 14


def test_check_and_diff(tmp_path):
    out = tmp_path / "o"
    cli_here("render", str(EXAMPLE), "-o", str(out))
    assert cli_here("render", str(EXAMPLE), "-o", str(out), "--check").returncode == 0
    target = out / "need_registration.php"
    target.write_text(target.read_text() + "// hand edit\n")
    (out / "post_registration.php").unlink()
    proc = cli_here("render", str(EXAMPLE), "-o", str(out), "--check")
    assert proc.returncode == 1
    assert "need_registration.php (differs)" in proc.stderr
    assert "post_registration.php (missing)" in proc.stderr
    assert "// hand edit" in target.read_text(), "--check writes nothing"
    diff = cli_here("render", str(EXAMPLE), "-o", str(out), "--diff")
    assert diff.returncode == 0
    assert "-// hand edit" in diff.stdout and "+++ b/" in diff.stdout
    assert not (out / "post_registration.php").exists(), "--diff writes nothing"


def test_check_on_bad_spec_exits_2(tmp_path):
    spec = tmp_path / "spec.yaml"
    spec.write_text("version: 1\nname: x\nphones: {client: {region: ZZ}}\n")
    assert cli_here("render", str(spec), "--check").returncode == 2


def test_render_failure_leaves_previous_output(tmp_path):
    out = tmp_path / "o"
    cli_here("render", str(EXAMPLE), "-o", str(out))
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    spec = tmp_path / "spec.yaml"
    spec.write_text(EXAMPLE.read_text().replace("format: e164", "format: e165"))
    proc = cli_here("render", str(spec), "-o", str(out))
    assert proc.returncode == 2
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert not [p for p in out.iterdir() if p.name.endswith(".tmp")]


def test_run_prints_connector_reply():
    proc = cli_here("run", str(EXAMPLE), "--case", str(CASE))
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout) == {"state": "success", "data": {"result": False}}
    expanded = cli_here("run", str(EXAMPLE), "need_registration", "--input", "-", input=load_case(CASE).input_json)
    assert expanded.returncode == 0 and expanded.stdout == proc.stdout


def test_run_reads_stdin_and_pins_clock():
    body = {
        "CRM_SOURCE": "",
        "TYPE": 2,
        "call_full": {"channel": {"type": "incoming"}},
        "call_stage": "conversation_requested",
    }
    late = cli_here(
        "run", str(EXAMPLE), "process_registration_params", "--now", "2026-11-24T23:00:00+03:00", input=json.dumps(body)
    )
    day = cli_here(
        "run", str(EXAMPLE), "process_registration_params", "--now", "2026-11-24T12:00:00+03:00", input=json.dumps(body)
    )
    assert json.loads(late.stdout)["data"]["CRM_SOURCE"] == "AFTER_HOURS"
    assert json.loads(day.stdout)["data"]["CRM_SOURCE"] == "CALL"


def test_run_errors(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    proc = cli_here("run", str(EXAMPLE), "need_registration", "--input", str(bad))
    assert proc.returncode == 2 and "not valid JSON" in proc.stderr
    proc = cli_here("run", str(EXAMPLE), "no_such_thing", "--input", str(CASE))
    assert proc.returncode == 2 and "unknown customization" in proc.stderr
    proc = cli_here("run", str(EXAMPLE), "need_registration", "--input", str(tmp_path / "missing.json"))
    assert proc.returncode == 2 and "cannot read" in proc.stderr


def test_run_reports_bad_input_on_stderr_and_answers_passthrough():
    proc = cli_here("run", str(EXAMPLE), "process_final_params", input='"just a string"')
    assert proc.returncode == 0
    assert json.loads(proc.stdout) == {"state": "success", "data": {}}
    assert "not a JSON object" in proc.stderr


def test_run_exits_1_on_php_warning(tmp_path, monkeypatch):
    """A file that raises a PHP warning makes `run` exit 1 (the harness catches it)."""
    from generator.php.runner import Case, run_batch

    bad = tmp_path / "warn.php"
    bad.write_text("<?php $a = array(); return array('state' => 'success', 'data' => $a['missing']);")
    result = run_batch([Case(str(bad), "{}")])[0]
    assert not result.clean and any("Undefined" in e or "undefined" in e for e in result.errors)
    loud = tmp_path / "loud.php"
    loud.write_text("<?php echo 'hi'; return array('state' => 'success');")
    result = run_batch([Case(str(loud), "{}")])[0]
    assert result.output == "hi" and not result.clean


def test_a_reply_json_cannot_hold_says_why(tmp_path):
    """New-user check: a clicked number 1e400 (PHP decodes it as INF, which the pass-through hands
    back) made `run` say "json_encode failed (invalid UTF-8?)": it says json_encode's own reason."""
    from generator.php.runner import Case, run_batch

    inf = tmp_path / "inf.php"
    inf.write_text("<?php return array('state' => 'success', 'data' => array('extension' => $params['e']));")
    result = run_batch([Case(str(inf), '{"e": 1e400}')])[0]
    assert not result.clean and any("Inf and NaN" in e for e in result.errors), result.errors


def test_test_command_and_update(tmp_path):
    import shutil

    shutil.copytree(ROOT / "specs" / "docs-whitelist", tmp_path / "w")
    proc = cli_here("test", str(tmp_path / "w"))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "2 passed, 0 failed" in proc.stdout
    expected = tmp_path / "w" / "cases" / "whitelist-300-ignored" / "expected.json"
    expected.write_text('{"state": "success", "data": {"result": true}}')
    proc = cli_here("test", str(tmp_path / "w"))
    assert proc.returncode == 1 and "1 passed, 1 failed" in proc.stdout and '"result": false' in proc.stdout
    proc = cli_here("test", str(tmp_path / "w"), "--update")
    assert proc.returncode == 0
    assert json.loads(expected.read_text())["data"]["result"] is False


def test_test_command_on_a_spec_with_nothing_to_test_fails(tmp_path):
    """A misplaced cases/ folder must not pass CI as "0 passed, 0 failed"; the other spec still runs."""
    import shutil

    shutil.copytree(ROOT / "specs" / "docs-whitelist", tmp_path / "w")
    (tmp_path / "bare").mkdir()
    shutil.copy(ROOT / "specs" / "docs-whitelist" / "spec.yaml", tmp_path / "bare" / "spec.yaml")
    proc = cli_here("test", str(tmp_path / "bare"))
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "nothing was tested" in proc.stderr and "┏" not in proc.stdout  # no empty table
    proc = cli_here("test", str(tmp_path / "w"), str(tmp_path / "bare"))
    assert proc.returncode == 1 and "2 passed, 0 failed, 1 spec(s) with nothing to test" in proc.stdout


def test_init_then_render_and_test(tmp_path):
    proc = cli_here("init", str(tmp_path / "client"))
    assert proc.returncode == 0, proc.stderr
    assert cli_here("init", str(tmp_path / "client")).returncode == 2, "never overwrites without --force"
    assert cli_here("validate", str(tmp_path / "client" / "spec.yaml")).returncode == 0
    proc = cli_here("test", str(tmp_path / "client"))
    assert proc.returncode == 0 and "1 passed, 0 failed" in proc.stdout
    assert cli_here("render", str(tmp_path / "client" / "spec.yaml"), cwd=tmp_path).returncode == 0


def test_schema_is_json_schema():
    proc = cli_here("schema")
    data = json.loads(proc.stdout)
    assert data["type"] == "object" and "registration" in data["properties"]
    assert data["additionalProperties"] is False
    import jsonschema

    jsonschema.Draft202012Validator.check_schema(data)
    validator = jsonschema.Draft202012Validator(data)
    from ruamel.yaml import YAML

    for spec in sorted((ROOT / "specs").rglob("*.yaml")):
        doc = YAML(typ="safe").load(spec.read_text(encoding="utf-8"))
        if isinstance(doc, dict) and "version" in doc:
            assert not list(validator.iter_errors(doc)), spec  # editors accept every real spec
    assert list(validator.iter_errors({"version": 1, "name": "x", "registation": {}}))
    # The second round's keys are there for editors too.
    assert {"calendar", "schedules", "timezone"} <= set(data["properties"])
    text = json.dumps(data)
    for key in ("number_type", "duration", '"not"', '"any"', "workdays", "invalid", '"json"'):
        assert key in text, key
    assert {"client_phone.raw", "start_time", "answer_time", "end_time"} <= set(data["x-placeholders"])


def test_many_specs_one_bad_does_not_stop_others(tmp_path):
    good = tmp_path / "a" / "spec.yaml"
    good.parent.mkdir()
    good.write_text("version: 1\nname: a\n")
    bad = tmp_path / "b" / "spec.yaml"
    bad.parent.mkdir()
    bad.write_text("version: 1\nname: b\nbogus: 1\n")
    proc = cli_here("validate", str(tmp_path))
    assert proc.returncode == 2
    assert "1 valid, 1 invalid" in proc.stderr
    proc = cli_here("render", str(tmp_path / "*" / "spec.yaml"), "-o", str(tmp_path / "out"))
    assert proc.returncode == 2
    assert len(list((tmp_path / "out" / "a").iterdir())) == 14


def test_no_traceback_on_internal_error(tmp_path):
    proc = cli_here("validate", str(tmp_path / "nope.yaml"))
    assert proc.returncode == 2 and "no such file" in proc.stderr and "Traceback" not in proc.stderr


def test_readme_field_table_is_current():
    proc = cli_here("fields")
    assert proc.stdout.strip() in (ROOT / "README.md").read_text(encoding="utf-8")


def test_readme_commands_exist():
    import re

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for command in set(re.findall(r"(?:`|bin/|\$ )itgrix-gen ([a-z]+)", readme)):
        assert cli_here(command, "--help").returncode == 0, command


def test_run_never_reaches_the_network_unless_asked(tmp_path):
    # Issue 17: trying a case on the laptop posted test data to the client's live URL.  `run` uses
    # the stub transport of `test` and prints what would have been sent; --live-network opts in.
    import http.server
    import threading

    received: list[bytes] = []

    class Hook(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            received.append(self.rfile.read(int(self.headers.get("Content-Length") or 0)))
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Hook)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        spec = tmp_path / "spec.yaml"
        spec.write_text(
            "version: 1\nname: hook\ntimezone: Europe/Moscow\npost_registration:\n  webhook:\n"
            f"    url: 'http://127.0.0.1:{server.server_address[1]}/hook?phone={{client_phone}}'\n"
            "    timeout_s: 10\n    headers: {X-Token: 'секрет-1', X-Entity: '{entity.name}'}\n",
            encoding="utf-8",
        )
        call = {"call_stage": "call_ended", "call_full": {"entity": {"type": "lead", "id": 7, "name": "ТОО Алма"}}}
        dry = cli_here("run", str(spec), "post_registration", "--input", "-", input=json.dumps(call))
        assert dry.returncode == 0, dry.stderr
        assert received == []
        assert "would send (not sent: --live-network sends it): POST http://127.0.0.1:" in dry.stderr
        assert "ТОО Алма" in dry.stderr
        # The headers too, each on a line of its own under the request (they were left out).
        assert "\n    X-Token: секрет-1\n    X-Entity: ТОО Алма\n" in dry.stderr, dry.stderr
        live = cli_here("run", str(spec), "post_registration", "--input", "-", "--live-network", input=json.dumps(call))
        assert live.returncode == 0, live.stderr
        assert len(received) == 1 and "ТОО Алма" in received[0].decode("utf-8")
        assert "would send" not in live.stderr
    finally:
        server.shutdown()
