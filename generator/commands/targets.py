"""What the commands that work on targets (deploy, status, capture pull) share: the (spec, target)
jobs from the spec arguments and --to, running them with the one progress bar, and saying each
target's outcome in the words and colours `status` and `deploy --dry-run` both use."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from rich.markup import escape

from generator import progress
from generator.commands import specs as spec_args
from generator.commands.say import Say
from generator.errors import UsageProblem

if TYPE_CHECKING:
    from generator.deploystate import Outcome
    from generator.fleet import Job

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


def jobs(
    specs: list[str], to: list[str] | None, root: Path | None, say: Say, need_spec: bool = True
) -> tuple[list[Job], int]:
    """(spec, target) jobs; and how many specs could not be used (errors already said).  A --to
    value that is neither a URL nor a folder is a name of one of the specs' deploy.to targets."""
    from generator.fleet import Job
    from generator.target import parse, resolve

    if not specs:
        if need_spec:
            raise UsageProblem("name at least one SPEC (a file or a folder of specs)")
        if not to:
            raise UsageProblem("give --to TARGET (a folder or ssh://host/path)")
        return [Job(None, resolve(t, [])) for t in to], 0
    loaded, failed = spec_args.load_all(spec_args.expand(specs, say), root, say)
    entries = {
        item.path: [(parse(e.to), e) for e in (item.spec.deploy.to if item.spec.deploy else [])] for item in loaded
    }
    known = [t for pairs in entries.values() for t, _e in pairs]
    targets = [resolve(t, known) for t in to or []]
    found = []
    for item in loaded:
        mine = targets or [t for t, _e in entries[item.path]]
        if not mine:
            say.err(f"error: {item.path}: no target (give --to, or deploy.to in the spec)")
            failed += 1
            continue
        for target in mine:
            # The target's own settings: this spec's entry for it, else another given spec's.
            own = [e for t, e in entries[item.path] if t == target] or [
                e for pairs in entries.values() for t, e in pairs if t == target
            ]
            found.append(Job(item, target, php_bin=own[0].php_bin if own else None))
    return found, failed


Work = Callable[["Job"], "Outcome"]


def runner(parallel: int, label: str) -> Callable[[list[Job], Work], list[Outcome]]:
    """Run jobs `parallel` at a time under the progress bar labelled `label`."""

    def run(items: list[Job], work: Work) -> list[Outcome]:
        from generator import fleet

        with progress.bar(len(items), label) as advance:
            return fleet.run(items, work, parallel, lambda o: advance())

    return run


def file_lines(o: Outcome, say: Say) -> None:
    """One line per file state of a target: the state (the words `status` uses) and its files."""
    by_state: dict[str, list[str]] = {}
    for name, state in sorted(o.files.items()):
        by_state.setdefault(state, []).append(name)
    for state, names in by_state.items():
        listed = f"{len(names)} file(s)" if state == "fresh" and len(names) > 3 else ", ".join(names)
        colour = FILE_COLOURS.get(state, "white")
        say.out(f"[{colour}]{state:<11}[/] {escape(o.target)}: {escape(listed)}", markup=True)


def summary(outcomes: list[Outcome], title: str, say: Say, diff: bool = False, deploying: bool = False) -> None:
    """Per target the file lines, then per target one summary line (with deploy's counts: new,
    changed, unchanged, refused), then the diffs: the summary is never buried under them."""
    if title:
        say.out(title)
    for o in outcomes:
        file_lines(o, say)
    for o in outcomes:
        colour = RESULT_COLOURS.get(o.result, "white")
        counts = ""
        if deploying and o.files:
            counts = ", ".join(f"{n} {what}" for what, n in o.counts().items())
        said = "; ".join(filter(None, [counts, o.detail]))
        line = f"[{colour}]{o.result}[/] {escape(o.target)}" + (f": {escape(said)}" if said else "")
        # One target's failure goes to stderr; a fleet's summary stays together on stdout.
        (say.out if o.ok or len(outcomes) > 1 else say.err)(line, markup=True)
    if any(o.result == "refused" for o in outcomes):
        say.err("move the change into the spec, or use --force (the files are backed up first)")
    for o in outcomes:
        if diff or (o.result == "refused" and len(outcomes) == 1):
            for block in o.diffs:
                say.write(block)
