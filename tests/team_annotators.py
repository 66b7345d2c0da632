"""N annotator processes editing overlapping images through the real store API, and the checks
made after: the concurrency test (tests/unit/store/test_team_concurrency.py) and the bench
(bench/team_commits.py) both run this.

Each annotator opens an image (`Project.load_document` + `attach`, as the window does), makes
gestures with the core commands (add, change the mask, change the category, delete) and
switches image every few gestures.  Instance ids are unique per annotator run, so every write
can be traced: after each committed gesture it appends one JSON line to its journal (instance,
the revision it was based on, the revision it made, a token also stored in the instance's
attributes, the commit's latency).  A refused stale write (`StaleWrite`) is counted, and the
annotator reloads the image, as the window does.

`check(project, journals, killed)` then proves, from the database alone:
- no silent overwrite: no two committed writes of an instance made the same revision, and
  each was based on the revision before it;
- no lost committed edit: each instance holds the last journalled write (a process killed
  between its commit and its journal line may have one unjournalled write more: allowed only
  when processes were killed, and counted);
- integrity: every instance row belongs to an image and decodes to its stored area.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

SHAPE = (48, 64)


def _mask(rng: random.Random):
    from segstudio.core.masks import MaskPatch

    m = np.zeros(SHAPE, bool)
    y, x = rng.randrange(0, SHAPE[0] - 8), rng.randrange(0, SHAPE[1] - 8)
    m[y:y + rng.randrange(3, 8), x:x + rng.randrange(3, 8)] = True
    return MaskPatch.from_full(m)


def annotate(address: str, user: str, slot: int, seconds: float, journal: Path, images: int,
             seed: int, pace: float = 0.0) -> None:
    """One annotator, until `seconds` have passed (run in its own process); `pace`: gestures
    per second (random gaps; 0: as fast as it can)."""
    from segstudio.core import commands as C
    from segstudio.core.instance import Instance
    from segstudio.store import Project, identity
    from segstudio.store.revisions import StaleWrite

    identity.set_user_name(user)
    rng = random.Random(seed)
    base_id = (slot * 1000 + rng.randrange(1000)) * 100000  # unique per annotator run
    project = Project.open(address)
    out = open(journal, "a", buffering=1)  # noqa: SIM115 - closed at the end; SIGKILL may cut it
    deadline = time.monotonic() + seconds
    seq = refused = 0
    doc = persister = None
    left = 0
    while time.monotonic() < deadline:
        if pace:
            time.sleep(rng.expovariate(pace))
        if left <= 0 or doc is None:
            if persister is not None:
                persister.detach()
            image_id = rng.randrange(1, images + 1)
            doc = project.load_document(image_id)
            persister = project.attach(doc)
            left = rng.randrange(3, 10)
        left -= 1
        seq += 1
        token = f"{user}:{seq}"
        ids = [i for i in doc.order if i in doc]
        roll = rng.random()
        if not ids or roll < 0.3:
            iid = base_id + seq
            cmd = C.add_instance(doc, Instance(iid, rng.randrange(1, 3), _mask(rng), "manual",
                                               None, {"token": token}))
            kind = "add"
        else:
            iid = rng.choice(ids)
            old = doc.get(iid)
            if roll < 0.88:  # the token travels in the attributes of the instance written
                if roll < 0.75:
                    new, kind = old.with_mask(_mask(rng)), "mask"
                else:
                    new, kind = old.with_category(3 - old.category_id), "category"
                cmd = C.edit_instances(doc, kind, {iid: new.with_(attributes={"token": token})})
            else:
                cmd = C.remove_instances(doc, [iid])
                kind = "delete"
        base = persister.revisions.get(iid)
        t0 = time.perf_counter()
        try:
            cmd.do()
        except StaleWrite:
            refused += 1
            doc = None  # the window shows the saved state: reload the image
            continue
        ms = (time.perf_counter() - t0) * 1000
        out.write(json.dumps({"image": doc.image_id, "id": iid, "kind": kind, "base": base,
                              "rev": persister.revisions.get(iid), "token": token, "ms": round(ms, 3),
                              "user": user}) + "\n")
    out.write(json.dumps({"refused": refused, "user": user}) + "\n")
    out.close()
    project.close()


@dataclass
class Outcome:
    commits: int = 0
    refused: int = 0
    latencies_ms: list[float] = field(default_factory=list)
    unjournalled: int = 0
    problems: list[str] = field(default_factory=list)

    def p95(self) -> float:
        return float(np.percentile(self.latencies_ms, 95)) if self.latencies_ms else float("nan")


def read_journals(paths) -> tuple[list[dict], int]:
    writes, refused = [], 0
    for path in paths:
        if not Path(path).exists():
            continue
        for line in Path(path).read_text().splitlines():
            try:
                rec = json.loads(line)
            except ValueError:
                continue  # a line cut by SIGKILL
            if "refused" in rec:
                refused += rec["refused"]
            else:
                writes.append(rec)
    return writes, refused


def check(project, journal_paths, killed: int = 0) -> Outcome:
    from segstudio.core import rle

    writes, refused = read_journals(journal_paths)
    out = Outcome(commits=len(writes), refused=refused, latencies_ms=[w["ms"] for w in writes])
    by_instance: dict[tuple[int, int], list[dict]] = defaultdict(list)
    for w in writes:
        by_instance[(w["image"], w["id"])].append(w)
    rows = {(r[0], r[1]): r for r in project.conn.execute(
        "SELECT image_id, id, rev, attributes, rle, h, w, area FROM instances WHERE label_set='gt'")}
    for key, ws in by_instance.items():
        revs = [w["rev"] for w in ws if w["kind"] != "delete"]
        if len(revs) != len(set(revs)):
            out.problems.append(f"instance {key}: two committed writes made the same revision {revs}")
        for w in ws:
            if w["kind"] in ("mask", "category") and w["base"] is not None and w["rev"] != w["base"] + 1:
                out.problems.append(f"instance {key}: write {w['token']} based on {w['base']} made {w['rev']}")
        last = max(ws, key=lambda w: (w["kind"] == "delete", w["rev"] or 0))
        row = rows.get(key)
        if last["kind"] == "delete":
            if row is not None and not killed:
                out.problems.append(f"instance {key}: deleted by {last['token']} but still stored")
            continue
        if row is None:
            if killed:
                out.unjournalled += 1  # deleted by a write whose journal line died with its process
            else:
                out.problems.append(f"instance {key}: the committed write {last['token']} is lost")
            continue
        token = json.loads(row[3]).get("token")
        if row[2] == last["rev"] and token == last["token"]:
            continue
        if killed and row[2] == last["rev"] + 1:
            out.unjournalled += 1
            continue
        out.problems.append(f"instance {key}: holds rev {row[2]} ({token}), last committed write "
                            f"was rev {last['rev']} ({last['token']})")
    for (image_id, iid), row in rows.items():
        _, _, _, _, enc, h, w, area = row
        if h and w and int(rle.decode({"size": [h, w], "counts": enc}).sum()) != area:
            out.problems.append(f"instance {(image_id, iid)}: its mask does not decode to its area")
    orphans = project.conn.execute(
        "SELECT COUNT(*) FROM instances WHERE image_id NOT IN (SELECT id FROM images)").fetchone()[0]
    if orphans:
        out.problems.append(f"{orphans} instances of no image")
    if not project.shared:
        ok = project.conn.execute("PRAGMA integrity_check").fetchone()[0]
        if ok != "ok":
            out.problems.append(f"SQLite integrity_check: {ok}")
    return out


def make_project(address_or_folder, folder: Path, images: int):
    """A project with `images` blank images and two categories."""
    import cv2

    from segstudio.store import Project

    folder.mkdir(parents=True, exist_ok=True)
    for k in range(images):
        cv2.imwrite(str(folder / f"im{k:03d}.png"), np.zeros((*SHAPE, 3), np.uint8))
    project = Project.create(address_or_folder, image_root=folder) if isinstance(address_or_folder, str) \
        else Project.create(address_or_folder)
    project.add_folder(folder)
    project.add_category("a")
    project.add_category("b")
    return project


def run_team(address: str, workdir: Path, *, annotators: int, seconds: float, images: int,
             kill_every: float | None = None, seed: int = 0, pace: float = 0.0,
             ) -> tuple[list[Path], int]:
    """Run the annotators as processes; with `kill_every`, SIGKILL a random one that often and
    start it again (a new run of the same user).  Returns the journals and the kills."""
    rng = random.Random(seed)
    journals = [workdir / f"journal-{k}.jsonl" for k in range(annotators)]
    env = dict(os.environ)

    def start(slot: int, round_: int, left: float) -> subprocess.Popen:
        code = ("import sys; from pathlib import Path; from tests.team_annotators import annotate; "
                f"annotate({address!r}, 'ann{slot}', {slot}, {left!r}, Path({str(journals[slot])!r}), "
                f"{images}, {seed * 1000 + slot * 10 + round_}, {pace!r})")
        return subprocess.Popen([sys.executable, "-c", code], env=env,
                                cwd=str(Path(__file__).resolve().parent.parent))

    t_end = time.monotonic() + seconds
    procs = {k: start(k, 0, seconds) for k in range(annotators)}
    kills = 0
    next_kill = time.monotonic() + kill_every if kill_every else None
    while time.monotonic() < t_end + 30 and any(p.poll() is None for p in procs.values()):
        now = time.monotonic()
        if next_kill is not None and now >= next_kill and now < t_end - 1:
            slot = rng.randrange(annotators)
            if procs[slot].poll() is None:
                procs[slot].send_signal(signal.SIGKILL)
                procs[slot].wait()
                kills += 1
                procs[slot] = start(slot, kills, max(1.0, t_end - now))
            next_kill = now + kill_every
        time.sleep(0.05)
    for p in procs.values():
        if p.poll() is None:
            p.kill()
        p.wait()
    return journals, kills
