"""Issue 21: the quick profile of the importers' fuzz harness (`tests/unit/io/fuzz.py`): every
importer and `validate` on mutated copies of valid datasets, each case in its own process.
The long profile is `scripts/fuzz_formats.py`."""

import os

import pytest

from tests.unit.io import fuzz

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="the fuzz harness forks a case per process")


def _report(summary: fuzz.Summary) -> str:
    return "\n".join(f"{f.seed} case {f.case}: {f.kind}: {f.detail} <- {f.mutations}"
                     for f in summary.findings)


def test_every_seed_is_a_valid_dataset_of_its_format():
    """Mutating a file every importer refuses as it is would test nothing."""
    seen = []
    summary = fuzz.fuzz(100, mutations=False, progress=lambda k, o: seen.append((o.seed, o.kind)),
                        cases_per_seed=1)
    assert summary.cases == len(seen) >= 12
    assert [s for s, kind in seen if kind != "ok"] == [], seen
    assert {s for s, _ in seen} >= {"coco-rle", "labelme", "voc", "yolo", "labelmap", "cvat",
                                   "label-studio", "youtube-vis", "coco-video", "davis"}


def test_quick_fuzz_no_crash_no_traceback_no_broken_project():
    # ~60-120 cases in 30 s on 2 cores; a loaded machine runs fewer (the same first ones)
    summary = fuzz.fuzz(400, seed=0, time_budget=30)
    print(f"quick fuzz: {summary.cases} cases, {summary.accepted} accepted, {summary.refused} refused, "
          f"load {os.getloadavg()[0]:.1f}")
    assert summary.cases >= 12, summary.cases  # one per seed even on a very loaded machine
    assert not summary.findings, _report(summary)
    assert summary.accepted and summary.refused  # the mutations both pass and get refused
