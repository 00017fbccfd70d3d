"""Rendering many specs (a consultant's clients/*.yaml): chunks of specs on worker processes, one
Loader per chunk (so a shared base is parsed once per chunk), results reported in spec order.
One failing spec never stops the others."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from generator import output as writer
from generator import rendercache

if TYPE_CHECKING:
    from generator.speclang.loader import Loader


@dataclass
class SpecResult:
    path: Path
    folder: Path | None = None
    errors: list[str] = field(default_factory=list)  # spec errors or render failures
    planned: list[writer.Planned] = field(default_factory=list)
    customized: list[str] = field(default_factory=list)
    derived: bool = False  # the folder was named after the spec (not given with -o)
    name_line: str | None = None  # the header line that names the spec
    notes: list[str] = field(default_factory=list)  # warnings (embedded data ending soon)

    @property
    def ok(self) -> bool:
        return not self.errors


def render_spec(loader: Loader, path: Path, output: Path | None, many: bool) -> SpecResult:
    """One spec of a batch: loaded, rendered, checked and planned into its folder (or its errors)."""
    from generator.pipeline import CheckFailed, OutputTooLarge, checked
    from generator.speclang.loader import SpecError

    result = SpecResult(path)
    try:
        loaded = loader.load(path)
    except SpecError as exc:
        result.errors = [str(i) for i in exc.issues]
        return result
    try:
        files = checked(loaded)
    except OutputTooLarge as exc:
        result.errors = [f"{path}: {exc}"]
        return result
    except CheckFailed as exc:
        result.errors = [f"{path}: {exc}"]
        return result
    from datetime import date

    from generator.emit.zones import range_notes

    result.notes = [f"warning: {path}: {note}" for note in range_notes(loaded.spec, date.today())]
    name_dir = writer.slug(loaded.spec.name)
    result.folder = (output / name_dir if many else output) if output else Path("out") / name_dir
    result.derived = many or output is None
    result.name_line = writer.spec_name_line(files[0].content)
    texts = {f.filename: f.content for f in files}
    try:
        writer.check_folder(result.folder)
        result.planned = writer.plan(texts, result.folder)
    except (writer.OutputFolderError, OSError) as exc:
        result.errors = [f"{path}: {exc}"]
        return result
    result.customized = [f.customization.name for f in files if f.customized]
    rendercache.store(path, output, many, loader.root, loaded.sources, result.folder, texts, result.customized)
    return result


def from_cache(path: Path, output: Path | None, many: bool, root: Path | None) -> SpecResult | None:
    """A spec whose output on disk is exactly what it renders now, known without rendering."""
    hit = rendercache.lookup(path, output, many, root)
    if hit is None:
        return None
    folder, customized, names = hit
    planned = []
    for name in names:
        target = folder / name
        planned.append(writer.Planned(target, target.read_text(encoding="utf-8"), "identical"))
    result = SpecResult(path, folder=folder, planned=planned, customized=customized)
    result.derived = many or output is None
    result.name_line = writer.spec_name_line(planned[0].content)
    return result


def _chunk(args: tuple[list[Path], Path | None, bool, Path | None]) -> list[SpecResult]:
    from generator.speclang.loader import Loader

    paths, output, many, root = args
    loader = Loader(root)
    return [_guarded(loader, p, output, many) for p in paths]


def _guarded(loader: Loader, path: Path, output: Path | None, many: bool) -> SpecResult:
    """One spec's failure, even a bug of ours, is reported for that spec; the batch goes on."""
    try:
        return render_spec(loader, path, output, many)
    except Exception as exc:
        text = " ".join(str(exc).split())[:300]
        return SpecResult(path, errors=[f"{path}: internal error: {type(exc).__name__}: {text} (run with --debug)"])


def render_many(
    paths: list[Path],
    output: Path | None,
    write: bool,
    progress: Callable[[int], None] | None = None,
    jobs: int | None = None,
    root: Path | None = None,
) -> Iterator[SpecResult]:
    """Yield a SpecResult per spec, in the order given; with `write`, write each spec's files
    unless its folder belongs to another spec (see _claim)."""
    claimed: dict[Path, Path] = {}
    if len(paths) < 24:
        for result in _render_all(paths, output, progress, jobs, root):
            if result.ok:
                _claim(result, claimed)
            if result.ok and write:
                _write(result)
            yield result
        return
    # A large batch: the files are written on threads (writing is waiting on the disk, and the
    # renders arrive from worker processes meanwhile); results still come out in spec order.
    with ThreadPoolExecutor(max_workers=4) as pool:
        pending = []
        for result in _render_all(paths, output, progress, jobs, root):
            if result.ok:
                _claim(result, claimed)
            pending.append((result, pool.submit(_write, result) if result.ok and write else None))
        for result, future in pending:
            if future is not None:
                future.result()
            yield result


def _write(result: SpecResult) -> None:
    try:
        writer.write(result.planned)
    except OSError as exc:
        result.errors = [f"{result.path}: cannot write {result.folder}: {exc.strerror or exc}"]


def _claim(result: SpecResult, claimed: dict[Path, Path]) -> None:
    """Two specs whose names differ only in punctuation ("acme corp", "acme/corp") get the same
    folder name.  Refuse the second one, in one batch and across runs (the generated header names
    the spec that owns the folder), instead of letting one client's files replace another's."""
    if not result.derived or result.folder is None:
        return
    key = result.folder.resolve()
    if key in claimed:
        result.errors = [
            f"{result.path}: its output folder {result.folder}/ is already taken by {claimed[key]} "
            "in this run (the names differ only in punctuation); rename one spec"
        ]
        return
    claimed[key] = result.path
    owner = writer.folder_owner(result.folder)
    if owner is not None and result.name_line is not None and owner != result.name_line:
        result.errors = [
            f"{result.path}: {result.folder}/ holds the files of another spec ({owner}); "
            "refusing to mix two clients' files: rename the spec, render with -o, or delete "
            "that folder if the spec was renamed"
        ]


def _render_all(
    paths: list[Path], output: Path | None, progress: Callable[[int], None] | None, jobs: int | None, root: Path | None
) -> Iterator[SpecResult]:
    many = len(paths) > 1
    jobs = jobs or min(4, os.cpu_count() or 1)
    if len(paths) < 24 or jobs < 2:
        loader = None
        for path in paths:
            try:
                result = from_cache(path, output, many, root)
            except (OSError, UnicodeDecodeError):
                result = None
            if result is None:
                if loader is None:  # late: pydantic and the models load only when a spec must be read
                    from generator.speclang.loader import Loader

                    loader = Loader(root)
                result = _guarded(loader, path, output, many)
            if progress:
                progress(1)
            yield result
        return
    size = max(8, len(paths) // (jobs * 8))
    chunks = [paths[i : i + size] for i in range(0, len(paths), size)]
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        for results in pool.map(_chunk, [(c, output, many, root) for c in chunks]):
            if progress:
                progress(len(results))
            yield from results
