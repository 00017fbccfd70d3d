"""What `capture:` costs per call, the way the connector runs a file: a fresh `php` process per
call that includes the file once.  The same spec rendered with and without capture (and with
redaction) is measured side by side, interleaved; the difference is the cost of writing the line
(encode, lock, append) plus compiling the capture helpers.

    python benchmarks/capture_cost.py [--runs N] [--budget MS]

Exits 1 when capture costs more than the budget (default 0.55 ms; 0.3 until capture learned to
refuse links and FIFOs, survive disabled functions and a short memory limit, and create its
folder race-free, issue 22: most of it compiling that code) per call, or capture with redaction
more than --redact-budget (default 1.15 ms; 0.6 until redaction went by value, issue 22: the
pseudonyms cost a regex and a hash per
number or name, most of it PCRE's first compile in the fresh process).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from generator.php.runner import find_php
from generator.pipeline import render
from generator.speclang.loader import Loader

DRIVER = r"""<?php
$params = json_decode(file_get_contents($argv[2]), true);
$t = microtime(true);
$reply = include $argv[1];
$ms = (microtime(true) - $t) * 1000;
fwrite(STDERR, sprintf("%.4f\n", $ms));
echo json_encode($reply);
"""

SPEC = """version: 1
name: bench
timezone: Europe/Moscow
{capture}
registration:
  rules:
    - when: {{extension: ["100", "101"]}}
      then: skip
    - when: {{trunk: sip-test}}
      then: skip
"""


def include_ms(php: str, driver: Path, file: Path, data: Path) -> float:
    proc = subprocess.run([php, "-n", str(driver), str(file), str(data)], capture_output=True, text=True, check=True)
    return float(proc.stderr.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=150)
    parser.add_argument("--budget", type=float, default=0.55, help="ms capture may add per call")
    parser.add_argument("--redact-budget", type=float, default=1.15, help="ms capture with redact may add")
    args = parser.parse_args()
    php = find_php()
    if not php:
        print("no php", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        driver, data = folder / "driver.php", folder / "input.json"
        driver.write_text(DRIVER)
        data.write_text((ROOT / "specs" / "example" / "calls" / "incoming.json").read_text())
        variants = {
            "without capture": "",
            "capture": f"capture: {{dir: {json.dumps(str(folder / 'log'))}}}",
            "capture, redacted": f"capture: {{dir: {json.dumps(str(folder / 'log2'))}, redact: true}}",
        }
        files = {}
        for label, capture in variants.items():
            spec = folder / f"{len(files)}.yaml"
            spec.write_text(SPEC.format(capture=capture))
            path = folder / f"{len(files)}.php"
            path.write_text(render(Loader().load(spec))["need_registration.php"])
            files[label] = path
        times: dict[str, list[float]] = {label: [] for label in files}
        for _ in range(args.runs):
            for label, path in files.items():
                times[label].append(include_ms(php, driver, path, data))
        lines = len((folder / "log" / "need_registration.jsonl").read_text().splitlines())
    base = statistics.median(times["without capture"])
    print(f"need_registration.php, {args.runs} fresh processes each (median include time):\n")
    print("| variant | per call | over no capture |")
    print("| --- | ---: | ---: |")
    extra = {}
    for label, values in times.items():
        median = statistics.median(values)
        extra[label] = median - base
        print(f"| {label} | {median:.3f} ms | {median - base:+.3f} ms |")
    ok = extra["capture"] <= args.budget and extra["capture, redacted"] <= args.redact_budget
    print(
        f"\n{lines} lines written; capture {extra['capture']:+.3f} ms (budget {args.budget:+.3f}), "
        f"redacted {extra['capture, redacted']:+.3f} ms (budget {args.redact_budget:+.3f})"
    )
    return 0 if ok and lines == args.runs else 1


if __name__ == "__main__":
    sys.exit(main())
