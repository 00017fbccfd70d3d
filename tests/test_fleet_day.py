"""A day with a fleet, end to end (issue 19's "Done when"): three throwaway sshd servers, each in
its own mount namespace so that the one capture folder of the spec is a different folder on each
(as on three machines): pbx-a runs a current connector, pbx-b keeps the trunk at
`call_full.channel.trunk.title` and the client's number at `…from.phone`, pbx-c runs a connector
older than 3.10 (only the root `call`/`conversation`).  The spec is deployed with capture and
shadow, a few hundred calls go through the deployed files the way the connector runs them (a
fresh php per call, on the server), and then, only with the commands a user types: capture pull,
fields --probe (failing on the right servers, then passing with the override it suggested),
and one server rolled back (replay and cases import follow once the streaming replay lands)."""

from __future__ import annotations

import copy
import json
import os
import secrets
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import ROOT, cli_here
from tests.sshd import Sshd, find_sshd

BASE_CALL = json.loads((ROOT / "specs" / "example" / "calls" / "incoming.json").read_text(encoding="utf-8"))
TRUNKS = ("sip-moscow", "sip-spb", "sip-spam")
CLIENTS = ("+74951234567", "+77012345678", "+77272501234", "+79161234567")  # RU, KZ mobile, KZ Almaty, RU
BLOCKED = "+77012345678"
SERVERS = ("pbx-a", "pbx-b", "pbx-c")
CALLS = 100  # per server: 60 registrations, 40 final params

CONNECTOR = """<?php
$params = json_decode(file_get_contents($argv[2]), true);
$reply = include $argv[1];
echo json_encode($reply);
"""
DRIVER = """set -eu
cd "$1"
while read -r name file; do
    php -n connector.php "actions/$name.php" "calls/$file" > "replies/$file" 2>> stderr.log
done < manifest
"""


def _namespaces_work() -> bool:
    if find_sshd() is None or shutil.which("unshare") is None:
        return False
    proc = subprocess.run(["unshare", "-m", "true"], capture_output=True, check=False)
    return proc.returncode == 0


pytestmark = pytest.mark.skipif(
    not _namespaces_work(), reason="needs sshd and `unshare -m` (root): three servers on one machine"
)


def spec_text(capture: str, targets: list[str], extra: str = "") -> str:
    return (
        "version: 1\nname: Fleet day\ntimezone: Asia/Almaty\n"
        f"capture: {{dir: {json.dumps(capture)}}}\nshadow: true\n"
        f"deploy:\n  to: {json.dumps(targets)}\n"
        "registration:\n  rules:\n"
        "    - when: {trunk: sip-spam}\n      then: skip\n"
        f"    - when: {{client_phone: ['{BLOCKED}']}}\n      then: skip\n"
        "final_params:\n  rules:\n"
        "    - when: {trunk: sip-moscow}\n      set: {USER_ID: 9}\n" + extra
    )


def a_call(server: str, i: int) -> tuple[str, dict, dict]:
    """(customization, input, facts) of the i-th call on a server, in that server's connector shape."""
    trunk, client = TRUNKS[i % 3], CLIENTS[i % 4]
    name = "need_registration" if i % 5 < 3 else "process_final_params"
    facts = {"server": server, "customization": name, "trunk": trunk, "client": client}
    if server == "pbx-c":
        data: dict = {
            "call_stage": "call_ended",
            "call": {"id": f"1732443000.{i}", "trunk": trunk, "from": client, "to": "102", "type": 2},
            "conversation": {"type": 2, "from": client, "to": "102", "user": {"name": "Әсем Нұрланқызы"}},
        }
    else:
        data = copy.deepcopy(BASE_CALL)
        data["call_stage"] = "call_ended"
        full = data["call_full"]
        channels = [full["channel"]] + [c["channel"] for c in full["conversations"].values()]
        for channel in channels:
            if server == "pbx-b":
                channel["trunk"] = {"title": trunk}
                channel["from"] = {"phone": client}
            else:
                channel["trunk"] = {"number": "74957654321", "name": trunk}
                channel["from"] = {"number": client}
    if name == "process_final_params":
        data.update({"STATUS_CODE": "200", "USER_ID": 3, "DURATION": 78, "ADD_TO_CHAT": 1})
    return name, data, facts


@pytest.fixture(scope="module")
def fleet(tmp_path_factory):
    """Three servers; yields (tmp, ssh config, capture folder path, {server: its folder})."""
    tmp = tmp_path_factory.mktemp("fleet")
    capture = Path(f"/tmp/itgrix-fleet-capture-{secrets.token_hex(4)}")  # the same path on every server
    capture.mkdir()
    servers, homes = [], {}
    try:
        for alias in SERVERS:
            home = tmp / alias
            (home / "capture").mkdir(parents=True)
            (home / "actions").mkdir()
            homes[alias] = home
            mount = f'mount --bind "$0" {capture} && exec "$@"'
            server = Sshd(
                tmp / f"sshd-{alias}",
                aliases=(alias,),
                prefix=("unshare", "-m", "sh", "-c", mount, str(home / "capture")),
            )
            server.folder.mkdir()
            server.start()
            servers.append(server)
        config = tmp / "ssh_config"
        config.write_text("".join(s.config.read_text() for s in servers))
        yield tmp, config, str(capture), homes
    finally:
        for server in servers:
            server.stop()
        capture.rmdir()


def drive(config: Path, home: Path, calls: list[tuple[str, dict, dict]]) -> None:
    """The connector on the server: one fresh php per call, in order."""
    (home / "calls").mkdir(exist_ok=True)
    (home / "replies").mkdir(exist_ok=True)
    (home / "connector.php").write_text(CONNECTOR)
    (home / "driver.sh").write_text(DRIVER)
    lines = []
    for n, (name, data, _facts) in enumerate(calls):
        (home / "calls" / f"{n:04d}.json").write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
        lines.append(f"{name} {n:04d}.json\n")
    (home / "manifest").write_text("".join(lines))
    proc = subprocess.run(
        ["ssh", "-F", str(config), home.name, "sh", str(home / "driver.sh"), str(home)],
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr


def test_a_day_with_a_fleet(fleet, monkeypatch):
    tmp, config, capture, homes = fleet
    monkeypatch.setenv("ITGRIX_GEN_SSH", f"ssh -F {config}")
    env_cwd = tmp
    targets = [f"ssh://{alias}{homes[alias]}/actions" for alias in SERVERS]
    spec = tmp / "spec.yaml"
    spec.write_text(spec_text(capture, targets), encoding="utf-8")

    # Deploy with capture and shadow to the three servers.
    proc = cli_here("deploy", str(spec))
    assert proc.returncode == 0, proc.stdout + proc.stderr

    # A few hundred calls, as the connector makes them, on each server.
    calls = {alias: [a_call(alias, i) for i in range(CALLS)] for alias in SERVERS}
    for alias in SERVERS:
        drive(config, homes[alias], calls[alias])
        replies = [json.loads(p.read_text()) for p in sorted((homes[alias] / "replies").iterdir())]
        assert len(replies) == CALLS and all(r["state"] == "success" for r in replies)  # shadow: nothing acted
        assert not os.listdir(capture)  # each server wrote into its own folder, never this machine's
        assert len((homes[alias] / "capture" / "need_registration.jsonl").read_text().splitlines()) == 60

    # Pull: one folder per server, every line once; a second pull brings nothing new.
    proc = cli_here("capture", "pull", str(spec), "-o", "captures", cwd=env_cwd)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    for alias in SERVERS:
        assert f"pulled    ssh://{alias}" in proc.stdout
        assert f"{CALLS} new line(s) from 2 file(s)" in proc.stdout
        pulled = (tmp / "captures" / alias / "need_registration.jsonl").read_bytes()
        assert pulled == (homes[alias] / "capture" / "need_registration.jsonl").read_bytes()
    again = cli_here("capture", "pull", str(spec), "-o", "captures", cwd=env_cwd)
    assert again.returncode == 0 and again.stdout.count("0 new line(s)") == 3, again.stdout

    # Probe: the trunk found nothing on pbx-b and pbx-c, the client's number nothing on pbx-c.
    captures = tmp / "captures"
    proc = cli_here("fields", "--probe", str(captures), "--spec", str(spec), "--format", "json")
    assert proc.returncode == 1, proc.stderr
    data = json.loads(proc.stdout)
    assert data["failures"] == [
        {"key": "trunk", "target": "pbx-b", "calls": CALLS},
        {"key": "client_phone", "target": "pbx-c", "calls": CALLS},
        {"key": "trunk", "target": "pbx-c", "calls": CALLS},
    ], data["failures"]
    assert data["targets"]["pbx-c"]["connector"] == "older than 3.10"
    assert data["targets"]["pbx-a"]["connector"] == data["targets"]["pbx-b"]["connector"] == "3.10 or later"
    text = cli_here("fields", "--probe", str(captures), "--spec", str(spec))
    assert "pbx-c: a connector older than 3.10" in text.stdout
    suggested = {k: v for k, v in data["suggestions"].items() if k in ("trunk", "client_phone")}  # the spec's keys
    assert suggested == {
        "trunk": ["call_full.channel.trunk.title", "call.trunk"],
        "client_phone": ["call.from"],
    }, suggested

    # The suggested override, written into the spec: the probe passes on every server.
    edited = tmp / "edited.yaml"
    overrides = "fields:\n" + "".join(f"  {k}: {json.dumps(v)}\n" for k, v in suggested.items())
    edited.write_text(spec_text(capture, targets, overrides), encoding="utf-8")
    proc = cli_here("fields", "--probe", str(captures), "--spec", str(edited))
    assert proc.returncode == 0, proc.stdout + proc.stderr

    # One server goes back to what it ran before the last deploy (here: nothing), the others stay.
    redeploy = tmp / "redeploy.yaml"
    redeploy.write_text(spec_text(capture, targets, overrides), encoding="utf-8")
    assert cli_here("deploy", str(redeploy)).returncode == 0
    before = (homes["pbx-a"] / "actions" / "need_registration.php").read_bytes()
    proc = cli_here("deploy", "--rollback", "--to", targets[1])
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert (homes["pbx-b"] / "actions" / "need_registration.php").read_bytes() != before
    assert (homes["pbx-a"] / "actions" / "need_registration.php").read_bytes() == before
