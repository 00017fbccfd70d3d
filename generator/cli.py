"""The itgrix-gen command line (see docs/design/cli.md).

Exit codes: 0 success, 1 a check found a difference or a test failed, 2 a usage or spec error.
No Python traceback reaches a user unless --debug is given.
"""

from __future__ import annotations

import contextlib
import glob
import json
import os
import signal
import sys
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer
from rich.console import Console
from rich.table import Table

from generator import __version__, progress
from generator.errors import UsageProblem, UserError

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
MAX_INPUT_BYTES = 16 * 1024 * 1024  # one call's $params; real ones are a few kilobytes


class Exit(Exception):
    def __init__(self, code: int):
        self.code = code


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


def expand_specs(items: list[str]) -> list[Path]:
    """Spec arguments: files, folders (every spec.yaml/spec.py below), or glob patterns."""
    found: list[Path] = []
    for item in items:
        matches = sorted(glob.glob(item, recursive=True)) if any(c in item for c in "*?[") else [item]
        if not matches:
            err.print(f"[red]error:[/] {item}: no file matches")
            raise Exit(2) from None
        for match in matches:
            path = Path(match)
            if path.is_dir():
                # Python specs are code: they run only when their file is named (or globbed) on
                # the command line, never because they sit in a folder.
                direct = [path / n for n in ("spec.yaml", "spec.yml") if (path / n).is_file()]
                if direct:
                    found.append(direct[0])
                else:
                    nested = sorted(p for p in path.rglob("spec.y*ml") if p.suffix in (".yaml", ".yml"))
                    skipped = sorted(path.rglob("spec.py"))
                    for py in skipped:
                        err.print(f"note: {py} skipped: a Python spec runs only when its file is named", markup=False)
                    if not nested:
                        err.print(f"[red]error:[/] {path}: no spec.yaml below this folder")
                        raise Exit(2) from None
                    found.extend(nested)
            else:
                found.append(path)
    seen, unique = set(), []
    for path in found:
        key = path.resolve()
        if key not in seen:
            seen.add(key)
            unique.append(path)
    return unique


def load_all(paths: list[Path]) -> tuple[list[LoadedSpec], int]:
    """Load every spec; print all errors of all specs; return the ones that loaded."""
    from generator.speclang import advice
    from generator.speclang.loader import Loader, SpecError

    loader = Loader(STATE["root"])
    loaded, failed = [], 0
    for path in paths:
        try:
            loaded.append(loader.load(path))
            for warning in advice.warnings(loaded[-1]):
                err.print(str(warning), markup=False)
        except SpecError as exc:
            failed += 1
            _print_issues(exc)
    return loaded, failed


def _print_issues(exc: Any) -> None:
    """A spec's (or scenario's) mistakes, one `file:line:col: path: message` a line, as validate
    prints them."""
    for issue in exc.issues:
        err.print(f"[red]{issue}[/]" if sys.stderr.isatty() else str(issue), markup=sys.stderr.isatty())


# --- commands --------------------------------------------------------------------------------


@app.command()
def validate(specs: list[str] = typer.Argument(..., help="Spec files, folders or glob patterns.")) -> None:
    """Load and check specs; report every error as file:line:col: path: message."""
    paths = expand_specs(specs)
    loaded, failed = load_all(paths)
    for item in loaded:
        err.print(f"ok  {item.path}")
    if len(paths) > 1:
        err.print(f"{len(loaded)} valid, {failed} invalid")
    raise Exit(2 if failed else 0)


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
    from generator import output as writer
    from generator.batch import render_many

    paths = expand_specs(specs)
    if output is not None:
        try:
            writer.check_folder(output)
        except writer.OutputFolderError as exc:
            raise UsageProblem(str(exc)) from None
    stale_total = errors = rendered = 0
    with progress.bar(len(paths), "rendering") as advance:
        for result in render_many(paths, output, write=not (check or diff), progress=advance, root=STATE["root"]):
            if not result.ok:
                errors += 1
                for line in result.errors:
                    err.print(line, markup=False)
                continue
            rendered += 1
            for note in result.notes:
                err.print(note, markup=False)
            changed = [p for p in result.planned if p.status != "identical"]
            if check or diff:
                if diff:
                    for p in changed:
                        sys.stdout.write(writer.unified_diff(p))
                if check:
                    for p in changed:
                        err.print(f"stale  {p.path} ({'missing' if p.status == 'create' else 'differs'})", markup=False)
                    stale_total += len(changed)
                continue
            if len(paths) > 3:  # a batch: one line per spec
                counts = {s: sum(p.status == s for p in result.planned) for s in ("create", "update", "identical")}
                out.print(f"{result.folder}: " + ", ".join(f"{n} {s}" for s, n in counts.items() if n), markup=False)
                continue
            for p in result.planned:
                colour = {"create": "green", "update": "yellow", "identical": "dim"}[p.status]
                out.print(f"[{colour}]{p.status:<9}[/] {p.path}")
            if result.customized:
                out.print(f"Switch on in the connector's admin panel (Customizer): {', '.join(result.customized)}")
            else:
                out.print("The spec customizes nothing: all fourteen files are pass-throughs.")
    if len(paths) > 1 and not (check or diff):
        err.print(f"{rendered} rendered, {errors} failed", markup=False)
    if check and not errors:
        if stale_total:
            err.print(f"{stale_total} generated file(s) are stale: run itgrix-gen render again and commit.")
        else:
            err.print("generated files are fresh")
    raise Exit(2 if errors else (1 if check and stale_total else 0))


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
    import tempfile

    from generator.php.runner import Case, require_php, run_batch
    from generator.pipeline import checked, decisions_only

    key, text, moment = _call(name, input, case, now)
    loaded, failed = load_all([Path(spec)])
    if failed:
        raise Exit(2)
    php_bin = require_php(php)
    spec_model = loaded[0].spec
    if spec_model.capture is not None or spec_model.shadow:
        err.print("note: run shows what the spec decides; capture and shadow act only in deployed files", markup=False)
    files = {f.customization.name: f for f in checked(decisions_only(loaded[0]))}
    with tempfile.TemporaryDirectory(prefix="itgrix-gen-run-") as tmp:
        path = Path(tmp) / files[key].filename
        path.write_text(files[key].content, encoding="utf-8")
        result = run_batch([Case(str(path), text, moment)], php_bin, stub_http=not live_network)[0]
    for line in result.log + [f"PHP {e}" for e in result.errors]:
        if line.startswith(_STUBBED):
            line = "would send (not sent: --live-network sends it): " + line[len(_STUBBED) :]
        err.print(line, markup=False)
    if result.output:
        err.print(f"the file printed: {result.output!r}", markup=False)
    if result.crash:
        err.print(result.crash, markup=False)
    if result.reply_json is not None:
        sys.stdout.write(result.reply_json + "\n")
    raise Exit(0 if result.clean else 1)


_STUBBED = "http stub: "  # how the harness's HTTP stub logs a request it answered instead of the network


def _call(name: str | None, input: str | None, case: Path | None, now: str | None) -> tuple[str, str, int | None]:
    """`run`'s arguments checked: (customization, input JSON text, pinned clock or None)."""
    from generator.cases import load_case
    from generator.customizations import BY_NAME, NAMES

    if case is not None and input is not None:
        raise UsageProblem("give --input or --case, not both")
    golden = load_case(case) if case is not None else None
    key = name or (golden.meta.customization if golden else None)
    if key is None:
        raise UsageProblem("name the customization, e.g. need_registration (or give --case)")
    key = key[:-4] if key.endswith(".php") else key
    if key not in BY_NAME:
        raise UsageProblem(f"unknown customization {key!r}; one of: {', '.join(NAMES)}")
    text = golden.input_json if golden else _read_input(input or "-")
    moment = golden.meta.unix_now() if golden and not now else None
    if now:
        try:
            parsed = datetime.fromisoformat(now)
            if parsed.tzinfo is None:
                raise ValueError("missing offset")
            moment = int(parsed.timestamp())
        except ValueError:
            raise UsageProblem("--now takes ISO 8601 with an offset, e.g. 2026-11-24T10:00:00+03:00") from None
    return key, text, moment


def _read_input(source: str) -> str:
    """A call's input JSON from a file or stdin: UTF-8, within the size limit, valid JSON."""
    if source == "-" and sys.stdin.isatty():
        raise UsageProblem("give the input JSON with --input FILE or --case DIR (or pipe it on stdin)")
    try:
        if source == "-":
            data = sys.stdin.buffer.read(MAX_INPUT_BYTES + 1)
        else:
            with open(source, "rb") as handle:  # /dev/zero and friends: read no more than the limit
                data = handle.read(MAX_INPUT_BYTES + 1)
    except OSError as exc:
        raise UsageProblem(f"cannot read {source}: {exc.strerror or exc}") from None
    if len(data) > MAX_INPUT_BYTES:
        raise UsageProblem(f"{source}: larger than {MAX_INPUT_BYTES:,} bytes; not a call's input")
    try:
        text = data.decode("utf-8")
        json.loads(text)
    except UnicodeDecodeError as exc:
        raise UsageProblem(
            f"{source}: not UTF-8 ({exc.reason} at byte {exc.start}); the connector sends UTF-8 JSON"
        ) from None
    except ValueError as exc:
        raise UsageProblem(f"{source}: not valid JSON: {exc}") from None
    return text


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
    from generator.cases import CaseError, discover_all, run_cases, update_expected
    from generator.php.matrix import VERSIONS, MatrixUnavailable, matrix_dir, versions_for
    from generator.php.runner import require_php
    from generator.simulate import scenarios_for
    from generator.simulate import simulate as run_simulation
    from generator.simulate.timeline import text as story

    paths = expand_specs(specs)
    loaded, failed = load_all(paths)
    php_bin = require_php(php)
    versions = ["native"]
    if php_matrix:
        try:
            err.print("preparing the PHP version matrix (npm ci on first use)...", markup=False)
            matrix_dir()
        except MatrixUnavailable as exc:
            err.print(f"error: {exc}", markup=False)
            raise Exit(2) from None
        versions = list(VERSIONS)
    table = Table(title=None, show_lines=False)
    table.add_column("spec")
    table.add_column("php")
    table.add_column("case")
    table.add_column("customization")
    table.add_column("result")
    passed = total = broken = 0
    details: list[str] = []
    if cases is not None and not cases.is_dir():
        raise UsageProblem(f"--cases {cases}: not a folder of case folders")
    for item in progress.each(loaded, "testing"):
        found, unreadable = discover_all(item.path, cases)
        for problem in unreadable:
            # Reported and counted, and the spec's other cases still run.
            err.print(f"error: {problem}", markup=False)
            broken += 1
        try:
            stories = scenarios_for(item, [])
        except UserError as exc:
            err.print(str(exc), markup=False)
            broken += 1
            stories = []
        if not found and not stories and not unreadable:
            err.print(f"warning: {item.path}: no golden cases", markup=False)
            continue
        spec_versions = versions_for(item.spec.php, tuple(versions))
        if php_matrix:
            err.print(
                f"{item.path}: PHP {', '.join(spec_versions)} (from the spec's php: {item.spec.php} floor)",
                markup=False,
            )
        for version in spec_versions:
            for outcome in run_cases(item, found, php_bin, version):
                total += 1
                ok = outcome.passed
                updated = False
                if update and version == "native" and not ok:
                    try:
                        updated = update_expected(outcome)
                    except CaseError as exc:
                        err.print(f"error: {exc}", markup=False)
                        broken += 1
                if updated:
                    ok, label = True, "[yellow]updated[/]"
                else:
                    label = "[green]pass[/]" if ok else "[red]FAIL[/]"
                passed += ok
                if not php_matrix or not ok:
                    table.add_row(str(item.path), version, outcome.case.name, outcome.case.meta.customization, label)
                if not ok:
                    details.append(
                        f"--- {item.path} :: {outcome.case.name} (php {version})\n" + "\n".join(outcome.problems)
                    )
            # Scenarios with `expect:` are tests too: a whole call through the files on this PHP.
            tests = [s for s in stories if s.scenario.expect is not None]
            for timeline in run_simulation(item, tests, php_bin, version).timelines if tests else []:
                total += 1
                passed += timeline.passed
                if not php_matrix or not timeline.passed:
                    label = "[green]pass[/]" if timeline.passed else "[red]FAIL[/]"
                    table.add_row(str(item.path), version, timeline.item.scenario.name, "(scenario)", label)
                if not timeline.passed:
                    details.append(
                        f"--- {item.path} :: scenario {timeline.item.label} (php {version})\n" + story([timeline])
                    )
    out.print(table)
    for block in details:
        out.print(block, markup=False)
    failed_cases = total - passed
    out.print(
        f"{passed} passed, {failed_cases} failed"
        + (f", {broken} case(s) could not be read or written" if broken else ""),
        markup=False,
    )
    if failed or broken:
        raise Exit(2) from None
    raise Exit(1 if failed_cases else 0)


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
    "create": "green",
    "update": "yellow",
    "identical": "dim",
    "hand-edited": "red",
    "unreadable": "red",
    "restored": "green",
    "removed": "yellow",
    "restore": "green",
    "remove": "yellow",
}


def _summary(outcomes: list[Any], title: str) -> None:
    detailed = len(outcomes) == 1
    for o in outcomes:
        if detailed:
            for name, status in sorted(o.files.items()):
                out.print(f"[{FILE_COLOURS.get(status, 'white')}]{status:<11}[/] {o.target.rstrip('/')}/{name}")
        for block in o.diffs:
            sys.stdout.write(block)
    if detailed:
        o = outcomes[0]
        colour = RESULT_COLOURS.get(o.result, "white")
        line = f"[{colour}]{o.result}[/] {o.target}" + (f": {escape(o.detail)}" if o.detail else "")
        (out if o.ok else err).print(line)
        if o.result == "refused":
            err.print("move the change into the spec, or use --force (the files are backed up first)", markup=False)
        return
    table = Table(title=title)
    table.add_column("spec")
    table.add_column("target")
    table.add_column("result")
    table.add_column("detail")
    for o in outcomes:
        table.add_row(o.spec, o.target, f"[{RESULT_COLOURS.get(o.result, 'white')}]{o.result}[/]", escape(o.detail))
    out.print(table)


def escape(text: str) -> str:
    from rich.markup import escape as rich_escape

    return rich_escape(text)


@app.command()
def deploy(
    specs: list[str] = typer.Argument(None, help="Specs (files, folders or globs); not needed with --rollback --to."),
    to: list[str] = TargetOption,
    dry_run: bool = typer.Option(
        False, "--dry-run", help="Show per target each file's status and diff; change nothing."
    ),
    force: bool = typer.Option(
        False,
        "--force",
        help="Overwrite (deploy) or discard (rollback) files edited by hand on the server, after backing them up.",
    ),
    rollback: bool = typer.Option(False, "--rollback", help="Restore the files the last deploy replaced."),
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
    from generator.php.runner import find_php, require_php
    from generator.pipeline import render_files

    if php_bin is not None and ("\n" in php_bin or "\x00" in php_bin or not php_bin.strip()):
        raise UsageProblem("--php-bin: give the path of the server's php")
    options = fleet.Options(force=force, dry_run=dry_run, wait=wait, timeout=timeout)
    if rollback:
        jobs, failed = _jobs(specs or [], to, need_spec=False)
        if not to and len(jobs) > 1 and not all_targets:
            raise UsageProblem(
                f"--rollback would roll back {len(jobs)} targets of deploy.to: "
                + ", ".join(str(j.target) for j in jobs)
                + "; name them with --to, or give --all"
            )
        outcomes = _with_progress(jobs, lambda j: fleet.rollback(j, options), parallel, "rolling back")
        _summary(outcomes, "rollback" + (" (dry run: nothing changed)" if dry_run else ""))
        raise Exit(2 if failed else (0 if all(o.ok for o in outcomes) else 1))
    if not specs:
        raise UsageProblem("give the SPEC to deploy (or --rollback --to TARGET)")
    jobs, failed = _jobs(specs, to)
    for job in jobs if php_bin is not None else []:
        job.php_bin = php_bin  # the command line's word for every target
    php_bin_here = require_php(php) if php else find_php()
    checked_specs: dict[int, tuple[list[Any], list[str]]] = {}
    for job in jobs:
        key = id(job.spec)
        if key not in checked_specs:
            rendered = render_files(job.spec)
            checked_specs[key] = (rendered, fleet.dep.check(rendered, php_bin_here))
        job.rendered, job.check_problems = checked_specs[key]
    for _key, (_r, problems) in checked_specs.items():
        for line in problems:
            err.print(f"check failed: {line}", markup=False)
    if not php_bin_here and any(not isinstance(j.target, fleet.SshTarget) for j in jobs):
        err.print("note: no php here, so only phply checked the syntax (php -l skipped)", markup=False)
    outcomes = _with_progress(jobs, lambda j: fleet.deploy(j, options), parallel, "deploying")
    _summary(outcomes, "deploy" + (" (dry run: nothing changed)" if dry_run else ""))
    deployed = [o for o in outcomes if o.result in ("deployed", "unchanged", "dry run")]
    if deployed and len(jobs) == 1 and jobs[0].rendered is not None:
        custom = [r.customization.name for r in jobs[0].rendered if r.customized]
        plain = [r.customization.name for r in jobs[0].rendered if not r.customized]
        out.print(
            "Switch on in the admin panel (http://<asterisk-ip>:8077 -> Customizer): "
            + (", ".join(custom) if custom else "none"),
            markup=False,
        )
        if plain:
            out.print("Pass-through (need not be switched on): " + ", ".join(plain), markup=False)
    if failed:
        raise Exit(2)
    raise Exit(0 if all(o.ok for o in outcomes) else 1)


@app.command()
def status(
    specs: list[str] = typer.Argument(..., help="Specs (files, folders or globs)."),
    to: list[str] = TargetOption,
    format: str = FormatOption,
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
    hand-edited, unusable (a link, a FIFO... root never reads), missing, or unreachable.  Changes
    nothing; exit 1 when anything is not fresh (with --enabled: or not switched on, or the status
    page could not tell)."""
    from generator import fleet
    from generator.pipeline import render_files
    from generator.remote import enabled as switched_on

    if format not in ("text", "json"):
        raise UsageProblem(f"--format {format!r}: text or json")
    if enabled:
        switched_on.check_url(status_url)
    jobs, failed = _jobs(specs, to)
    rendered: dict[int, list[Any]] = {}
    for job in jobs:
        job.rendered = rendered.setdefault(id(job.spec), render_files(job.spec))
    options = fleet.Options(timeout=timeout)
    pages: dict[int, Any] = {}

    def work(job: Any) -> Any:
        if not enabled:
            return fleet.status(job, options)
        outcome, pages[id(job)] = switched_on.status(job, options, status_url)
        return outcome

    outcomes = _with_progress(jobs, work, parallel, "asking")
    answers = [pages.get(id(j), switched_on.Enabled(detail="not asked")) for j in jobs] if enabled else []
    if format == "json":
        data = {
            "targets": [
                {"spec": o.spec, "target": o.target, "state": o.result, "files": dict(sorted(o.files.items()))}
                | ({"detail": o.detail} if o.detail else {})
                | ({"enabled": answers[i].as_json()} if enabled else {})
                for i, o in enumerate(outcomes)
            ]
        }
        sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False) + "\n")
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
    if failed:
        raise Exit(2)
    fine = outcomes and all(o.result == "fresh" for o in outcomes) and all(a.ok for a in answers)
    raise Exit(0 if fine else 1)


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
    import datetime

    from generator.explain import explain as describe

    first = None
    if start is not None:
        try:
            first = datetime.date.fromisoformat(start)
        except ValueError:
            raise UsageProblem(f"--from {start[:40]!r} is not a date: write it YYYY-MM-DD, e.g. 2027-01-01") from None
    loaded, failed = load_all([Path(spec)])
    if failed:
        raise Exit(2) from None
    sys.stdout.write(describe(loaded[0].spec, first))


@app.command()
def schema() -> None:
    """Print the JSON Schema of the spec (for editor completion and validation)."""
    from generator.speclang import placeholders
    from generator.speclang.spec import Spec

    data = Spec.model_json_schema(by_alias=True)
    data["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    data["title"] = "itgrix-gen spec, version 1"
    data["x-placeholders"] = placeholders.DESCRIPTIONS  # text values' {names}: not expressible as schema
    sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False) + "\n")


def _one_spec(spec: str) -> LoadedSpec:
    loaded, failed = load_all([Path(spec)])
    if failed or not loaded:
        raise Exit(2)
    return loaded[0]


def _read_capture(logs: list[Path]) -> Any:
    """All entries of a small log in memory (simulate --compare); exit 2 when it holds no call."""
    from generator.capture import log

    capture = log.read(logs)
    if capture.skipped:
        err.print(f"skipped: {capture.skipped_text()}", markup=False)
    if not capture.entries:
        raise log.Reading(capture.files, capture.skipped).no_calls()
    return capture


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
    folder's first level): exit 1 when a key the spec uses found nothing on any one target."""
    from generator.emit.fields import markdown_table

    if format not in ("text", "json"):
        raise UsageProblem(f"--format {format!r}: text or json")
    loaded = _one_spec(spec) if spec else None
    overrides = loaded.spec.fields if loaded else None
    if not probe:
        if logs:
            raise UsageProblem("capture logs are read with --probe: itgrix-gen fields --probe LOG...")
        sys.stdout.write(markdown_table(overrides) + "\n")
        return
    from generator.capture import probe as probing

    if not logs:
        raise UsageProblem("name at least one capture log (a .jsonl file or the folder that holds them)")
    files = probing.target_files(logs)
    with progress.bar(None, "reading calls") as tick:
        found = probing.probe(files, overrides, tick, jobs)
    probing.require_calls(found, files)
    if found.skipped:
        err.print(f"skipped: {', '.join(f'{n} {r}' for r, n in sorted(found.skipped.items()))}", markup=False)
    used = probing.keys_used(loaded) if loaded else set()
    failures = found.failing(used)
    if format == "json":
        sys.stdout.write(json.dumps(found.as_json(used), indent=2, ensure_ascii=False) + "\n")
    else:
        _print_probe(found, used)
    for key, target, calls in failures:
        err.print(f"error: the spec reads {key}, which no call of {target} provided ({calls} calls)", markup=False)
    if failures:
        raise Exit(1)


def _print_probe(found: Any, used: set[str]) -> None:
    from generator.capture.probe import OLD_CONNECTOR_PATHS

    table = Table(
        title=f"{found.calls} captured calls"
        + (f" from {len(found.targets)} targets" if len(found.targets) > 1 else "")
    )
    table.add_column("key")
    table.add_column("applies")
    table.add_column("found")
    table.add_column("source paths (calls with a value)")
    for key, report in found.keys.items():
        if not report.calls:
            continue
        style = "red" if not report.resolved else ("yellow" if report.resolved < report.calls else "green")
        table.add_row(
            key + (" (the spec uses it)" if key in used else ""),
            str(report.calls),
            f"[{style}]{report.resolved}[/]",
            escape("\n".join(f"{path}: {n}" for path, n in report.sources.most_common()) or "-"),
        )
    out.print(table)
    if len(found.targets) > 1:
        for name, t in sorted(found.targets.items()):
            empty = [k for k, r in t.keys.items() if r.calls and not r.resolved]
            mine = [k for k in empty if k in used] if used else empty
            others = len(empty) - len(mine)
            said = (
                (f"; found nothing for {', '.join(mine)}" if mine else "; every key the spec uses found a value")
                + (f" (and for {others} key(s) the spec does not use)" if used and others else "")
                if empty
                else "; every key found a value"
            )
            out.print(f"{name}: {t.calls} calls{said}", markup=False)
    for name, t in sorted(found.targets.items()):
        if t.old_connector:
            shown = sorted((p for p in t.unread if not p.startswith("call_full.")), key=lambda p: (-t.unread[p], p))
            out.print(
                f"{name}: a connector older than 3.10 ({t.old_root} calls carry the root call/conversation and no "
                "call_full, which the field table reads). The same facts there:\n  "
                + "\n  ".join(OLD_CONNECTOR_PATHS)
                + ("\n  paths these calls carry: " + ", ".join(shown[:12]) if shown else ""),
                markup=False,
            )
    unread = found.unread
    if unread:
        out.print("Paths in the calls that the table never reads (calls):", markup=False)
        for path in sorted(unread, key=lambda p: (-unread[p], p))[:20]:
            out.print(f"  {path}: {unread[path]}", markup=False)
        if len(unread) > 20:
            out.print(f"  … and {len(unread) - 20} more (--format json lists them all)", markup=False)
    _print_suggestions(found, used)


def _print_suggestions(found: Any, used: set[str]) -> None:
    shown = {k: s for k, s in found.suggestions.items() if not used or k in used}
    good = {k: s for k, s in shown.items() if s.fixes}
    if good:
        gains = "; ".join(
            f"{target}: {', '.join(k for k, s in good.items() if target in s.fixes)}"
            for target in sorted({t for s in good.values() for t in s.fixes})
        )
        out.print(
            f"Checked on all {found.checked_calls} calls of {len(found.targets)} target(s), this gives a value where "
            f"there was none ({gains}) and changes no value any call already had; add it to the spec:\n  fields:",
            markup=False,
        )
        for key, s in good.items():
            paths = ", ".join(s.paths)
            out.print(f"    {key}: " + (f"{{replace: [{paths}]}}" if s.replace else f"[{paths}]"), markup=False)
    for key, s in shown.items():
        if s.unfixed and used:
            why = (
                "every path that looks like it would change what other calls read"
                if s.tried
                else "no path in their calls looks like it"
            )
            out.print(
                f"{key}: no override found for {', '.join(s.unfixed)} ({why}); read it with a `field:` condition or a "
                "{call_full.…} placeholder",
                markup=False,
            )
    hidden = sorted(k for k, s in found.suggestions.items() if s.fixes and k not in shown)
    if hidden:
        out.print(f"(overrides for keys the spec does not use: {', '.join(hidden)}; --format json)", markup=False)


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
    import tempfile

    from generator.capture.log import open_logs
    from generator.capture.replay import BASELINES, check_filters
    from generator.capture.replay import replay as run_replay
    from generator.php.runner import require_php

    if format not in ("text", "json"):
        raise UsageProblem(f"--format {format!r}: text or json")
    check_filters(customization)
    loaded = _one_spec(spec)
    against: str | LoadedSpec = baseline
    if baseline not in BASELINES:
        if not Path(baseline).exists():
            raise UsageProblem(f"--baseline {baseline}: decided, answered, or a spec file (no such file)")
        against = _one_spec(baseline)
    php_bin = require_php(php)
    reading = open_logs(logs)
    keep = show if show is not None else (5 if format == "text" else 10**12)
    with tempfile.TemporaryFile("w+", encoding="utf-8") as spool:
        with progress.bar(reading.size, "replaying", of=reading) as tick:
            report = run_replay(
                loaded,
                reading,
                php_bin,
                against,
                customization,
                rule,
                keep=keep if format == "text" else 0,
                spool=spool if format == "json" else None,
                progress=tick,
                jobs=jobs,
            )
        if reading.skipped:
            err.print(f"skipped: {reading.skipped_text()}", markup=False)
        if format == "json":
            _print_replay_json(report, reading, spool, keep)
        else:
            _print_replay_text(report, spec, keep)
    if report.other_specs:
        err.print(f"note: {report.other_specs} calls were captured under another spec name", markup=False)
    raise Exit(1 if check and report.changed else 0)


def _print_replay_json(report: Any, reading: Any, spool: Any, keep: int) -> None:
    """The report, with every change (up to --show) copied from the spool: never all in memory."""
    head = json.dumps(report.as_json(reading, changes=[]), indent=2, ensure_ascii=False)
    before, after = head.split('"changes": []', 1)
    sys.stdout.write(before + '"changes": [')
    spool.seek(0)
    for n, line in enumerate(spool):
        if n >= keep:
            break
        sys.stdout.write(("," if n else "") + "\n    " + line.rstrip("\n"))
    sys.stdout.write(("\n  ]" if report.changed and keep else "]") + after + "\n")


def _print_replay_text(report: Any, spec: str, keep: int) -> None:
    from generator.cases import json_diff

    table = Table(title=f"replay of {report.calls} captured calls through {spec} (baseline: {report.baseline})")
    table.add_column("customization")
    table.add_column("calls")
    table.add_column("changed")
    for name, counts in report.by_customization.items():
        style = "red" if counts["changed"] else "green"
        table.add_row(name, str(counts["calls"]), f"[{style}]{counts['changed']}[/]")
    out.print(table)
    if report.by_rule:
        out.print("changed calls by deciding rule (before -> now):", markup=False)
        for (name, was, now), n in sorted(report.by_rule.items(), key=lambda kv: (-kv[1], kv[0])):
            out.print(f"  {name}: {was} -> {now}: {n}", markup=False)
    for change in report.changes[:keep]:
        head = (
            f"--- {change.customization} at {change.at} ({change.where}): "
            f"decided by {change.rule or '(failed)'} now, {change.was} before"
        )
        body = change.problem or json_diff(change.before, change.now).replace("expected.json", "before").replace(
            "+++ reply", "+++ now"
        )
        hooks = "".join(f"\nwebhook now: {h['method']} {h['url']} {h['body']}" for h in change.webhooks)
        if change.before_webhooks is not None and change.before_webhooks != change.webhooks:
            hooks += "".join(f"\nwebhook before: {h['method']} {h['url']} {h['body']}" for h in change.before_webhooks)
        out.print(head + "\n" + body.rstrip("\n") + hooks, markup=False)
    if report.changed > min(keep, len(report.changes)):
        out.print(
            f"... and {report.changed - min(keep, len(report.changes))} more (--show N, or --format json)", markup=False
        )
    out.print(f"{report.changed} of {report.calls} calls would now get another reply", markup=False)


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
    from generator.php.runner import require_php
    from generator.simulate import scenarios_for
    from generator.simulate import simulate as run_simulation
    from generator.simulate.timeline import as_json, jsonl, text

    if format not in ("text", "json", "jsonl"):
        raise UsageProblem(f"--format {format!r}: text, json or jsonl")
    loaded = _one_spec(spec)
    if compare:
        from generator.simulate.compare import compare as run_compare

        report = run_compare(_read_capture(compare))  # a log with no usable line: exit 2 there
        sys.stdout.write(report.text() if format == "text" else json.dumps(report.as_json(), indent=2) + "\n")
        raise Exit(1 if report.differences else 0)
    from generator.speclang.issues import SpecError

    try:
        items = scenarios_for(loaded, list(scenarios or []))
    except SpecError as exc:
        _print_issues(exc)
        raise Exit(2) from None
    if not items:
        if scenarios:
            named = ", ".join(f"{p}/" for p in scenarios)
            raise UsageProblem(f"no scenario in {named}: the folder holds no .yaml or .yml file")
        raise UsageProblem(f"no scenario: name scenario files, or put them in {loaded.path.parent / 'scenarios'}/")
    php_bin = require_php(php)
    with progress.bar(len(items), "simulating") as advance:
        result = run_simulation(loaded, items, php_bin, capture=format == "jsonl", progress=advance)
    if format == "jsonl":
        sys.stdout.write(jsonl(loaded, result))
    elif format == "json":
        sys.stdout.write(json.dumps(as_json(result.timelines), indent=2, ensure_ascii=False) + "\n")
    else:
        sys.stdout.write(text(result.timelines))
    raise Exit(0 if all(t.passed for t in result.timelines) else 1)


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
    from generator.output import atomic_write
    from generator.php.runner import require_php
    from generator.report import build

    loaded, failed = load_all(expand_specs(specs))
    if failed or not loaded:
        raise Exit(2)
    php_bin = require_php(php)
    text, failing = build(loaded, php_bin, logs)
    try:
        atomic_write(output, text, durable=False)
    except OSError as exc:
        raise UsageProblem(f"{output}: cannot write: {exc.strerror or exc}") from None
    out.print(f"wrote {output} ({len(text):,} bytes); {failing} failing test(s)", markup=False)
    raise Exit(1 if failing else 0)


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
    from generator.capture.importer import import_cases
    from generator.capture.log import open_logs
    from generator.php.runner import require_php

    loaded = _one_spec(spec)
    php_bin = require_php(php)
    reading = open_logs(logs)
    with progress.bar(reading.size, "importing", of=reading) as tick:
        done = import_cases(loaded, reading, php_bin, redacted=redact, limit=limit, progress=tick, jobs=jobs)
    if reading.skipped:
        err.print(f"skipped: {reading.skipped_text()}", markup=False)
    for path in done.written:
        out.print(f"[green]create[/]    {path}")
    for line in done.unreadable_cases:
        err.print(f"warning: existing case not counted: {line}", markup=False)
    for line in done.failed:
        err.print(f"not imported: {line}", markup=False)
    for reason, n in sorted(done.invalid.items()):
        err.print(f"warning: {n} {reason}: not imported", markup=False)
    out.print(
        f"{len(done.written)} new case(s); {done.existing} of {done.decisions} deciding rule(s) already had one",
        markup=False,
    )
    if done.written:
        out.print(f"Review them, then: itgrix-gen test {spec}", markup=False)
    raise Exit(1 if done.failed else 0)


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
    from generator.starter import write_starter

    target = folder / "spec.yaml"
    if target.exists() and not force:
        err.print(f"error: {target} exists (use --force to overwrite)")
        raise Exit(2) from None
    written = write_starter(folder)
    for path in written:
        out.print(f"[green]create[/]    {path}")
    out.print(f"Next: itgrix-gen render {target} && itgrix-gen test {target}")


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
