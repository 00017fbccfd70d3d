"""Deploy, rollback and status across many specs and targets: each (spec, target) pair is one job
that ends in one Outcome (generator/deploystate.py), run `parallel` at a time; one unreachable or
refusing server never stops the others.  A target is a local folder (generator/deploy.py is its
executor) or a server over SSH (generator/remote/server.py drives remote.sh); both are planned by
generator/deploy.py from the same TargetState."""

from __future__ import annotations

import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING

from generator import deploy as dep
from generator.deploystate import Outcome, TargetState
from generator.errors import UserError
from generator.remote import server
from generator.remote.ssh import DEFAULT_TIMEOUT
from generator.target import LocalTarget, SshTarget, Target, folder_problem

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
    git_commit: str = ""  # the spec's commit, recorded in the deploy's backup

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
    backup: str | None = None  # --rollback --backup ID: undo every deploy down to that one
    list_backups: bool = False  # --rollback --list
    diff: bool = False  # status --diff: each hand edit's diff


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
            job.git_commit,
            job.spec.spec.capture.dir if job.spec.spec.capture is not None else "",
        )
    if job.php_bin:  # deploy.to's php_bin or --php-bin: the php the connector runs here
        problem = local_php_problem(job.php_bin, job.spec.spec.php, job.rendered)
        if problem:
            return Outcome(job.spec_name, str(job.target), "check failed", problem + "; nothing was written")
    return deploy_local(job.target, job.spec, job.rendered, options, job.git_commit)


def local_php_problem(php_bin: str, floor: str, rendered: list[RenderedFile]) -> str:
    """A folder target's php checked as remote.sh checks a server's: it runs, its version reaches
    the spec's php:, and its `php -l` accepts every file ("" when all is well)."""
    import tempfile
    from pathlib import Path

    from generator.php.process import Timeout, run

    try:
        said = run([php_bin, "-r", "echo PHP_VERSION;"], timeout=30)
        version: str | None = (said.stdout.strip().splitlines() or [""])[0] if said.returncode == 0 else None
        why = " ".join((said.stdout + said.stderr).split())[:300] or f"exit code {said.returncode}"
    except Timeout:
        version, why = None, "no answer within 30 s"
    except OSError as exc:
        version, why = None, exc.strerror or str(exc)
    problem = server.php_problem(version, why, php_bin, floor)
    if problem:
        return problem
    refused = []
    with tempfile.TemporaryDirectory(prefix="itgrix-gen-lint-") as tmp:
        for r in rendered:
            path = Path(tmp) / r.filename
            path.write_bytes(r.content.encode("utf-8"))
            try:
                lint = run([php_bin, "-l", str(path)], timeout=60)
            except (OSError, Timeout) as exc:
                return f"the server's php ({php_bin}) could not lint {r.filename}: {exc}"
            if lint.returncode != 0:
                message = " ".join((lint.stdout + lint.stderr).replace(str(path), r.filename).split())
                refused.append(f"{r.filename}: {message[:400]}")
    return ("the server's php -l refused " + "; ".join(refused)) if refused else ""


def deploy_local(
    target: LocalTarget, loaded: LoadedSpec, rendered: list[RenderedFile], options: Options, git_commit: str = ""
) -> Outcome:
    folder = target.path
    outcome = Outcome(loaded.spec.name, str(target), "failed")
    outcome.detail = target.missing()
    if outcome.detail:
        return outcome
    if options.dry_run:  # reading only: no lock, no state folder made
        dep.judged(outcome, dep.plan(folder, rendered), options.force, dry_run=True)
        return outcome
    with dep.locked(folder, options.wait):
        dep.clean_leftovers(folder)
        plan = dep.plan(folder, rendered)
        if dep.judged(outcome, plan, options.force, dry_run=False):
            return outcome
        kept = dep.apply(plan, loaded.spec.name, loaded.digest, force=options.force, git_commit=git_commit)
        dep.finished(outcome, len(plan.changes) if kept else 0, kept.name if kept else "")
        if loaded.spec.capture is not None:
            st = os.stat(folder)
            dep.noted(outcome, dep.make_capture_dir(loaded.spec.capture.dir, (st.st_uid, st.st_gid)))
    return outcome


# --- rollback ----------------------------------------------------------------------------


def rollback(job: Job, options: Options) -> Outcome:
    if isinstance(job.target, SshTarget):
        outcome = server.rollback(
            job.target,
            options.force,
            options.wait,
            options.dry_run,
            options.timeout,
            options.backup,
            options.list_backups,
        )
        outcome.spec = job.spec_name
        return outcome
    folder = job.target.path
    outcome = Outcome(job.spec_name, str(job.target), "failed")
    if problem := folder_problem(folder):
        outcome.detail = problem
        return outcome
    if options.list_backups:
        return dep.listed(outcome, dep.read_state(folder, with_backup_files=True))

    def again() -> TargetState:
        return dep.read_state(folder, with_backup_files=True)

    if options.dry_run:  # reading only: no lock, no state folder made
        return dep.roll_back_steps(outcome, again(), options.backup, options.force, True, _no_step, again)
    with dep.locked(folder, options.wait):
        dep.clean_leftovers(folder)
        return dep.roll_back_steps(
            outcome,
            again(),
            options.backup,
            options.force,
            False,
            lambda found, rp: dep.restore_step(folder, found, rp),
            again,
        )


def _no_step(found: object, rp: object) -> tuple[list[str], list[str]]:
    raise AssertionError("a dry run changes nothing")


# --- status ------------------------------------------------------------------------------


def status(job: Job, options: Options | None = None) -> Outcome:
    assert job.spec is not None and job.rendered is not None
    options = options or Options()
    if isinstance(job.target, SshTarget):
        return server.status(job.target, job.spec_name, job.rendered, options.timeout, options.diff)
    folder = job.target.path
    outcome = Outcome(job.spec_name, str(job.target), "missing")
    if problem := folder_problem(folder):
        outcome.detail = problem
        outcome.files = {r.filename: "missing" for r in job.rendered}
        return outcome
    return dep.status_of(outcome, dep.read_state(folder), job.rendered, options.diff)
