"""`status --enabled`: is each deployed customization switched on in the connector?

A file in customizer/actions/ runs only when its customization is also switched on in the
connector's admin panel; the commonest reason a customization "does nothing" is a file deployed but
never switched on.  The connector's own status page (`http://127.0.0.1:8077/status`, itgrix_bx
3.6.0 and later; the admin panel's login, HTTP digest) says which are, as `customizer.methods`.

The page is fetched where the connector runs: over the target's SSH connection (the one `status`
already opened) for a server, on this machine for a folder.  enabled.sh does it with curl, or
with the server's PHP when curl is missing; the URL and the login reach it on stdin, never on a
command line or through a shell.  The login comes from ~/.netrc (or the file $NETRC names): the
entry of the target's host as written in its ssh:// URL, else of the status URL's host, else
`default`; no login is sent when there is none.  ITGRIX_GEN_STATUS_FETCH=php makes it use PHP
even where curl is (a server whose curl cannot do digest auth; and the tests of the PHP fetcher).

What is documented about the page (docs/connector/docs-notes.md, docs.itgrix.com
"Status monitoring"): `"customizer": {"enabled": true, "methods": {"customize_activity": true,
...}}`.  INFERRED, not documented: that `customizer` sits at the top level or inside `app` (the
docs' example is cut; both are read), that every key of `methods` is a customization's file name
without `.php` (the three visible ones are), and that `customizer.enabled: false` switches every
customization off.
"""

from __future__ import annotations

import base64
import json
import netrc
import os
import re
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from generator.errors import UsageProblem
from generator.remote.ssh import Connection, Unreachable
from generator.target import SshTarget, Target

if TYPE_CHECKING:
    from generator.deploystate import Outcome
    from generator.fleet import Job, Options
    from generator.pipeline import RenderedFile

SCRIPT = (Path(__file__).parent / "enabled.sh").read_text(encoding="utf-8")
DEFAULT_URL = "http://127.0.0.1:8077/status"
LOCAL_TIMEOUT = 60.0  # seconds for the fetch on this machine (curl and PHP give up after 15)
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")

# A file's verdict.  The problems: the connector will not run a file the spec customizes, or runs
# one that is not there.
ENABLED, PASSTHROUGH, NOT_ENABLED, NOT_LISTED, MISSING = (
    "enabled",
    "pass-through",
    "deployed but not enabled",
    "not on the status page",
    "enabled but not deployed",
)
PROBLEMS = (NOT_ENABLED, NOT_LISTED, MISSING)


@dataclass
class Login:
    user: str
    password: str


@dataclass
class Enabled:
    """One target's answer: `state` is ok, not enabled (some file), or unknown (the page could not
    be asked or read: `detail` says why)."""

    state: str = "unknown"
    detail: str = ""
    files: dict[str, str] = field(default_factory=dict)  # file name -> verdict

    @property
    def ok(self) -> bool:
        return self.state == "ok"

    def as_json(self) -> dict[str, Any]:
        return {"state": self.state, "files": dict(sorted(self.files.items()))} | (
            {"detail": self.detail} if self.detail else {}
        )


def check_url(url: str) -> str:
    """The status page's URL as given with --status-url: http(s), a host, nothing a shell or curl's
    config could read as anything but the URL."""
    parts = urlsplit(url)
    if (
        parts.scheme not in ("http", "https")
        or not parts.hostname
        or _CONTROL.search(url)
        or re.search(r"[\s\"\\]", url)
    ):
        raise UsageProblem(f"--status-url {url!r}: give the page as http://host:port/path, e.g. {DEFAULT_URL}")
    return url


def login_for(target: Target, url: str) -> Login | None:
    """The admin panel's login for this target's status page, from ~/.netrc or $NETRC."""
    path = os.environ.get("NETRC") or os.path.expanduser("~/.netrc")
    if not os.path.exists(path):
        return None
    try:
        entries = netrc.netrc(path)
    except (netrc.NetrcParseError, OSError) as exc:
        raise UsageProblem(f"{path}: cannot be read for the status page's login: {exc}") from None
    hosts = ([target.host] if isinstance(target, SshTarget) else []) + [urlsplit(url).hostname or ""]
    for host in hosts:
        found = entries.authenticators(host)
        if found is not None:
            user, _account, password = found
            if _CONTROL.search(user or "") or "\x00" in (password or ""):
                raise UsageProblem(f"{path}: the login for {host} holds a control character")
            return Login(user or "", password or "")
    return None


def _curl_quoted(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r") + '"'


def payload(url: str, login: Login | None) -> bytes:
    """enabled.sh's stdin: curl's config and the PHP fetcher's request, one base64 line each."""
    config = [
        f"url = {_curl_quoted(url)}",
        "silent",
        "show-error",
        "max-time = 15",
        'noproxy = "*"',  # the page is the server's own: never through a proxy the environment names
        "max-filesize = 8000000",
        'write-out = "\\n%{http_code}"',
    ]
    request = url
    if login is not None:
        config += ["digest", f"user = {_curl_quoted(login.user + ':' + login.password)}"]
        request += f"\n{login.user}\n{login.password}"
    lines = ["\n".join(config) + "\n", request]
    return b"".join(base64.b64encode(line.encode("utf-8")) + b"\n" for line in lines)


def read_answer(code: int, out: str, err: str) -> tuple[dict[str, Any] | None, str]:
    """The page's JSON, or None and why not (one line for the status table)."""
    if code != 0:
        words = [w for w in err.strip().splitlines() if w.strip()]
        why = words[-1] if words else f"the fetch exited with {code}"
        return None, f"the status page did not answer: {why[:300]}"
    body, _, status = out.rpartition("\n")
    if status.strip() == "401":
        return (
            None,
            "the status page asks for the admin panel's login: put it in ~/.netrc (machine HOST login L password P)",
        )
    if status.strip() != "200":
        return None, f"the status page answered HTTP {status.strip() or '?'}"
    try:
        data = json.loads(body)
    except ValueError:
        return None, "the status page's answer is not JSON"
    if not isinstance(data, dict):
        return None, "the status page's answer is not a JSON object"
    return data, ""


def customizer_of(data: dict[str, Any]) -> dict[str, Any] | None:
    """`customizer` at the top level or inside `app` (inferred: the docs' example is cut)."""
    for where in (data, data.get("app")):
        if isinstance(where, dict) and isinstance(where.get("customizer"), dict):
            found: dict[str, Any] = where["customizer"]
            return found
    return None


def judge(data: dict[str, Any], rendered: list[RenderedFile], on_target: dict[str, str]) -> Enabled:
    """Each file's verdict from the page and the files' states on the target (status's)."""
    customizer = customizer_of(data)
    if customizer is None or not isinstance(customizer.get("methods"), dict):
        return Enabled(detail="the status page has no customizer.methods (a connector older than 3.6.0?)")
    methods = customizer["methods"]
    switched_off = customizer.get("enabled") is False
    result = Enabled(state="ok")
    for r in rendered:
        name, deployed = r.customization.name, on_target.get(r.filename, "missing") != "missing"
        on = methods.get(name) is True and not switched_off
        if not deployed:
            verdict = MISSING if on else ""
        elif not r.customized:
            verdict = PASSTHROUGH  # the pass-through changes nothing, switched on or not
        elif name not in methods:
            verdict = NOT_LISTED
        else:
            verdict = ENABLED if on else NOT_ENABLED
        if verdict:
            result.files[r.filename] = verdict
    problems = sorted(n for n, v in result.files.items() if v in PROBLEMS)
    if problems:
        result.state = "not enabled"
        result.detail = ("the customizer is switched off; " if switched_off else "") + "; ".join(
            f"{n}: {result.files[n]}" for n in problems
        )
    return result


def _fetcher() -> str:
    return "php" if os.environ.get("ITGRIX_GEN_STATUS_FETCH") == "php" else "curl"


def fetch_remote(conn: Connection, url: str, login: Login | None, php_bin: str) -> tuple[dict[str, Any] | None, str]:
    out = conn.run([php_bin, _fetcher()], payload(url, login), script=SCRIPT)
    return read_answer(out.code, out.out, out.err)


def fetch_local(url: str, login: Login | None, php_bin: str) -> tuple[dict[str, Any] | None, str]:
    try:
        proc = subprocess.run(
            ["sh", "-c", SCRIPT, "itgrix-gen", php_bin, _fetcher()],
            input=payload(url, login),
            capture_output=True,
            timeout=LOCAL_TIMEOUT,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return None, f"the status page did not answer within {LOCAL_TIMEOUT:g} s"
    return read_answer(proc.returncode, proc.stdout.decode("utf-8", "replace"), proc.stderr.decode("utf-8", "replace"))


def status(job: Job, options: Options, url: str) -> tuple[Outcome, Enabled]:
    """`status` of one target and, in the same visit (the same SSH connection), its status page."""
    from generator import fleet
    from generator.remote import server

    assert job.rendered is not None
    php_bin = job.php_bin or "php"
    answer: list[tuple[dict[str, Any] | None, str]] = []
    login = login_for(job.target, url)
    if isinstance(job.target, SshTarget):

        def ask(conn: Connection) -> None:
            try:
                answer.append(fetch_remote(conn, url, login, php_bin))
            except Unreachable as exc:
                answer.append((None, f"the status page could not be asked: {exc}"))

        outcome = server.status(job.target, job.spec_name, job.rendered, options.timeout, options.diff, also=ask)
    else:
        outcome = fleet.status(job, options)
        if job.target.path.is_dir():
            answer.append(fetch_local(url, login, php_bin))
    if not answer:
        return outcome, Enabled(detail=f"not asked: the target is {outcome.result}")
    data, why = answer[0]
    return outcome, (judge(data, job.rendered, outcome.files) if data is not None else Enabled(detail=why))
