"""`status --enabled` (issue 19): the connector's own status page (tests/statuspage.py, the JSON its
docs show, behind digest auth) says which customizations are switched on; a deployed file that is
not is reported per file and exits 1.  The page is fetched where the connector runs: on this
machine for a folder target, over the target's SSH connection (a real sshd, tests/sshd.py) for a
server, with curl and with the PHP fetcher the server falls back to without curl."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from generator.pipeline import render_files
from generator.remote import enabled
from tests.conftest import ROOT, cli_here, load
from tests.sshd import find_sshd, running
from tests.statuspage import NAMES, StatusPage, page

needs_sshd = pytest.mark.skipif(find_sshd() is None, reason="sshd missing: scripts/install.sh installs it")

SPEC = ROOT / "specs" / "docs-blacklist" / "spec.yaml"  # customizes need_registration, process_final/originate_params
CUSTOMIZED = {"need_registration", "process_final_params", "process_originate_params"}
LOGIN = ("admin", 'Пароль "с кавычками" \\ и 🙂')  # what a digest login must survive


@pytest.fixture
def deployed(tmp_path):
    folder = tmp_path / "actions"
    folder.mkdir()
    proc = cli_here("deploy", str(SPEC), "--to", str(folder))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return folder


@pytest.fixture(params=["curl", "php"])
def fetcher(request, monkeypatch):
    monkeypatch.setenv("ITGRIX_GEN_STATUS_FETCH", request.param)
    return request.param


def netrc(tmp_path: Path, monkeypatch, machine: str, login: tuple[str, str] = LOGIN) -> None:
    path = tmp_path / "netrc"
    quoted = login[1].replace("\\", "\\\\").replace('"', '\\"')
    path.write_text(f'machine {machine}\n  login {login[0]}\n  password "{quoted}"\n', encoding="utf-8")
    path.chmod(0o600)
    monkeypatch.setenv("NETRC", str(path))


def status(target: str, url: str, *more: str) -> tuple[int, dict]:
    proc = cli_here("status", str(SPEC), "--to", target, "--enabled", "--status-url", url, "--format", "json", *more)
    assert "Traceback" not in proc.stderr
    return proc.returncode, json.loads(proc.stdout)["targets"][0] if proc.stdout else {}


def test_a_folder_target_all_switched_on_then_one_off(deployed, fetcher, tmp_path, monkeypatch):
    netrc(tmp_path, monkeypatch, "127.0.0.1")
    with StatusPage(page(CUSTOMIZED), login=LOGIN) as server:
        code, answer = status(str(deployed), server.url)
        assert code == 0, answer
        assert answer["enabled"]["state"] == "ok"
        assert {n for n, v in answer["enabled"]["files"].items() if v == "enabled"} == {f"{n}.php" for n in CUSTOMIZED}
        assert answer["enabled"]["files"]["post_registration.php"] == "pass-through"
        assert server.requests[0] == "" and server.requests[-1].startswith('Digest username="admin"')
        server.body = page(CUSTOMIZED - {"process_final_params"})
        code, answer = status(str(deployed), server.url)
        assert code == 1
        assert answer["state"] == "fresh"  # the files are right: only the switch is not
        assert answer["enabled"]["files"]["process_final_params.php"] == "deployed but not enabled"
        assert answer["enabled"]["detail"] == "process_final_params.php: deployed but not enabled"
        text = cli_here("status", str(SPEC), "--to", str(deployed), "--enabled", "--status-url", server.url)
        assert text.returncode == 1 and "process_final_params.php: deployed but not enabled" in text.stdout


def test_what_the_page_can_say(deployed, tmp_path, monkeypatch):
    monkeypatch.setenv("NETRC", str(tmp_path / "none"))
    with StatusPage(page(set(NAMES), enabled=False)) as server:
        # The customizer switched off as a whole: every customized file is off, whatever methods say.
        code, answer = status(str(deployed), server.url)
        assert code == 1 and answer["enabled"]["detail"].startswith("the customizer is switched off; ")
        assert sum(v == "deployed but not enabled" for v in answer["enabled"]["files"].values()) == 3
        # An older connector's page without the customizer, a page that is not JSON, an error.
        server.body = {"app": {"crm_type": "bitrix"}}
        code, answer = status(str(deployed), server.url)
        assert code == 1 and "no customizer.methods" in answer["enabled"]["detail"]
        server.body = b"<html>502 Bad Gateway</html>"
        code, answer = status(str(deployed), server.url)
        assert code == 1 and answer["enabled"]["detail"] == "the status page's answer is not JSON"
        server.status = 500
        code, answer = status(str(deployed), server.url)
        assert code == 1 and answer["enabled"]["detail"] == "the status page answered HTTP 500"
        # customizer at the top level (the docs' example is cut: both places are read), and a
        # method the page does not list at all.
        server.status = 200
        methods = {n: True for n in NAMES if n != "process_originate_params"}
        server.body = {"customizer": {"enabled": True, "methods": methods}}
        code, answer = status(str(deployed), server.url)
        assert code == 1
        assert answer["enabled"]["files"]["process_originate_params.php"] == "not on the status page"
        # Switched on but the file is gone: the connector runs a file that is not there.
        server.body = page(CUSTOMIZED)
        (deployed / "need_registration.php").unlink()
        code, answer = status(str(deployed), server.url)
        assert code == 1 and answer["enabled"]["files"]["need_registration.php"] == "enabled but not deployed"


def test_a_login_the_page_refuses_and_no_login_at_all(deployed, fetcher, tmp_path, monkeypatch):
    with StatusPage(page(CUSTOMIZED), login=LOGIN) as server:
        monkeypatch.setenv("NETRC", str(tmp_path / "none"))
        code, answer = status(str(deployed), server.url)
        assert code == 1 and "asks for the admin panel's login" in answer["enabled"]["detail"]
        netrc(tmp_path, monkeypatch, "127.0.0.1", ("admin", "wrong"))
        code, answer = status(str(deployed), server.url)
        assert code == 1 and "asks for the admin panel's login" in answer["enabled"]["detail"]


def test_an_unreachable_page_is_said_per_target(deployed, fetcher, tmp_path):
    with StatusPage(page(CUSTOMIZED)) as server:
        url = server.url  # nothing listens there once it is closed
    code, answer = status(str(deployed), url)
    assert code == 1 and answer["state"] == "fresh"
    assert answer["enabled"]["state"] == "unknown"
    assert answer["enabled"]["detail"].startswith("the status page did not answer: ")


def test_a_bad_status_url_is_a_usage_error(deployed):
    for url in ("ftp://127.0.0.1/status", 'http://127.0.0.1/"; rm -rf /', "http://127.0.0.1/a b", "status"):
        proc = cli_here("status", str(SPEC), "--to", str(deployed), "--enabled", "--status-url", url)
        assert proc.returncode == 2 and "--status-url" in proc.stderr


def test_judging_reads_only_the_documented_and_the_inferred_places():
    rendered = render_files(load(SPEC))
    states = {r.filename: "fresh" for r in rendered}
    under_app = enabled.judge(page(CUSTOMIZED), rendered, states)
    top = enabled.judge(page(CUSTOMIZED)["app"], rendered, states)
    assert under_app.ok and top.ok and under_app.files == top.files
    # A method that is not a boolean true is not switched on.
    odd = page(CUSTOMIZED)
    odd["app"]["customizer"]["methods"]["need_registration"] = "true"
    assert enabled.judge(odd, rendered, states).files["need_registration.php"] == "deployed but not enabled"


@pytest.fixture(scope="module")
def sshd(tmp_path_factory):
    with running(tmp_path_factory.mktemp("sshd"), ("pbx-a.example.com", "pbx-b.example.com")) as server:
        yield server


@needs_sshd
def test_over_ssh_the_page_is_asked_on_the_server(sshd, fetcher, monkeypatch, tmp_path):
    """Two servers and one that is down: each answers for itself, the login is the one ~/.netrc
    keeps for the target's host, and the dead server is unreachable, not a traceback."""
    monkeypatch.setenv("ITGRIX_GEN_SSH", sshd.ssh)
    monkeypatch.setenv("ITGRIX_GEN_REMOTE_SH", "sh")
    netrc(tmp_path, monkeypatch, "pbx-a.example.com")
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir()
    b.mkdir()
    spec = tmp_path / "spec.yaml"
    spec.write_text(
        SPEC.read_text(encoding="utf-8")
        + f"deploy:\n  to:\n    - ssh://pbx-a.example.com{a}\n    - to: ssh://pbx-b.example.com{b}\n"
        "      php_bin: php\n    - ssh://dead/opt/itgrix_bx/customizer/actions\n",
        encoding="utf-8",
    )
    deployed = cli_here("deploy", str(spec), "--to", "pbx-a", "--to", "pbx-b")
    assert deployed.returncode == 0, deployed.stdout + deployed.stderr
    with StatusPage(page(CUSTOMIZED), login=LOGIN) as server:
        proc = cli_here("status", str(spec), "--enabled", "--status-url", server.url, "--format", "json")
        assert proc.returncode == 1 and "Traceback" not in proc.stderr
        targets = {t["target"].split("/")[2]: t for t in json.loads(proc.stdout)["targets"]}
        assert targets["pbx-a.example.com"]["enabled"]["state"] == "ok"
        # pbx-b's host has no login in netrc (nor a default): the page refuses it.
        assert "asks for the admin panel's login" in targets["pbx-b.example.com"]["enabled"]["detail"]
        assert targets["dead"]["state"] == "unreachable"
        assert targets["dead"]["enabled"] == {
            "state": "unknown",
            "files": {},
            "detail": "not asked: the target is unreachable",
        }
        assert sum(r.startswith("Digest ") for r in server.requests) == 1
        server.body = page(CUSTOMIZED - {"need_registration"})
        one = cli_here("status", str(spec), "--to", "pbx-a", "--enabled", "--status-url", server.url)
        assert one.returncode == 1 and "need_registration.php: deployed but not enabled" in one.stdout


@needs_sshd
def test_the_php_fetcher_without_php_nor_curl_says_so(sshd, monkeypatch, tmp_path):
    monkeypatch.setenv("ITGRIX_GEN_SSH", sshd.ssh)
    monkeypatch.setenv("ITGRIX_GEN_STATUS_FETCH", "php")
    folder = tmp_path / "a"
    folder.mkdir()
    target = f"ssh://pbx-a.example.com{folder}"
    assert cli_here("deploy", str(SPEC), "--to", target).returncode == 0
    spec = tmp_path / "spec.yaml"
    spec.write_text(
        SPEC.read_text(encoding="utf-8") + f"deploy:\n  to:\n    - {{to: {json.dumps(target)}, php_bin: /no/php}}\n"
    )
    code, answer = status(target, "http://127.0.0.1:9/status")
    assert code == 1 and "did not answer" in answer["enabled"]["detail"]
    proc = cli_here("status", str(spec), "--to", "pbx-a", "--enabled", "--format", "json")
    answer = json.loads(proc.stdout)["targets"][0]
    assert proc.returncode == 1
    assert (
        answer["enabled"]["detail"]
        == "the status page did not answer: /no/php not found on this machine to ask the status page with"
    )
