"""The itgrix-gen command line (see docs/design/cli.md).

Exit codes: 0 success, 1 a check found a difference or a test failed, 2 a usage or spec error.
No Python traceback reaches a user unless --debug is given.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import typer

from generator import __version__
from generator.commands import terminal
from generator.commands.say import Say
from generator.errors import Exit, UsageProblem

app = typer.Typer(
    name="itgrix-gen",
    help="Generate the fourteen PHP customizations of the Itgrix connector (itgrix_bx) from a spec.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)

STATE: dict[str, Any] = {"debug": False, "root": None}


def _version(value: bool) -> None:
    if value:
        print(f"itgrix-gen {__version__}")
        raise typer.Exit(0)


@app.callback()
def _root(
    debug: bool = typer.Option(False, "--debug", help="Show Python tracebacks on internal errors."),
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
    root: Path | None = typer.Option(
        None,
        "--root",
        help="The folder tree that `extends` may reach (default: the folder of each spec); e.g. --root . for clients/*/spec.yaml extending templates/base.yaml.",
    ),
) -> None:
    STATE["debug"] = debug
    if root is not None and not root.is_dir():
        raise UsageProblem(f"--root {root}: not a folder")
    STATE["root"] = root


SAY: Say = terminal.Terminal()


@app.command()
def validate(specs: list[str] = typer.Argument(..., help="Spec files, folders or glob patterns.")) -> None:
    """Load and check specs; report every error as file:line:col: path: message."""
    from generator.commands.validate import validate as use_case

    raise Exit(use_case(specs, STATE["root"], SAY))


@app.command()
def render(
    specs: list[str] = typer.Argument(..., help="Spec files, folders or glob patterns."),
    output: Path | None = typer.Option(
        None,
        "-o",
        "--output",
        help="Output folder (default: out/<spec name>/; with several specs, <DIR>/<spec name>/).",
    ),
    check: bool = typer.Option(False, "--check", help="Write nothing; exit 1 naming the files that are stale."),
    diff: bool = typer.Option(False, "--diff", help="Write nothing; print a unified diff of what would change."),
) -> None:
    """Write the fourteen PHP files for each spec (only the ones that changed, atomically)."""
    from generator.commands.render import render as use_case

    raise Exit(use_case(specs, output, check, diff, STATE["root"], SAY))


@app.command()
def run(
    spec: str = typer.Argument(..., help="The spec file."),
    name: str | None = typer.Argument(
        None, help="Customization name, e.g. need_registration (with --case: the case's own)."
    ),
    input: str | None = typer.Option(
        None, "--input", "-i", help="Input JSON file (what the connector passes as $params); - for stdin."
    ),
    case: Path | None = typer.Option(
        None, "--case", help="A golden case folder: its input (expanded), customization and pinned clock."
    ),
    php: str | None = typer.Option(
        None, "--php", help="The php binary to use (default: php on PATH or $ITGRIX_GEN_PHP)."
    ),
    now: str | None = typer.Option(
        None, "--now", help="Pin the clock (ISO 8601 with offset) for hours/deadline logic."
    ),
    live_network: bool = typer.Option(
        False,
        "--live-network",
        help="Really send the webhooks the file makes (default: a stub answers 200 and they are only printed).",
    ),
) -> None:
    """Render in memory and run one customization on one input with real PHP, as the connector would.
    Webhooks are not sent (trying a case must not post test data to a client's live URL): each is
    printed on stderr as `would send: METHOD URL BODY`; --live-network sends them."""
    from generator.commands.run import command as use_case

    raise Exit(use_case(spec, name, input, case, php, now, live_network, STATE["root"], SAY))


@app.command()
def test(
    specs: list[str] = typer.Argument(..., help="Spec files, folders or glob patterns."),
    cases: Path | None = typer.Option(
        None, "--cases", help="Folder of case folders (default: cases/ beside each spec)."
    ),
    php: str | None = typer.Option(None, "--php", help="The php binary to use."),
    update: bool = typer.Option(
        False, "--update", help="Rewrite each expected.json from the current reply (review the diff!)."
    ),
    php_matrix: bool = typer.Option(
        False,
        "--php-matrix",
        help="Also run every case on the PHP versions from the spec's php: floor up, and on the newest one below a floor the matrix lacks (5.2, 7.2-8.5: WASM builds from npm; needs Node.js).",
    ),
) -> None:
    """Run every golden case (input.json -> expected.json) and every scenario with `expect:`
    (scenarios/*.yaml beside the spec) through real PHP."""
    from generator.commands.test import test as use_case

    raise Exit(use_case(specs, cases, php, update, php_matrix, STATE["root"], SAY).say(SAY))


FormatOption = typer.Option("text", "--format", help="text (tables and diffs) or json.")
TargetOption = typer.Option(
    None,
    "--to",
    help="A target: the connector's folder, or ssh://[user@]host[:port]/path (repeat for several; default: each spec's deploy.to).",
)


@app.command()
def deploy(
    specs: list[str] = typer.Argument(None, help="Specs (files, folders or globs); not needed with --rollback --to."),
    to: list[str] = TargetOption,
    dry_run: bool = typer.Option(
        False,
        "--dry-run",
        help="Change nothing: per target one line per file state (as `status` says it) and a summary (new, changed, unchanged, refused).",
    ),
    diff: bool = typer.Option(False, "--diff", help="With --dry-run: the PHP diffs too, after the summary lines."),
    force: bool = typer.Option(
        False,
        "--force",
        help="Overwrite (deploy) or discard (rollback) files edited by hand on the server, after backing them up.",
    ),
    rollback: bool = typer.Option(
        False, "--rollback", help="Restore the files the last deploy replaced (or, with --backup, down to that one)."
    ),
    list_backups: bool = typer.Option(
        False,
        "--list",
        help="With --rollback: list each target's backups (time, who deployed, the spec's git commit, the tool's and the spec's version); change nothing.",
    ),
    backup: str | None = typer.Option(
        None,
        "--backup",
        help="With --rollback: undo every deploy down to backup ID (from --list), leaving the target as it was before it (default: the newest backup).",
    ),
    php: str | None = typer.Option(
        None, "--php", help="The php binary here for `php -l` before anything is sent (default: php on PATH, if any)."
    ),
    php_bin: str | None = typer.Option(
        None,
        "--php-bin",
        help="The php the connector uses on the server: it lints every file and its version must reach the spec's php: (default: the target's php_bin in deploy.to, else php; given, it is used on every target).",
    ),
    parallel: int = typer.Option(4, "--parallel", min=1, max=64, help="Targets worked on at once."),
    wait: float = typer.Option(30.0, "--wait", min=0, help="Seconds to wait for another deploy into the same folder."),
    timeout: float = typer.Option(
        330.0,
        "--timeout",
        min=1,
        help="Seconds a server over SSH may take in all (connecting, the server's php -l, writing); past it the connection is ended and the server reported as unreachable.",
    ),
    all_targets: bool = typer.Option(
        False, "--all", help="With --rollback and no --to: roll back every target of the specs' deploy.to."
    ),
) -> None:
    """Check, then install the fourteen files on each target (a folder or ssh://host/path) atomically,
    with a backup, the hand-edit guard and, on a server, its own PHP as the judge.  Exit 0 when every
    target is deployed or unchanged, 1 when any refused or failed, 2 on a spec or usage error."""
    from generator.commands.deploy import Asked, command

    # The options in the order of this signature, which is the order of Asked's fields.
    given = (dry_run, diff, force, rollback, list_backups, backup, php, php_bin, parallel, wait, timeout, all_targets)
    raise Exit(command(Asked(specs or [], to, *given), STATE["root"], SAY))


@app.command()
def status(
    specs: list[str] = typer.Argument(..., help="Specs (files, folders or globs)."),
    to: list[str] = TargetOption,
    format: str = FormatOption,
    diff: bool = typer.Option(
        False,
        "--diff",
        help="Each hand-edited file's unified diff against what the spec renders, headed by its time and owner.",
    ),
    parallel: int = typer.Option(4, "--parallel", min=1, max=64, help="Targets asked at once."),
    timeout: float = typer.Option(
        330.0, "--timeout", min=1, help="Seconds a server over SSH may take to answer, connecting included."
    ),
    enabled: bool = typer.Option(
        False,
        "--enabled",
        help="Also ask the connector's status page, on the server, whether each deployed customization is switched on in its admin panel (login from ~/.netrc); 'deployed but not enabled' exits 1.",
    ),
    status_url: str = typer.Option(
        "http://127.0.0.1:8077/status",
        "--status-url",
        help="With --enabled: the connector's status page as seen from the server itself.",
    ),
) -> None:
    """Is what runs on each target what the spec renders now?  Per target and file: fresh, stale,
    hand-edited, unusable (a link, a FIFO... root never reads), missing, or unreachable; the same
    words and the same judgement as `deploy --dry-run`.  Changes nothing; exit 1 when anything is
    not fresh (with --enabled: or not switched on, or the status page could not tell)."""
    from generator.commands.status import command

    url = status_url if enabled else None
    raise Exit(command(specs, to, format, diff, parallel, timeout, url, STATE["root"], SAY))


@app.command()
def explain(
    spec: str = typer.Argument(..., help="The spec to explain."),
    start: str | None = typer.Option(
        None,
        "--from",
        metavar="DATE",
        help="First day (YYYY-MM-DD) of the twelve months whose calendar days are listed (default: today).",
    ),
) -> None:
    """Print, in plain Markdown for a client, what each customization will do."""
    from generator.commands.explain import explain as use_case

    sys.stdout.write(use_case(spec, start, STATE["root"], SAY))


@app.command()
def schema() -> None:
    """Print the JSON Schema of the spec (for editor completion and validation)."""
    from generator.commands.schema import schema as use_case

    sys.stdout.write(json.dumps(use_case(), indent=2, ensure_ascii=False) + "\n")


@app.command()
def fields(
    logs: list[Path] = typer.Argument(
        None,
        help="With --probe: capture logs (.jsonl files, or folders searched recursively; a folder's first level is a target).",
    ),
    probe: bool = typer.Option(False, "--probe", help="Check the table against captured calls."),
    spec: str | None = typer.Option(None, "--spec", help="Show (and probe with) this spec's `fields:` overrides."),
    format: str = FormatOption,
    jobs: int | None = typer.Option(
        None, "--jobs", min=1, help="With --probe: processes reading large logs (default: one per core)."
    ),
) -> None:
    """Print the table of input paths each condition key and placeholder reads (Markdown), or with
    --probe, how often each path found a value on real calls, in total and per target (a pulled
    folder's first level): exit 1 when a key the spec uses found nothing on any one target in the calls of a customization that reads it."""
    from generator.commands.fields import fields as use_case

    raise Exit(use_case(list(logs or []), probe, spec, format, jobs, STATE["root"], SAY))


@app.command()
def replay(
    spec: str = typer.Argument(..., help="The spec to judge."),
    logs: list[Path] = typer.Argument(
        ...,
        help="Capture logs: .jsonl files or folders (searched recursively, rotations included; '-': standard input).",
    ),
    format: str = FormatOption,
    check: bool = typer.Option(False, "--check", help="Exit 1 when any call would now get another reply."),
    show: int | None = typer.Option(
        None, "--show", min=0, help="How many changed calls to print in full (text: 5; json: all)."
    ),
    baseline: str = typer.Option(
        "decided",
        "--baseline",
        help="Compare with: decided (what the deployed spec decided; in shadow, not the pass-through the connector got), answered (what the connector got), or another spec file's decisions.",
    ),
    customization: list[str] = typer.Option(
        [], "--customization", help="Only calls to this customization (repeat for several)."
    ),
    rule: list[str] = typer.Option(
        [],
        "--rule",
        help="Only calls decided by this rule now or before, e.g. registration.rules[1] (a section such as registration matches all its rules; repeat for several).",
    ),
    jobs: int | None = typer.Option(None, "--jobs", min=1, help="PHP workers (default: one per core)."),
    php: str | None = typer.Option(None, "--php", help="The php binary to use."),
) -> None:
    """Run every captured call through the spec's files with real PHP and count, per customization
    and per deciding rule, the calls whose reply would differ from the baseline's."""
    from generator.commands.replay import replay as use_case

    raise Exit(use_case(spec, logs, format, check, show, baseline, customization, rule, jobs, php, STATE["root"], SAY))


@app.command()
def simulate(
    spec: str = typer.Argument(..., help="The spec whose generated files the calls go through."),
    scenarios: list[Path] = typer.Argument(
        None, help="Scenario files or folders (default: the scenarios/ folder beside the spec)."
    ),
    format: str = typer.Option("text", "--format", help="text (a timeline), json, or jsonl (capture log lines)."),
    compare: list[Path] = typer.Option(
        None, "--compare", help="A capture log of real calls: where its order differs from the flow table."
    ),
    php: str | None = typer.Option(None, "--php", help="The php binary to use."),
) -> None:
    """Walk each scenario (a call in people's terms) through the connector's customizations in
    its order, with the spec's real PHP, and print what Bitrix24 would get.  Exit 1 when a
    scenario's `expect:` does not hold."""
    from generator.commands.simulate import simulate as use_case

    raise Exit(use_case(spec, list(scenarios or []), format, list(compare or []), php, STATE["root"], SAY))


@app.command()
def report(
    specs: list[str] = typer.Argument(..., help="Spec files, folders or glob patterns."),
    output: Path = typer.Option(..., "-o", "--output", help="The HTML file to write (one self-contained file)."),
    logs: Path | None = typer.Option(
        None, "--logs", help="A folder of capture logs, one subfolder per server: adds probe and replay summaries."
    ),
    php: str | None = typer.Option(None, "--php", help="The php binary to use."),
) -> None:
    """Write one HTML file for the client: what each spec does, its calendar, each scenario's call
    in three swimlanes (Asterisk, connector, Bitrix24), golden cases and scenarios with pass/fail.
    Exit 1 when a test in it fails (the file is written all the same)."""
    from generator.commands.report import report as use_case

    raise Exit(use_case(specs, output, logs, php, STATE["root"], SAY))


cases_app = typer.Typer(help="Golden cases from real calls.", no_args_is_help=True)
app.add_typer(cases_app, name="cases")


@cases_app.command("import")
def cases_import(
    logs: list[Path] = typer.Argument(
        ..., help="Capture logs: .jsonl files or folders (searched recursively, rotations included)."
    ),
    spec: str = typer.Option(..., "--spec", help="The spec whose cases/ folder receives the cases."),
    redact: bool = typer.Option(
        False, "--redact", help="Phone digits and names become stable pseudonyms (as capture's redact)."
    ),
    limit: int | None = typer.Option(None, "--limit", min=1, help="Import at most N new cases."),
    jobs: int | None = typer.Option(None, "--jobs", min=1, help="PHP workers (default: one per core)."),
    php: str | None = typer.Option(None, "--php", help="The php binary to use."),
) -> None:
    """Turn captured calls into golden case folders beside the spec: one for each rule of the spec
    that decides some captured call and has no case yet (named after the customization and the
    rule's place, e.g. need_registration-registration-rules-1); expected.json is the spec's reply."""
    from generator.commands.cases_import import import_cases

    raise Exit(import_cases(logs, spec, redact, limit, jobs, php, STATE["root"], SAY))


capture_app = typer.Typer(help="The capture logs on the servers.", no_args_is_help=True)
app.add_typer(capture_app, name="capture")


@capture_app.command("pull")
def capture_pull(
    specs: list[str] = typer.Argument(..., help="Specs (files, folders or globs) whose capture.dir is pulled."),
    to: list[str] = TargetOption,
    output: Path | None = typer.Option(
        None, "-o", "--output", help="Where to put DIR/<target>/ (default: captures/<spec name>/)."
    ),
    parallel: int = typer.Option(4, "--parallel", min=1, max=64, help="Targets pulled at once."),
    timeout: float = typer.Option(
        3600.0,
        "--timeout",
        min=1,
        help="Seconds a server over SSH may take in all (connecting and copying); past it the connection is ended and the target reported as failed (what was copied is kept).",
    ),
) -> None:
    """Copy each target's capture files into DIR/<target>/ (its host alias or folder name), only
    what was appended or rotated since the last pull, never a torn or a duplicate line.  One line
    per target as it finishes; exit 1 when any target could not be pulled."""
    from generator.commands.capture_pull import pull

    raise Exit(pull(specs, to, output, parallel, timeout, STATE["root"], SAY))


@app.command()
def init(
    folder: Path = typer.Argument(Path("."), help="Where to write spec.yaml and cases/ (created if missing)."),
    force: bool = typer.Option(False, "--force", help="Overwrite an existing spec.yaml."),
) -> None:
    """Write a commented starter spec and one golden case, ready to render and test."""
    from generator.commands.init import init as use_case

    raise Exit(use_case(folder, force, SAY))


def main() -> None:
    terminal.end_connections_on_signals()
    try:
        code = app(standalone_mode=False)
    except BaseException as exc:
        ended = terminal.exit_code(exc, STATE["debug"])
        if ended is None:
            raise
        sys.exit(ended)
    sys.exit(code if isinstance(code, int) else 0)
