"""`itgrix-gen deploy`: check each spec's files, then deploy them to every target (or roll back,
or list the backups), `parallel` targets at a time.  generator/fleet.py runs one job per (spec,
target); this module prepares the jobs (render and check each spec once) and says what to switch
on in the admin panel."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from generator import fleet
from generator.deploystate import RESTORED, Outcome

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
