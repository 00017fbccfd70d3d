"""Capture logs through a spec's PHP at the speed of a month of calls, in flat memory.

The log is read a line at a time and sent, in chunks of raw lines, to a pool of long-lived PHP
workers (`harness.php --stream`, one per core).  A worker decodes each line with PHP's own
json_decode (as the connector decodes $params), runs the input through the spec's files (their
decide function: the entry's own code, which also says which rule decided), and compares the
reply with the line's baseline itself; only differences come back in full.  Python keeps the
chunks in flight (a few per worker) and whatever its caller keeps: memory does not grow with
the log.  A chunk whose worker dies or stalls is rerun a line per process, so a fatal error is
pinned on its line and costs nothing else.
"""

from __future__ import annotations

import json
import os
import queue
import subprocess
import tempfile
import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import ExitStack, contextmanager, suppress
from dataclasses import dataclass
from typing import Any

from generator.capture.log import VERSIONS, Reading, raw_lines
from generator.customizations import BY_NAME, NAMES
from generator.php.process import _kill_group
from generator.php.runner import PHP_FLAGS, harness_hooks, harness_path
from generator.speclang.loader import LoadedSpec

CHUNK = 500  # lines per request: large enough to pay for the round trip, small enough to spread
CHUNK_TIMEOUT = 300.0  # seconds for one chunk; a line alone gets LINE_TIMEOUT
LINE_TIMEOUT = 60.0


@dataclass(frozen=True)
class SpecFiles:
    """A spec's decisions rendered into a folder: customization -> file, and its decide function."""

    files: dict[str, str]
    decide: dict[str, str]


@contextmanager
def spec_files(loaded: LoadedSpec) -> Iterator[SpecFiles]:
    """The spec's files (decisions only, the deciding rule recorded), for as long as the block."""
    from generator.php import specfiles

    with specfiles.spec_files(loaded, record=True) as paths:
        yield SpecFiles(
            files={name: str(path.resolve()) for name, path in paths.items()},
            decide={name: BY_NAME[name].entry(loaded.spec.name) + "_decide" for name in paths},
        )


class _Process:
    """One `harness.php --stream` process for one spec."""

    def __init__(self, php: str, config: str):
        self.php, self.config = php, config
        self.errors = tempfile.TemporaryFile()  # noqa: SIM115 - lives as long as the process; close()
        self.proc = subprocess.Popen(
            [php, *PHP_FLAGS, str(harness_path()), "--stream"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self.errors,
            start_new_session=True,
        )
        assert self.proc.stdin is not None
        self.proc.stdin.write(config.encode() + b"\n")

    def ask(self, lines: list[bytes], timeout: float, details: bool = True) -> list[dict[str, Any]] | None:
        """The answers for these lines (`details`: a changed call's replies too, not only that it
        changed); None when the process died or stalled (it is then gone)."""
        proc = self.proc
        assert proc.stdin is not None and proc.stdout is not None
        timer = threading.Timer(timeout, _kill_group, (proc,))
        timer.start()
        try:
            proc.stdin.write(b"%d %d\n" % (len(lines), details) + b"".join(lines))
            proc.stdin.flush()
            answer = proc.stdout.readline()
        except OSError:
            answer = b""
        finally:
            timer.cancel()
        try:
            data = json.loads(answer) if answer else None
        except ValueError:
            data = None
        if isinstance(data, list) and len(data) == len(lines):
            return data
        self._stop()
        return None

    def why(self) -> str:
        self.errors.seek(0)
        text = self.errors.read(4000).decode("utf-8", "replace").strip()
        code = self.proc.returncode
        return text.splitlines()[-1][:300] if text else f"exit code {code}" if code is not None else "no answer"

    def _stop(self) -> None:
        if self.proc.poll() is None:
            try:
                assert self.proc.stdin is not None
                self.proc.stdin.close()
                self.proc.wait(timeout=5)
            except (OSError, subprocess.TimeoutExpired):
                _kill_group(self.proc)
                self.proc.wait()
        for pipe in (self.proc.stdout, self.proc.stdin):
            if pipe is not None:
                with suppress(OSError):
                    pipe.close()

    def close(self) -> None:
        self._stop()
        self.errors.close()


class Pool:
    """Workers for one or more specs (the spec judged, and a baseline spec): each worker holds a
    process per spec and answers a chunk with one list of answers per spec."""

    def __init__(self, php: str, configs: list[str], jobs: int | None = None):
        self.php, self.configs = php, configs
        self.jobs = max(1, jobs or os.cpu_count() or 1)
        self.idle: queue.SimpleQueue[list[_Process]] = queue.SimpleQueue()
        self.started: list[list[_Process]] = []
        self.lock = threading.Lock()

    def _worker(self) -> list[_Process]:
        try:
            return self.idle.get_nowait()
        except queue.Empty:
            worker = [_Process(self.php, c) for c in self.configs]
            with self.lock:
                self.started.append(worker)
            return worker

    def answer(self, lines: list[bytes], details: bool = True) -> list[list[dict[str, Any]]]:
        """For each spec, one answer per line."""
        worker = self._worker()
        out: list[list[dict[str, Any]]] = []
        for i, proc in enumerate(worker):
            got = proc.ask(lines, CHUNK_TIMEOUT, details)
            if got is None:
                why = proc.why()
                proc.close()
                got = self._one_by_one(lines, i, why, details)
                worker[i] = _Process(self.php, self.configs[i])
                with self.lock:
                    self.started.append([worker[i]])
            out.append(got)
        self.idle.put(worker)
        return out

    def _one_by_one(self, lines: list[bytes], spec: int, why: str, details: bool) -> list[dict[str, Any]]:
        """A chunk whose worker died, a line per process: the line that kills PHP is named."""
        answers = []
        for line in lines:
            proc = _Process(self.php, self.configs[spec])
            got = proc.ask([line], LINE_TIMEOUT, details)
            answers.append(got[0] if got is not None else {"crash": f"PHP died on this call: {proc.why() or why}"})
            proc.close()
        return answers

    def close(self) -> None:
        for worker in self.started:
            for proc in worker:
                proc.close()


def config(files: SpecFiles, baseline: str, only: set[str] | None = None) -> str:
    """A worker's first line: the files, and what its replies are compared with."""
    keep = {name: path for name, path in files.files.items() if only is None or name in only}
    return json.dumps(
        {
            "files": keep,
            "decide": {name: files.decide[name] for name in keep},
            "names": list(NAMES),
            "versions": list(VERSIONS),
            "baseline": baseline,
            "hooks": harness_hooks(),
        }
    )


@dataclass
class Line:
    """One log line and what each spec's PHP made of it."""

    file: int
    number: int
    raw: bytes
    answers: list[dict[str, Any]]


def chunks(reading: Reading, size: int = CHUNK) -> Iterator[list[tuple[int, int, bytes]]]:
    chunk: list[tuple[int, int, bytes]] = []
    for item in raw_lines(reading):
        chunk.append(item)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def decide(
    pool: Pool,
    batches: Iterable[list[tuple[int, int, bytes]]],
    progress: Callable[[], None] | None = None,
    details: Callable[[], bool] | None = None,
) -> Iterator[Line]:
    """Every line's answers, in the log's order, with a few chunks per worker in flight.
    `details()`, asked as each chunk is sent: whether changed calls should come with their
    replies (a report that has printed its first differences only counts the rest)."""
    ahead = pool.jobs * 3
    with ExitStack() as stack, ThreadPoolExecutor(max_workers=pool.jobs) as executor:
        stack.callback(pool.close)
        pending: deque[tuple[list[tuple[int, int, bytes]], Future[list[list[dict[str, Any]]]]]] = deque()

        def drain(limit: int) -> Iterator[Line]:
            while len(pending) > limit:
                chunk, future = pending.popleft()
                per_spec = future.result()
                for i, (file, number, raw) in enumerate(chunk):
                    yield Line(file, number, raw, [answers[i] for answers in per_spec])
                if progress is not None:
                    progress()

        try:
            for chunk in batches:
                want = details() if details is not None else True
                pending.append((chunk, executor.submit(pool.answer, [raw for _f, _n, raw in chunk], want)))
                yield from drain(ahead)
            yield from drain(0)
        finally:
            for _chunk, future in pending:
                future.cancel()
