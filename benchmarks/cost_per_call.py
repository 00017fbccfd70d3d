"""What a generated customization costs per call, against a bare PHP start and a hand-written
minimal pass-through, plus the golden-case runner: one PHP process per case vs our batched runner.

    python benchmarks/cost_per_call.py [--repeat N]

Per file: the mean time of `include` (compile + run, opcache off as in php-cli) over N runs inside
one process, and the peak memory of a fresh process that includes it once; a fresh `php -n -r ''`
start is measured the same way as a reference.  Prints Markdown tables (the README quotes them).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from generator.cases import discover
from generator.php.runner import Case, find_php, run_batch
from generator.php.specfiles import write_rendered
from generator.speclang.loader import Loader

HAND = "<?php\nreturn array('state' => 'success', 'data' => array('result' => true));\n"
BENCH = r"""<?php
$file = $argv[1]; $n = (int) $argv[2];
$params = json_decode(file_get_contents($argv[3]), true);
function bench_once($f, $params) { return include $f; }
bench_once($file, $params);
$t = microtime(true);
for ($i = 0; $i < $n; $i++) { bench_once($file, $params); }
$per = $n > 0 ? (microtime(true) - $t) / $n : 0;
echo json_encode(array('ms' => $per * 1000, 'peak_kb' => memory_get_peak_usage() / 1024));
"""
INPUT = {
    "call_stage": "call_ended",
    "phone": "8 (495) 123-45-67",
    "STATUS_CODE": "304",
    "TYPE": 2,
    "fields": {"DEADLINE": "2026-11-24T11:00:00+03:00", "TITLE": "t"},
    "params": {"extension": "+79123456789", "context": "c"},
    "path": "/var/spool/asterisk/monitor/a.wav",
    "number": "102",
    "name": "n",
    "entity": {"name": "ООО Ромашка"},
    "call_full": {
        "channel": {
            "type": "incoming",
            "from": {"number": "+74951234567"},
            "to": {"number": "102"},
            "trunk": {"number": "74957654321", "name": "sip-moscow"},
            "was_answered": True,
        },
        "conversations": {
            "1.1": {
                "channel": {"from": {"number": "+74951234567"}, "to": {"number": "102"}},
                "user": {"id": 7, "name": "Anna"},
            }
        },
        "entity": {"name": "ООО Ромашка", "type": "contact"},
        "is_ivr": False,
        "record": "https://r/1",
    },
}


def run(php, *args) -> dict:
    return json.loads(subprocess.run([php, "-n", *args], capture_output=True, text=True, check=True).stdout)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=2000)
    args = parser.parse_args()
    php = find_php()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        (tmp / "bench.php").write_text(BENCH)
        (tmp / "hand.php").write_text(HAND)
        (tmp / "input.json").write_text(json.dumps(INPUT))
        starts = []
        for _ in range(30):
            t = time.perf_counter()
            subprocess.run([php, "-n", "-r", ""], check=True)
            starts.append((time.perf_counter() - t) * 1000)
        start_ms = statistics.median(starts)
        hand = run(php, str(tmp / "bench.php"), str(tmp / "hand.php"), str(args.repeat), str(tmp / "input.json"))
        hand_once = run(php, str(tmp / "bench.php"), str(tmp / "hand.php"), "0", str(tmp / "input.json"))
        loaded = Loader().load(ROOT / "specs" / "example" / "spec.yaml")
        paths = write_rendered(loaded, tmp)
        print(
            f"PHP start (`php -n -r ''`, median of 30): {start_ms:.2f} ms; "
            f"hand-written pass-through include: {hand['ms']:.4f} ms, peak {hand_once['peak_kb']:.0f} KiB\n"
        )
        print(
            "| file | include (compile + run) | extra vs hand-written | vs PHP start | peak memory (vs hand-written) |"
        )
        print("| --- | ---: | ---: | ---: | ---: |")
        for name, path in sorted(paths.items()):
            r = run(php, str(tmp / "bench.php"), str(path), str(args.repeat), str(tmp / "input.json"))
            once = run(php, str(tmp / "bench.php"), str(path), "0", str(tmp / "input.json"))  # one include
            extra = r["ms"] - hand["ms"]
            print(
                f"| {name}.php | {r['ms']:.3f} ms | +{extra:.3f} ms | {r['ms'] / start_ms:.1%} | "
                f"{once['peak_kb']:.0f} KiB (+{once['peak_kb'] - hand_once['peak_kb']:.0f}) |"
            )
        # golden-case runner: process per case vs batched
        cases = []
        for spec in sorted((ROOT / "specs").rglob("spec.yaml")):
            lspec = Loader().load(spec)
            files = write_rendered(lspec, tmp / spec.parent.name) if (tmp / spec.parent.name).mkdir() is None else None
            cases += [Case(str(files[c.meta.customization]), c.input_json, c.meta.unix_now()) for c in discover(spec)]
        t = time.perf_counter()
        for c in cases:
            run_batch([c], php)
        single = time.perf_counter() - t
        t = time.perf_counter()
        run_batch(cases, php)
        batched = time.perf_counter() - t
        print(
            f"\nGolden-case runner, {len(cases)} cases: one process per case {len(cases) / single:.0f} cases/s, "
            f"batched {len(cases) / batched:.0f} cases/s ({single / batched:.0f}x)"
        )


if __name__ == "__main__":
    main()
