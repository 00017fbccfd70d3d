"""The call simulator: scenarios walked through the flow table with each spec's real PHP, the
replies fed forward as the connector would, expectations, the three output formats, `--compare`,
and `test` running scenarios."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from generator.simulate import flow, scenarios_for, simulate
from generator.simulate.expand import CallState, moments
from generator.simulate.scenario import load as load_scenario
from generator.speclang.issues import SpecError
from tests.conftest import ROOT, cli_here, load

CLIENT_SPECS = ("example", "kazakhstan", "belarus")
KINDS = {"transfer": "incoming-transfer", "missed": "incoming-missed", "ivr": "missed-in-ivr", "c2c": "click-to-call"}


def write(tmp_path: Path, text: str, name: str = "call.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def run(spec: str | Path, scenario_text: str, tmp_path: Path, php: str):
    loaded = load(ROOT / "specs" / spec / "spec.yaml" if isinstance(spec, str) else spec)
    item = load_scenario(write(tmp_path, scenario_text))
    return simulate(loaded, [item], php).timelines[0]


@pytest.mark.parametrize("spec", CLIENT_SPECS)
def test_each_client_spec_has_every_kind_of_call_and_all_pass(spec: str, php: str) -> None:
    loaded = load(ROOT / "specs" / spec / "spec.yaml")
    items = scenarios_for(loaded, [])
    names = " ".join(i.scenario.name for i in items)
    for kind, word in KINDS.items():
        assert word in names, f"{spec} has no {kind} scenario"
    assert any(i.scenario.autodistribution for i in items)
    assert any(i.scenario.record and any(r.transfer_from for r in i.scenario.rings) for i in items)
    timelines = simulate(loaded, items, php).timelines
    for timeline in timelines:
        assert timeline.item.scenario.expect is not None
        assert timeline.passed, (timeline.item.label, timeline.failures, timeline.problems)


def test_replies_feed_forward_and_cancel(tmp_path: Path, php: str) -> None:
    """The example spec: client number formatted into the register; the card cancelled on ringing
    (call_card.show_on) and so never hidden; final_params's USER_ID in the finish and the task."""
    timeline = run(
        "example",
        """
name: missed
start: "2026-11-24 20:15:00"
client: "8 (912) 345-67-89"
trunk: {name: toll-free, number: "88007654321"}
rings: [{extension: "102", for: 25}]
""",
        tmp_path,
        php,
    )
    register = timeline.requests("telephony.externalcall.register")
    assert len(register) == 1 and register[0].request is not None
    assert register[0].request["params"]["PHONE_NUMBER"] == "+79123456789"
    assert register[0].request["params"]["CRM_SOURCE"] == "AFTER_HOURS"
    cards = [r for r in timeline.rows if r.customization == "customize_show_call_card"]
    assert cards and all(r.cancelled and r.request is None for r in cards)
    assert not timeline.requests("telephony.externalcall.show")
    assert not timeline.requests("telephony.externalcall.hide")
    finish = timeline.requests("telephony.externalcall.finish")[0].request
    assert finish is not None and finish["params"]["USER_ID"] == 456 and finish["params"]["STATUS_CODE"] == "304"
    task = timeline.requests("tasks.task.add")[0].request
    assert task is not None and task["params"]["fields"]["RESPONSIBLE_ID"] == 456
    # A lead created by the register (unknown caller, CRM_CREATE 1) is what entity updates.
    entity = next(r for r in timeline.rows if r.customization == "customize_entity")
    assert entity.request is not None and entity.request["method"] == "crm.lead.update"


def test_need_registration_false_stops_the_call(tmp_path: Path, php: str) -> None:
    """Extension 100 is on the example's black list: no register, no finish, nothing after."""
    timeline = run(
        "example",
        """
name: black-listed
start: "2026-11-24 11:00:00"
client: "+74951112233"
rings: [{extension: "100", for: 10, answered_at: 3, talk: 20}]
""",
        tmp_path,
        php,
    )
    assert [r.customization for r in timeline.rows] == ["need_registration"] * 4
    assert all(r.request is None for r in timeline.rows)


def test_need_registration_false_at_call_end_means_no_finish(tmp_path: Path, php: str) -> None:
    spec = write(
        tmp_path,
        """
version: 1
name: stop-at-end
timezone: Europe/Moscow
registration:
  rules:
    - when: {stage: call_ended}
      then: skip
""",
        "spec.yaml",
    )
    timeline = run(
        spec,
        """
name: no-finish
start: "2026-11-24 11:00:00"
client: "+74951112233"
rings: [{extension: "102", for: 10}]
expect: {register: true, finish: false, task: false}
""",
        tmp_path,
        php,
    )
    assert timeline.passed, timeline.failures
    last = timeline.rows[-1]
    assert last.customization == "need_registration" and last.cancelled and last.stage == flow.CALL_ENDED


def test_a_failing_expectation_says_what_differs(tmp_path: Path, php: str) -> None:
    timeline = run(
        "kazakhstan",
        """
name: wrong
start: "2026-11-25 23:10:00"
client: "8 (727) 250-12-34"
rings: [{extension: "101", for: 20}]
expect:
  finish: {USER_ID: 45}
  show: ["999"]
""",
        tmp_path,
        php,
    )
    assert not timeline.passed
    text = "\n".join(timeline.failures)
    assert '"USER_ID": 45' in text and '"USER_ID": 900' in text and '["999"]' in text


def test_call_full_evolves_over_the_stages() -> None:
    from zoneinfo import ZoneInfo

    from generator.simulate.scenario import Scenario

    sc = Scenario.model_validate(
        {
            "name": "t",
            "start": "2026-11-24 10:00:00",
            "client": "+74951112233",
            "rings": [
                {"extension": "101", "for": 8},
                {"extension": "102", "at": 0, "for": 20, "answered_at": 8, "talk": 30},
            ],
        }
    )
    state = CallState(sc, ZoneInfo("Asia/Almaty"), 0)
    stages = [(m.stage, m.ring) for m in moments(sc)]
    assert stages[0] == (flow.REQUESTED, 0) and stages[-1] == (flow.CALL_ENDED, None)
    ringing = state.call_full(0, flow.REQUESTED, 1)
    assert ringing["channel"]["state"] == "ringing" and ringing["channel"]["was_answered"] is False
    assert ringing["result"] is None and ringing["registration"] is None
    answered = state.call_full(8, flow.ACCEPTED, 1)
    conv = answered["conversations"][state.uid(1)]["channel"]
    assert conv["answer_time"] == "2026-11-24 10:00:08" and conv["state"] == "up"
    assert answered["conversations"][state.uid(0)]["channel"]["state"] == "processed"  # 101 stopped at 8 s
    state.result = 200
    ended = state.call_full(38, flow.CALL_ENDED, None)
    assert ended["channel"]["end_time"] == "2026-11-24 10:00:38" and ended["result"] == 200
    assert state.talk_seconds() == 30


def test_bad_scenarios_say_where(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """name: bad
start: "2026-11-24 25:00"
client: 87272501234
rings:
  - {extension: "101", at: 0, fro: 20}
expect: {finsh: {USER_ID: 1}}
""",
    )
    with pytest.raises(SpecError) as caught:
        load_scenario(path)
    text = str(caught.value)
    assert f"{path}:2:8: start:" in text
    assert f"{path}:3:9: client:" in text and "quote it" in text
    assert f"{path}:5:31: rings.0.fro: unknown key 'fro'; did you mean 'for'?" in text
    assert "expect.finsh: unknown key 'finsh'; did you mean 'finish'?" in text


def test_transfer_from_must_name_a_ring(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        'name: t\nstart: "2026-11-24 10:00:00"\nclient: "1"\nrings:\n  - {extension: "102", transfer_from: "109"}\n',
    )
    with pytest.raises(SpecError, match=r"call.yaml:5:39: rings.0.transfer_from: '109' is not an extension"):
        load_scenario(path)


def test_simulate_json_format(php: str) -> None:
    done = cli_here(
        "simulate", "specs/example/spec.yaml", "specs/example/scenarios/incoming-missed.yaml", "--format", "json"
    )
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert set(data) == {"timeline"}
    first = data["timeline"][0]
    assert set(first) == {"t", "stage", "customization", "reply", "request", "cancelled"}
    assert first["t"] == "2026-11-24T20:15:00+03:00" and first["reply"] == {"result": True}
    cancelled = [r for r in data["timeline"] if r["cancelled"]]
    assert cancelled and all(r["request"] is None for r in cancelled)


def test_simulate_text_shows_requests_and_cancelling(php: str) -> None:
    done = cli_here("simulate", "specs/example/spec.yaml", "specs/example/scenarios/incoming-missed.yaml")
    assert done.returncode == 0, done.stderr
    assert "-> telephony.externalcall.register" in done.stdout
    assert "-> cancelled by customization" in done.stdout
    assert 'CRM_SOURCE: "AFTER_HOURS"' in done.stdout
    assert "pass: every expectation holds" in done.stdout


@pytest.mark.parametrize("spec", CLIENT_SPECS)
def test_a_simulated_day_replays_with_no_change(spec: str, php: str, tmp_path: Path) -> None:
    """`simulate --format jsonl | replay SPEC -` shows 0 changes; the lines are capture lines
    (fields --probe and cases import read them), with the rule that decided."""
    done = cli_here("simulate", f"specs/{spec}/spec.yaml", "--format", "jsonl")
    assert done.returncode == 0, done.stderr
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    assert lines and all(line["v"] == 1 and line["spec"] == spec for line in lines)
    assert all(line["decided_by"] != "simulated" for line in lines), [
        line["customization"] for line in lines if line["decided_by"] == "simulated"
    ]
    replayed = cli_here("replay", f"specs/{spec}/spec.yaml", "-", "--check", "--format", "json", input=done.stdout)
    assert replayed.returncode == 0, replayed.stdout + replayed.stderr
    report = json.loads(replayed.stdout)
    assert report["calls"] == len(lines) and report["changed"] == 0
    probe = cli_here(
        "fields", "--probe", "-", "--spec", f"specs/{spec}/spec.yaml", "--format", "json", input=done.stdout
    )
    assert probe.returncode in (0, 1) and json.loads(probe.stdout)["keys"]["trunk"]["calls"] > 0


def test_compare_reports_where_a_log_differs_from_the_table(php: str, tmp_path: Path) -> None:
    done = cli_here("simulate", "specs/example/spec.yaml", "--format", "jsonl")
    log = tmp_path / "calls.jsonl"
    log.write_text(done.stdout, encoding="utf-8")
    same = cli_here("simulate", "specs/example/spec.yaml", "--compare", str(log))
    assert same.returncode == 0 and "no difference from the table" in same.stdout
    # A connector that ran customize_activity before the finish (a second earlier) and
    # process_user_phone at call_ended: both reported.
    lines = [json.loads(x) for x in done.stdout.splitlines()]
    call = next(x["input"]["call_full"]["channel"]["id"] for x in lines if "call_full" in x["input"])
    ours = [x for x in lines if x.get("input", {}).get("call_full", {}).get("channel", {}).get("id") == call]
    final = next(x for x in ours if x["customization"] == "process_final_params")
    activity = dict(next(x for x in ours if x["customization"] == "customize_activity"))
    activity["at"] = final["at"].replace(final["at"][17:19], f"{int(final['at'][17:19]) - 1:02d}")
    extra = dict(next(x for x in ours if x["customization"] == "process_user_phone"))
    extra["input"] = dict(extra["input"], call_stage="call_ended")
    log.write_text("".join(json.dumps(x) + "\n" for x in [*lines, activity, extra]), encoding="utf-8")
    differs = cli_here("simulate", "specs/example/spec.yaml", "--compare", str(log), "--format", "json")
    assert differs.returncode == 1
    kinds = {(d["kind"], d["text"]) for d in json.loads(differs.stdout)["differences"]}
    assert ("stage", "process_user_phone ran at call_ended, which the table does not list") in kinds
    assert any(kind == "order" and "customize_activity" in text for kind, text in kinds)


def test_test_command_runs_scenarios_and_shows_the_failing_timeline(tmp_path: Path, php: str) -> None:
    folder = tmp_path / "acme"
    (folder / "scenarios").mkdir(parents=True)
    (folder / "spec.yaml").write_text("version: 1\nname: acme\ntimezone: Europe/Berlin\n", encoding="utf-8")
    (folder / "scenarios" / "ok.yaml").write_text(
        'name: ok\nstart: "2026-11-24 10:00:00"\nclient: "+4930123456"\nrings: [{extension: "20", for: 5}]\n'
        'expect: {finish: {STATUS_CODE: "304"}}\n',
        encoding="utf-8",
    )
    passed = cli_here("test", str(folder / "spec.yaml"))
    assert passed.returncode == 0 and "1 passed, 0 failed" in passed.stdout
    (folder / "scenarios" / "bad.yaml").write_text(
        'name: bad\nstart: "2026-11-24 10:00:00"\nclient: "+4930123456"\nrings: [{extension: "20", for: 5}]\n'
        'expect: {finish: {STATUS_CODE: "200"}}\n',
        encoding="utf-8",
    )
    failed = cli_here("test", str(folder / "spec.yaml"))
    assert failed.returncode == 1
    assert "scenario bad" in failed.stdout and "-> telephony.externalcall.finish" in failed.stdout
    assert 'finish: expected {"STATUS_CODE": "200"}' in failed.stdout
    (folder / "scenarios" / "broken.yaml").write_text("name: broken\nstrat: x\n", encoding="utf-8")
    broken = cli_here("test", str(folder / "spec.yaml"))
    assert broken.returncode == 2 and "did you mean 'start'?" in broken.stderr


def test_a_day_of_many_calls_batches_php_by_round(php: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """1,000 calls take about as many PHP processes as one call has rounds (not one per step):
    the count is the point here, not the time (benchmarks/simulate_day.py times it)."""
    from generator.php import specfiles

    loaded = load(ROOT / "specs" / "example" / "spec.yaml")
    items = scenarios_for(loaded, [])
    day = items * 200
    batches: list[int] = []
    real = specfiles.run

    def counting(cases, php_bin, version="native", timeout=600):  # type: ignore[no-untyped-def]
        batches.append(len(cases))
        return real(cases, php_bin, version, timeout)

    monkeypatch.setattr(specfiles, "run", counting)
    timelines = simulate(loaded, day, php).timelines
    assert len(timelines) == 1000 and all(t.passed for t in timelines)
    assert len(batches) <= 20, batches
    assert sum(batches) >= 1000 * 10


def test_outgoing_call_registers_as_outgoing(tmp_path: Path, php: str) -> None:
    """An employee dials out: the register says TYPE 1 with the dialled number formatted; the
    call_full's channel goes from the extension to the client; unanswered: a task."""
    timeline = run(
        "example",
        """
name: outgoing-unanswered
start: "2026-11-24 12:00:00"
direction: outgoing
client: "8 912 345 67 89"
trunk: {name: sip-moscow, number: "74957654321"}
rings: [{extension: "102", for: 30}]
users: {"102": {id: 7, name: "Anna Petrova"}}
expect: {register: {TYPE: 1, PHONE_NUMBER: "+79123456789", USER_ID: 7}, finish: {STATUS_CODE: "304", USER_ID: 7}}
""",
        tmp_path,
        php,
    )
    assert timeline.passed, timeline.failures
    first = timeline.rows[0].input["call_full"]["channel"]
    assert first["type"] == "outgoing" and first["from"] == {"number": "102"}
    assert first["to"] == {"number": "8 912 345 67 89"}
    assert timeline.requests("tasks.task.add")


def test_cases_import_takes_a_simulated_day(tmp_path: Path, php: str) -> None:
    import shutil

    folder = tmp_path / "kz"
    shutil.copytree(ROOT / "specs" / "kazakhstan", folder, ignore=shutil.ignore_patterns("cases", "golden"))
    day = cli_here("simulate", str(folder / "spec.yaml"), "--format", "jsonl")
    assert day.returncode == 0, day.stderr
    log = tmp_path / "day.jsonl"
    log.write_text(day.stdout, encoding="utf-8")
    imported = cli_here("cases", "import", str(log), "--spec", str(folder / "spec.yaml"))
    assert imported.returncode == 0, imported.stdout + imported.stderr
    names = sorted(p.name for p in (folder / "cases").iterdir())
    assert "process_registration_params-registration_params-rules-0" in names  # OFFICE
    assert "process_registration_params-registration_params-rules-1" in names  # NIGHT
    assert "process_final_params-final_params-rules-1" in names  # the night desk
    tested = cli_here("test", str(folder / "spec.yaml"))
    assert tested.returncode == 0, tested.stdout


def test_report_with_logs_summarises_each_server(tmp_path: Path, php: str) -> None:
    day = cli_here("simulate", "specs/example/spec.yaml", "--format", "jsonl")
    (tmp_path / "logs" / "pbx-almaty").mkdir(parents=True)
    (tmp_path / "logs" / "pbx-almaty" / "calls.jsonl").write_text(day.stdout, encoding="utf-8")
    report = tmp_path / "r.html"
    done = cli_here("report", "specs/example/spec.yaml", "--logs", str(tmp_path / "logs"), "-o", str(report))
    assert done.returncode == 0, done.stdout + done.stderr
    text = report.read_text(encoding="utf-8")
    lines = len(day.stdout.splitlines())
    assert '<article class="server"><h4>pbx-almaty</h4>' in text
    assert f"<p>{lines} captured calls; 0 would now get another reply" in text
    assert "<td><code>trunk</code></td>" in text  # the probe's keys


def test_report_marks_a_failing_scenario_and_exits_1(tmp_path: Path, php: str) -> None:
    folder = tmp_path / "acme"
    (folder / "scenarios").mkdir(parents=True)
    (folder / "spec.yaml").write_text("version: 1\nname: acme\n", encoding="utf-8")
    (folder / "scenarios" / "bad.yaml").write_text(
        'name: bad\nstart: "2026-11-24 10:00:00"\nclient: "+4930123456"\nrings: [{extension: "20", for: 5}]\n'
        "expect: {register: false}\n",
        encoding="utf-8",
    )
    report = tmp_path / "r.html"
    done = cli_here("report", str(folder), "-o", str(report))
    assert done.returncode == 1 and report.is_file()
    text = report.read_text(encoding="utf-8")
    assert 'data-status="fail"' in text and "register: expected none, but it was sent" in text
