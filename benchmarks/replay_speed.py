"""How many captured calls `itgrix-gen replay` gets through per second on a small log: N calls
(the example call with varied numbers and trunks, spread over three customizations) replayed
through the example spec, timed end to end in this process (rendering and starting the PHP
workers included, which dominate at this size).  A month of calls: benchmarks/replay_month.py.

    python benchmarks/replay_speed.py [--calls N] [--budget CALLS_PER_S]

Exits 1 below the budget (default 500 calls per second).
"""

from __future__ import annotations

import argparse
import copy
import json
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from generator.capture.log import open_logs
from generator.capture.replay import replay
from generator.php.runner import find_php
from generator.speclang.loader import Loader


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=3000)
    parser.add_argument("--budget", type=float, default=500.0)
    args = parser.parse_args()
    php = find_php()
    if not php:
        print("no php", file=sys.stderr)
        return 2
    base = json.loads((ROOT / "specs" / "example" / "calls" / "incoming.json").read_text())
    names = ["need_registration", "customize_activity", "process_registration_params"]
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "calls.jsonl"
        with path.open("w") as handle:
            for i in range(args.calls):
                call = copy.deepcopy(base)
                call["call_full"]["channel"]["from"]["number"] = f"+7495{1000000 + i}"
                call["call_full"]["channel"]["trunk"]["name"] = ["sip-moscow", "sip-spb", "sip-test"][i % 3]
                entry = {
                    "v": 1,
                    "at": "2026-11-24T10:00:00+03:00",
                    "customization": names[i % 3],
                    "spec": "example",
                    "input": call,
                    "reply": {"state": "success", "data": {}},
                    "decided_by": "default",
                }
                handle.write(json.dumps(entry) + "\n")
        loaded = Loader().load(ROOT / "specs" / "example" / "spec.yaml")
        start = time.perf_counter()
        report = replay(loaded, open_logs([path]), php)
        seconds = time.perf_counter() - start
    rate = report.calls / seconds
    print(f"{report.calls} captured calls replayed in {seconds:.2f} s: {rate:.0f} calls/s (budget {args.budget:.0f})")
    return 0 if rate >= args.budget else 1


if __name__ == "__main__":
    sys.exit(main())
