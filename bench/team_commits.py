"""Commits of a team (issue 20): 8 annotator processes on a PostgreSQL project against one
annotator on a SQLite project (the baseline), interleaved A, B, A, B, ... in the same run.

Each annotator makes gestures through the real store API (tests/team_annotators.py: document,
core command, persister, one conditional transaction per gesture) as fast as it can, on
overlapping images, so this is the sustained rate of the store, not of people.  Reported per
series: commits/s summed over the annotators, commit latency p50/p95 (the gesture's write,
as the window waits for it), stale writes refused, and the checks of the concurrency test
(no lost committed edit, no silent overwrite, integrity).  Then one run with random SIGKILLs.

PostgreSQL is a private server on the loopback (tests/pg_local.py) with fsync and synchronous
commit ON (durable like a real server); SQLite is WAL with synchronous=NORMAL (the app's
default).  Goal: PostgreSQL p95 <= 20 ms with 8 annotators.

Run: .venv/bin/python bench/team_commits.py [--seconds 60] [--rounds 2] [--quick]
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.benchkit import load  # noqa: E402
from tests.pg_local import LocalPostgres  # noqa: E402
from tests.team_annotators import check, make_project, run_team  # noqa: E402


def one_run(address: str | None, server, work: Path, annotators: int, seconds: float, images: int,
            kill_every: float | None = None, seed: int = 0, pace: float = 0.0) -> dict:
    from segstudio.store import Project

    work.mkdir(parents=True)
    if address is None:  # SQLite in a folder
        target = work / "project"
        make_project(target, target / "images", images).close()
        address = str(target)
    else:
        make_project(address, work / "images", images).close()
    t0 = time.monotonic()
    journals, kills = run_team(address, work, annotators=annotators, seconds=seconds, images=images,
                               kill_every=kill_every, seed=seed, pace=pace)
    wall = time.monotonic() - t0
    with Project.open(address) as p:
        out = check(p, journals, killed=kills)
    lat = np.array(out.latencies_ms) if out.latencies_ms else np.array([np.nan])
    return {"commits": out.commits, "per_s": out.commits / seconds, "p50": float(np.percentile(lat, 50)),
            "p95": float(np.percentile(lat, 95)), "refused": out.refused, "kills": kills,
            "unjournalled": out.unjournalled, "problems": out.problems, "wall": wall, "load": load()}


def show(name: str, r: dict) -> None:
    ok = "no lost edit, no silent overwrite, integrity ok" if not r["problems"] else \
        f"PROBLEMS: {r['problems'][:3]}"
    kills = f", {r['kills']} SIGKILLs ({r['unjournalled']} commits whose journal line died)" if r["kills"] else ""
    print(f"  {name}: {r['commits']} commits, {r['per_s']:.0f} commits/s, p50 {r['p50']:.2f} ms, "
          f"p95 {r['p95']:.2f} ms, {r['refused']} stale writes refused{kills}; {ok}  [{r['load']}]",
          flush=True)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=60.0)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--annotators", type=int, default=8)
    ap.add_argument("--images", type=int, default=12, help="images shared by the annotators")
    ap.add_argument("--pace", type=float, default=4.0,
                    help="gestures per second per annotator in the paced series (a fast human "
                    "makes 1-2); the saturated series makes them as fast as it can")
    ap.add_argument("--quick", action="store_true", help="10 s runs, 1 round")
    args = ap.parse_args()
    if args.quick:
        args.seconds, args.rounds = 10.0, 1
    print(f"team commits: {args.annotators} annotators on PostgreSQL vs 1 on SQLite, "
          f"{args.seconds:.0f} s per run, {args.images} shared images  [{load()}]", flush=True)
    server = LocalPostgres.start(fsync=True)
    work = Path(tempfile.mkdtemp(prefix="segstudio-team-bench-"))
    series = [("sqlite-1-paced", None, 1, args.pace, "SQLite, 1 annotator, paced (baseline)"),
              ("pg-paced", "pg", args.annotators, args.pace, f"PostgreSQL, {args.annotators} annotators, paced"),
              ("sqlite-1-max", None, 1, 0.0, "SQLite, 1 annotator, flat out (baseline)"),
              ("pg-max", "pg", args.annotators, 0.0, f"PostgreSQL, {args.annotators} annotators, flat out")]
    results: dict[str, list[dict]] = {name: [] for name, *_ in series}
    print(f"paced: {args.pace:g} gestures/s per annotator (exponential gaps); flat out: no gaps, "
          "so 8 Python processes share 2 cores with the server", flush=True)
    try:
        db = server.create_database("bench")
        for rnd in range(args.rounds):
            print(f"round {rnd + 1}", flush=True)
            for name, kind, n, pace, title in series:
                address = f"{db}/team_{name.replace('-', '_')}_{rnd}" if kind else None
                r = one_run(address, server, work / f"{name}-{rnd}", n, args.seconds, args.images,
                            seed=rnd, pace=pace)
                results[name].append(r)
                show(title, r)
        r = one_run(f"{db}/team_kill", server, work / "pg-kill", args.annotators, args.seconds,
                    args.images, kill_every=max(1.0, args.seconds / 12), seed=99, pace=args.pace)
        show(f"PostgreSQL, {args.annotators} annotators, paced, with random SIGKILLs", r)

        def med(name: str, key: str) -> float:
            return float(np.median([x[key] for x in results[name]]))

        print(f"summary (medians over {args.rounds} rounds)  [{load()}]")
        for mode in ("paced", "max"):
            p95_team, p95_base = med(f"pg-{mode}", "p95"), med(f"sqlite-1-{mode}", "p95")
            rate_team, rate_base = med(f"pg-{mode}", "per_s"), med(f"sqlite-1-{mode}", "per_s")
            goal = f"; goal <= 20 ms: {'met' if p95_team <= 20 else 'NOT met'}" if mode == "paced" else ""
            print(f"  {mode}: commit p95 PostgreSQL x{args.annotators} {p95_team:.2f} ms vs SQLite x1 "
                  f"{p95_base:.2f} ms (ratio {p95_team / p95_base:.2f}){goal}; commits/s "
                  f"{rate_team:.0f} ({rate_team / args.annotators:.1f} per annotator) vs {rate_base:.0f}")
        bad = [x for v in results.values() for x in v if x["problems"]] + ([r] if r["problems"] else [])
        return 1 if bad else 0
    finally:
        server.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
