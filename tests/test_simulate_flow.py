"""The flow table follows docs/connector/call-flow.md (click-to-call's up/cp before the originate,
the record's link-or-file, tasks for missed incoming and unanswered outgoing calls), the timeline
names the client's leg, and the README's example scenario passes as written."""

from __future__ import annotations

import re
from pathlib import Path

from generator.simulate import flow, simulate
from generator.simulate.scenario import load as load_scenario
from tests.conftest import ROOT, load

C2C = """
name: click-to-call
start: "2026-11-26 15:20:00"
direction: click-to-call
client: "8 701 234 5678"
trunk: {name: kaztelecom, number: "77272500000"}
rings: [{extension: "102", at: 0, for: 30, answered_at: 9, talk: 75}]
users: {"102": {id: 12, name: "Ерлан Сапаров"}}
"""

OUTGOING = """
name: outgoing
start: "2026-11-24 12:00:00"
direction: outgoing
client: "8 912 345 67 89"
trunk: {name: sip-moscow, number: "74957654321"}
rings: [{extension: "201", for: 30, answered_at: 5, talk: 60}]
"""


def run(spec: str, text: str, tmp_path: Path, php: str):
    path = tmp_path / "call.yaml"
    path.write_text(text, encoding="utf-8")
    return simulate(load(ROOT / "specs" / spec / "spec.yaml"), [load_scenario(path)], php).timelines[0]


def test_click_to_call_runs_user_and_client_phone_before_the_originate(tmp_path: Path, php: str) -> None:
    """call-flow.md: "Bitrix24's event → up/cp → process_originate_params" [inf]."""
    timeline = run("kazakhstan", C2C, tmp_path, php)
    first = [(r.stage, r.customization) for r in timeline.rows[:3]]
    assert first == [
        (flow.ORIGINATE, "process_user_phone"),
        (flow.ORIGINATE, "process_client_phone"),
        (flow.ORIGINATE, "process_originate_params"),
    ]
    assert timeline.rows[0].input == {"phone": "102"}
    assert timeline.rows[1].input == {"phone": "8 701 234 5678"}
    assert not timeline.problems
    basis = {s.customization: s.basis for s in flow.steps(flow.ORIGINATE)}
    assert basis["process_user_phone"] == basis["process_client_phone"] == "inf"
    assert all(s.basis != "silent" for s in flow.FLOW)


def test_the_timeline_names_the_clients_leg(tmp_path: Path, php: str) -> None:
    c2c = [e.text for e in run("kazakhstan", C2C, tmp_path, php).events]
    assert "the client answers (102 talks)" in c2c and "102 answers" not in c2c
    out = [e.text for e in run("example", OUTGOING, tmp_path, php).events]
    assert "201 calls 8 912 345 67 89; the client's phone rings" in out
    assert "the client answers (201 talks)" in out
    assert "201 rings" not in out and "201 answers" not in out


def test_the_record_is_a_link_or_a_file_as_the_connectors_page_says(tmp_path: Path, php: str) -> None:
    """customize_attach_record_url "runs only if it is configured to attach a link to a record
    instead of a call record file" (docs-notes.md 3.14): one of the two, marked doc."""
    rows = {s.customization or s.request: s for s in flow.steps(flow.CALL_ENDED)}
    assert rows["customize_attach_record_url"].basis == "doc"
    assert rows["telephony.externalCall.attachRecord"].basis == "doc"
    recorded = OUTGOING + "record: /var/spool/asterisk/monitor/out-201.wav\n"
    for record_as, method in (("link", "crm.activity.update"), ("file", "telephony.externalCall.attachRecord")):
        timeline = run("example", recorded + f"connector: {{record_as: {record_as}}}\n", tmp_path, php)
        names = [r.customization for r in timeline.rows if r.stage == flow.CALL_ENDED]
        attached = timeline.requests("telephony.externalCall.attachRecord")
        assert ("customize_attach_record_url" in names) == (record_as == "link")
        assert bool(attached) == (record_as == "file"), method


def test_missed_call_tasks_follow_the_connectors_page(tmp_path: Path, php: str) -> None:
    """process_task_creation_params runs "on missed incoming call or unanswered outgoing call"
    (docs-notes.md 3.9): an unanswered outgoing call gets one, an answered one does not."""
    unanswered = OUTGOING.replace(", answered_at: 5, talk: 60", "")
    assert run("example", unanswered, tmp_path, php).requests("tasks.task.add")
    assert not run("example", OUTGOING, tmp_path, php).requests("tasks.task.add")
    assert "unanswered outgoing" in flow.WHEN["missed_task"]


def test_the_readmes_example_scenario_passes_as_written(tmp_path: Path, php: str) -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## See a call before it happens") :]
    block = re.search(r"```yaml\n(.*?)```", section, re.S)
    assert block is not None
    path = tmp_path / "missed-after-hours.yaml"
    path.write_text(block.group(1), encoding="utf-8")
    timeline = simulate(load(ROOT / "specs" / "kazakhstan" / "spec.yaml"), [load_scenario(path)], php).timelines[0]
    assert timeline.item.scenario.expect is not None
    assert timeline.passed, (timeline.failures, timeline.problems)
