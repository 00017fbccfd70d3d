"""Capture must never break or stall a call (issues 17 and 22), run as the connector runs the
files (a fresh `php -n` process per call): many first calls creating the folder at once; a server
that disabled flock, umask, usleep or fopen; a FIFO named `.lock`; a `.jsonl` that is a link;
a call too large for the memory left once redaction copies it."""

from __future__ import annotations

import json
import os
import subprocess
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.conftest import load_text, render_to
from tests.test_capture import CONNECTOR, call_with


def spec(log: Path, extra: str = "") -> str:
    return (
        "version: 1\nname: robust\ntimezone: Europe/Moscow\n"
        f"capture: {{dir: {json.dumps(str(log))}{extra}}}\n"
        "registration:\n  rules:\n    - when: {trunk: sip-test}\n      then: skip\n"
    )


def run(php: str, file: Path, params: object, folder: Path, *flags: str, timeout: float = 60):
    """One call as the connector makes it; (reply, stderr lines, seconds)."""
    script = folder / "connector.php"
    if not script.exists():
        # Atomically: eight threads start at once, and one must never run another's half-written
        # (or just truncated) driver, which prints nothing and exits 0.
        part = folder / f".connector-{threading.get_ident()}.php"
        part.write_text(CONNECTOR, encoding="utf-8")
        os.replace(part, script)
    data = folder / f"call-{threading.get_ident()}-{time.monotonic_ns()}.json"
    data.write_text(json.dumps(params, ensure_ascii=False), encoding="utf-8")
    started = time.monotonic()
    proc = subprocess.run(
        [php, "-n", *flags, str(script), str(file), str(data)], capture_output=True, text=True, timeout=timeout
    )
    elapsed = time.monotonic() - started
    assert proc.returncode == 0 and proc.stdout, (proc.stdout[-500:], proc.stderr[-2000:])
    return json.loads(proc.stdout), [line for line in proc.stderr.splitlines() if line.strip()], elapsed


SKIP = {"state": "success", "data": {"result": False}}


@pytest.mark.parametrize("trial", range(4))
def test_eight_first_calls_at_once_all_get_their_line(tmp_path, php, trial):
    """Eight fresh processes whose capture folder (three levels deep) does not exist yet: every
    one writes its line, none says "no folder" (before: 5 of 6 trials lost a line)."""
    log = tmp_path / "a" / "b" / "log"
    files = render_to(load_text(tmp_path, spec(log)), tmp_path / "actions")
    barrier = threading.Barrier(8)

    def one(i: int):
        barrier.wait()
        return run(php, files["need_registration"], call_with("sip-test", f"+7495{3000000 + i}"), tmp_path)

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(one, range(8)))
    assert all(reply == SKIP for reply, _, _ in results)
    said = [line for _, lines, _ in results for line in lines]
    assert not said, said
    lines = (log / "need_registration.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(lines) == 8


@pytest.mark.parametrize("disabled", ["flock", "umask", "usleep", "fopen", "flock,umask,usleep,fopen,mkdir"])
def test_disabled_functions_never_break_the_call(tmp_path, php, disabled):
    log = tmp_path / "log"
    files = render_to(load_text(tmp_path, spec(log)), tmp_path / "actions")
    reply, lines, _ = run(
        php, files["need_registration"], call_with("sip-test"), tmp_path, "-d", f"disable_functions={disabled}"
    )
    assert reply == SKIP
    assert len(lines) <= 1, lines
    assert not any("Fatal" in line or "Uncaught" in line for line in lines), lines
    if disabled in ("umask", "usleep"):
        # Capture still works without them, with the file still private.
        assert not lines and len((log / "need_registration.jsonl").read_text().splitlines()) == 1
        assert (log / "need_registration.jsonl").stat().st_mode & 0o777 == 0o600
    else:
        assert len(lines) == 1 and "capture" in lines[0], lines


def test_a_fifo_named_lock_does_not_hang_the_call(tmp_path, php):
    log = tmp_path / "log"
    log.mkdir(mode=0o700)
    os.mkfifo(log / ".lock")
    files = render_to(load_text(tmp_path, spec(log)), tmp_path / "actions")
    reply, lines, elapsed = run(php, files["need_registration"], call_with("sip-test"), tmp_path, timeout=30)
    assert reply == SKIP
    assert elapsed < 10, f"the call waited {elapsed:.1f} s on a FIFO"
    assert len(lines) == 1 and "not a regular file" in lines[0], lines


@pytest.mark.parametrize("name", ["need_registration.jsonl", ".lock"])
def test_a_linked_log_is_never_followed(tmp_path, php, name):
    log = tmp_path / "log"
    log.mkdir(mode=0o700)
    target = tmp_path / "elsewhere"
    target.write_text("precious\n")
    (log / name).symlink_to(target)
    files = render_to(load_text(tmp_path, spec(log)), tmp_path / "actions")
    reply, lines, _ = run(php, files["need_registration"], call_with("sip-test"), tmp_path)
    assert reply == SKIP
    assert target.read_text() == "precious\n", "call data went to the link's target"
    assert len(lines) == 1 and "not a regular file" in lines[0], lines


def many_conversations(n: int) -> dict:
    call = call_with("sip-test")
    template = next(iter(call["call_full"]["conversations"].values()))
    conversations = {}
    for i in range(n):
        one = json.loads(json.dumps(template))
        one["channel"]["from"]["number"] = f"+7495{4000000 + i}"
        one["user"]["name"] = f"Агент {i}"
        conversations[f"1764000000.{i}"] = one
    call["call_full"]["conversations"] = conversations
    return call


def test_a_huge_call_with_redaction_at_128m_is_answered(tmp_path, php):
    """20,000 conversations: the file without capture answers at memory_limit=128M; with redacted
    capture it died (the redacted copy and the line did not fit).  Now the call is answered and the
    line says the input was too large, on one stderr line."""
    log = tmp_path / "log"
    call = many_conversations(20000)
    plain = render_to(load_text(tmp_path, spec(log).replace("capture:", "#"), "plain.yaml"), tmp_path / "plain")
    reply, _, _ = run(php, plain["need_registration"], call, tmp_path, "-d", "memory_limit=128M", timeout=120)
    assert reply == SKIP
    files = render_to(load_text(tmp_path, spec(log, ", redact: true")), tmp_path / "actions")
    reply, lines, _ = run(php, files["need_registration"], call, tmp_path, "-d", "memory_limit=128M", timeout=120)
    assert reply == SKIP
    assert len(lines) <= 1, lines
    entries = (log / "need_registration.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(entries) == 1 and json.loads(entries[0])["decided_by"] == "registration.rules[0]"


def test_a_pulled_line_names_the_version_its_deploy_recorded(tmp_path, php):
    """Issue 19: "the deploy record and each capture line name the spec's version", so that a line
    of a pulled log leads to the deploy that made it (the record once hashed the files another
    way: 16 characters that no line ever carried).  Issue 18: a line names its own file's version,
    which the manifest keeps per file beside the set's."""
    from tests.conftest import cli_here

    log = tmp_path / "log"
    (tmp_path / "spec.yaml").write_text(spec(log) + "shadow: true\n", encoding="utf-8")
    actions = tmp_path / "actions"
    actions.mkdir()
    proc = cli_here("deploy", str(tmp_path / "spec.yaml"), "--to", str(actions))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    run(php, actions / "need_registration.php", call_with("sip-test"), tmp_path)
    line = json.loads((log / "need_registration.jsonl").read_text(encoding="utf-8"))
    manifest = json.loads((actions / ".itgrix-gen" / "manifest.json").read_text(encoding="utf-8"))
    [backup] = (actions / ".itgrix-gen" / "backups").iterdir()
    record = json.loads((backup / "backup.json").read_text(encoding="utf-8"))
    assert line["spec_version"] == manifest["file_versions"]["need_registration.php"], (line, manifest)
    assert manifest["spec_version"] == record["spec_version"] != line["spec_version"], (manifest, record)


def test_each_line_names_the_spec_version_and_both_replies_in_shadow(tmp_path, php):
    """Issue 19: a pulled log says which spec decided each call (a hash of the rendered file that
    decided, the same for the same spec, another after an edit of that file: issue 18), and in
    shadow mode the line holds what the spec decided as well as what the connector was answered."""
    from generator.pipeline import render_files

    log = tmp_path / "log"
    text = spec(log) + "shadow: true\n"
    loaded = load_text(tmp_path, text)
    files = render_to(loaded, tmp_path / "actions")
    reply, lines, _ = run(php, files["need_registration"], call_with("sip-test"), tmp_path)
    assert reply == {"state": "success", "data": {"result": True}} and not lines
    entry = json.loads((log / "need_registration.jsonl").read_text(encoding="utf-8"))
    version = entry["spec_version"]
    assert len(version) == 12 and all(c in "0123456789abcdef" for c in version)
    assert version in files["need_registration"].read_text(encoding="utf-8")
    files_now = render_files(load_text(tmp_path, text))
    assert [f.filename for f in files_now if version in f.content] == ["need_registration.php"]
    assert all(f.version in f.content for f in files_now if "_capture(" in f.content)
    assert entry["reply"] == reply  # answered
    assert entry["would_reply"] == SKIP and entry["decided_by"] == "registration.rules[0]"  # decided
    again = render_to(load_text(tmp_path, text, "again.yaml"), tmp_path / "again")
    assert again["need_registration"].read_text(encoding="utf-8") == files["need_registration"].read_text(
        encoding="utf-8"
    )
    (log / "need_registration.jsonl").unlink()
    edited = render_to(load_text(tmp_path, text.replace("sip-test", "sip-other"), "edited.yaml"), tmp_path / "edited")
    run(php, edited["need_registration"], call_with("sip-test"), tmp_path)
    assert json.loads((log / "need_registration.jsonl").read_text(encoding="utf-8"))["spec_version"] != version
