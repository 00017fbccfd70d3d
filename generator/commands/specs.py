"""What most commands start with: the spec arguments found (files, folders, globs) and loaded,
every mistake of every spec said; and, for the commands that read a small log whole, the log."""

from __future__ import annotations

import glob
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from generator.commands.say import Say
from generator.errors import Exit

if TYPE_CHECKING:
    from generator.speclang.loader import LoadedSpec


def expand(items: list[str], say: Say) -> list[Path]:
    """Spec arguments: files, folders (every spec.yaml/spec.py below), or glob patterns."""
    found: list[Path] = []
    for item in items:
        matches = sorted(glob.glob(item, recursive=True)) if any(c in item for c in "*?[") else [item]
        if not matches:
            say.err(f"[red]error:[/] {item}: no file matches", markup=True)
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
                        say.err(f"note: {py} skipped: a Python spec runs only when its file is named")
                    if not nested:
                        say.err(f"[red]error:[/] {path}: no spec.yaml below this folder", markup=True)
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


def load_all(paths: list[Path], root: Path | None, say: Say) -> tuple[list[LoadedSpec], int]:
    """Load every spec; say all errors of all specs; return the ones that loaded and how many did not."""
    from generator.speclang import advice
    from generator.speclang.loader import Loader, SpecError

    loader = Loader(root)
    loaded, failed = [], 0
    for path in paths:
        try:
            loaded.append(loader.load(path))
            for warning in advice.warnings(loaded[-1]):
                say.err(str(warning))
        except SpecError as exc:
            failed += 1
            issues(exc, say)
    return loaded, failed


def one(spec: str, root: Path | None, say: Say) -> LoadedSpec:
    """The one spec a command works on; Exit(2) when it does not load (its mistakes said)."""
    loaded, failed = load_all([Path(spec)], root, say)
    if failed or not loaded:
        raise Exit(2)
    return loaded[0]


def issues(exc: Any, say: Say) -> None:
    """A spec's (or scenario's) mistakes, one `file:line:col: path: message` a line, as validate
    says them (red on a terminal)."""
    terminal = sys.stderr.isatty()
    for issue in exc.issues:
        say.err(f"[red]{issue}[/]" if terminal else str(issue), markup=terminal)


def read_capture(logs: list[Path], say: Say) -> Any:
    """All entries of a small log in memory (simulate --compare); exit 2 when it holds no call."""
    from generator.capture import log

    capture = log.read(logs)
    if capture.skipped:
        say.err(f"skipped: {capture.skipped_text()}")
    if not capture.entries:
        raise log.Reading(capture.files, capture.skipped).no_calls()
    return capture
