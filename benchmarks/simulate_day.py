"""What the call simulator costs: one call (each of the example spec's scenarios on its own, the
spec's files rendered once first, as `itgrix-gen simulate` does), and a day of N calls (the
example's five scenarios repeated, all kinds of call) through the example spec's real PHP.

    python benchmarks/simulate_day.py [--calls N] [--one-budget S] [--day-budget S]

Exits 1 beyond either budget (default: one call under 1 s, 1,000 calls under 60 s).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from generator.php.runner import find_php
from generator.simulate import scenarios_for, simulate
from generator.speclang.loader import Loader


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=1000)
    parser.add_argument("--one-budget", type=float, default=1.0)
    parser.add_argument("--day-budget", type=float, default=60.0)
    args = parser.parse_args()
    php = find_php()
    if not php:
        print("no php", file=sys.stderr)
        return 2
    loaded = Loader().load(ROOT / "specs" / "example" / "spec.yaml")
    items = scenarios_for(loaded, [])
    simulate(loaded, items[:1], php)  # renders the files once (the render cache keeps them)
    worst = 0.0
    for item in items:
        start = time.perf_counter()
        timeline = simulate(loaded, [item], php).timelines[0]
        took = time.perf_counter() - start
        worst = max(worst, took)
        print(f"one call  {item.scenario.name:<28} {len(timeline.rows):3d} steps  {took:6.3f} s")
    day = [items[i % len(items)] for i in range(args.calls)]
    start = time.perf_counter()
    timelines = simulate(loaded, day, php).timelines
    took = time.perf_counter() - start
    steps = sum(len(t.rows) for t in timelines)
    print(f"a day of {args.calls} calls ({steps} steps): {took:.1f} s")
    ok = worst < args.one_budget and took < args.day_budget
    print(
        f"budget: one call < {args.one_budget:g} s (worst {worst:.3f}), the day < {args.day_budget:g} s: "
        + ("ok" if ok else "EXCEEDED")
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
