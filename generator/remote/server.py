"""Deploy, rollback and status on a connector's server over SSH, with every guarantee of the local
deploy (generator/deploy.py): the plan is made here from what the server reports (the same rules:
hand edits refused, our own earlier files recognised by the manifest, a crashed deploy's journal and
the backups), and carried out there by remote.sh under the lock, which first checks that nothing
changed since it was read and lets the server's own PHP judge every file (`php -l`, and its version
against the spec's `php:` floor) before anything is replaced."""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from generator import deploy as dep
from generator.deploystate import FoundFile, Outcome, TargetState
from generator.remote.ssh import DEFAULT_TIMEOUT, Connection, Unreachable
from generator.target import SshTarget

if TYPE_CHECKING:
    from generator.pipeline import RenderedFile


def _json(text: str) -> dict[str, Any] | None:
    try:
        data = json.loads(base64.b64decode(text, validate=True))
    except (binascii.Error, ValueError):
        return None
    return data if isinstance(data, dict) else None


def parse_probe(text: str, where: str = "") -> tuple[TargetState, bool]:
    """remote.sh's probe report as the TargetState a local folder gives, read defensively (a
    server's output is not trusted), and whether the report came whole."""
    state = TargetState(where, folder="missing")
    complete = False
    names = dep.file_names()
    for line in text.splitlines():
        key, _, rest = line.partition(" ")
        if key == "version":
            if rest.startswith("! "):
                state.php_problem = rest[2:].strip()
            else:
                state.php_version = rest.strip()
        elif key == "target":
            state.folder = rest.strip()
        elif key == "state" and rest.startswith("! "):
            state.unsafe = rest[2:].strip() or "not trusted"
        elif key == "meta":
            which, _, value = rest.partition(" ")
            if which == "manifest":
                state.manifest_exists = True
                state.manifest = _json(value)
            elif which == "pending":
                state.pending = _json(value)
        elif key == "file":
            parts = rest.split(" ")
            name = parts[0]
            if name in names:
                state.files[name] = _file(parts[1:])
        elif key == "backup":
            folder, _, value = rest.partition(" ")
            state.backups[folder] = _json(value)
        elif key == "backupfile":
            parts = rest.split(" ")
            if len(parts) == 3:
                state.backup_files.setdefault(parts[0], {})[parts[1]] = parts[2]
        elif key == "end":
            complete = True
    return state, complete


def _file(parts: list[str]) -> FoundFile:
    """`-` (absent), `! WHY` (not used), or `MODE UID GID MTIME USER BASE64`."""
    if parts[:1] == ["-"]:
        return FoundFile()
    if parts[:1] == ["!"]:
        return FoundFile(problem=" ".join(parts[1:]) or "unreadable")
    if len(parts) >= 5:
        try:
            data = base64.b64decode(parts[5] if len(parts) > 5 else "", validate=True)
            return FoundFile(data, "", int(parts[0], 8), int(parts[1]), int(parts[2]), int(parts[3]), parts[4])
        except (binascii.Error, ValueError):
            pass
    return FoundFile(problem="the server's answer was garbled")


def probe(conn: Connection, target: SshTarget, php_bin: str) -> TargetState:
    out = conn.run(["probe", target.path, php_bin, *sorted(dep.file_names())])
    state, complete = parse_probe(out.out, str(target))
    if not complete:
        raise Unreachable(f"the server's answer ended early: {(out.err or out.out).strip()[-300:]}")
    return state


def version_tuple(text: str) -> tuple[int, ...]:
    parts = []
    for piece in text.split("."):
        digits = "".join(c for c in piece if c.isdigit()) if piece[:1].isdigit() else ""
        if not digits:
            break
        parts.append(int(digits))
    return tuple(parts)


def _target_problem(state: TargetState, path: str) -> str:
    if state.unsafe and state.folder == "ok":
        return f"{path}/{state.unsafe}"
    return {
        "missing": f"{path} does not exist on the server (the connector's customizer/actions folder)",
        "notdir": f"{path} on the server is not a folder",
        "unreadable": f"{path} on the server cannot be entered (run as the connector's owner or root)",
        "readonly": f"{path} on the server is not writable (log in as the connector's owner or root)",
    }.get(state.folder, "")


def php_problem(version: str | None, why: str, php_bin: str, floor: str) -> str:
    """What is wrong with the target's php (its PHP_VERSION, or why it did not run), "" when it
    reaches the spec's php: floor; the same words for a server and a local folder target."""
    if version is None:
        return f"the server's php ({php_bin}) does not run: {why or 'no answer'} (--php-bin names it)"
    have, need = version_tuple(version), version_tuple(floor)
    if not have:
        return f"the server's php ({php_bin}) says its version is {version!r}"
    if have[:2] < need[:2]:
        return f"the server runs PHP {version}, below the spec's php: {floor}; set php: to what the server runs"
    return ""


def _frame(kind: str, name: str, data: bytes) -> bytes:
    return f"{kind} {name} {len(data)} {dep.sha256(data)}\n".encode() + data


def _expect(state: TargetState) -> bytes:
    """What the plan was made from: remote.sh checks each file is still so under the lock."""
    return b"".join(f"expect {name} {state.sha(name)}\n".encode() for name in sorted(dep.file_names()))


def deploy(
    target: SshTarget,
    spec_name: str,
    digest: str,
    floor: str,
    rendered: list[RenderedFile],
    php_bin: str = "php",
    force: bool = False,
    dry_run: bool = False,
    wait: float = 30.0,
    timeout: float = DEFAULT_TIMEOUT,
    git_commit: str = "",
    capture_dir: str = "",
) -> Outcome:
    outcome = Outcome(spec_name, str(target), "failed")
    try:
        with Connection(target, timeout) as conn:
            state = probe(conn, target, php_bin)
            problem = _target_problem(state, target.path)
            if problem:
                outcome.detail = problem
                return outcome
            problem = php_problem(state.php_version, state.php_problem, php_bin, floor)
            if problem:
                outcome.result, outcome.detail = "check failed", problem
                return outcome
            for _attempt in range(8):  # each round, one of the deploys racing for the lock wins
                outcome = Outcome(spec_name, str(target), "failed")
                plan = dep.plan_deploy(state, rendered)
                if dep.judged(outcome, plan, force, dry_run):
                    return outcome
                outcome = _apply(conn, target, state, plan, spec_name, digest, php_bin, wait, git_commit, outcome)
                if outcome.result in ("deployed", "unchanged") and capture_dir:
                    return dep.noted(outcome, _capture_dir(conn, target, capture_dir))
                if outcome.result != "changed":
                    return outcome
                # Another deploy got the lock first and changed the files: plan again from what is
                # there now (a hand edit made meanwhile is then refused like any other).
                outcome.result = "failed"
                state = probe(conn, target, php_bin)
            return outcome
    except Unreachable as exc:
        outcome.result, outcome.detail = "unreachable", str(exc)
        return outcome


def _apply(
    conn: Connection,
    target: SshTarget,
    state: TargetState,
    plan: dep.Plan,
    spec_name: str,
    digest: str,
    php_bin: str,
    wait: float,
    git_commit: str,
    outcome: Outcome,
) -> Outcome:
    changes = plan.changes
    stamp = dep._stamp()
    record = dep.records(plan, spec_name, digest, stamp, state.manifest, git_commit)
    if not changes and state.manifest == record["manifest.json"]:
        return dep.finished(outcome, 0, "")
    payload = _expect(state)
    payload += b"".join(_frame("file", p.name, p.new_bytes) for p in changes)
    for name in ("backup.json", "pending.json", "manifest.json"):
        payload += _frame("meta", name, dep.json_bytes(record[name]))
    payload += b"end\n"
    # The server's php -l gets what is left of the deploy's time, less a margin to answer in.
    lint = str(max(1, int(conn.remaining() - wait - 10)))
    out = conn.run(["apply", target.path, php_bin, stamp, str(int(wait)), lint], payload)
    lines = out.out.splitlines()
    if out.code == 0 and any(line.startswith("deployed ") for line in lines):
        return dep.finished(outcome, len(changes), stamp)
    if out.code == 4:
        outcome.result = "check failed"
        messages = []
        for line in lines:
            if line.startswith("check "):
                _, name, coded = (line.split(" ", 2) + ["", ""])[:3]
                try:
                    said = base64.b64decode(coded).decode("utf-8", "replace")
                except (binascii.Error, ValueError):
                    said = coded
                said = re.sub(r"\S*\.itgrix-gen/stage\.\d+/", "", said)  # the upload's scratch folder
                messages.append(f"{name}: {' '.join(said.split())[:400]}")
        outcome.detail = "the server's php -l refused " + "; ".join(messages) + "; nothing was replaced"
        return outcome
    outcome.detail = _why(lines, out.err, out.code)
    if out.code == 6:
        outcome.result = "changed"  # the caller plans again
    return outcome


def _capture_dir(conn: Connection, target: SshTarget, folder: str) -> str:
    """Make the spec's capture folder on the server (remote.sh's capturedir); what was done, or why not."""
    out = conn.run(["capturedir", target.path, folder])
    for line in out.out.splitlines():
        if line.startswith("capture made "):
            return f"capture folder {folder} created (0700, uid {line[len('capture made ') :]})"
        if line == "capture ok":
            return ""
        if line.startswith("capture ! "):
            return f"capture folder: {line[len('capture ! ') :]}"
    return f"capture folder {folder}: {_why(out.out.splitlines(), out.err, out.code)}"


def _why(lines: list[str], err: str, code: int) -> str:
    """Why remote.sh stopped: its own "error|locked|changed <reason>" line, else ssh's last words."""
    said = next(
        (line.split(" ", 1)[1] for line in lines if line.split(" ", 1)[0] in ("error", "locked", "changed")), ""
    )
    return said or (err.strip().splitlines() or [f"the server's side exited with {code}"])[-1]


# --- rollback ----------------------------------------------------------------------------


def rollback(
    target: SshTarget,
    force: bool = False,
    wait: float = 30.0,
    dry_run: bool = False,
    timeout: float = DEFAULT_TIMEOUT,
    backup: str | None = None,
    list_only: bool = False,
) -> Outcome:
    """Undo the newest deploy, or every deploy down to `backup`, one step at a time (each step is
    planned from a fresh probe); with `list_only`, list the backups."""
    outcome = Outcome("", str(target), "failed")
    try:
        with Connection(target, timeout) as conn:
            state = probe(conn, target, "php")
            problem = _target_problem(state, target.path)
            if problem and not (list_only and state.folder == "readonly"):
                outcome.detail = problem
                return outcome
            if list_only:
                return dep.listed(outcome, state)
            return dep.roll_back_steps(
                outcome,
                state,
                backup,
                force,
                dry_run,
                lambda found, rp: _rollback_step(conn, target, found, rp, wait),
                lambda: probe(conn, target, "php"),
            )
    except Unreachable as exc:
        outcome.result, outcome.detail = "unreachable", str(exc)
        return outcome


def _rollback_step(
    conn: Connection, target: SshTarget, state: TargetState, rp: dep.RollbackPlan, wait: float
) -> tuple[list[str], list[str]]:
    """Carry out one rollback step on the server; (restored, removed), DeployError when it stopped."""
    payload = _expect(state)
    payload += f"from {rp.backup}\n".encode()
    payload += b"".join(f"keep {name}\n".encode() for name in rp.edited)
    for name in rp.restore:
        mode, uid, gid = rp.owners[name]
        payload += f"restore {name} {mode:o} {'' if uid is None else uid} {'' if gid is None else gid}\n".encode()
    payload += b"".join(f"remove {name}\n".encode() for name in rp.remove)
    payload += _frame("meta", "manifest.json", dep.json_bytes(rp.manifest))
    payload += b"end\n"
    out = conn.run(["rollback", target.path, dep._stamp(), str(int(wait))], payload)
    lines = out.out.splitlines()
    if out.code == 0 and any(line.startswith("rolledback ") for line in lines):
        restored = [line.split(" ", 1)[1] for line in lines if line.startswith("restored ")]
        removed = [line.split(" ", 1)[1] for line in lines if line.startswith("removed ")]
        return restored, removed
    raise dep.DeployError(_why(lines, out.err, out.code))


# --- status ------------------------------------------------------------------------------


def status(
    target: SshTarget,
    spec_name: str,
    rendered: list[RenderedFile],
    timeout: float = DEFAULT_TIMEOUT,
    diff: bool = False,
    also: Callable[[Connection], None] | None = None,
) -> Outcome:
    """`also`: more to ask on the same connection once the files are read (status --enabled)."""
    outcome = Outcome(spec_name, str(target), "unreachable")
    try:
        with Connection(target, timeout) as conn:
            state = probe(conn, target, "php")
            if also is not None:
                also(conn)
    except Unreachable as exc:
        outcome.detail = str(exc)
        return outcome
    if state.unsafe:
        outcome.result, outcome.detail = "failed", f"{target.path}/{state.unsafe}"
        return outcome
    problem = _target_problem(state, target.path) if state.folder != "readonly" else ""
    if problem:
        outcome.result, outcome.detail = "missing", problem
        outcome.files = {r.filename: "missing" for r in rendered}
        return outcome
    return dep.status_of(outcome, state, rendered, diff)
