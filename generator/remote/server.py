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
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from generator import deploy as dep
from generator.remote.ssh import DEFAULT_TIMEOUT, Connection, Unreachable
from generator.target import SshTarget

if TYPE_CHECKING:
    from generator.pipeline import RenderedFile


@dataclass
class ServerFile:
    data: bytes | None = None  # None: absent (or unreadable, see problem)
    problem: str = ""
    mode: int = 0o644
    uid: int | None = None
    gid: int | None = None


@dataclass
class ServerState:
    php_version: str | None = None
    php_problem: str = ""
    target: str = "missing"  # ok | missing | notdir | readonly | unreadable
    manifest: dict[str, Any] | None = None
    manifest_exists: bool = False
    pending: dict[str, Any] | None = None
    files: dict[str, ServerFile] = field(default_factory=dict)
    backups: dict[str, dict[str, Any] | None] = field(default_factory=dict)  # folder name -> backup.json
    backup_files: dict[str, dict[str, str]] = field(default_factory=dict)  # folder -> {file: sha256}
    unsafe: str = ""  # why the state folder cannot be trusted (then nothing in it is used)
    complete: bool = False

    def known(self) -> tuple[dict[str, set[str]], bool]:
        infos = [info or {} for name, info in sorted(self.backups.items())]
        return dep.known_from(self.manifest, self.manifest_exists, self.pending, infos)

    def sha(self, name: str) -> str:
        f = self.files.get(name)
        return dep.sha256(f.data) if f is not None and f.data is not None else "-"


def _json(text: str) -> dict[str, Any] | None:
    try:
        data = json.loads(base64.b64decode(text, validate=True))
    except (binascii.Error, ValueError):
        return None
    return data if isinstance(data, dict) else None


def parse_probe(text: str) -> ServerState:
    """remote.sh's probe report, read defensively (a server's output is not trusted)."""
    state = ServerState()
    names = dep.file_names()
    for line in text.splitlines():
        key, _, rest = line.partition(" ")
        if key == "version":
            if rest.startswith("! "):
                state.php_problem = rest[2:].strip()
            else:
                state.php_version = rest.strip()
        elif key == "target":
            state.target = rest.strip()
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
            if name not in names:
                continue
            if len(parts) >= 2 and parts[1] == "-":
                state.files[name] = ServerFile()
            elif len(parts) >= 2 and parts[1] == "!":
                state.files[name] = ServerFile(problem=" ".join(parts[2:]) or "unreadable")
            elif len(parts) >= 4:
                try:
                    data = base64.b64decode(parts[4] if len(parts) > 4 else "", validate=True)
                    state.files[name] = ServerFile(data, "", int(parts[1], 8), int(parts[2]), int(parts[3]))
                except (binascii.Error, ValueError):
                    state.files[name] = ServerFile(problem="the server's answer was garbled")
        elif key == "backup":
            folder, _, value = rest.partition(" ")
            state.backups[folder] = _json(value)
        elif key == "backupfile":
            parts = rest.split(" ")
            if len(parts) == 3:
                state.backup_files.setdefault(parts[0], {})[parts[1]] = parts[2]
        elif key == "end":
            state.complete = True
    return state


def probe(conn: Connection, path: str, php_bin: str) -> ServerState:
    out = conn.run(["probe", path, php_bin, *sorted(dep.file_names())])
    state = parse_probe(out.out)
    if not state.complete:
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


@dataclass
class Outcome:
    """What happened on one target (the fleet's summary line and its details)."""

    spec: str
    target: str
    result: str  # deployed | unchanged | refused | check failed | unreachable | failed | dry run
    detail: str = ""
    files: dict[str, str] = field(default_factory=dict)  # file -> create/update/identical/hand-edited/...
    diffs: list[str] = field(default_factory=list)
    backup: str = ""

    @property
    def ok(self) -> bool:
        return self.result in ("deployed", "unchanged", "dry run", "rolled back")


def _target_problem(state: ServerState, path: str) -> str:
    if state.unsafe and state.target == "ok":
        return f"{path}/{state.unsafe}"
    return {
        "missing": f"{path} does not exist on the server (the connector's customizer/actions folder)",
        "notdir": f"{path} on the server is not a folder",
        "unreadable": f"{path} on the server cannot be entered (run as the connector's owner or root)",
        "readonly": f"{path} on the server is not writable (log in as the connector's owner or root)",
    }.get(state.target, "")


def _php_problem(state: ServerState, php_bin: str, floor: str) -> str:
    if state.php_version is None:
        return f"the server's php ({php_bin}) does not run: {state.php_problem or 'no answer'} (--php-bin names it)"
    have, need = version_tuple(state.php_version), version_tuple(floor)
    if not have:
        return f"the server's php ({php_bin}) says its version is {state.php_version!r}"
    if have[:2] < need[:2]:
        return (
            f"the server runs PHP {state.php_version}, below the spec's php: {floor}; set php: to what the server runs"
        )
    return ""


def _frame(kind: str, name: str, data: bytes) -> bytes:
    return f"{kind} {name} {len(data)} {dep.sha256(data)}\n".encode() + data


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
) -> Outcome:
    outcome = Outcome(spec_name, str(target), "failed")
    try:
        with Connection(target, timeout) as conn:
            state = probe(conn, target.path, php_bin)
            problem = _target_problem(state, target.path)
            if problem:
                outcome.detail = problem
                return outcome
            problem = _php_problem(state, php_bin, floor)
            if problem:
                outcome.result, outcome.detail = "check failed", problem
                return outcome
            for _attempt in range(8):  # each round, one of the deploys racing for the lock wins
                outcome = _deploy_planned(
                    conn, target, state, spec_name, digest, rendered, php_bin, force, dry_run, wait, outcome
                )
                if outcome.result != "changed":
                    return outcome
                # Another deploy got the lock first and changed the files: plan again from what is
                # there now (a hand edit made meanwhile is then refused like any other).
                outcome.result = "failed"
                state = probe(conn, target.path, php_bin)
            return outcome
    except Unreachable as exc:
        outcome.result, outcome.detail = "unreachable", str(exc)
        return outcome


def _deploy_planned(
    conn: Connection,
    target: SshTarget,
    state: ServerState,
    spec_name: str,
    digest: str,
    rendered: list[RenderedFile],
    php_bin: str,
    force: bool,
    dry_run: bool,
    wait: float,
    outcome: Outcome,
) -> Outcome:
    known, manifest_lost = state.known()
    current: dict[str, dep.Current] = {}
    for name, f in state.files.items():
        owner = (f.uid, f.gid) if f.uid is not None and f.gid is not None else None
        current[name] = (f.data, f.problem, f.mode, owner)
    plan = dep.plan_files(Path(target.path), rendered, current, known, manifest_lost)
    outcome.files = {p.name: p.status for p in plan.files}
    stop = dep.verdict(plan, str(target), force, dry_run)
    if stop is not None:
        outcome.result, outcome.detail, outcome.diffs = stop
        return outcome
    changes = plan.changes
    stamp = dep._stamp()
    record = dep.records(plan, spec_name, digest, stamp, state.manifest)
    if not changes and state.manifest == record["manifest.json"]:
        outcome.result, outcome.detail = "unchanged", "nothing to change: every file is already deployed"
        return outcome
    payload = b"".join(f"expect {name} {state.sha(name)}\n".encode() for name in sorted(dep.file_names()))
    payload += b"".join(_frame("file", p.name, p.new_bytes) for p in changes)
    for name in ("backup.json", "pending.json", "manifest.json"):
        payload += _frame("meta", name, dep.json_bytes(record[name]))
    payload += b"end\n"
    # The server's php -l gets what is left of the deploy's time, less a margin to answer in.
    lint = str(max(1, int(conn.remaining() - wait - 10)))
    out = conn.run(["apply", target.path, php_bin, stamp, str(int(wait)), lint], payload)
    return _applied(out.code, out.out, out.err, outcome, stamp, changes)


def _applied(code: int, out: str, err: str, outcome: Outcome, stamp: str, changes: list[dep.FilePlan]) -> Outcome:
    lines = out.splitlines()
    if code == 0 and any(line.startswith("deployed ") for line in lines):
        outcome.result = "deployed"
        outcome.detail = f"{len(changes)} file(s) replaced; backup .itgrix-gen/backups/{stamp}"
        outcome.backup = stamp
        return outcome
    if code == 4:
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
    outcome.detail = _why(lines, err, code)
    if code == 6:
        outcome.result = "changed"  # the caller plans again
    return outcome


def _why(lines: list[str], err: str, code: int) -> str:
    """Why remote.sh stopped: its own "error|locked|changed <reason>" line, else ssh's last words."""
    said = next(
        (line.split(" ", 1)[1] for line in lines if line.split(" ", 1)[0] in ("error", "locked", "changed")), ""
    )
    return said or (err.strip().splitlines() or [f"the server's side exited with {code}"])[-1]


# --- rollback ----------------------------------------------------------------------------


def rollback(
    target: SshTarget, force: bool = False, wait: float = 30.0, dry_run: bool = False, timeout: float = DEFAULT_TIMEOUT
) -> Outcome:
    outcome = Outcome("", str(target), "failed")
    try:
        with Connection(target, timeout) as conn:
            state = probe(conn, target.path, "php")
            problem = _target_problem(state, target.path)
            if problem:
                outcome.detail = problem
                return outcome
            return _rollback_planned(conn, target, state, force, wait, outcome, dry_run)
    except Unreachable as exc:
        outcome.result, outcome.detail = "unreachable", str(exc)
        return outcome


def _rollback_planned(
    conn: Connection,
    target: SshTarget,
    state: ServerState,
    force: bool,
    wait: float,
    outcome: Outcome,
    dry_run: bool = False,
) -> Outcome:
    names = dep.file_names()

    def current_of(name: str) -> str:
        problem = state.files.get(name, ServerFile()).problem
        if problem:
            raise dep.DeployError(f"cannot use {name} ({problem}); nothing was changed")
        return state.sha(name)

    try:
        rp = dep.plan_restore(
            state.backups, lambda b: state.backup_files.get(b, {}), current_of, state.manifest, str(target)
        )
    except dep.DeployError as exc:
        outcome.detail = str(exc)
        return outcome
    folder = rp.backup
    if rp.edited and not force:
        outcome.result = "refused"
        outcome.detail = (
            "edited on the server since the last deploy: "
            + ", ".join(rp.edited)
            + " (--force backs them up and rolls back)"
        )
        return outcome
    if dry_run:
        outcome.result = "dry run"
        outcome.detail = f"would restore {len(rp.restore)} and remove {len(rp.remove)} from backups/{folder}"
        outcome.files = {**{n: "restore" for n in rp.restore}, **{n: "remove" for n in rp.remove}}
        return outcome
    payload = b"".join(f"expect {name} {state.sha(name)}\n".encode() for name in sorted(names))
    payload += f"from {folder}\n".encode()
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
        outcome.result = "rolled back"
        outcome.detail = f"from backups/{folder}: {len(restored)} restored, {len(removed)} removed"
        outcome.files = {**{n: "restored" for n in restored}, **{n: "removed" for n in removed}}
        return outcome
    outcome.detail = _why(lines, out.err, out.code)
    return outcome


# --- status ------------------------------------------------------------------------------


def file_states(
    current: dict[str, bytes | None], rendered: list[RenderedFile], known: dict[str, set[str]]
) -> dict[str, str]:
    """fresh (what the spec renders now), stale (an earlier deploy of ours), hand-edited (neither),
    missing; per file (see `unusable` for files root will not read)."""
    states = {}
    for r in rendered:
        data = current.get(r.filename)
        if data is None:
            states[r.filename] = "missing"
        elif data == r.content.encode("utf-8"):
            states[r.filename] = "fresh"
        elif dep.sha256(data) in known.get(r.filename, set()):
            states[r.filename] = "stale"
        else:
            states[r.filename] = "hand-edited"
    return states


def unusable(outcome: Outcome, problems: dict[str, str]) -> None:
    """Files root will not use (a link, a FIFO, a hard link, a foreign owner) are `unusable`, not
    hand-edited (a user would reach for --force, which refuses them too), with the reason in the
    outcome's detail.  Their content is never read."""
    for name, why in sorted(problems.items()):
        outcome.files[name] = "unusable"
        outcome.detail = "; ".join(filter(None, [outcome.detail, f"{name}: {why}"]))


def overall(states: dict[str, str]) -> str:
    for worst in ("unusable", "hand-edited", "missing", "stale"):
        if worst in states.values():
            return worst
    return "fresh"


def status(
    target: SshTarget,
    spec_name: str,
    rendered: list[RenderedFile],
    timeout: float = DEFAULT_TIMEOUT,
    also: Callable[[Connection], None] | None = None,
) -> Outcome:
    """`also`: more to ask on the same connection once the files are read (status --enabled)."""
    outcome = Outcome(spec_name, str(target), "unreachable")
    try:
        with Connection(target, timeout) as conn:
            state = probe(conn, target.path, "php")
            if also is not None:
                also(conn)
    except Unreachable as exc:
        outcome.detail = str(exc)
        return outcome
    if state.unsafe:
        outcome.result, outcome.detail = "failed", f"{target.path}/{state.unsafe}"
        return outcome
    problem = _target_problem(state, target.path) if state.target != "readonly" else ""
    if problem:
        outcome.result, outcome.detail = "missing", problem
        outcome.files = {r.filename: "missing" for r in rendered}
        return outcome
    known, _lost = state.known()
    current = {name: (None if f.problem else f.data) for name, f in state.files.items()}
    outcome.files = file_states(current, rendered, known)
    unusable(outcome, {name: f.problem for name, f in state.files.items() if f.problem})
    outcome.result = overall(outcome.files)
    return outcome
