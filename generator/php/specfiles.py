"""The one way to run calls through a spec's generated files: render its decisions (no capture,
no shadow, unless a capture folder on this machine is asked for) into a temporary folder
(`spec_files`), and run the calls there in batches (`run`: native php, chunks on threads, one
process each; another PHP version: the matrix's runner).  `run`, golden cases (`test`), the
simulator, and the capture-log readers (`replay`, `cases import`: the same folder, the deciding
rule recorded, fed to long-lived workers by capture/stream.py) all go through it."""

from __future__ import annotations

import dataclasses
import hashlib
import os
import tempfile
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

from generator.php.runner import Case, Result, run_batch
from generator.speclang.loader import LoadedSpec

CHUNK = 400  # calls per PHP process: small enough to spread over the cores, large enough to pay off


def decisions(loaded: LoadedSpec, capture_dir: Path | None = None, record: bool = False) -> LoadedSpec:
    """The spec's decisions; with `capture_dir`, capturing every call into that local folder (the
    simulator's `--format jsonl` takes each decision's `decided_by` from there); with `record`,
    each file's decide function also says which rule decided (capture/stream.py)."""
    from generator.pipeline import decisions_only
    from generator.speclang.types import Capture

    plain = decisions_only(loaded, record=record)
    if capture_dir is None:
        return plain
    spec = plain.spec.model_copy(update={"capture": Capture(dir=str(capture_dir.resolve()))})
    digest = hashlib.sha256((plain.digest + "\0capture:" + str(capture_dir)).encode()).hexdigest()
    return dataclasses.replace(plain, spec=spec, digest=digest)


def write_rendered(loaded: LoadedSpec, folder: Path) -> dict[str, Path]:
    """The spec's files rendered and syntax-checked into `folder`: customization name -> file."""
    from generator.pipeline import checked

    paths = {}
    for rendered in checked(loaded):
        path = folder / rendered.filename
        path.write_text(rendered.content, encoding="utf-8")
        paths[rendered.customization.name] = path
    return paths


@contextmanager
def spec_files(loaded: LoadedSpec, capture_dir: Path | None = None, record: bool = False) -> Iterator[dict[str, Path]]:
    """customization name -> its generated file, in a folder that lives as long as the block."""
    with tempfile.TemporaryDirectory(prefix="itgrix-gen-") as tmp:
        yield write_rendered(decisions(loaded, capture_dir, record), Path(tmp))


def run(
    cases: list[Case], php: str | None, version: str = "native", timeout: float = 600, live_network: bool = False
) -> list[Result]:
    """Every case's result, in order.  Webhooks go to the harness's stub, never the network, unless
    `live_network` (`run --live-network`, one call on native php)."""
    if version != "native":
        from generator.php.matrix import run_version

        return run_version(version, cases, php, timeout)
    if len(cases) <= CHUNK:
        return run_batch(cases, php, timeout=timeout, stub_http=not live_network)
    chunks = [cases[i : i + CHUNK] for i in range(0, len(cases), CHUNK)]
    workers = max(1, min(len(chunks), os.cpu_count() or 1))
    with ThreadPoolExecutor(max_workers=workers) as pool:
        parts = list(pool.map(lambda chunk: run_batch(chunk, php, timeout=timeout, stub_http=True), chunks))
    return [result for part in parts for result in part]
