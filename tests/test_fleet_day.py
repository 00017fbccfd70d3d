"""A day with a fleet, end to end (issue 19's "Done when"): three throwaway sshd servers, each in
its own mount namespace so that the one capture folder of the spec is a different folder on each
(as on three machines): pbx-a runs a current connector, pbx-b keeps the trunk at
`call_full.channel.trunk.title` and the client's number at `…from.phone`, pbx-c runs a connector
older than 3.10 (only the root `call`/`conversation`).  The spec is deployed with capture and
shadow, a few hundred calls go through the deployed files the way the connector runs them (a
fresh php per call, on the server), and then, only with the commands a user types: capture pull,
fields --probe (failing on the right servers, then passing with the override it suggested),
replay (against what the deployed spec decided, what the connector got, and another spec), cases
import (cases that pass, and stay right after a rule is inserted; redacted ones whose label and
reply agree), and one server rolled back.

The commands are README's section "A day with a fleet", run verbatim in the order it gives them
(every command of the section must be run here), with the section's spec; only the targets and the
capture folder of its YAML are replaced by this test's servers.  What each step must give is said
by a model of the spec below (which rule decides a call, which server's calls carry which key),
written from the spec's meaning, not from the tool's code."""

from __future__ import annotations

import copy
import getpass
import json
import os
import re
import secrets
import shlex
import shutil
import stat
import subprocess
from collections import Counter
from pathlib import Path

import pytest

from generator import __version__
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


README = (ROOT / "README.md").read_text(encoding="utf-8")
SECTION = README[README.index("## A day with a fleet") :]
SECTION = SECTION[: SECTION.index("\n## ", 1)]
README_TARGETS = [f"ssh://root@{alias}/opt/itgrix_bx/customizer/actions" for alias in SERVERS]
README_CAPTURE = "/var/log/itgrix-gen"


def readme_spec(capture: str, targets: list[str]) -> str:
    """The section's spec, with this test's servers and capture folder."""
    found = re.search(r"```yaml\n(.*?)```", SECTION, re.S)
    assert found, "README's section shows its spec"
    text = found.group(1)
    assert text.count(README_CAPTURE) == 1 and all(text.count(t) == 1 for t in README_TARGETS), text
    text = text.replace(README_CAPTURE, capture)
    for theirs, ours in zip(README_TARGETS, targets, strict=True):
        text = text.replace(theirs, ours)
    return text


def readme_commands() -> list[str]:
    """The section's shell lines, comments dropped, in order."""
    lines = []
    for block in re.findall(r"```sh\n(.*?)```", SECTION, re.S):
        for line in block.splitlines():
            line = line.split(" #", 1)[0].strip()
            if line and not line.startswith("#"):
                lines.append(line)
    return lines


# --- a model of the section's spec ------------------------------------------------------------
# Which keys the field table finds on each server's calls without the probe's override (pbx-b keeps
# the trunk at trunk.title, pbx-c sends only the root call/conversation), and with it: every key.
READS = {"pbx-a": {"trunk", "client_phone"}, "pbx-b": {"client_phone"}, "pbx-c": set()}
DEPLOYED = [{"trunk": "sip-spam"}, {"client_phone": BLOCKED}]  # registration.rules, as README's spec
INSERTED = {"trunk": "sip-spb", "client_phone": "+79161234567"}  # the rule README inserts on top


def decide(facts: dict, registration: list[dict], overrides: bool) -> tuple[str, str]:
    """(the deciding rule, the reply in short) of the spec for a call."""
    reads = {"trunk", "client_phone"} if overrides else READS[facts["server"]]
    value = {"trunk": facts["trunk"], "client_phone": facts["client"]}
    if facts["customization"] == "need_registration":
        for n, when in enumerate(registration):
            if all(k in reads and value[k] == v for k, v in when.items()):
                return f"registration.rules[{n}]", "skip"
        return "default", "register"
    if "trunk" in reads and facts["trunk"] == "sip-moscow":
        return "final_params.rules[0]", "USER_ID 9"
    return "default", "as it came"


PASS_THROUGH = {"need_registration": "register", "process_final_params": "as it came"}


def expected_changes(facts: list[dict], now, before, answered: bool = False) -> Counter:
    """(customization, rule before, rule now) -> changed calls: those whose reply now differs from
    the baseline's (`answered`: the pass-through the connector got in shadow)."""
    out: Counter = Counter()
    for f in facts:
        (rule, reply), (was, old) = now(f), before(f)
        if reply != (PASS_THROUGH[f["customization"]] if answered else old):
            out[(f["customization"], was, rule)] += 1
    return out


def by_rule(data: dict) -> Counter:
    return Counter({(r["customization"], r["was"], r["rule"]): r["changed"] for r in data["by_rule"]})


def case_facts(case: Path) -> dict:
    """The facts of a case's input, whichever shape it has (for the model)."""
    meta = (case / "case.yaml").read_text(encoding="utf-8")
    data = json.loads((case / "input.json").read_text(encoding="utf-8"))
    named = re.search(r"customization: (\w+)", meta)
    assert named, meta
    name = named.group(1)
    if "call_full" in data:
        channel = data["call_full"]["channel"]
        trunk = channel["trunk"].get("name") or channel["trunk"].get("title")
        client = channel["from"].get("number") or channel["from"].get("phone")
    else:
        trunk, client = data["call"]["trunk"], data["call"]["from"]
    return {"server": "?", "customization": name, "trunk": trunk, "client": client}


def reply_says(customization: str, expected: dict) -> str:
    """A case's expected reply in the model's words."""
    data = expected["data"]
    if customization == "need_registration":
        return {False: "skip", True: "register"}[data["result"]]
    return "USER_ID 9" if data["USER_ID"] == 9 else "as it came" if data["USER_ID"] == 3 else repr(data)


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


def yaml_when(rule: str) -> dict:
    """A rule's `when` as the model writes it (one value per key)."""
    from ruamel.yaml import YAML

    (item,) = YAML(typ="safe").load(rule.replace("    - ", "- ", 1).replace("\n      ", "\n  "))
    return {k: v[0] if isinstance(v, list) else v for k, v in item["when"].items()}


def tree(folder: Path, deep: bool = False) -> dict[str, bytes]:
    """The files of a folder, byte for byte (`deep`: every file below it, the state folder and the
    capture folder included; else only the customization files)."""
    found = folder.rglob("*") if deep else folder.iterdir()
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(found) if p.is_file() and not p.is_symlink()}


def case_label(case: Path) -> str:
    found = re.search(r"decided by (\S+)\"", (case / "case.yaml").read_text(encoding="utf-8"))
    assert found, case
    return found.group(1)


def test_a_day_with_a_fleet(fleet, monkeypatch):
    servers, config, capture, homes = fleet
    day = servers / "day"  # where the section's commands run: no folder named like a server here
    day.mkdir()
    monkeypatch.setenv("ITGRIX_GEN_SSH", f"ssh -F {config}")
    monkeypatch.delenv("SUDO_USER", raising=False)
    user = getpass.getuser()  # who deploys, as the backups must name them
    targets = [f"ssh://{alias}{homes[alias]}/actions" for alias in SERVERS]
    spec = day / "fleet" / "spec.yaml"
    spec.parent.mkdir()
    logs = f"{capture}/logs"  # no such folder on any server yet: deploy makes it
    spec.write_text(readme_spec(logs, targets), encoding="utf-8")
    commands, ran = readme_commands(), set()

    def run(line: str, code: int = 0, *more: str, backup: str = "") -> subprocess.CompletedProcess:
        """A line of README's section, verbatim, where the section runs it (`more`: options added,
        such as --format json, to look closer; `backup`: the id README's `ID` stands for)."""
        assert line in commands, f"not a line of README's 'A day with a fleet': {line}"
        ran.add(line)
        if backup:
            assert " ID " in line, line
            line = line.replace(" ID ", f" {backup} ")
        if line.startswith("itgrix-gen "):
            proc = cli_here(*shlex.split(line)[1:], *more, cwd=day)
        else:
            assert not more
            proc = subprocess.run(line, shell=True, cwd=day, capture_output=True, text=True, check=False)
        assert "Traceback" not in proc.stderr, proc.stderr
        assert proc.returncode == code, f"{line} {' '.join(more)}: exit {proc.returncode}\n{proc.stdout}{proc.stderr}"
        return proc

    def run_json(line: str, code: int = 0) -> dict:
        return json.loads(run(line, code, "--format", "json").stdout)

    def rule_lines(changes: Counter) -> list[str]:
        return [f"  {c}: {was} -> {rule}: {n}" for (c, was, rule), n in changes.items()]

    def here_json(*args: str) -> dict:
        proc = cli_here(*args, "--format", "json", cwd=day)
        assert proc.returncode == 0, proc.stdout + proc.stderr
        return json.loads(proc.stdout)

    def php_of(alias: str) -> bytes:
        return (homes[alias] / "actions" / "need_registration.php").read_bytes()

    # Deploy with capture and shadow to the three servers; status says each is fresh.
    run("itgrix-gen deploy fleet/spec.yaml")
    first = {alias: php_of(alias) for alias in SERVERS}
    for alias in SERVERS:  # the capture folder, made by deploy: 0700, owned like the actions folder
        made, actions = (homes[alias] / "capture" / "logs").lstat(), (homes[alias] / "actions").stat()
        assert stat.S_ISDIR(made.st_mode) and stat.S_IMODE(made.st_mode) == 0o700, oct(made.st_mode)
        assert (made.st_uid, made.st_gid) == (actions.st_uid, actions.st_gid)
    manifests = [json.loads((homes[a] / "actions" / ".itgrix-gen" / "manifest.json").read_text()) for a in SERVERS]
    version = manifests[0]["spec_version"]
    assert [m["spec_version"] for m in manifests] == [version] * 3
    assert all(m["file_versions"] == manifests[0]["file_versions"] for m in manifests)
    run("itgrix-gen status fleet/spec.yaml")
    status = run_json("itgrix-gen status fleet/spec.yaml")
    assert sorted((t["target"], t["state"]) for t in status["targets"]) == [(t, "fresh") for t in sorted(targets)]

    # A few hundred calls, as the connector makes them, on each server.
    calls = {alias: [a_call(alias, i) for i in range(CALLS)] for alias in SERVERS}
    for alias in SERVERS:
        drive(config, homes[alias], calls[alias])
        replies = [json.loads(p.read_text()) for p in sorted((homes[alias] / "replies").iterdir())]
        assert len(replies) == CALLS and all(r["state"] == "success" for r in replies)  # shadow: nothing acted
        assert not os.listdir(capture)  # each server wrote into its own folder, never this machine's
        assert len((homes[alias] / "capture" / "logs" / "need_registration.jsonl").read_text().splitlines()) == 60
    facts = [f for alias in SERVERS for _name, _data, f in calls[alias]]

    # Pull: one folder per server, every line once; a second pull brings nothing new.
    proc = run("itgrix-gen capture pull fleet/spec.yaml")
    captures = day / "captures" / "Fleet-day"
    for alias in SERVERS:
        assert f"pulled    ssh://{alias}" in proc.stdout
        assert f"{CALLS} new line(s) from 2 file(s)" in proc.stdout
        pulled = (captures / alias / "need_registration.jsonl").read_bytes()
        assert pulled == (homes[alias] / "capture" / "logs" / "need_registration.jsonl").read_bytes()
        for log in (captures / alias).glob("*.jsonl"):  # each line names its file's version, as deployed
            named = {json.loads(line)["spec_version"] for line in log.read_text().splitlines()}
            assert named == {manifests[0]["file_versions"][log.stem + ".php"]}, (log, named)
    again = run("itgrix-gen capture pull fleet/spec.yaml")
    assert again.stdout.count("0 new line(s)") == 3, again.stdout

    # Probe: the trunk found nothing on pbx-b and pbx-c, the client's number nothing on pbx-c.
    probe_line = "itgrix-gen fields --probe captures/Fleet-day --spec fleet/spec.yaml"
    data = run_json(probe_line, 1)
    both = ["need_registration", "process_final_params"]  # the rules of both read the trunk
    assert data["failures"] == [
        {"key": "trunk", "target": "pbx-b", "calls": CALLS, "customizations": both},
        {"key": "client_phone", "target": "pbx-c", "calls": 60, "customizations": ["need_registration"]},
        {"key": "trunk", "target": "pbx-c", "calls": CALLS, "customizations": both},
    ], data["failures"]
    assert data["targets"]["pbx-c"]["connector"] == "older than 3.10"
    assert data["targets"]["pbx-a"]["connector"] == data["targets"]["pbx-b"]["connector"] == "3.10 or later"
    proc = run(probe_line, 1)
    printed = (proc.stdout + proc.stderr).splitlines()
    shown = re.search(r"\n```\n(pbx-a: .*?)```", SECTION, re.S)
    assert shown, "README shows what the probe prints"
    for line in shown.group(1).splitlines():  # README shows what it prints (… marks a cut)
        assert line in printed or any(p.startswith(line.split("…")[0]) for p in printed if "…" in line), line
    suggested = re.search(r"add it to the spec:\n((?:  .*\n)+)", proc.stdout)
    assert suggested, proc.stdout
    assert suggested.group(1) == (
        "  fields:\n    trunk: [call_full.channel.trunk.title, call.trunk]\n    client_phone: [call.from]\n"
    ), suggested.group(1)

    # Replay the unchanged spec: the baseline is what it decided (in shadow), so nothing changes.
    deployed = lambda f: decide(f, DEPLOYED, overrides=False)  # noqa: E731
    line = "itgrix-gen replay fleet/spec.yaml captures/Fleet-day --check"
    assert "0 of 300 calls would now get another reply" in run(line).stdout
    data = run_json(line)
    assert (data["calls"], data["changed"], data["baseline"]) == (3 * CALLS, 0, "decided"), data
    assert data["by_customization"] == {
        "need_registration": {"calls": 180, "changed": 0},
        "process_final_params": {"calls": 120, "changed": 0},
    }
    # Against what the connector got (the pass-through, in shadow): every skip and every USER_ID set.
    answered = expected_changes(facts, deployed, deployed, answered=True)
    assert answered == Counter(  # the model's arithmetic, spelled out once
        {
            ("need_registration", "registration.rules[0]", "registration.rules[0]"): 20,  # sip-spam on pbx-a
            ("need_registration", "registration.rules[1]", "registration.rules[1]"): 25,  # pbx-a and pbx-b
            ("process_final_params", "final_params.rules[0]", "final_params.rules[0]"): 14,  # pbx-a
        }
    )
    line = "itgrix-gen replay fleet/spec.yaml captures/Fleet-day --baseline answered"
    data = run_json(line)
    assert data["baseline"] == "answered" and by_rule(data) == answered, data["by_rule"]
    assert len(data["changes"]) == data["changed"] == 59
    for change in data["changes"]:
        if change["customization"] == "need_registration":
            assert (change["captured"]["data"], change["now"]["data"]) == ({"result": True}, {"result": False})
        else:
            assert (change["captured"]["data"]["USER_ID"], change["now"]["data"]["USER_ID"]) == (3, 9)
    shown_text = run(line).stdout
    assert all(rule in shown_text for rule in rule_lines(answered)), shown_text
    assert "59 of 300 calls would now get another reply" in shown_text

    # The suggested override, written into the spec as printed: the probe passes on every server,
    # and replay shows what it changes, each call with its rule now and before: on pbx-b and pbx-c
    # only (pbx-a keeps deciding as it did).
    spec.write_text(spec.read_text(encoding="utf-8") + suggested.group(1).replace("\n  ", "\n")[2:], encoding="utf-8")
    run(probe_line, 0)
    overridden = lambda f: decide(f, DEPLOYED, overrides=True)  # noqa: E731
    fixed = expected_changes(facts, overridden, deployed)
    assert fixed == Counter(
        {
            ("need_registration", "default", "registration.rules[0]"): 35,  # sip-spam, pbx-b and pbx-c
            ("need_registration", "default", "registration.rules[1]"): 10,  # the blocked number, pbx-c
            ("process_final_params", "default", "final_params.rules[0]"): 28,  # sip-moscow, pbx-b and pbx-c
        }
    )
    line = "itgrix-gen replay fleet/spec.yaml captures/Fleet-day"
    data = run_json(line)
    assert by_rule(data) == fixed and data["changed"] == 73 == len(data["changes"]), data["by_rule"]
    assert {c["where"].split("/")[2] for c in data["changes"]} == {"pbx-b", "pbx-c"}
    shown_text = run(line).stdout
    assert all(rule in shown_text for rule in rule_lines(fixed)), shown_text
    # The same, judged against the spec that was deployed rather than the logs' decisions.
    (day / "deployed.yaml").write_text(readme_spec(logs, targets), encoding="utf-8")
    data = here_json("replay", "fleet/spec.yaml", "captures/Fleet-day", "--baseline", "deployed.yaml")
    assert data["baseline"] == "deployed.yaml" and by_rule(data) == fixed, data["by_rule"]
    data = here_json("replay", "deployed.yaml", "captures/Fleet-day", "--baseline", "fleet/spec.yaml")
    assert by_rule(data) == Counter({(c, now, was): n for (c, was, now), n in fixed.items()}), data["by_rule"]

    # Cases from the pulled calls: one per deciding rule, each named after it and expecting what
    # the spec answers; they pass.
    import_line = "itgrix-gen cases import captures/Fleet-day --spec fleet/spec.yaml"
    run(import_line)
    cases = day / "fleet" / "cases"
    imported = sorted(p.name for p in cases.iterdir())
    assert imported == [
        "need_registration-default",
        "need_registration-registration-rules-0",
        "need_registration-registration-rules-1",
        "process_final_params-default",
        "process_final_params-final_params-rules-0",
    ], imported
    for case in cases.iterdir():
        found = case_facts(case)
        expected = json.loads((case / "expected.json").read_text(encoding="utf-8"))
        said = (case_label(case), reply_says(found["customization"], expected))
        assert said == overridden(dict(found, server="pbx-a")), case.name
    assert "5 passed, 0 failed" in run("itgrix-gen test fleet/spec.yaml").stdout

    # A rule inserted above the others, the reviewed spec kept aside: against it only the new rule's
    # calls change; the imported cases still pass; importing again adds the new rule's case only.
    run("cp fleet/spec.yaml reviewed.yaml")
    rule_block = re.findall(r"```yaml\n(.*?)```", SECTION, re.S)[1]
    new_rule = re.search(r"    - when: \{trunk: sip-spb, .*\n      then: skip\n", rule_block)
    assert new_rule and yaml_when(new_rule.group(0)) == INSERTED, rule_block
    first_rule = "  rules:\n    - when: {trunk: sip-spam}\n"
    text = spec.read_text(encoding="utf-8")
    assert text.count(first_rule) == 1, text
    spec.write_text(text.replace(first_rule, "  rules:\n" + new_rule.group(0) + first_rule[9:]), encoding="utf-8")
    inserted = lambda f: decide(f, [INSERTED, *DEPLOYED], overrides=True)  # noqa: E731
    new_only = expected_changes(facts, inserted, overridden)
    assert new_only == Counter({("need_registration", "default", "registration.rules[0]"): 15}), new_only
    data = run_json("itgrix-gen replay fleet/spec.yaml captures/Fleet-day --baseline reviewed.yaml")
    assert data["baseline"] == "reviewed.yaml" and by_rule(data) == new_only, data["by_rule"]
    # Against the logs' decisions the moved rules keep deciding their calls: only their places change.
    data = here_json("replay", "fleet/spec.yaml", "captures/Fleet-day")
    assert by_rule(data) == expected_changes(facts, inserted, deployed), data["by_rule"]
    assert "5 passed, 0 failed" in run("itgrix-gen test fleet/spec.yaml").stdout
    run(import_line)
    added = sorted({p.name for p in cases.iterdir()} - set(imported))
    assert added == ["need_registration-registration-rules-0-2"], added  # the old name holds an older case
    case = cases / added[0]
    assert case_label(case) == "registration.rules[0]"
    assert inserted(dict(case_facts(case), server="pbx-a")) == ("registration.rules[0]", "skip")
    assert json.loads((case / "expected.json").read_text(encoding="utf-8"))["data"] == {"result": False}
    assert "6 passed, 0 failed" in run("itgrix-gen test fleet/spec.yaml").stdout
    proc = cli_here("cases", "import", "captures/Fleet-day", "--spec", "fleet/spec.yaml", cwd=day)
    assert proc.returncode == 0 and "0 new case(s)" in proc.stdout, proc.stdout + proc.stderr

    # Redacted cases: numbers become pseudonyms, so a rule on a client's number decides none of
    # them; each case is named after the rule that decides its redacted input and expects its reply.
    redacted = day / "redacted" / "spec.yaml"
    redacted.parent.mkdir()
    shutil.copy(spec, redacted)
    proc = cli_here("cases", "import", str(captures), "--spec", str(redacted), "--redact", cwd=day)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    written = sorted((redacted.parent / "cases").iterdir())
    assert [p.name for p in written] == [
        "need_registration-default",
        "need_registration-registration-rules-1",  # sip-spam: a trunk's name is no number, it stays
        "process_final_params-default",
        "process_final_params-final_params-rules-0",
    ], [p.name for p in written]
    for case in written:
        found = case_facts(case)
        assert found["client"] not in CLIENTS, found  # a pseudonym
        expected = json.loads((case / "expected.json").read_text(encoding="utf-8"))
        said = (case_label(case), reply_says(found["customization"], expected))
        assert said == inserted(dict(found, server="pbx-a")), case.name
    assert cli_here("test", str(redacted), cwd=day).returncode == 0

    # Switched on (shadow removed) and deployed; then one server goes back to what it ran before.
    text = spec.read_text(encoding="utf-8")
    assert text.count("shadow: true\n") == 1
    spec.write_text(text.replace("shadow: true\n", ""), encoding="utf-8")
    # First a dry run: the two files of the spec's sections would change on every server (shadow is
    # in those only; the pass-through files, each naming its own version, stay: issue 18), one
    # line per state and one summary per server, and nothing on any server moves.
    switched = ["need_registration.php", "process_final_params.php"]
    before = {alias: tree(homes[alias] / "actions") for alias in SERVERS}
    whole = {alias: tree(homes[alias], deep=True) for alias in SERVERS}
    proc = run("itgrix-gen deploy fleet/spec.yaml --dry-run")
    assert proc.stdout.splitlines()[0] == "deploy (dry run: nothing changed)", proc.stdout
    for target in targets:
        states = [line for line in proc.stdout.splitlines() if f" {target}: " in line]
        assert sorted(states[:2]) == [
            f"fresh       {target}: 12 file(s)",
            f"stale       {target}: " + ", ".join(switched),
        ]
        summary = f"dry run {target}: 0 new, 2 changed, 12 unchanged, 0 refused; 2 file(s) would change"
        assert summary in proc.stdout.splitlines(), proc.stdout
    assert {alias: tree(homes[alias], deep=True) for alias in SERVERS} == whole  # nothing changed, state included
    run("itgrix-gen deploy fleet/spec.yaml")
    now = {alias: tree(homes[alias] / "actions") for alias in SERVERS}
    assert all(sorted(n for n in now[a] if now[a][n] != before[a][n]) == switched for a in SERVERS)
    assert all(set(now[a]) == set(before[a]) for a in SERVERS)
    second = json.loads((homes["pbx-b"] / "actions" / ".itgrix-gen" / "manifest.json").read_text())["spec_version"]
    assert second != version

    # pbx-b's backups: one per deploy, oldest first, each naming who deployed, the spec and its
    # version (the deploy's own), that the spec is not in git, and the tool's version.
    proc = run("itgrix-gen deploy fleet/spec.yaml --rollback --list --to pbx-b")
    assert proc.stdout.startswith(f"{targets[1]}: 2 backup(s) a rollback can restore\n"), proc.stdout
    listed = re.findall(r"^  (\d{8}T\d{6}\d*Z)  (.*)$", proc.stdout, re.M)
    assert len(listed) == 2 == len(proc.stdout.splitlines()) - 1, proc.stdout
    for (backup_id, facts), spec_version in zip(listed, (version, second), strict=True):
        at = f"{backup_id[:4]}-{backup_id[4:6]}-{backup_id[6:8]} {backup_id[9:11]}:{backup_id[11:13]}:{backup_id[13:15]} UTC"
        assert facts == (
            f"{at}, by {user}, spec Fleet day version {spec_version[:12]}, not in git, itgrix-gen {__version__}"
        ), facts
    assert listed[0][0] < listed[1][0]
    # Back to before the deploy that switched the spec on, by that deploy's backup id: pbx-b holds
    # again byte for byte what it ran in shadow (the files that backup kept); the others stay new.
    backup_id = listed[1][0]
    run("itgrix-gen deploy fleet/spec.yaml --rollback --backup ID --to pbx-b", backup=backup_id)
    assert {alias: tree(homes[alias] / "actions") for alias in SERVERS} == {
        "pbx-a": now["pbx-a"],
        "pbx-b": before["pbx-b"],
        "pbx-c": now["pbx-c"],
    }
    kept = homes["pbx-b"] / "actions" / ".itgrix-gen" / "backups" / f"{backup_id}.restored"
    assert {p.name: p.read_bytes() for p in kept.glob("*.php")} == {n: before["pbx-b"][n] for n in switched}
    assert php_of("pbx-b") == first["pbx-b"]
    proc = cli_here("deploy", "fleet/spec.yaml", "--rollback", "--list", "--to", "pbx-b", cwd=day)
    assert proc.returncode == 0 and proc.stdout.splitlines()[2].endswith("  (restored already)"), proc.stdout

    assert ran == set(commands), set(commands) - ran  # README's section holds no command left untried
