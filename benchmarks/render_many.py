"""Render N client specs derived from the example spec (varied names, extensions, trunks, regions,
formats, texts), the way a consultant's CI regenerates all clients, and report specs per second.

    python benchmarks/render_many.py [N] [--jobs J]

It runs `itgrix-gen render <folder> -o <out>` once, as a user would (one process for the whole
batch unless --jobs asks for more), and times the command from start to finish.
"""

from __future__ import annotations

import argparse
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REGIONS = ["RU", "KZ", "BY", "UA", "DE", "US", "GB", "FR", "IT", "ES", "PL", "TR", "BR", "IN", "AE"]
FORMATS = ["e164", "national", "digits"]


def make_specs(folder: Path, count: int, seed: int = 7) -> None:
    rng = random.Random(seed)
    base = (ROOT / "specs" / "example" / "spec.yaml").read_text(encoding="utf-8")
    for i in range(count):
        region = rng.choice(REGIONS)
        text = (
            base.replace("name: example", f"name: client-{i:04d}")
            .replace('["100", "101"]', f'["{rng.randint(100, 999)}", "{rng.randint(100, 999)}"]')
            .replace("sip-moscow", f"sip-{rng.choice(['msk', 'spb', 'ekb', 'nsk'])}-{i}")
            .replace("region: RU", f"region: {region}")
            .replace("format: e164", f"format: {rng.choice(FORMATS)}")
            .replace("Missed call from", rng.choice(["Missed call from", "Пропущенный звонок от", "Rückruf:"]))
            .replace("deadline_hours: 2", f"deadline_hours: {rng.randint(1, 48)}")
        )
        target = folder / f"client-{i:04d}" / "spec.yaml"
        target.parent.mkdir(parents=True)
        target.write_text(text, encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("count", nargs="?", type=int, default=1000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="itgrix-bench-") as tmp:
        specs, out = Path(tmp) / "specs", Path(tmp) / "out"
        make_specs(specs, args.count)
        started = time.perf_counter()
        proc = subprocess.run(
            [sys.executable, "-m", "generator", "render", str(specs), "-o", str(out)],
            cwd=ROOT,
            capture_output=True,
            text=True,
        )
        elapsed = time.perf_counter() - started
        files = len(list(out.rglob("*.php")))
    if proc.returncode != 0:
        print(proc.stderr[-2000:], file=sys.stderr)
        sys.exit(1)
    assert files == 14 * args.count, files
    print(f"rendered {args.count} specs ({files} files) in {elapsed:.2f} s: {args.count / elapsed:.0f} specs/s")


if __name__ == "__main__":
    main()
