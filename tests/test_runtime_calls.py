"""How the generated files read a call, through real PHP (a fresh process per call, as the
connector runs them): the "no value for a key" diagnostic, input that is not a call object,
numbers sent as text, and calls with many conversations."""

from __future__ import annotations

import copy
import json

import pytest

from tests.conftest import ROOT, load_text, render_to, run_one

BASE_CALL = json.loads((ROOT / "specs" / "example" / "calls" / "incoming.json").read_text(encoding="utf-8"))

TRUNK_SPEC = (
    "version: 1\nname: said\nregistration:\n  rules:\n"
    "    - when: {extension: ['999'], trunk: sip-a}\n      then: skip\n"  # trunk read only after extension
    "    - when: {trunk: sip-b}\n      then: skip\n"
    "    - when: {trunk: sip-c}\n      then: skip\n"
)


def without_trunk(direction: str) -> dict:
    call = copy.deepcopy(BASE_CALL)
    call["call_full"]["channel"]["type"] = direction
    call["call_full"]["channel"].pop("trunk", None)
    for conversation in call["call_full"]["conversations"].values():
        conversation["channel"].pop("trunk", None)
    return call


def said(result, key: str) -> list[str]:
    return [line for line in result.log if f"no value for '{key}'" in line]


@pytest.fixture
def trunk_file(tmp_path):
    return render_to(load_text(tmp_path, TRUNK_SPEC), tmp_path / "out")["need_registration"]


@pytest.mark.parametrize("direction", ["incoming", "outgoing"])
def test_a_missing_trunk_is_said_once_even_when_the_first_rule_short_circuits(trunk_file, php, direction):
    result = run_one(trunk_file, without_trunk(direction), php=php)
    assert result.clean and result.reply["data"] == {"result": True}
    lines = said(result, "trunk")
    assert len(lines) == 1, result.log
    assert "call_full.channel.trunk" in lines[0]


def test_a_local_call_has_no_trunk_and_says_nothing(tmp_path, php):
    text = "version: 1\nname: said\nregistration:\n  rules:\n    - when: {trunk: sip-b}\n      then: skip\n"
    path = render_to(load_text(tmp_path, text), tmp_path / "out")["need_registration"]
    result = run_one(path, without_trunk("local"), php=php)
    assert result.clean and result.reply["data"] == {"result": True}
    assert not said(result, "trunk"), result.log


def test_a_local_call_has_no_client_number_and_says_nothing(tmp_path, php):
    text = "version: 1\nname: said\nregistration:\n  rules:\n    - when: {client_phone: '+74950000000'}\n      then: skip\n"
    path = render_to(load_text(tmp_path, text), tmp_path / "out")["need_registration"]
    call = without_trunk("local")
    call["call_full"]["channel"]["from"] = {"number": "101"}
    call["call_full"]["channel"]["to"] = {"number": "102"}
    result = run_one(path, call, php=php)
    assert result.clean and not said(result, "client_phone"), result.log
    call["call_full"]["channel"]["type"] = "incoming"
    call["call_full"]["channel"]["from"] = {}
    result = run_one(path, call, php=php)
    assert len(said(result, "client_phone")) == 1, result.log


# --- input that is not a call object -------------------------------------------------------


@pytest.mark.parametrize("text", ["[1, 2]", '[{"call_stage": "call_ended"}]', '[{"STATUS_CODE": "304"}]'])
def test_a_json_list_is_answered_as_the_pass_through(tmp_path, php, text):
    """A list is not a call: every file of the example spec answers it as the pass-through does
    (before, need_registration and the rest decided on it: a CRM source, a task with a deadline)."""
    from generator.customizations import NAMES
    from generator.php.runner import Case, run_batch
    from tests.conftest import load

    example = render_to(load(ROOT / "specs" / "example" / "spec.yaml"), tmp_path / "example")
    plain = render_to(load(ROOT / "specs" / "passthrough" / "spec.yaml"), tmp_path / "plain")
    cases = [Case(str(files[n]), text, 1764000000) for files in (example, plain) for n in NAMES]
    results = run_batch(cases, php)
    for name, mine, passthrough in zip(NAMES, results[: len(NAMES)], results[len(NAMES) :]):
        assert mine.clean and passthrough.clean, (name, mine.errors, passthrough.errors)
        assert mine.reply == passthrough.reply, name


# --- DURATION: one reading on every PHP ---------------------------------------------------


@pytest.mark.parametrize("version", ["native", "5.2", "7.4", "8.5"])
def test_duration_text_means_the_same_on_every_php(tmp_path, php, version):
    """ "1e3" was 1 s on PHP 5.2 and 1000 s on 7.4+; "90 " no number before PHP 8."""
    from generator.php.matrix import run_version
    from generator.php.runner import Case

    text = (
        "version: 1\nname: dur\nfinal_params:\n  rules:\n"
        "    - when: {duration: {gte: 12}}\n      set: {USER_ID: 12}\n"  # every matching rule sets, in order
        "    - when: {duration: {gte: 90}}\n      set: {USER_ID: 90}\n"
        "    - when: {duration: {gte: 900}}\n      set: {USER_ID: 900}\n"
    )
    path = render_to(load_text(tmp_path, text), tmp_path / "out")["process_final_params"]
    sent = {"1e3": 900, "1000": 900, 1000.0: 900, "90 ": 90, " 90": 90, "90.9": 90, "12.7": 12, "1e400": 900}
    sent.update({"abc": None, "0x5A": None, "-1e3": None, "": None})
    cases = [Case(str(path), json.dumps({"DURATION": v, "STATUS_CODE": "200"}), 1764000000) for v in sent]
    for (value, want), result in zip(sent.items(), run_version(version, cases, php)):
        assert result.clean, (value, result.errors)
        assert result.reply["data"].get("USER_ID") == want, (version, value, result.reply)


# --- many conversations ---------------------------------------------------------------------


def test_many_conversations_cost_linear_time(tmp_path, php):
    """The accessors gathered conversations with array_merge in a loop (20,000 took 11.7 s).  The
    check is on scaling, not on a time: 8 times the conversations must cost far less than 64
    times (quadratic) the time; each size is timed inside PHP in CPU seconds (getrusage: a busy
    machine that leaves the process waiting does not count), best of three fresh processes."""
    import subprocess

    from generator.php.runner import PHP_FLAGS

    text = "version: 1\nname: many\nregistration:\n  rules:\n    - when: {extension: ['999']}\n      then: skip\n"
    path = render_to(load_text(tmp_path, text), tmp_path / "out")["need_registration"]
    script = tmp_path / "time.php"
    script.write_text(
        "<?php function cpu() { $u = getrusage(); return $u['ru_utime.tv_sec'] + $u['ru_utime.tv_usec'] / 1e6"
        " + $u['ru_stime.tv_sec'] + $u['ru_stime.tv_usec'] / 1e6; }"
        " $params = json_decode(file_get_contents($argv[2]), true); $t = cpu();"
        " $reply = include $argv[1]; echo json_encode(array(cpu() - $t, $reply));",
        encoding="utf-8",
    )
    template = next(iter(BASE_CALL["call_full"]["conversations"].values()))

    def seconds(n: int) -> float:
        call = copy.deepcopy(BASE_CALL)
        call["call_full"]["conversations"] = {f"1764000000.{i}": template for i in range(n)}
        data = tmp_path / f"call-{n}.json"
        data.write_text(json.dumps(call), encoding="utf-8")
        best = None
        for _ in range(3):
            proc = subprocess.run(
                [php, *PHP_FLAGS, "-d", "memory_limit=-1", str(script), str(path), str(data)],
                capture_output=True,
                text=True,
                timeout=600,
            )
            took, reply = json.loads(proc.stdout)
            assert reply["data"] == {"result": True}
            best = took if best is None else min(best, took)
        assert best is not None
        return best

    small, large = seconds(5000), seconds(40000)
    # getrusage ticks in milliseconds or coarser on some kernels: a floor of 5 ms for the small one.
    assert large < max(small, 0.005) * 24, f"5,000 conversations {small:.3f} s, 40,000 {large:.3f} s (CPU)"
