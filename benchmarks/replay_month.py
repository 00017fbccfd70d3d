"""A month of calls through `itgrix-gen replay`, and memory that stays flat whatever the log size.

Generates capture logs of 10,000, 100,000 and 1,000,000 lines (tests/corpus/capture.py: a busy
client's month: every customization, Cyrillic/Kazakh/Uzbek/German names, numbers of regions that
share a calling code, every input shape, shadow and not), one file per customization in a server's
folder as `capture pull` leaves them, and replays each through the example spec with the real
command (`itgrix-gen replay specs/example/spec.yaml DIR`), as a user runs it.  The generated
replies are the pass-through's, so most calls *change*: the worst case for replay (every changed
call is compared twice and counted by rule).

    python benchmarks/replay_month.py [--sizes 10000,100000,1000000] [--budget LINES_PER_S] [--memory MB]

Prints, per size: lines, seconds, lines a second, the CPU time used (the command and its PHP
workers; lines per second if the cores were its own: on a shared, loaded machine the wall clock
says more about the neighbours), and the peak resident memory of the command's Python process
and of its largest PHP worker.  Exits 1 when the largest size is below the budget
(default 8,300 lines a second: a million lines in two minutes) or any peak is above --memory
(default 500 MB).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.corpus.capture import capture_lines

# Runs the command in a child that reports its own peak memory and its PHP workers'.
CHILD = """
import resource, sys
from generator.cli import main
def report():
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    sys.stderr.write("RSS %d %d %f %f\\n" % (me.ru_maxrss, kids.ru_maxrss, me.ru_utime + me.ru_stime,
                                              kids.ru_utime + kids.ru_stime))
import atexit
atexit.register(report)
sys.argv = ["itgrix-gen"] + sys.argv[1:]
main()
"""


def write_month(folder: Path, lines: int) -> int:
    """One .jsonl per customization (as a server writes them); returns the bytes written."""
    folder.mkdir(parents=True)
    handles: dict[str, object] = {}
    size = 0
    for line in capture_lines(lines):
        name = line[line.index('"customization": "') + 18 :].split('"', 1)[0]
        if name not in handles:
            handles[name] = (folder / f"{name}.jsonl").open("w", encoding="utf-8")
        handles[name].write(line)  # type: ignore[attr-defined]
        size += len(line.encode("utf-8"))
    for handle in handles.values():
        handle.close()  # type: ignore[attr-defined]
    return size


def replay(folder: Path) -> tuple[float, int, int, float, str]:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    start = time.perf_counter()
    proc = subprocess.run(
        [
            sys.executable,
            "-c",
            CHILD,
            "replay",
            str(ROOT / "specs" / "example" / "spec.yaml"),
            str(folder),
            "--show",
            "1",
        ],
        capture_output=True,
        text=True,
        env=env,
    )
    seconds = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"replay failed ({proc.returncode}): {proc.stderr[-2000:]}")
    own, workers, cpu_self, cpu_kids = next(x.split()[1:] for x in proc.stderr.splitlines() if x.startswith("RSS "))
    summary = proc.stdout.strip().splitlines()[-1]
    return seconds, int(own) // 1024, int(workers) // 1024, float(cpu_self) + float(cpu_kids), summary


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--budget", type=float, default=8300.0)
    parser.add_argument("--memory", type=float, default=500.0)
    parser.add_argument("--json", action="store_true", help="Print the figures as JSON too.")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    rows = []
    with tempfile.TemporaryDirectory(prefix="replay-month-") as tmp:
        for n in sizes:
            folder = Path(tmp) / f"month-{n}" / "pbx1"
            size = write_month(folder, n)
            seconds, own, workers, cpu, summary = replay(folder.parent)
            cores = os.cpu_count() or 1
            rows.append(
                {
                    "lines": n,
                    "mb": size / 1e6,
                    "seconds": seconds,
                    "rate": n / seconds,
                    "cpu_seconds": cpu,
                    "rate_all_cores": n / (cpu / cores),
                    "python_mb": own,
                    "php_mb": workers,
                }
            )
            print(
                f"{n:>9,} lines ({size / 1e6:,.0f} MB): {seconds:6.1f} s, {n / seconds:7,.0f} lines/s "
                f"({cpu:.0f} CPU-s: {n / (cpu / cores):,.0f} lines/s with {cores} cores to itself); "
                f"peak memory: itgrix-gen {own} MB, largest PHP worker {workers} MB  [{summary}]",
                flush=True,
            )
            for path in folder.iterdir():
                path.unlink()
    if args.json:
        print(json.dumps(rows))
    ok = rows[-1]["rate"] >= args.budget and all(max(r["python_mb"], r["php_mb"]) <= args.memory for r in rows)
    print(
        f"budget {args.budget:,.0f} lines/s, {args.memory:,.0f} MB: {'met' if ok else 'NOT met'} ({os.cpu_count()} cores)"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
