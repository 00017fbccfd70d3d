"""Targets by name and with settings of their own (issue 19, "Deploy for a fleet"): `--to pbx-c`
for a deploy.to target ssh://admin@pbx-c.example.com:2222/..., an unknown or ambiguous name a
usage error naming the choices, and `deploy.to` entries `{to: ..., php_bin: ...}` whose php is
the one the server's checks run, over a real sshd (tests/sshd.py) whose client config knows the
servers by their full DNS names."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from generator.errors import UsageProblem
from generator.target import LocalTarget, SshTarget, aliases, parse, resolve, short_names
from tests.conftest import ROOT, cli_here
from tests.sshd import find_sshd, running

needs_sshd = pytest.mark.skipif(find_sshd() is None, reason="sshd missing: scripts/install.sh installs it")

SPEC = ROOT / "specs" / "docs-blacklist" / "spec.yaml"
C = "ssh://admin@pbx-c.example.com:2222/opt/itgrix_bx/customizer/actions"
D = "ssh://pbx-d.example.com/opt/itgrix_bx/customizer/actions"


def test_a_hosts_names_are_its_full_name_and_first_label():
    assert aliases(parse(C)) == ["pbx-c.example.com", "pbx-c"]
    assert aliases(parse("ssh://pbx1/opt/a")) == ["pbx1"]  # an ~/.ssh/config Host: one name
    assert aliases(parse("ssh://10.0.0.7/opt/a")) == ["10.0.0.7"]  # an address has no first label
    assert aliases(parse("ssh://[fe80::1]/opt/a")) == ["fe80::1"]
    assert aliases(LocalTarget(Path("/srv/almaty/actions"))) == ["actions"]


def test_resolve_by_either_name_and_urls_and_paths_as_they_are(tmp_path, monkeypatch):
    known = [parse(C), parse(D)]
    assert resolve("pbx-c", known) == parse(C)
    assert resolve("pbx-c.example.com", known) == parse(C)
    assert resolve("pbx-d", known) == parse(D)
    assert resolve(C, known) == parse(C)
    assert resolve("ssh://pbx-e/opt/x", known) == SshTarget("pbx-e", "/opt/x")
    assert resolve("/no/such/folder", known) == LocalTarget(Path("/no/such/folder"))  # a path stays a path
    monkeypatch.chdir(tmp_path)
    (tmp_path / "pbx-c").mkdir()
    assert resolve("pbx-c", known) == LocalTarget(Path("pbx-c"))  # an existing folder wins


def test_unknown_and_ambiguous_names_say_the_choices():
    known = [parse(C), parse(D), parse("ssh://pbx-c.other.net/opt/b"), parse(C)]  # C twice: one target
    with pytest.raises(UsageProblem) as unknown:
        resolve("pbx-x", known)
    assert "choices: pbx-c.example.com, pbx-d, pbx-c.other.net" in str(unknown.value)
    with pytest.raises(UsageProblem) as two:
        resolve("pbx-c", known)
    assert "names 2 targets" in str(two.value) and C in str(two.value) and "pbx-c.other.net" in str(two.value)
    assert resolve("pbx-c.other.net", known) == parse("ssh://pbx-c.other.net/opt/b")
    # The same host with two connector folders: only the URL tells them apart.
    same = [parse("ssh://pbx1/opt/a"), parse("ssh://pbx1/opt/b")]
    assert short_names(same) == ["ssh://pbx1/opt/a", "ssh://pbx1/opt/b"]
    with pytest.raises(UsageProblem, match="names 2 targets"):
        resolve("pbx1", same)
    with pytest.raises(UsageProblem, match=r"no spec.s deploy\.to"):
        resolve("pbx-c", [])


def spec_with(tmp_path: Path, deploy: str, name: str = "spec.yaml") -> Path:
    path = tmp_path / name
    path.write_text(SPEC.read_text(encoding="utf-8") + deploy, encoding="utf-8")
    return path


def test_cli_unknown_name_is_exit_2_in_one_line_naming_the_choices(tmp_path):
    spec = spec_with(tmp_path, f"deploy:\n  to:\n    - {C}\n    - {D}\n")
    for command in (["status"], ["deploy", "--dry-run"], ["capture", "pull"], ["deploy", "--rollback"]):
        proc = cli_here(*command, str(spec), "--to", "pbx-q", cwd=tmp_path)
        assert proc.returncode == 2, (command, proc.stdout, proc.stderr)
        assert proc.stderr.strip().count("\n") == 0 and "choices: pbx-c, pbx-d" in proc.stderr, proc.stderr
        assert "Traceback" not in proc.stderr
    rollback = cli_here("deploy", "--rollback", "--to", "pbx-c", cwd=tmp_path)
    assert rollback.returncode == 2 and "no spec's deploy.to" in rollback.stderr


def test_deploy_to_entries_with_settings_are_checked_at_their_place(tmp_path):
    spec = spec_with(
        tmp_path,
        "deploy:\n  to:\n"
        f"    - {C}\n"
        f"    - to: {D}\n      php_bin: /opt/php56/bin/php\n"
        '    - {to: "ssh://pbx2/opt/b", php: /usr/bin/php}\n'
        '    - {to: "ssh://pbx3/", php_bin: "-v"}\n'
        "    - ftp://pbx4/opt/c\n",
    )
    proc = cli_here("validate", str(spec))
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    base = len(SPEC.read_text(encoding="utf-8").splitlines())
    assert f"{spec}:{base + 6}:" in lines[0] and "unknown key 'php'; did you mean 'php_bin'?" in lines[0]
    assert f"{spec}:{base + 7}:" in lines[1] and "the server's / is not the connector's folder" in lines[1]
    assert f"{spec}:{base + 7}:" in lines[2] and "does not start with '-'" in lines[2]
    assert f"{spec}:{base + 8}:" in lines[3] and "a target is a folder or ssh://" in lines[3]
    good = spec_with(
        tmp_path, f"deploy:\n  to:\n    - {C}\n    - to: {D}\n      php_bin: /opt/php56/bin/php\n", "g.yaml"
    )
    assert cli_here("validate", str(good)).returncode == 0
    schema = json.loads(cli_here("schema").stdout)
    assert "php_bin" in json.dumps(schema["$defs"]["DeployTo"])


@pytest.fixture(scope="module")
def fleet(tmp_path_factory):
    """An sshd the client config knows as pbx-c.example.com and pbx-d.example.com."""
    with running(tmp_path_factory.mktemp("sshd"), ("pbx-c.example.com", "pbx-d.example.com")) as server:
        yield server


def old_php(folder: Path, version: str) -> str:
    """A server php that reports `version` and lints every file as fine (an old PBX's php)."""
    path = folder / f"php-{version}"
    path.write_text(
        f'#!/bin/sh\ncase "$1" in\n  -r) echo {version} ;;\n  -l) echo "No syntax errors detected in $2" ;;\nesac\n'
    )
    path.chmod(0o755)
    return str(path)


@needs_sshd
def test_names_and_php_bin_over_ssh(fleet, monkeypatch, tmp_path):
    monkeypatch.setenv("ITGRIX_GEN_SSH", fleet.ssh)
    monkeypatch.setenv("ITGRIX_GEN_REMOTE_SH", "sh")
    c, d = tmp_path / "c" / "actions", tmp_path / "d" / "actions"
    c.mkdir(parents=True)
    d.mkdir(parents=True)
    too_old = old_php(tmp_path, "5.3.3")
    spec = spec_with(
        tmp_path,
        "deploy:\n  to:\n"
        f"    - ssh://pbx-c.example.com{c}\n"
        f"    - to: ssh://pbx-d.example.com{d}\n      php_bin: {too_old}\n",
    )
    only_c = cli_here("deploy", str(spec), "--to", "pbx-c", cwd=tmp_path)
    assert only_c.returncode == 0, only_c.stdout + only_c.stderr
    assert f"deployed ssh://pbx-c.example.com{c}" in only_c.stdout
    assert len(list(c.glob("*.php"))) == 14 and not list(d.glob("*.php"))
    # pbx-d's own php (5.3.3) is the judge there: below the spec's floor, refused, naming it.
    own = cli_here("deploy", str(spec), "--to", "pbx-d", cwd=tmp_path)
    assert own.returncode == 1
    assert "PHP 5.3.3" in own.stderr and not list(d.glob("*.php"))
    # --php-bin on the command line is the word for every target.
    fine = old_php(tmp_path, "7.4.33")
    forced = cli_here("deploy", str(spec), "--to", "pbx-d.example.com", "--php-bin", fine, cwd=tmp_path)
    assert forced.returncode == 0, forced.stdout + forced.stderr
    assert len(list(d.glob("*.php"))) == 14
    status = cli_here("status", str(spec), "--to", "pbx-c", "--to", "pbx-d", "--format", "json", cwd=tmp_path)
    assert status.returncode == 0, status.stdout + status.stderr
    assert [t["state"] for t in json.loads(status.stdout)["targets"]] == ["fresh", "fresh"]
    # capture pull by name puts pbx-c's files under its full host, the name capture pull always used.
    captured = tmp_path / "captured"
    spec.write_text(spec.read_text() + f"capture: {{dir: {json.dumps(str(tmp_path / 'c' / 'calls'))}}}\n")
    (tmp_path / "c" / "calls").mkdir()
    (tmp_path / "c" / "calls" / "need_registration.jsonl").write_text('{"v": 1}\n')
    pulled = cli_here("capture", "pull", str(spec), "--to", "pbx-c", "-o", str(captured), cwd=tmp_path)
    assert pulled.returncode == 0, pulled.stdout + pulled.stderr
    assert (captured / "pbx-c.example.com" / "need_registration.jsonl").exists()
    rolled = cli_here("deploy", str(spec), "--rollback", "--to", "pbx-d", cwd=tmp_path)
    assert rolled.returncode == 0 and not list(d.glob("*.php")), rolled.stdout + rolled.stderr
