"""The long profile of the importers' fuzz harness (issue 21): thousands of mutated datasets.

    .venv/bin/python scripts/fuzz_formats.py                       # 3,000 cases, seed from the clock
    .venv/bin/python scripts/fuzz_formats.py --cases 20000 --seed 7 --keep /tmp/fuzz-findings
    .venv/bin/python scripts/fuzz_formats.py --only coco-rle,labelme --minutes 10

Every importer and `validate` on mutated copies of valid datasets (see `tests/unit/io/fuzz.py`
for the seeds, the mutations and what counts as a finding), each case in its own forked
process with a 4 GiB address-space limit and a 30 s timeout.  The test suite runs a quick
profile of the same harness (`tests/unit/io/test_fuzz.py`, ~40 s).  Prints the cases run,
accepted and refused per seed dataset, each finding with the case's seed and mutations (a case
is reproducible from them; `--keep` copies its folder, with `fault.txt` holding the Python
stack of a crash), and the load average.  Exits 1 when anything was found.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--cases", type=int, default=3000)
    ap.add_argument("--seed", type=int, default=None, help="default: from the clock (printed)")
    ap.add_argument("--minutes", type=float, default=None, help="stop after this long")
    ap.add_argument("--only", default=None, help="seed datasets, comma-separated (e.g. coco-rle,yolo)")
    ap.add_argument("--keep", type=Path, default=None, help="copy the folders of findings here")
    args = ap.parse_args()
    from tests.unit.io import fuzz

    seed = args.seed if args.seed is not None else int(time.time()) % 100_000
    only = set(args.only.split(",")) if args.only else None
    per_seed: Counter = Counter()
    t0 = time.monotonic()

    def progress(k: int, o) -> None:
        per_seed[(o.seed, "finding" if o.finding else o.kind)] += 1
        if o.finding:
            print(f"FINDING {o.seed} case {o.case}: {o.kind}: {o.detail}\n    mutations: {o.mutations}",
                  flush=True)
        if (k + 1) % 250 == 0:
            print(f"  {k + 1} cases, {time.monotonic() - t0:.0f} s, load {os.getloadavg()[0]:.1f}", flush=True)

    print(f"fuzzing the importers: seed {seed}, up to {args.cases} cases; load {os.getloadavg()[0]:.1f} "
          f"on {os.cpu_count()} CPUs", flush=True)
    summary = fuzz.fuzz(args.cases, seed=seed, keep=args.keep, only=only, progress=progress,
                        time_budget=args.minutes * 60 if args.minutes else None)
    elapsed = time.monotonic() - t0
    print(f"\n{summary.cases} cases in {elapsed:.0f} s ({summary.cases / max(elapsed, 1e-9):.1f}/s): "
          f"{summary.accepted} accepted, {summary.refused} refused with one line naming the file, "
          f"{len(summary.findings)} findings {dict(summary.by_kind()) or ''}; load {os.getloadavg()[0]:.1f}")
    seeds = sorted({s for s, _ in per_seed})
    for s in seeds:
        print(f"  {s:<18} accepted {per_seed[(s, 'ok')]:5d}  refused {per_seed[(s, 'refused')]:5d}  "
              f"findings {per_seed[(s, 'finding')]:3d}")
    return 1 if summary.findings else 0


if __name__ == "__main__":
    raise SystemExit(main())
