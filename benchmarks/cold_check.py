"""How long a cold `itgrix-gen render SPEC --check` takes, as a multiple of a bare `python -c pass`
(fresh processes, median of 10).  Exits 1 beyond the budget of 15x (issue: CI runs it on every
push).  Usage: python benchmarks/cold_check.py [SPEC]"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from pathlib import Path

BUDGET = 15.0
ROOT = Path(__file__).resolve().parent.parent


def median_seconds(command: list[str], runs: int = 10) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(command, capture_output=True, cwd=ROOT, check=False)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> int:
    spec = sys.argv[1] if len(sys.argv) > 1 else "specs/example/spec.yaml"
    exe = Path(sys.executable).parent / "itgrix-gen"
    subprocess.run([str(exe), "render", spec], capture_output=True, cwd=ROOT, check=False)  # fills the caches
    bare = median_seconds([sys.executable, "-c", "pass"])
    check = median_seconds([str(exe), "render", spec, "--check"])
    ratio = check / bare
    print(
        f"python -c pass: {bare * 1000:.1f} ms; render --check: {check * 1000:.1f} ms; {ratio:.1f}x "
        f"(budget {BUDGET:g}x)"
    )
    return 0 if ratio <= BUDGET else 1


if __name__ == "__main__":
    sys.exit(main())
