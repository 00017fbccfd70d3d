"""Deploy, rollback and status across many specs and targets: each (spec, target) pair is one job
that ends in one Outcome (generator/remote/server.py), run `parallel` at a time; one unreachable or
refusing server never stops the others.  A target is a local folder (generator/deploy.py) or a
server over SSH (generator/remote/)."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from generator import deploy as dep
from generator.errors import UserError
from generator.remote import server
from generator.remote.server import Outcome
from generator.remote.ssh import DEFAULT_TIMEOUT
from generator.target import LocalTarget, SshTarget, Target

__all__ = ["SshTarget", "dep"]

if TYPE_CHECKING:
    from generator.pipeline import RenderedFile
    from generator.speclang.loader import LoadedSpec


@dataclass
class Job:
    spec: LoadedSpec | None  # None for a rollback, which needs no spec
    target: Target
    rendered: list[RenderedFile] | None = None
    check_problems: list[str] | None = None  # the local pre-check of the spec's files
    php_bin: str | None = None  # the target's php (deploy.to's php_bin, or --php-bin); None: Options'

    @property
    def spec_name(self) -> str:
        return self.spec.spec.name if self.spec is not None else ""


@dataclass
class Options:
    force: bool = False
    dry_run: bool = False
    wait: float = 30.0
    php_bin: str = "php"  # the server's php (remote targets)
    timeout: float = DEFAULT_TIMEOUT  # seconds per server, from connecting to the last answer


def run(
    jobs: list[Job], work: Callable[[Job], Outcome], parallel: int, done: Callable[[Outcome], None]
) -> list[Outcome]:
    """Every job, `parallel` at a time; an unexpected error in one job is its outcome, never the end
    of the others."""

    def guarded(job: Job) -> Outcome:
        try:
            outcome = work(job)
        except UserError as exc:  # a refusal (an untrusted file, a lock held too long, ...)
            outcome = Outcome(job.spec_name, str(job.target), "failed", str(exc))
        except OSError as exc:
            outcome = Outcome(job.spec_name, str(job.target), "failed", exc.strerror or str(exc))
        done(outcome)
        return outcome

    with ThreadPoolExecutor(max_workers=max(1, parallel)) as pool:
        return list(pool.map(guarded, jobs))


# --- deploy ------------------------------------------------------------------------------


def deploy(job: Job, options: Options) -> Outcome:
    assert job.spec is not None and job.rendered is not None
    if job.check_problems:
        return Outcome(
            job.spec_name, str(job.target), "check failed", "; ".join(job.check_problems) + "; nothing was written"
        )
    if isinstance(job.target, SshTarget):
        return server.deploy(
            job.target,
            job.spec.spec.name,
            job.spec.digest,
            job.spec.spec.php,
            job.rendered,
            job.php_bin or options.php_bin,
            options.force,
            options.dry_run,
            options.wait,
            options.timeout,
        )
    return deploy_local(job.target, job.spec, job.rendered, options)


def deploy_local(target: LocalTarget, loaded: LoadedSpec, rendered: list[RenderedFile], options: Options) -> Outcome:
    folder = target.path
    outcome = Outcome(loaded.spec.name, str(target), "failed")
    if not folder.is_dir():
        outcome.detail = f"{folder} is not a folder (the connector's customizer/actions folder must exist)"
        return outcome
    with dep.locked(folder, options.wait) if not options.dry_run else contextlib.nullcontext():
        if not options.dry_run:
            dep.clean_leftovers(folder)
        plan = dep.plan(folder, rendered)
        outcome.files = {f.name: f.status for f in plan.files}
        stop = dep.verdict(plan, str(folder), options.force, options.dry_run)
        if stop is not None:
            outcome.result, outcome.detail, outcome.diffs = stop
            return outcome
        kept = dep.apply(plan, loaded.spec.name, loaded.digest, force=options.force)
    if kept is None:
        outcome.result, outcome.detail = "unchanged", "nothing to change: every file is already deployed"
    else:
        outcome.result, outcome.detail, outcome.backup = "deployed", f"backup of replaced files: {kept}", str(kept)
    return outcome


# --- rollback ----------------------------------------------------------------------------


def rollback(job: Job, options: Options) -> Outcome:
    if isinstance(job.target, SshTarget):
        outcome = server.rollback(job.target, options.force, options.wait, options.dry_run, options.timeout)
        outcome.spec = job.spec_name
        return outcome
    folder = job.target.path
    outcome = Outcome(job.spec_name, str(job.target), "failed")
    if not folder.is_dir():
        outcome.detail = f"{folder} is not a folder"
        return outcome
    if options.dry_run:
        return rollback_dry_run(folder, outcome, options.force)
    with dep.locked(folder, options.wait):
        dep.clean_leftovers(folder)
        try:
            backup, restored, removed = dep.rollback(folder, force=options.force)
        except dep.DeployError as exc:
            outcome.result = "refused" if "edited on the server" in str(exc) else "failed"
            outcome.detail = str(exc)
            return outcome
    outcome.result = "rolled back"
    outcome.detail = f"from {backup}: {len(restored)} restored, {len(removed)} removed"
    outcome.files = {**{n: "restored" for n in restored}, **{n: "removed" for n in removed}}
    return outcome


def rollback_dry_run(folder: Path, outcome: Outcome, force: bool) -> Outcome:
    """What a rollback would do, reading only (no lock, no state folder made)."""
    rp = dep.plan_rollback(folder)
    outcome.files = {**{n: "restore" for n in rp.restore}, **{n: "remove" for n in rp.remove}}
    if rp.edited and not force:
        outcome.result = "refused"
        outcome.detail = "edited on the server since the last deploy: " + ", ".join(rp.edited)
        return outcome
    outcome.result = "dry run"
    outcome.detail = f"would restore {len(rp.restore)} and remove {len(rp.remove)} from backups/{rp.backup}"
    return outcome


# --- status ------------------------------------------------------------------------------


def status(job: Job, options: Options | None = None) -> Outcome:
    assert job.spec is not None and job.rendered is not None
    if isinstance(job.target, SshTarget):
        return server.status(job.target, job.spec_name, job.rendered, (options or Options()).timeout)
    folder = job.target.path
    outcome = Outcome(job.spec_name, str(job.target), "missing")
    if not folder.is_dir():
        outcome.detail = f"{folder} is not a folder"
        outcome.files = {r.filename: "missing" for r in job.rendered}
        return outcome
    found = dep.read_current(folder, [r.filename for r in job.rendered])
    current = {n: (None if isinstance(v, Exception) else v) for n, v in found.items()}
    known, _lost = dep.known_hashes(folder)
    outcome.files = server.file_states(current, job.rendered, known)
    server.unusable(outcome, {n: str(v) for n, v in found.items() if isinstance(v, Exception)})
    outcome.result = server.overall(outcome.files)
    return outcome
