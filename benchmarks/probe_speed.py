"""How fast `itgrix-gen fields --probe` reads capture logs, and that its memory stays flat: N
captured calls (the example call with varied numbers and trunks, over three customizations, in
two targets' folders, one of which keeps the trunk elsewhere so the second pass that checks the
suggested override runs too), probed in this process.

    python benchmarks/probe_speed.py [--calls N] [--jobs N] [--budget LINES_PER_S] [--memory MB]

The logs are read by --jobs worker processes (default: one per core), as `fields --probe` does.
Exits 1 below the speed budget (default 8,300 lines a second, issue 23's budget for two cores) or
when the resident memory of this process grows by more than --memory (default 100 MB) while
probing (a worker keeps the counts of its piece only).  On a machine shared with other work, read
the CPU figure: this process's CPU time and its workers'.
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from generator.capture import probe


def write_logs(folder: Path, calls: int) -> None:
    base = json.loads((ROOT / "specs" / "example" / "calls" / "incoming.json").read_text())
    names = ["need_registration", "customize_activity", "process_registration_params"]
    for target in ("pbx1", "pbx2"):
        (folder / target).mkdir(parents=True)
    handles = {t: (folder / t / "calls.jsonl").open("w") for t in ("pbx1", "pbx2")}
    for i in range(calls):
        target = "pbx1" if i % 2 else "pbx2"
        call = copy.deepcopy(base)
        call["call_full"]["channel"]["from"]["number"] = f"+7495{1000000 + i}"
        trunk = ["sip-moscow", "sip-spb", "sip-test"][i % 3]
        if target == "pbx2":
            call["call_full"]["channel"]["trunk"] = {"title": trunk}
            for conversation in call["call_full"]["conversations"].values():
                conversation["channel"]["trunk"] = {"title": trunk}
        else:
            call["call_full"]["channel"]["trunk"]["name"] = trunk
        entry = {
            "v": 1,
            "at": "2026-11-24T10:00:00+03:00",
            "customization": names[i % 3],
            "spec": "example",
            "input": call,
            "reply": {"state": "success", "data": {}},
            "decided_by": "default",
        }
        handles[target].write(json.dumps(entry, ensure_ascii=False) + "\n")
    for handle in handles.values():
        handle.close()


def children_cpu() -> float:
    """CPU-seconds of the workers that have ended (the probe joins its workers before it returns)."""
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    return used.ru_utime + used.ru_stime


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=200_000)
    parser.add_argument("--jobs", type=int, default=None)
    parser.add_argument("--budget", type=float, default=8300.0)
    parser.add_argument("--memory", type=float, default=100.0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        write_logs(Path(tmp), args.calls)
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        start, cpu = time.perf_counter(), time.process_time() + children_cpu()
        found = probe.probe(probe.target_files([Path(tmp)]), jobs=args.jobs)
        seconds = time.perf_counter() - start
        cpu = time.process_time() + children_cpu() - cpu
        grown = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 - before
    rate = found.calls / seconds
    cpu_rate = found.calls / cpu
    checked = found.checked_calls
    load = os.getloadavg()[0]
    print(
        f"{found.calls} lines in {seconds:.1f} s with {probe.workers(args.jobs)} job(s) ({rate:.0f} lines/s; "
        f"{cpu:.1f} CPU-seconds, {cpu_rate:.0f} lines per CPU-second; the override check read {checked} again; "
        f"load average {load:.1f}); resident memory grew by {grown:.0f} MB"
    )
    print(f"suggested: { ({k: s.paths for k, s in found.suggestions.items() if s.fixes}) }")
    return 0 if rate >= args.budget and grown <= args.memory else 1


if __name__ == "__main__":
    sys.exit(main())
