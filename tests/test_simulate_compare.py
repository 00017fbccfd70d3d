"""`simulate --compare`: a simulator's own capture lines compare with no difference (staggered
rings included), lines asked before a call exists are counted, and a log with nothing usable is
a usage error, not "no difference"."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from tests.conftest import cli_here

# A hunt group and a queue: extensions start ringing seconds apart, so one conversation's card
# comes a second before the next conversation's need_registration.
STAGGERED = """
name: {name}
start: "2026-11-25 10:00:00"
client: "8 (727) 250-12-34"
trunk: {{name: kaztelecom, number: "77272500000"}}
autodistribution: true
rings:
  - {{extension: "101", at: 0, for: 30}}
  - {{extension: "102", at: {second}, for: 25}}
  - {{extension: "103", at: {third}, for: 20, answered_at: 4, talk: 30}}
record: /var/spool/asterisk/monitor/2026/11/25/hunt.wav
entity: {{type: contact, id: 7, name: "ТОО Алма", responsible_id: 12}}
users: {{"101": {{id: 45, name: "Айгерим Нурланқызы"}}, "103": {{id: 31, name: "Servis Bo'limi"}}}}
"""


def simulated_log(tmp_path: Path, spec: str, *scenarios: str) -> Path:
    done = cli_here("simulate", f"specs/{spec}/spec.yaml", *scenarios, "--format", "jsonl")
    assert done.returncode == 0, done.stderr
    log = tmp_path / "day.jsonl"
    log.write_text(done.stdout, encoding="utf-8")
    return log


def compare(spec: str, log: Path) -> tuple[int, dict]:
    done = cli_here("simulate", f"specs/{spec}/spec.yaml", "--compare", str(log), "--format", "json")
    return done.returncode, json.loads(done.stdout) if done.stdout else {}


@pytest.mark.parametrize("spec", ["example", "kazakhstan", "belarus"])
def test_every_shipped_scenario_compares_with_no_difference(spec: str, tmp_path: Path, php: str) -> None:
    code, report = compare(spec, simulated_log(tmp_path, spec))
    assert code == 0 and report["differences"] == [], report["differences"]
    # Autodistribution and click-to-call lines carry no linkedid: counted, not "never seen".
    not_seen = {(x["stage"], x["customization"]) for x in report["not_seen"]}
    for pair in [
        ("autodistribution", "customize_autodistribution"),
        ("autodistribution", "process_client_phone"),
        ("originate", "process_originate_params"),
    ]:
        assert pair not in not_seen
    assert report["unplaced"] == 0 and report["before_call"] >= 3


def test_staggered_rings_compare_with_no_difference(tmp_path: Path, php: str) -> None:
    files = []
    for name, second, third in [("hunt-group", 5, 10), ("queue", 12, 27)]:
        path = tmp_path / f"{name}.yaml"
        path.write_text(STAGGERED.format(name=name, second=second, third=third), encoding="utf-8")
        files.append(str(path))
    log = simulated_log(tmp_path, "kazakhstan", *files)
    code, report = compare("kazakhstan", log)
    assert code == 0 and report["differences"] == [], report["differences"]
    assert report["calls"] == 2


def test_order_within_one_conversation_is_still_judged(tmp_path: Path, php: str) -> None:
    """The card of one ring a second before that same ring's need_registration is a difference."""
    log = simulated_log(tmp_path, "kazakhstan", "specs/kazakhstan/scenarios/incoming-missed-night.yaml")
    lines = [json.loads(x) for x in log.read_text(encoding="utf-8").splitlines()]
    card = next(x for x in lines if x["customization"] == "customize_show_call_card")
    conversation = card["input"]["call_full"]["active_conversation_id"]
    first = next(
        x
        for x in lines
        if x["customization"] == "need_registration"
        and x["input"]["call_stage"] == card["input"]["call_stage"]
        and x["input"]["call_full"]["active_conversation_id"] == conversation
    )
    before = datetime.fromisoformat(first["at"]) - timedelta(seconds=1)
    early = dict(card, at=before.isoformat(timespec="seconds"))
    log.write_text("".join(json.dumps(x) + "\n" for x in [*lines, early]), encoding="utf-8")
    code, report = compare("kazakhstan", log)
    assert code == 1
    texts = [d["text"] for d in report["differences"]]
    assert (
        "at conversation_requested: customize_show_call_card ran before need_registration; the table has the reverse"
        in texts
    )


def test_a_log_with_nothing_usable_is_a_usage_error(tmp_path: Path) -> None:
    log = tmp_path / "broken.jsonl"
    log.write_text('{"v": 1, "customization": \nnot json at all\n', encoding="utf-8")
    done = cli_here("simulate", "specs/kazakhstan/spec.yaml", "--compare", str(log))
    assert done.returncode == 2
    assert "no difference" not in done.stdout
    assert "error: no captured call in" in done.stderr
