"""Shared by the benches: interleaved rounds, min/median per series, ratio of medians, the load
average beside every figure, process-wide CPU (children included), true peak RSS, and a loud
failure when a required baseline is missing.

The machines are shared and noisy, so every timing goal is a ratio against a baseline run in
the same process, interleaved A, B, A, B, ... (each series sees the same load), and each
series is reported as min and median over its rounds.
"""

from __future__ import annotations

import contextlib
import os
import resource
import statistics
import sys
from collections.abc import Callable
from dataclasses import dataclass, field


def load() -> str:
    """The 1/5/15-minute load averages and the core count, for printing beside a figure."""
    a, b, c = os.getloadavg()
    return f"load {a:.2f}/{b:.2f}/{c:.2f} on {os.cpu_count()} CPUs"


@dataclass
class Series:
    """One measured quantity over several rounds (and the load average after each)."""

    name: str
    values: list[float] = field(default_factory=list)
    loads: list[float] = field(default_factory=list)

    def add(self, value: float) -> float:
        self.values.append(float(value))
        self.loads.append(os.getloadavg()[0])
        return value

    @property
    def min(self) -> float:
        return min(self.values)

    @property
    def max(self) -> float:
        return max(self.values)

    @property
    def median(self) -> float:
        return statistics.median(self.values)

    def text(self, unit: str = "", scale: float = 1.0, digits: int = 2) -> str:
        """'median X (min Y, n rounds, load a..b)'."""
        lo, hi = (min(self.loads), max(self.loads)) if self.loads else (float("nan"),) * 2
        return (f"median {self.median * scale:.{digits}f}{unit} (min {self.min * scale:.{digits}f}{unit}, "
                f"{len(self.values)} rounds, load {lo:.2f}..{hi:.2f})")


def interleave(rounds: int, runners: dict[str, Callable[[], float]], series: dict[str, Series] | None = None,
               ) -> dict[str, Series]:
    """Run every runner once per round, in the given order (A, B, A, B, ...); each returns
    one value for its series."""
    series = series if series is not None else {}
    for _ in range(rounds):
        for name, fn in runners.items():
            series.setdefault(name, Series(name)).add(fn())
    return series


def ratio(ours: Series, baseline: Series) -> float:
    """Ratio of medians: how many times `ours` is of `baseline` (times: lower is better)."""
    return ours.median / baseline.median if baseline.median else float("inf")


def speedup(ours: Series, baseline: Series) -> float:
    """How many times faster `ours` is than `baseline` (both times, medians)."""
    return baseline.median / ours.median if ours.median else float("inf")


def cpu_seconds() -> dict[str, float]:
    """user+sys CPU seconds of this process (every thread) and of its waited-for children
    (worker pools, subprocesses): what the machine spent, not one thread's share."""
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    own, children = me.ru_utime + me.ru_stime, kids.ru_utime + kids.ru_stime
    return {"self": own, "children": children, "total": own + children}


def tree_cpu_seconds(pid: int | None = None) -> float:
    """user+sys CPU of a live process and all its live descendants (psutil), for children that
    have not exited yet (a pool still running)."""
    import psutil

    proc = psutil.Process(pid)
    total = 0.0
    for p in [proc, *proc.children(recursive=True)]:
        try:
            t = p.cpu_times()
            total += t.user + t.system
        except psutil.NoSuchProcess:
            pass
    return total


def peak_rss_mb(children: bool = False) -> float:
    """The true peak resident set size (ru_maxrss: the kernel's high-water mark, not the RSS
    now) of this process, or the largest of its waited-for children."""
    ru = resource.getrusage(resource.RUSAGE_CHILDREN if children else resource.RUSAGE_SELF)
    return ru.ru_maxrss / 1024 if sys.platform != "darwin" else ru.ru_maxrss / 2**20


class Verdicts:
    """Goals and required baselines.  `missing` and a failed `goal` print a FAILED line;
    `exit_code` is non-zero when anything failed, so a bench cannot pass by skipping."""

    def __init__(self) -> None:
        self.failed: list[str] = []

    def missing(self, what: str, how: str) -> None:
        self.failed.append(what)
        print(f"FAILED: required baseline missing: {what} ({how})", flush=True)

    def goal(self, ok: bool, text: str) -> bool:
        print(f"{'ok' if ok else 'FAILED'}: {text}", flush=True)
        if not ok:
            self.failed.append(text)
        return ok

    def exit_code(self) -> int:
        return 1 if self.failed else 0


def run_tree(cmd: list[str], env: dict | None = None, poll_s: float = 0.02) -> dict:
    """Run `cmd` to completion; wall seconds and the CPU seconds of its whole process tree
    (the command, its children and theirs, e.g. a fork server's workers): sampled from /proc
    while they live, and the kernel's count of reaped children (whichever is larger), plus
    the descendants still alive after the command exited (they should be none)."""
    import subprocess
    import time

    import psutil

    seen: dict[int, float] = {}
    ru0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    root = psutil.Process(proc.pid)
    tree: list[psutil.Process] = []
    while proc.poll() is None:
        with contextlib.suppress(psutil.NoSuchProcess):
            tree = [root, *root.children(recursive=True)]
        for p in tree:
            try:
                c = p.cpu_times()
                seen[p.pid] = c.user + c.system
            except psutil.NoSuchProcess:
                pass
        time.sleep(poll_s)
    out, err = proc.communicate()
    wall = time.perf_counter() - t
    ru1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    reaped = (ru1.ru_utime + ru1.ru_stime) - (ru0.ru_utime + ru0.ru_stime)
    alive = [p for p in tree[1:] if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]
    return {"wall": wall, "cpu": max(reaped, sum(seen.values())), "returncode": proc.returncode,
            "outlived": [p.pid for p in alive], "stdout": out, "stderr": err}
