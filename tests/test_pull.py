"""`itgrix-gen capture pull` (issue 19): incremental copies of each target's capture files, from a
local folder and over SSH (a real sshd, tests/sshd.py), never a torn or a duplicate line across
appends, rotations and interrupted pulls, an unreachable target reported while the others go on,
and no link on the server ever followed (issue 22: root reads a folder the connector's user can
write)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from generator.capture import pull
from tests.conftest import cli_here
from tests.sshd import Sshd, find_sshd

needs_sshd = pytest.mark.skipif(find_sshd() is None, reason="sshd missing: scripts/install.sh installs it")


def line(n: int, customization: str = "need_registration") -> bytes:
    entry = {
        "v": 1,
        "at": f"2026-11-24T10:{n // 60 % 60:02d}:{n % 60:02d}+05:00",
        "customization": customization,
        "spec": "fleet",
        "input": {"call_stage": "conversation_requested", "n": n, "name": "Асель Нурланқызы 🙂"},
        "reply": {"state": "success", "data": {"result": True}},
        "decided_by": "default",
    }
    return (json.dumps(entry, ensure_ascii=False) + "\n").encode("utf-8")


def spec(tmp_path: Path, capture: Path, targets: list[str]) -> Path:
    path = tmp_path / "spec.yaml"
    path.write_text(
        f"version: 1\nname: Acme Clinic\ncapture: {{dir: {json.dumps(str(capture))}}}\n"
        f"deploy:\n  to: {json.dumps(targets)}\n",
        encoding="utf-8",
    )
    return path


def pulled_lines(folder: Path, name: str = "need_registration.jsonl") -> list[bytes]:
    path = folder / name
    return path.read_bytes().splitlines(keepends=True) if path.exists() else []


def local_pull(capture: Path, out: Path) -> pull.Pulled:
    result = pull.Pulled("local", out)
    pull.pull_into(pull.LocalSource(str(capture)), out, result)
    assert result.ok, result.error
    return result


def test_appends_torn_lines_and_rotations_are_copied_once_each(tmp_path):
    cap = tmp_path / "cap"
    cap.mkdir(mode=0o700)
    log = cap / "need_registration.jsonl"
    out = tmp_path / "out"
    log.write_bytes(line(1) + line(2) + line(3)[:40])  # the third still being written
    assert local_pull(cap, out).lines == 2
    assert pulled_lines(out) == [line(1), line(2)]
    with log.open("ab") as handle:
        handle.write(line(3)[40:] + line(4))
    assert local_pull(cap, out).lines == 2
    # Rotated (renamed to .1, as the generated files do), then a new file: nothing twice.
    with log.open("ab") as handle:
        handle.write(line(5))
    log.rename(cap / "need_registration.jsonl.1")
    log.write_bytes(line(6))
    assert local_pull(cap, out).lines == 2
    assert pulled_lines(out) == [line(n) for n in range(1, 7)]
    assert local_pull(cap, out).lines == 0  # nothing new


def test_a_pull_that_died_before_writing_its_state_is_undone(tmp_path):
    cap = tmp_path / "cap"
    cap.mkdir()
    (cap / "need_registration.jsonl").write_bytes(line(1))
    out = tmp_path / "out"
    local_pull(cap, out)
    with (out / "need_registration.jsonl").open("ab") as handle:
        handle.write(line(2) + line(3)[:10])  # copied, but the state never said so
    (cap / "need_registration.jsonl").write_bytes(line(1) + line(2))
    local_pull(cap, out)
    assert pulled_lines(out) == [line(1), line(2)]


EVENTS = st.lists(
    st.one_of(
        st.tuples(st.just("append"), st.integers(1, 4), st.booleans()),  # n lines, the last one torn?
        st.tuples(st.just("rotate"), st.just(0), st.just(False)),
        st.tuples(st.just("pull"), st.just(0), st.just(False)),
    ),
    max_size=30,
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(EVENTS)
def test_any_order_of_appends_rotations_and_pulls_copies_every_line_once(tmp_path_factory, events):
    """The server as the generated files keep it (append under a lock, rotate to .1 .. .keep): the
    copy always holds exactly the complete lines written so far that are still on the server when
    pulled, in order; when no rotation dropped an unpulled file, every line."""
    tmp = tmp_path_factory.mktemp("events")
    cap, out = tmp / "cap", tmp / "out"
    cap.mkdir()
    log = cap / "need_registration.jsonl"
    keep, n, torn, written, lost = 3, 0, b"", [], False
    unpulled: dict[int, bool] = {}  # rotation number (0: the live file) -> holds lines not pulled yet
    for kind, count, tear in events:
        if kind == "append":
            data = torn
            for _ in range(count):
                n += 1
                data += line(n)
                written.append(line(n))
            torn = b""
            if tear:
                n += 1
                whole = line(n)
                data, torn = data + whole[:25], whole[25:]
                written.append(whole)
            with log.open("ab") as handle:
                handle.write(data)
            unpulled[0] = True
        elif kind == "rotate" and log.exists() and not torn:
            lost = lost or unpulled.get(keep, False)  # .keep is overwritten
            for i in range(keep, 0, -1):
                src = log if i == 1 else cap / f"need_registration.jsonl.{i - 1}"
                if src.exists():
                    src.rename(cap / f"need_registration.jsonl.{i}")
                    unpulled[i] = unpulled.get(i - 1, False)
            unpulled[0] = False
        elif kind == "pull":
            local_pull(cap, out)
            unpulled = dict.fromkeys(unpulled, False)
    local_pull(cap, out)
    got = pulled_lines(out)
    complete = written[:-1] if torn else written
    assert len(got) == len(set(got)), "a line was copied twice"
    if not lost:
        assert got == complete
    else:
        assert got == [x for x in complete if x in set(got)]  # in order, a subsequence


def test_links_fifos_and_hard_links_in_the_capture_folder_are_never_read(tmp_path):
    cap = tmp_path / "cap"
    cap.mkdir()
    secret = tmp_path / "secret"
    secret.write_bytes(b"root:$6$secret:19000:0:99999:7:::\n" * 40)
    (cap / "need_registration.jsonl").symlink_to(secret)
    os.link(secret, cap / "customize_entity.jsonl")
    os.mkfifo(cap / "process_final_params.jsonl")
    (cap / "post_registration.jsonl").write_bytes(line(1, "post_registration"))
    out = tmp_path / "out"
    result = local_pull(cap, out)
    assert sorted(p.name for p in out.iterdir() if not p.name.startswith(".")) == ["post_registration.jsonl"]
    assert b"secret" not in b"".join(p.read_bytes() for p in out.iterdir())
    assert sorted(result.skipped) == [
        "customize_entity.jsonl (a file with 2 hard links)",
        "need_registration.jsonl (a symbolic link)",
        "process_final_params.jsonl (a FIFO)",
    ]


def test_a_capture_folder_reached_through_a_link_is_refused(tmp_path):
    real = tmp_path / "real"
    real.mkdir()
    (real / "need_registration.jsonl").write_bytes(line(1))
    (tmp_path / "link").symlink_to(real)
    (tmp_path / "actions").mkdir()
    got = pull.pull(pull.LocalTarget(tmp_path / "actions"), str(tmp_path / "link"), tmp_path / "out")
    assert "leads through a symbolic link" in got.error and not (tmp_path / "out" / "need_registration.jsonl").exists()


def test_the_command_pulls_local_targets_into_captures_spec_name(tmp_path):
    cap = tmp_path / "cap"
    cap.mkdir()
    (cap / "need_registration.jsonl").write_bytes(line(1) + line(2))
    (tmp_path / "pbx-local").mkdir()
    path = spec(tmp_path, cap, [str(tmp_path / "pbx-local")])
    proc = cli_here("capture", "pull", str(path), cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "pulled" in proc.stdout and "2 new line(s)" in proc.stdout
    assert pulled_lines(tmp_path / "captures" / "Acme-Clinic" / "pbx-local") == [line(1), line(2)]
    again = cli_here("capture", "pull", str(path), cwd=tmp_path)
    assert again.returncode == 0 and "0 new line(s)" in again.stdout


# --- over SSH ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def sshd(tmp_path_factory):
    server = Sshd(tmp_path_factory.mktemp("sshd"))
    server.start()
    yield server
    server.stop()


@needs_sshd
def test_over_ssh_an_unreachable_target_is_reported_and_the_others_go_on(sshd, tmp_path, monkeypatch):
    monkeypatch.setenv("ITGRIX_GEN_SSH", sshd.ssh)
    cap = tmp_path / "server" / "capture"
    cap.mkdir(parents=True, mode=0o700)
    (cap / "need_registration.jsonl").write_bytes(line(1) + line(2) + line(3)[:30])
    (cap / "process_final_params.jsonl.1").write_bytes(line(7, "process_final_params"))
    (cap / "process_final_params.jsonl").write_bytes(line(8, "process_final_params"))
    secret = tmp_path / "server" / "shadow"
    secret.write_text("root:$6$hash:::\n")
    (cap / "customize_entity.jsonl").symlink_to(secret)
    out = tmp_path / "captures"
    targets = [f"ssh://pbx1{tmp_path}/server/actions", f"ssh://dead{tmp_path}/server/actions"]
    path = spec(tmp_path, cap, targets)
    proc = cli_here("capture", "pull", str(path), "-o", str(out))
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert (
        f"pulled    ssh://pbx1{tmp_path}/server/actions" in proc.stdout
        and "4 new line(s) from 3 file(s)" in proc.stdout
    )
    assert f"failed    ssh://dead{tmp_path}/server/actions" in proc.stderr
    assert "customize_entity.jsonl (a symbolic link)" in proc.stderr
    assert pulled_lines(out / "pbx1") == [line(1), line(2)]
    assert pulled_lines(out / "pbx1", "process_final_params.jsonl") == [
        line(7, "process_final_params"),
        line(8, "process_final_params"),
    ]
    assert not (out / "pbx1" / "customize_entity.jsonl").exists()
    # The torn line completes, the file rotates: the next pull copies each new line once.
    with (cap / "need_registration.jsonl").open("ab") as handle:
        handle.write(line(3)[30:] + line(4))
    (cap / "need_registration.jsonl").rename(cap / "need_registration.jsonl.1")
    (cap / "need_registration.jsonl").write_bytes(line(5))
    again = cli_here("capture", "pull", str(path), "-o", str(out), "--to", targets[0])
    assert again.returncode == 0, again.stderr
    assert pulled_lines(out / "pbx1") == [line(n) for n in range(1, 6)]


@needs_sshd
def test_over_ssh_a_capture_folder_behind_a_link_is_refused(sshd, tmp_path, monkeypatch):
    monkeypatch.setenv("ITGRIX_GEN_SSH", sshd.ssh)
    real = tmp_path / "etc"
    real.mkdir()
    (real / "need_registration.jsonl").write_bytes(line(1))
    (tmp_path / "capture").symlink_to(real)
    path = spec(tmp_path, tmp_path / "capture", [f"ssh://pbx2{tmp_path}/actions"])
    proc = cli_here("capture", "pull", str(path), "-o", str(tmp_path / "out"))
    assert proc.returncode == 1 and "pull never follows a link" in proc.stderr, proc.stderr
    assert not (tmp_path / "out" / "pbx2" / "need_registration.jsonl").exists()


@needs_sshd
def test_over_ssh_a_server_without_capture_yet_is_not_an_error(sshd, tmp_path, monkeypatch):
    monkeypatch.setenv("ITGRIX_GEN_SSH", sshd.ssh)
    path = spec(tmp_path, tmp_path / "none", [f"ssh://pbx3{tmp_path}/actions"])
    proc = cli_here("capture", "pull", str(path), "-o", str(tmp_path / "out"))
    assert proc.returncode == 0 and "no capture folder yet" in proc.stdout, proc.stderr


def test_pull_usage_errors(tmp_path):
    path = tmp_path / "spec.yaml"
    path.write_text("version: 1\nname: x\n", encoding="utf-8")
    proc = cli_here("capture", "pull", str(path), "--to", str(tmp_path))
    assert proc.returncode == 2 and "has no capture" in proc.stderr
    assert cli_here("capture", "pull", "--help").returncode == 0


def test_folder_names_are_safe():
    from generator.target import parse

    assert pull.folder_name(parse("ssh://root@pbx-c.acme.local:2222/opt/x")) == "pbx-c.acme.local"
    assert pull.folder_name(parse("ssh://../opt/x")) == "_.."
    assert pull.folder_name_of_spec("Acme / Клиника") == "Acme-Клиника"


def test_a_file_missing_from_one_listing_is_not_copied_again(tmp_path):
    """A rotation renames files while the server lists the folder: one listing may miss a file."""
    cap, out = tmp_path / "cap", tmp_path / "out"
    cap.mkdir()
    log = cap / "need_registration.jsonl"
    log.write_bytes(line(1) + line(2))
    local_pull(cap, out)

    class Blind(pull.LocalSource):
        def listing(self):  # the old file is between two names at that moment
            files, skipped = super().listing()
            return [f for f in files if f.name != "need_registration.jsonl.2"], skipped

    log.rename(cap / "need_registration.jsonl.2")
    log.write_bytes(line(3))
    result = pull.Pulled("local", out)
    pull.pull_into(Blind(str(cap)), out, result)
    local_pull(cap, out)
    assert pulled_lines(out) == [line(1), line(2), line(3)]


def test_a_local_target_that_is_not_a_folder_fails_as_deploy_says(tmp_path):
    """--to /nonexistent/dir pulled this machine's capture log into captures/<spec>/dir, exit 0
    (issue 19): a folder target that is missing (or a file) fails with deploy's words, exit 1,
    and nothing is filed under it; the other targets are still pulled."""
    cap = tmp_path / "cap"
    cap.mkdir()
    (cap / "need_registration.jsonl").write_bytes(line(1) + line(2))
    (tmp_path / "pbx-local").mkdir()
    (tmp_path / "a-file").write_text("not a folder\n", encoding="utf-8")
    path = spec(tmp_path, cap, [str(tmp_path / "pbx-local")])
    for wrong in (tmp_path / "nonexistent" / "dir", tmp_path / "a-file"):
        proc = cli_here(
            "capture", "pull", str(path), "--to", str(wrong), "--to", str(tmp_path / "pbx-local"), cwd=tmp_path
        )
        assert proc.returncode == 1 and "Traceback" not in proc.stderr, proc.stdout + proc.stderr
        what = "is not a folder" if wrong.exists() else "does not exist"
        said = f"{wrong} {what} (the connector's customizer/actions folder must exist)"
        assert said in proc.stderr and "pbx-local" in proc.stdout, proc.stdout + proc.stderr
        assert not (tmp_path / "captures" / "Acme-Clinic" / wrong.name).exists()
        deployed = cli_here("deploy", str(path), "--to", str(wrong), cwd=tmp_path)
        assert deployed.returncode == 1 and said in deployed.stdout + deployed.stderr
    assert pulled_lines(tmp_path / "captures" / "Acme-Clinic" / "pbx-local") == [line(1), line(2)]


def test_an_output_folder_that_cannot_be_made_is_one_usage_error(tmp_path):
    """-o /proc/forbidden failed every target with "No such file or directory", exit 1, without
    naming the folder (issue 19): now exit 2, one line naming it, before any target is read."""
    cap = tmp_path / "cap"
    cap.mkdir()
    (cap / "need_registration.jsonl").write_bytes(line(1))
    (tmp_path / "pbx-local").mkdir()
    (tmp_path / "a-file").write_text("x\n", encoding="utf-8")
    path = spec(tmp_path, cap, [str(tmp_path / "pbx-local")])
    for wrong in ("/proc/forbidden", str(tmp_path / "a-file" / "under")):
        proc = cli_here("capture", "pull", str(path), "-o", wrong, cwd=tmp_path)
        assert proc.returncode == 2 and "Traceback" not in proc.stderr, proc.stdout + proc.stderr
        assert proc.stdout == "" and len(proc.stderr.strip().splitlines()) == 1, proc.stderr
        assert f"-o {wrong}: the folder the copies go to cannot be made or written" in proc.stderr, proc.stderr
    assert not (tmp_path / "captures").exists()
