"""`itgrix-gen deploy`: check each spec's files, then deploy them to every target (or roll back,
or list the backups), `parallel` targets at a time.  generator/fleet.py runs one job per (spec,
target); this module prepares the jobs (render and check each spec once) and says what to switch
on in the admin panel.  `command` is the whole command line's work: its options checked, the
outcomes said, the exit code returned."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from generator import fleet
from generator.commands.say import Say
from generator.deploystate import RESTORED, Outcome
from generator.errors import UsageProblem

if TYPE_CHECKING:
    from generator.pipeline import RenderedFile

Runner = Callable[[list[fleet.Job], Callable[[fleet.Job], Outcome]], list[Outcome]]


@dataclass
class Deployed:
    outcomes: list[Outcome]
    check_problems: list[str] = field(default_factory=list)  # the local checks that refused a spec's files
    lint_skipped: bool = False  # no php here for `php -l` of a local target's files
    switch_on: list[str] | None = None  # one target deployed: the customizations to switch on
    pass_through: list[str] = field(default_factory=list)


def git_commit(paths: list[Path]) -> str:
    """The commit of the git repository holding the spec (and its bases), with "+" when any of
    them differs from it; '' when the spec is not in git (or git is missing)."""
    if not paths:
        return ""
    folder = paths[0].resolve().parent
    try:
        head = subprocess.run(
            ["git", "-C", str(folder), "rev-parse", "--short=12", "HEAD"], capture_output=True, text=True, timeout=20
        )
        if head.returncode != 0:
            return ""
        changed = subprocess.run(
            ["git", "-C", str(folder), "status", "--porcelain", "--", *(str(p.resolve()) for p in paths)],
            capture_output=True,
            text=True,
            timeout=20,
        )
    except (OSError, subprocess.SubprocessError):
        return ""
    return head.stdout.strip() + ("+" if changed.stdout.strip() else "")


def deploy(jobs: list[fleet.Job], options: fleet.Options, php_here: str | None, run: Runner) -> Deployed:
    """Render and check each spec once, then deploy every job."""
    from generator.pipeline import render_files

    checked: dict[int, tuple[list[RenderedFile], list[str], str]] = {}
    problems: list[str] = []
    for job in jobs:
        assert job.spec is not None
        key = id(job.spec)
        if key not in checked:
            rendered = render_files(job.spec)
            found = fleet.dep.check(rendered, php_here)
            problems += found
            checked[key] = (rendered, found, git_commit(job.spec.sources or [job.spec.path]))
        job.rendered, job.check_problems, job.git_commit = checked[key]
    result = Deployed(run(jobs, lambda j: fleet.deploy(j, options)), problems)
    result.lint_skipped = not php_here and any(not isinstance(j.target, fleet.SshTarget) for j in jobs)
    done = [o for o in result.outcomes if o.result in ("deployed", "unchanged", "dry run")]
    if done and len(jobs) == 1 and jobs[0].rendered is not None:
        result.switch_on = [r.customization.name for r in jobs[0].rendered if r.customized]
        result.pass_through = [r.customization.name for r in jobs[0].rendered if not r.customized]
    return result


def rollback(jobs: list[fleet.Job], options: fleet.Options, run: Runner) -> list[Outcome]:
    """Roll each target back (or list its backups with options.list_backups)."""
    return run(jobs, lambda j: fleet.rollback(j, options))


def backup_lines(o: Outcome) -> list[str]:
    """--rollback --list: one line per backup of a target, oldest first: its id (what --backup
    takes), when, who deployed, the spec and its version, its git commit, the tool's version."""
    lines = []
    for name, record, usable in o.backups:
        if record is None:
            lines.append(f"{name}  (backup.json unreadable)")
            continue
        facts = [
            _backup_time(name),
            f"by {record.deployed_by or '?'}",
            f"spec {record.spec or '?'}" + (f" version {record.spec_version}" if record.spec_version else ""),
            f"git {record.git_commit}" if record.git_commit else "not in git",
            record.tool or "itgrix-gen ?",
        ]
        state = "" if usable else "  (restored already)" if name.endswith(RESTORED) else "  (kept by a rollback)"
        lines.append(f"{name}  {', '.join(facts)}{state}")
    return lines


def _backup_time(name: str) -> str:
    """A backup's id is the UTC time of its deploy."""
    try:
        return datetime.strptime(name[:22], "%Y%m%dT%H%M%S%fZ").strftime("%Y-%m-%d %H:%M:%S UTC")
    except ValueError:
        return "?"


@dataclass
class Asked:
    """What `itgrix-gen deploy` was asked, option by option (see its --help)."""

    specs: list[str]
    to: list[str] | None = None
    dry_run: bool = False
    diff: bool = False
    force: bool = False
    rollback: bool = False
    list_backups: bool = False
    backup: str | None = None
    php: str | None = None
    php_bin: str | None = None
    parallel: int = 4
    wait: float = 30.0
    timeout: float = 330.0
    all_targets: bool = False


def command(asked: Asked, root: Path | None, say: Say, run: Runner | None = None) -> int:
    """The whole command: deploy (or roll back, or list the backups), say each target's outcome,
    and return the exit code: 0 every target done, 1 any refused or failed, 2 a spec or usage error.
    `run` runs the jobs (default: `asked.parallel` at a time under the progress bar)."""
    from generator.commands import targets
    from generator.php.runner import find_php, require_php

    a = asked
    if a.php_bin is not None and ("\n" in a.php_bin or "\x00" in a.php_bin or not a.php_bin.strip()):
        raise UsageProblem("--php-bin: give the path of the server's php")
    if a.diff and not a.dry_run:
        raise UsageProblem("--diff goes with --dry-run (a refused deploy shows its diffs anyway)")
    if (a.list_backups or a.backup is not None) and not a.rollback:
        raise UsageProblem("--list and --backup go with --rollback")
    if a.backup is not None and (not a.backup.strip() or "/" in a.backup or a.backup.startswith(".")):
        raise UsageProblem(f"--backup {a.backup!r}: give a backup's id as --rollback --list shows it")
    options = fleet.Options(
        force=a.force, dry_run=a.dry_run, wait=a.wait, timeout=a.timeout, backup=a.backup, list_backups=a.list_backups
    )
    run = run or targets.runner(a.parallel, "rolling back" if a.rollback else "deploying")
    if a.rollback:
        jobs, failed = targets.jobs(a.specs, a.to, root, say, need_spec=False)
        if not a.to and len(jobs) > 1 and not a.all_targets and not a.list_backups:
            raise UsageProblem(
                f"--rollback would roll back {len(jobs)} targets of deploy.to: "
                + ", ".join(str(j.target) for j in jobs)
                + "; name them with --to, or give --all"
            )
        outcomes = rollback(jobs, options, run)
        if a.list_backups:
            say_backups(outcomes, say)
        else:
            targets.summary(outcomes, "rollback (dry run: nothing changed)" if a.dry_run else "", say)
        return 2 if failed or any(o.usage for o in outcomes) else (0 if all(o.ok for o in outcomes) else 1)
    if not a.specs:
        raise UsageProblem("give the SPEC to deploy (or --rollback --to TARGET)")
    jobs, failed = targets.jobs(a.specs, a.to, root, say)
    for job in jobs if a.php_bin is not None else []:
        job.php_bin = a.php_bin  # the command line's word for every target
    done = deploy(jobs, options, require_php(a.php) if a.php else find_php(), run)
    for line in done.check_problems:
        say.err(f"check failed: {line}")
    if done.lint_skipped:
        say.err("note: no php here, so only phply checked the syntax (php -l skipped)")
    targets.summary(done.outcomes, "deploy (dry run: nothing changed)" if a.dry_run else "", say, a.diff, True)
    if done.switch_on is not None:
        say.out(
            "Switch on in the admin panel (http://<asterisk-ip>:8077 -> Customizer): "
            + (", ".join(done.switch_on) if done.switch_on else "none")
        )
        if done.pass_through:
            say.out("Pass-through (need not be switched on): " + ", ".join(done.pass_through))
    if failed:
        return 2
    return 0 if all(o.ok for o in done.outcomes) else 1


def say_backups(outcomes: list[Outcome], say: Say) -> None:
    """--rollback --list: per target its backups, oldest first (the id is what --backup takes)."""
    from rich.markup import escape

    for o in outcomes:
        if not o.ok:
            say.err(f"[red]{o.result}[/] {escape(o.target)}: {escape(o.detail)}", markup=True)
            continue
        say.out(f"{o.target}: {o.detail}")
        for line in backup_lines(o):
            say.out(f"  {line}")
