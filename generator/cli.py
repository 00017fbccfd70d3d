"""The itgrix-gen command line (see docs/design/cli.md).

Exit codes: 0 success, 1 a check found a difference or a test failed, 2 a usage or spec error.
No Python traceback reaches a user unless --debug is given.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer
from rich.console import Console
from rich.table import Table

from generator import __version__, progress
from generator.commands.say import Say
from generator.errors import Exit, UsageProblem, UserError

if TYPE_CHECKING:
    from generator.speclang.loader import LoadedSpec

app = typer.Typer(
    name="itgrix-gen",
    help="Generate the fourteen PHP customizations of the Itgrix connector (itgrix_bx) from a spec.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)

# Wide when not on a terminal (CI logs), so table cells are never cut to "…".
out = Console(highlight=False, soft_wrap=True, width=None if sys.stdout.isatty() else 200)
err = Console(stderr=True, highlight=False, soft_wrap=True)
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
        help="The folder tree that `extends` may reach (default: the folder of each spec); "
        "e.g. --root . for clients/*/spec.yaml extending templates/base.yaml.",
    ),
) -> None:
    STATE["debug"] = debug
    if root is not None and not root.is_dir():
        raise UsageProblem(f"--root {root}: not a folder")
    STATE["root"] = root


# --- helpers ---------------------------------------------------------------------------------


class _Console:
    """What the use cases say, on the consoles: colours and tables on a terminal."""

    def out(self, item: Any, markup: bool = False) -> None:
        out.print(item, markup=markup)

    def err(self, item: Any, markup: bool = False) -> None:
        err.print(item, markup=markup)

    def write(self, text: str) -> None:
        sys.stdout.write(text)


SAY: Say = _Console()


def expand_specs(items: list[str]) -> list[Path]:
    from generator.commands import specs

    return specs.expand(items, SAY)


def load_all(paths: list[Path]) -> tuple[list[LoadedSpec], int]:
    from generator.commands import specs

    return specs.load_all(paths, STATE["root"], SAY)


# --- commands --------------------------------------------------------------------------------


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
    from generator.commands import run as use_case
    from generator.php.runner import require_php

    key, text, moment = use_case.call(name, input, case, now)
    loaded, failed = load_all([Path(spec)])
    if failed:
        raise Exit(2)
    raise Exit(use_case.run(loaded[0], key, text, moment, require_php(php), live_network, SAY))


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
        help="Also run every case on the PHP versions from the spec's php: floor up, and on the newest one below "
        "a floor the matrix lacks (5.2, 7.2-8.5: WASM builds from npm; needs Node.js).",
    ),
) -> None:
    """Run every golden case (input.json -> expected.json) and every scenario with `expect:`
    (scenarios/*.yaml beside the spec) through real PHP."""
    from generator.commands.test import test as use_case

    done = use_case(specs, cases, php, update, php_matrix, STATE["root"], SAY)
    table = Table(title=None, show_lines=False)
    for column in ("spec", "php", "case", "customization", "result"):
        table.add_column(column)
    for row in done.rows:
        table.add_row(*row)
    out.print(table)
    for block in done.details:
        out.print(block, markup=False)
    out.print(done.summary, markup=False)
    raise Exit(done.code)


FormatOption = typer.Option("text", "--format", help="text (tables and diffs) or json.")
TargetOption = typer.Option(
    None,
    "--to",
    help="A target: the connector's folder, or ssh://[user@]host[:port]/path (repeat for several; "
    "default: each spec's deploy.to).",
)


def _jobs(specs: list[str], to: list[str] | None, need_spec: bool = True) -> tuple[list[Any], int]:
    """(spec, target) jobs; and how many specs could not be used (errors already printed).  A --to
    value that is neither a URL nor a folder is a name of one of the specs' deploy.to targets."""
    from generator.fleet import Job
    from generator.target import parse, resolve

    if not specs:
        if need_spec:
            raise UsageProblem("name at least one SPEC (a file or a folder of specs)")
        if not to:
            raise UsageProblem("give --to TARGET (a folder or ssh://host/path)")
        return [Job(None, resolve(t, [])) for t in to], 0
    loaded, failed = load_all(expand_specs(specs))
    entries = {
        item.path: [(parse(e.to), e) for e in (item.spec.deploy.to if item.spec.deploy else [])] for item in loaded
    }
    known = [t for pairs in entries.values() for t, _e in pairs]
    targets = [resolve(t, known) for t in to or []]
    jobs = []
    for item in loaded:
        mine = targets or [t for t, _e in entries[item.path]]
        if not mine:
            err.print(f"error: {item.path}: no target (give --to, or deploy.to in the spec)", markup=False)
            failed += 1
            continue
        for target in mine:
            # The target's own settings: this spec's entry for it, else another given spec's.
            own = [e for t, e in entries[item.path] if t == target] or [
                e for pairs in entries.values() for t, e in pairs if t == target
            ]
            jobs.append(Job(item, target, php_bin=own[0].php_bin if own else None))
    return jobs, failed


def _with_progress(jobs: list[Any], work: Callable[[Any], Any], parallel: int, label: str) -> list[Any]:
    from generator import fleet

    with progress.bar(len(jobs), label) as advance:
        return fleet.run(jobs, work, parallel, lambda o: advance())


RESULT_COLOURS = {
    "deployed": "green",
    "unchanged": "dim",
    "rolled back": "green",
    "listed": "green",
    "dry run": "cyan",
    "refused": "red",
    "check failed": "red",
    "unreachable": "red",
    "failed": "red",
    "fresh": "green",
    "stale": "yellow",
    "hand-edited": "red",
    "unusable": "red",
    "missing": "red",
}
FILE_COLOURS = {
    "fresh": "dim",
    "stale": "yellow",
    "missing": "green",
    "hand-edited": "red",
    "unusable": "red",
    "restored": "green",
    "removed": "yellow",
    "restore": "green",
    "remove": "yellow",
}


def _file_lines(o: Any) -> None:
    """One line per file state of a target: the state (the words `status` uses) and its files."""
    by_state: dict[str, list[str]] = {}
    for name, state in sorted(o.files.items()):
        by_state.setdefault(state, []).append(name)
    for state, names in by_state.items():
        listed = f"{len(names)} file(s)" if state == "fresh" and len(names) > 3 else ", ".join(names)
        out.print(f"[{FILE_COLOURS.get(state, 'white')}]{state:<11}[/] {escape(o.target)}: {escape(listed)}")


def _summary(outcomes: list[Any], title: str, diff: bool = False, deploying: bool = False) -> None:
    """Per target the file lines, then per target one summary line (with deploy's counts: new,
    changed, unchanged, refused), then the diffs: the summary is never buried under them."""
    if title:
        out.print(title, markup=False)
    for o in outcomes:
        _file_lines(o)
    for o in outcomes:
        colour = RESULT_COLOURS.get(o.result, "white")
        counts = ""
        if deploying and o.files:
            counts = ", ".join(f"{n} {what}" for what, n in o.counts().items())
        said = "; ".join(filter(None, [counts, o.detail]))
        # One target's failure goes to stderr; a fleet's summary stays together on stdout.
        (out if o.ok or len(outcomes) > 1 else err).print(
            f"[{colour}]{o.result}[/] {escape(o.target)}" + (f": {escape(said)}" if said else "")
        )
    if any(o.result == "refused" for o in outcomes):
        err.print("move the change into the spec, or use --force (the files are backed up first)", markup=False)
    for o in outcomes:
        if diff or (o.result == "refused" and len(outcomes) == 1):
            for block in o.diffs:
                sys.stdout.write(block)


def _backup_list(outcomes: list[Any]) -> None:
    """--rollback --list: per target its backups, oldest first (the id is what --backup takes)."""
    from generator.commands.deploy import backup_lines

    for o in outcomes:
        if not o.ok:
            err.print(f"[red]{o.result}[/] {escape(o.target)}: {escape(o.detail)}")
            continue
        out.print(f"{o.target}: {o.detail}", markup=False)
        for line in backup_lines(o):
            out.print(f"  {line}", markup=False)


def escape(text: str) -> str:
    from rich.markup import escape as rich_escape

    return rich_escape(text)


@app.command()
def deploy(
    specs: list[str] = typer.Argument(None, help="Specs (files, folders or globs); not needed with --rollback --to."),
    to: list[str] = TargetOption,
    dry_run: bool = typer.Option(
        False,
        "--dry-run",
        help="Change nothing: per target one line per file state (as `status` says it) and a summary "
        "(new, changed, unchanged, refused).",
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
        help="With --rollback: list each target's backups (time, who deployed, the spec's git commit, the tool's "
        "and the spec's version); change nothing.",
    ),
    backup: str | None = typer.Option(
        None,
        "--backup",
        help="With --rollback: undo every deploy down to backup ID (from --list), leaving the target as it "
        "was before it (default: the newest backup).",
    ),
    php: str | None = typer.Option(
        None, "--php", help="The php binary here for `php -l` before anything is sent (default: php on PATH, if any)."
    ),
    php_bin: str | None = typer.Option(
        None,
        "--php-bin",
        help="The php the connector uses on the server: it lints every file and its version must reach the spec's "
        "php: (default: the target's php_bin in deploy.to, else php; given, it is used on every target).",
    ),
    parallel: int = typer.Option(4, "--parallel", min=1, max=64, help="Targets worked on at once."),
    wait: float = typer.Option(30.0, "--wait", min=0, help="Seconds to wait for another deploy into the same folder."),
    timeout: float = typer.Option(
        330.0,
        "--timeout",
        min=1,
        help="Seconds a server over SSH may take in all (connecting, the server's php -l, writing); "
        "past it the connection is ended and the server reported as unreachable.",
    ),
    all_targets: bool = typer.Option(
        False, "--all", help="With --rollback and no --to: roll back every target of the specs' deploy.to."
    ),
) -> None:
    """Check, then install the fourteen files on each target (a folder or ssh://host/path) atomically,
    with a backup, the hand-edit guard and, on a server, its own PHP as the judge.  Exit 0 when every
    target is deployed or unchanged, 1 when any refused or failed, 2 on a spec or usage error."""
    from generator import fleet
    from generator.commands import deploy as use_case
    from generator.php.runner import find_php, require_php

    if php_bin is not None and ("\n" in php_bin or "\x00" in php_bin or not php_bin.strip()):
        raise UsageProblem("--php-bin: give the path of the server's php")
    if diff and not dry_run:
        raise UsageProblem("--diff goes with --dry-run (a refused deploy shows its diffs anyway)")
    if (list_backups or backup is not None) and not rollback:
        raise UsageProblem("--list and --backup go with --rollback")
    if backup is not None and (not backup.strip() or "/" in backup or backup.startswith(".")):
        raise UsageProblem(f"--backup {backup!r}: give a backup's id as --rollback --list shows it")
    options = fleet.Options(
        force=force,
        dry_run=dry_run,
        wait=wait,
        timeout=timeout,
        backup=backup,
        list_backups=list_backups,
    )

    def run(jobs: list[Any], work: Callable[[Any], Any]) -> list[Any]:
        return _with_progress(jobs, work, parallel, "rolling back" if rollback else "deploying")

    if rollback:
        jobs, failed = _jobs(specs or [], to, need_spec=False)
        if not to and len(jobs) > 1 and not all_targets and not list_backups:
            raise UsageProblem(
                f"--rollback would roll back {len(jobs)} targets of deploy.to: "
                + ", ".join(str(j.target) for j in jobs)
                + "; name them with --to, or give --all"
            )
        outcomes = use_case.rollback(jobs, options, run)
        if list_backups:
            _backup_list(outcomes)
        else:
            _summary(outcomes, "rollback (dry run: nothing changed)" if dry_run else "")
        raise Exit(2 if failed or any(o.usage for o in outcomes) else (0 if all(o.ok for o in outcomes) else 1))
    if not specs:
        raise UsageProblem("give the SPEC to deploy (or --rollback --to TARGET)")
    jobs, failed = _jobs(specs, to)
    for job in jobs if php_bin is not None else []:
        job.php_bin = php_bin  # the command line's word for every target
    done = use_case.deploy(jobs, options, require_php(php) if php else find_php(), run)
    for line in done.check_problems:
        err.print(f"check failed: {line}", markup=False)
    if done.lint_skipped:
        err.print("note: no php here, so only phply checked the syntax (php -l skipped)", markup=False)
    _summary(done.outcomes, "deploy (dry run: nothing changed)" if dry_run else "", diff, deploying=True)
    if done.switch_on is not None:
        out.print(
            "Switch on in the admin panel (http://<asterisk-ip>:8077 -> Customizer): "
            + (", ".join(done.switch_on) if done.switch_on else "none"),
            markup=False,
        )
        if done.pass_through:
            out.print("Pass-through (need not be switched on): " + ", ".join(done.pass_through), markup=False)
    if failed:
        raise Exit(2)
    raise Exit(0 if all(o.ok for o in done.outcomes) else 1)


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
        help="Also ask the connector's status page, on the server, whether each deployed customization is "
        "switched on in its admin panel (login from ~/.netrc); 'deployed but not enabled' exits 1.",
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
    from generator import fleet
    from generator.commands import status as use_case
    from generator.remote import enabled as switched_on

    if format not in ("text", "json"):
        raise UsageProblem(f"--format {format!r}: text or json")
    if enabled:
        switched_on.check_url(status_url)
    jobs, failed = _jobs(specs, to)
    options = fleet.Options(timeout=timeout, diff=diff)
    outcomes, answers = use_case.status(
        jobs, options, lambda j, work: _with_progress(j, work, parallel, "asking"), status_url if enabled else None
    )
    if format == "json":
        sys.stdout.write(json.dumps(use_case.as_json(outcomes, answers), indent=2, ensure_ascii=False) + "\n")
    else:
        table = Table(title="status")
        table.add_column("spec")
        table.add_column("target")
        table.add_column("state")
        table.add_column("files not fresh")
        if enabled:
            table.add_column("switched on")
        for i, o in enumerate(outcomes):
            odd = ", ".join(f"{n} ({s})" for n, s in sorted(o.files.items()) if s != "fresh")
            row = [
                o.spec,
                o.target,
                f"[{RESULT_COLOURS.get(o.result, 'white')}]{o.result}[/]",
                escape("; ".join(filter(None, [odd, o.detail])) or "-"),
            ]
            if enabled:
                page = answers[i]
                on = sum(v == switched_on.ENABLED for v in page.files.values())
                colour = "green" if page.ok else ("red" if page.state == "not enabled" else "yellow")
                text = f"all {on} customized file(s)" if page.ok else f"{page.state}: {page.detail}"
                row.append(f"[{colour}]{escape(text)}[/]")
            table.add_row(*row)
        out.print(table)
        for o in outcomes:
            for block in o.diffs:
                sys.stdout.write(block)
    if failed:
        raise Exit(2)
    raise Exit(0 if use_case.all_fresh(outcomes) and all(a.ok for a in answers) else 1)


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
        help="Compare with: decided (what the deployed spec decided; in shadow, not the pass-through "
        "the connector got), answered (what the connector got), or another spec file's decisions.",
    ),
    customization: list[str] = typer.Option(
        [], "--customization", help="Only calls to this customization (repeat for several)."
    ),
    rule: list[str] = typer.Option(
        [],
        "--rule",
        help="Only calls decided by this rule now or before, e.g. registration.rules[1] "
        "(a section such as registration matches all its rules; repeat for several).",
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
        help="Seconds a server over SSH may take in all (connecting and copying); past it the connection "
        "is ended and the target reported as failed (what was copied is kept).",
    ),
) -> None:
    """Copy each target's capture files into DIR/<target>/ (its host alias or folder name), only
    what was appended or rotated since the last pull, never a torn or a duplicate line.  One line
    per target as it finishes; exit 1 when any target could not be pulled."""
    from generator.capture import pull

    jobs, failed = _jobs(specs, to)
    pairs = []
    for job in jobs:
        if job.spec.spec.capture is None:
            err.print(f"error: {job.spec.path}: the spec has no capture: (nothing to pull)", markup=False)
            failed += 1
            continue
        base = output if output is not None else Path("captures") / pull.folder_name_of_spec(job.spec.spec.name)
        pairs.append((job.target, job.spec.spec.capture.dir, base))
    plan = pull.plan(pairs)
    for base in dict.fromkeys(base for _target, _dir, base in pairs):
        pull.check_output(base, f"-o {base}" if output is not None else str(base))

    def said(r: Any) -> None:
        if r.error:
            err.print(f"[red]failed[/]    {escape(r.target)}: {escape(r.error)}")
            return
        what = "no capture folder yet" if r.absent else f"{r.lines} new line(s) from {r.files} file(s)"
        out.print(f"[green]pulled[/]    {escape(r.target)} -> {escape(str(r.folder))}: {what}")
        for skipped in r.skipped:
            err.print(f"  not read: {escape(skipped)} (pull reads only the connector's own regular files)")

    results = pull.run(plan, parallel, said, timeout)
    if failed and not results:
        raise Exit(2)
    raise Exit(0 if all(r.ok for r in results) and not failed else (2 if failed else 1))


@app.command()
def init(
    folder: Path = typer.Argument(Path("."), help="Where to write spec.yaml and cases/ (created if missing)."),
    force: bool = typer.Option(False, "--force", help="Overwrite an existing spec.yaml."),
) -> None:
    """Write a commented starter spec and one golden case, ready to render and test."""
    from generator.commands.init import init as use_case

    raise Exit(use_case(folder, force, SAY))


def _is_usage_error(exc: BaseException) -> bool:
    """Typer bundles its own copy of click (typer._click) in newer releases and used the `click`
    package before: recognise their exceptions by class name, so either works without importing
    a module that may not be installed."""
    return any(cls.__name__ == "ClickException" for cls in type(exc).__mro__) and hasattr(exc, "show")


def _end_connections(signum: int, frame: object) -> None:
    """SIGTERM, SIGHUP, SIGINT: end every SSH connection this run opened (its commands and its
    master) before the process goes, so nothing of it lingers on this machine."""
    ssh = sys.modules.get("generator.remote.ssh")
    if ssh is not None:
        ssh.close_all()
    if signum == signal.SIGINT:
        raise KeyboardInterrupt
    signal.signal(signum, signal.SIG_DFL)
    os.kill(os.getpid(), signum)


def main() -> None:
    for signum in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT):
        with contextlib.suppress(ValueError, OSError):  # not the main thread (embedded use)
            signal.signal(signum, _end_connections)
    try:
        code = app(standalone_mode=False)
    except Exit as exc:
        sys.exit(exc.code)
    except SystemExit:
        raise
    except KeyboardInterrupt:
        err.print("interrupted")
        sys.exit(130)
    except Exception as exc:
        if _is_usage_error(exc):
            exc.show()  # type: ignore[attr-defined]
            sys.exit(2)
        if type(exc).__name__ == "Abort":
            err.print("aborted")
            sys.exit(1)
        if isinstance(exc, UserError):
            err.print(f"error: {exc}", markup=False)
            sys.exit(2)
        if isinstance(exc, OSError) and exc.strerror and not STATE["debug"]:
            # A file or folder that cannot be read or written: the environment, not a bug.
            where = f": {exc.filename}" if exc.filename else ""
            err.print(f"error: {exc.strerror}{where}", markup=False)
            sys.exit(2)
        if STATE["debug"]:
            raise
        text = " ".join(str(exc).split())
        text = text[:300] + ("..." if len(text) > 300 else "")
        err.print(f"internal error: {type(exc).__name__}: {text} (run with --debug for the traceback)", markup=False)
        sys.exit(2)
    sys.exit(code if isinstance(code, int) else 0)
