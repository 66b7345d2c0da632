"""Mutation fuzzing of every importer and of `validate`, each case in its own process.

Seeds: a small project (two 48x64 images, instances with holes and several parts, drawn
polygons) exported to every format that reads back, and hand-made video datasets
(youtube-vis, coco-video, davis).  A case copies one seed and applies 1-3 mutations chosen by
a seeded RNG (the case is reproducible from its seed):

* JSON: numbers -> huge (1e12, 1e300, 2**63, 10**30), NaN, Infinity, negative, 0, floats for
  integers; strings -> paths out of the dataset, long, empty, non-UTF-8 bytes; containers ->
  emptied, duplicated, nested 2,000 deep, keys dropped or retyped;
* PNG/JPEG: header sizes (30000, 2**31 - 1, 0), truncation, flipped bytes, palettes cut;
* text (YOLO labels, class lists, data.yaml): tokens -> nan/inf/huge/negative/paths/non-UTF-8,
  `path: /`, huge class indices, YAML alias bombs;
* files -> text, empty, a symlink out of the dataset or to /dev/zero.

Each case runs the CLI's own `main` for `validate FMT SRC` and `import FMT SRC PROJECT
--create` in a process forked from a "zygote" that did the imports once (a fresh interpreter
per case costs ~1 s).  Findings: a crash (signal: a segfault), a timeout, a traceback, an error
that is not one line naming a file of the dataset, and an accepted import that leaves a project
later steps cannot handle (a mask outside its image, a stored size that is not the image's,
a failed integrity check, an export that raises).
"""

from __future__ import annotations

import json
import os
import random
import select
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import time
import traceback
import zlib
from dataclasses import dataclass, field
from pathlib import Path

from tests.unit.io.fuzz_seeds import SECRET, make_seeds

CASE_TIMEOUT = 30.0  # s: a case taking longer is a finding (a hang or a memory bomb)
MEMORY_LIMIT = 4 << 30  # address space of a case: a bigger allocation is a MemoryError finding


@dataclass
class Outcome:
    seed: str
    case: int
    mutations: list[str]
    kind: str  # "ok" (accepted), "refused" (a clean one-line error), or a finding
    detail: str = ""
    folder: str = ""

    @property
    def finding(self) -> bool:
        return self.kind not in ("ok", "refused")


@dataclass
class Summary:
    cases: int = 0
    accepted: int = 0
    refused: int = 0
    findings: list[Outcome] = field(default_factory=list)

    def add(self, o: Outcome) -> None:
        self.cases += 1
        if o.kind == "ok":
            self.accepted += 1
        elif o.kind == "refused":
            self.refused += 1
        else:
            self.findings.append(o)

    def by_kind(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for f in self.findings:
            out[f.kind] = out.get(f.kind, 0) + 1
        return out


# ------------------------------------------------------------------------------------ mutations
HUGE = [1e12, 1e300, -1e12, 1e7, 2**63, 10**30, -(2**31), 1e-300]
STRINGS = ["/etc/passwd", "../../../../etc/passwd", "../outside/passwd", "", "x" * 5000, "\u0000",
           "file:///etc/passwd", "%2e%2e/%2e%2e/outside/passwd", "C:\\Windows\\win.ini", "a/../../b"]
TOKENS = ["nan", "inf", "-inf", "1e308", "-5", "99999999999999999999", "0x10", "/etc/passwd",
          "../../outside/passwd", "1e-320", "-0", "2147483648", "", "@BAD@"]
BAD_BYTES = b"\xff\xfe\x80"
DEEP = "[" * 2000 + "]" * 2000


def mutate(folder: Path, rng: random.Random, outside: Path) -> list[str]:
    """Apply 1-3 random mutations to the files of a dataset copy; returns their descriptions."""
    files = sorted(p for p in folder.rglob("*") if p.is_file() and not p.is_symlink())
    done = []
    for _ in range(rng.choice((1, 1, 2, 3))):
        if not files:
            break
        f = rng.choice(files)
        if f.is_symlink():  # made a link by an earlier mutation (to /dev/zero: never read it)
            continue
        ext = f.suffix.lower()
        try:
            if ext == ".json":
                done.append(_mutate_json(f, rng))
            elif ext == ".png" and rng.random() < 0.8:
                done.append(_mutate_png(f, rng))
            elif ext in (".jpg", ".jpeg") and rng.random() < 0.7:
                done.append(_mutate_bytes(f, rng))
            elif ext in (".txt", ".yaml", ".yml", ".xml"):
                done.append(_mutate_text(f, rng))
            else:
                done.append(_mutate_file(f, rng, outside))
        except (OSError, ValueError, RecursionError) as e:  # the seed file itself was odd
            done.append(f"{f.name}: mutation skipped ({type(e).__name__})")
    return done


def _nodes(value, path=()):
    yield path, value
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _nodes(v, (*path, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _nodes(v, (*path, i))


def _set(doc, path, new):
    if not path:
        return new
    node = doc
    for k in path[:-1]:
        node = node[k]
    node[path[-1]] = new
    return doc


def _mutate_json(f: Path, rng: random.Random) -> str:
    doc = json.loads(f.read_bytes())
    nodes = list(_nodes(doc))
    # prefer leaves (numbers, strings): that is where hostile values hide
    leaves = [n for n in nodes if not isinstance(n[1], (dict, list))]
    path, value = rng.choice(leaves if leaves and rng.random() < 0.75 else nodes)
    raw_marker = None
    if isinstance(value, bool) or value is None:
        new = rng.choice([1e300, "x", [], {}, -1])
    elif isinstance(value, (int, float)):
        new = rng.choice(HUGE + [float("nan"), float("inf"), -float("inf"), -1, 0, 0.5, True, "7", None])
    elif isinstance(value, str):
        choice = rng.random()
        if choice < 0.15:
            new, raw_marker = "@@BADBYTES@@", BAD_BYTES
        elif choice < 0.25:
            new = value[: rng.randrange(len(value) + 1)]  # truncated (RLE strings, base64)
        else:
            new = rng.choice(STRINGS + [1e12, None, ["a"]])
    elif isinstance(value, list):
        new = rng.choice([[], value * 30 if len(value) < 50 else value, "@@DEEP@@", {}, value[:1], None])
        if new == "@@DEEP@@":
            raw_marker = DEEP.encode()
    else:  # dict
        keys = list(value)
        if keys and rng.random() < 0.5:
            new = {k: v for k, v in value.items() if k != rng.choice(keys)}  # a key dropped
        else:
            new = rng.choice([{}, [], "@@DEEP@@", None])
            if new == "@@DEEP@@":
                raw_marker = DEEP.encode()
    doc = _set(doc, path, new)
    text = json.dumps(doc).encode()
    if raw_marker is not None:
        text = text.replace(b'"@@BADBYTES@@"', b'"' + raw_marker + b'"').replace(b'"@@DEEP@@"', raw_marker)
    if rng.random() < 0.05:
        text = text[: rng.randrange(len(text))]  # truncated file
    f.write_bytes(text)
    where = "".join(f"[{k}]" if isinstance(k, int) else f".{k}" for k in path)
    return f"{f.name}{where}: {_short(value)} -> {_short(new)}"


def _mutate_png(f: Path, rng: random.Random) -> str:
    data = bytearray(f.read_bytes())
    how = rng.choice(["size", "size", "truncate", "flip", "palette", "depth"])
    if how == "size" and len(data) >= 24:
        w, h = rng.choice([(30000, 30000), (2**31 - 1, 1), (0, 5), (1, 2**31 - 1), (64, 480), (5000, 48)])
        data[16:24] = struct.pack(">II", w, h)
        data[29:33] = struct.pack(">I", zlib.crc32(bytes(data[12:29])) & 0xFFFFFFFF)
        f.write_bytes(bytes(data))
        return f"{f.name}: IHDR size -> {w}x{h}"
    if how == "truncate":
        n = rng.randrange(len(data))
        f.write_bytes(bytes(data[:n]))
        return f"{f.name}: truncated to {n} bytes"
    if how == "palette":
        i = bytes(data).find(b"PLTE")
        if i > 4:
            (length,) = struct.unpack(">I", data[i - 4 : i])
            new_len = rng.choice([3, 6, 0, 765])
            body = bytes(data[i + 4 : i + 4 + min(length, new_len)]).ljust(new_len, b"\x01")
            chunk = struct.pack(">I", new_len) + b"PLTE" + body + struct.pack(
                ">I", zlib.crc32(b"PLTE" + body) & 0xFFFFFFFF)
            data = data[: i - 4] + chunk + data[i + 8 + length :]
            f.write_bytes(bytes(data))
            return f"{f.name}: palette of {new_len // 3} entries"
    if how == "depth" and len(data) >= 33:
        data[24] = rng.choice([1, 2, 4, 16, 3])
        data[29:33] = struct.pack(">I", zlib.crc32(bytes(data[12:29])) & 0xFFFFFFFF)
        f.write_bytes(bytes(data))
        return f"{f.name}: bit depth -> {data[24]}"
    return _mutate_bytes(f, rng)


def _mutate_bytes(f: Path, rng: random.Random) -> str:
    data = bytearray(f.read_bytes())
    n = rng.randint(1, 8)
    for _ in range(n):
        if data:
            data[rng.randrange(len(data))] = rng.randrange(256)
    if rng.random() < 0.3:
        data = data[: rng.randrange(len(data) + 1)]
    f.write_bytes(bytes(data))
    return f"{f.name}: {n} bytes flipped"


def _mutate_text(f: Path, rng: random.Random) -> str:
    text = f.read_bytes().decode("utf-8", "replace")
    if f.suffix in (".yaml", ".yml") and rng.random() < 0.5:
        extra = rng.choice([
            "path: /\n", "path: ../..\n", "names: {100000000: x}\n", "names: {-1: x}\n", "names: 5\n",
            "train: /etc\n", "train: [../../outside]\n",
            "a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
            "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\nnames: [*c]\n",
            "names: [" + DEEP[:400] + "]\n", "{{{{\n"])
        key = extra.split(":")[0].splitlines()[-1]
        lines = [ln for ln in text.splitlines() if not ln.startswith(key + ":")]
        f.write_text("\n".join(lines) + "\n" + extra)
        return f"{f.name}: {extra.strip()[:60]}"
    tokens = text.split(" ")
    if len(tokens) > 1 and rng.random() < 0.8:
        i = rng.randrange(len(tokens))
        new = rng.choice(TOKENS)
        tokens[i] = new
        out = " ".join(tokens).encode().replace(b"@BAD@", BAD_BYTES)
        f.write_bytes(out)
        return f"{f.name}: token {i} -> {new!r}"
    f.write_bytes(text.encode() + rng.choice([BAD_BYTES, b"\n" * 3, b"0 " + b"0.5 " * 4001 + b"\n"]))
    return f"{f.name}: appended"


def _mutate_file(f: Path, rng: random.Random, outside: Path) -> str:
    how = rng.choice(["text", "empty", "link-out", "link-zero", "bytes"])
    if how == "text":
        f.write_bytes(SECRET)
    elif how == "empty":
        f.write_bytes(b"")
    elif how == "link-out":
        f.unlink()
        os.symlink(outside / "passwd", f)
    elif how == "link-zero":
        f.unlink()
        os.symlink("/dev/zero", f)
    else:
        return _mutate_bytes(f, rng)
    return f"{f.name}: {how}"


def _short(v) -> str:
    text = repr(v)
    return text if len(text) <= 40 else text[:37] + "..."


# ------------------------------------------------------------------------------------ one case
def run_case(case_dir: Path, fmt: str, arg: str) -> dict:
    """In the forked child: validate, import, and check what an accepted import left."""
    import io

    from segstudio.cli.main import main

    result: dict = {}
    src = str(case_dir / "data" / arg)
    project = case_dir / "project"
    for step, argv in (("validate", ["validate", fmt, src]),
                       ("import", ["import", fmt, src, str(project), "--create"])):
        out, err = io.StringIO(), io.StringIO()
        sys.stdout, sys.stderr = out, err
        try:
            rc = main(argv)
        except SystemExit as e:
            rc = e.code if isinstance(e.code, int) else 1
        except BaseException:  # what `python -m segstudio` would print: a traceback
            traceback.print_exc(file=err)
            rc = 1
        finally:
            sys.stdout, sys.stderr = sys.__stdout__, sys.__stderr__
        result[step] = {"rc": rc, "out": out.getvalue()[-4000:], "err": err.getvalue()[-4000:]}
    if result["import"]["rc"] == 0:
        result["followup"] = _followup(project, case_dir)
    return result


def _followup(project_dir: Path, case_dir: Path) -> list[str]:
    """Problems an accepted import left for later steps."""
    from segstudio.core.image_header import HeaderError, read_header
    from segstudio.io import registry
    from segstudio.store.project import Project

    problems = []
    try:
        with Project.open(project_dir) as p:
            if p.conn.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
                problems.append("integrity check failed")
            for rec in p.images():
                frames = p.annotated_frames(rec.id) if rec.kind != "image" else [0]
                for frame in frames:
                    for inst in p.load_instances(rec.id, frame):
                        m = inst.mask
                        if m.image_shape != rec.shape or (not m.is_empty and (
                                m.y0 < 0 or m.x0 < 0 or m.y1 > rec.height or m.x1 > rec.width)):
                            problems.append(f"{rec.path}: mask {m.y0},{m.x0} {m.height}x{m.width} "
                                            f"outside the {rec.width}x{rec.height} image")
                path = p.image_path(rec)
                if rec.kind == "image" and path.is_file():
                    try:
                        head = read_header(path)
                        if (head.width, head.height) != (rec.width, rec.height):
                            problems.append(f"{rec.path}: stored {rec.width}x{rec.height}, the file is "
                                            f"{head.width}x{head.height}")
                    except (OSError, HeaderError) as e:
                        problems.append(f"{rec.path}: imported, but not an image ({e})")
            for fmt, dst in (("coco", "check-coco"), ("labelme", "check-lm")):
                registry.export(fmt, p, case_dir / dst, {"images": "reference"} if fmt == "labelme" else {})
    except Exception as e:  # noqa: BLE001 - every failure here is a finding
        problems.append(f"{type(e).__name__}: {e}")
    return problems


def classify(result: dict | None, status: str, code: int, case_dir: Path) -> tuple[str, str]:
    if status == "timeout":
        return "timeout", f"more than {CASE_TIMEOUT:.0f} s"
    if status == "signal":
        return "crash", f"killed by signal {code} ({signal.Signals(code).name})"
    if result is None:
        return "crash", f"no result (exit {code})"
    for step in ("validate", "import"):
        r = result[step]
        text = (r["err"].strip() or (r["out"].strip() if r["rc"] != 0 else ""))
        if "Traceback (most recent call last)" in r["err"]:
            return "traceback", f"{step}: " + r["err"].strip().splitlines()[-1][:300]
        if r["rc"] == 0:
            continue
        if step == "validate":  # "invalid: FILE at WHERE: problem" on stdout, rc 1
            text = r["out"].strip() or r["err"].strip()
        lines = [ln for ln in text.splitlines() if ln.strip()]
        if len(lines) != 1:
            return "not-one-line", f"{step}: {text[:300]!r}"
        if str(case_dir) not in lines[0]:
            return "names-no-file", f"{step}: {lines[0][:300]}"
    if result.get("followup"):
        return "accepted-then-broken", "; ".join(result["followup"])[:400]
    if result["import"]["rc"] == 0:
        return "ok", ""
    return "refused", result["import"]["err"].strip()[:300]


# ------------------------------------------------------------------------------------ zygote
def zygote() -> None:
    """Imports done once; then, per request on stdin, fork a child that runs one case."""
    import faulthandler
    import resource

    import segstudio.cli.main  # noqa: F401 - the imports every case needs
    from segstudio.cli.commands import dataset_import, init, validate  # noqa: F401
    from segstudio.io import registry

    registry.formats()
    import PIL.Image  # noqa: F401
    import pycocotools.mask  # noqa: F401
    import yaml  # noqa: F401

    for line in sys.stdin:
        req = json.loads(line)
        case_dir = Path(req["case_dir"])
        pid = os.fork()
        if pid == 0:
            code = 0
            try:
                fault = open(case_dir / "fault.txt", "w")  # noqa: SIM115 - lives until os._exit
                faulthandler.enable(fault)  # a crash leaves its Python stack here
                resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))
                os.chdir(case_dir)
                result = run_case(case_dir, req["fmt"], req["arg"])
                (case_dir / "result.json").write_text(json.dumps(result))
            except BaseException:  # noqa: BLE001
                traceback.print_exc()
                code = 3
            os._exit(code)
        status, code = _wait(pid, req.get("timeout", CASE_TIMEOUT))
        print(json.dumps({"status": status, "code": code}), flush=True)


def _wait(pid: int, timeout: float) -> tuple[str, int]:
    end = time.monotonic() + timeout
    delay = 0.002
    while True:
        done, st = os.waitpid(pid, os.WNOHANG)
        if done:
            if os.WIFSIGNALED(st):
                return "signal", os.WTERMSIG(st)
            return "exit", os.WEXITSTATUS(st)
        if time.monotonic() > end:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            return "timeout", 0
        time.sleep(delay)
        delay = min(delay * 2, 0.05)


class Zygote:
    """The parent's handle on a zygote process."""

    def __init__(self) -> None:
        env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "SEGSTUDIO_IO_WORKERS": "0",
               "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
               "PYTHONPATH": os.pathsep.join([str(Path(__file__).resolve().parents[3]),
                                              os.environ.get("PYTHONPATH", "")])}
        self.proc = subprocess.Popen(
            [sys.executable, "-c", "from tests.unit.io.fuzz import zygote; zygote()"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env,
            stderr=subprocess.DEVNULL)

    def run(self, case_dir: Path, fmt: str, arg: str, timeout: float = CASE_TIMEOUT) -> tuple[str, int]:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(json.dumps({"case_dir": str(case_dir), "fmt": fmt, "arg": arg,
                                          "timeout": timeout}) + "\n")
        self.proc.stdin.flush()
        ready, _, _ = select.select([self.proc.stdout], [], [], timeout + 30)
        if not ready:
            raise RuntimeError("the fuzz zygote stopped answering")
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError("the fuzz zygote died")
        reply = json.loads(line)
        return reply["status"], reply["code"]

    def close(self) -> None:
        if self.proc.stdin:
            self.proc.stdin.close()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


# ------------------------------------------------------------------------------------ campaign
def fuzz(cases: int, seed: int = 0, work: Path | None = None, keep: Path | None = None,
         only: set[str] | None = None, progress=None, time_budget: float | None = None,
         mutations: bool = True, cases_per_seed: int | None = None) -> Summary:
    """Run `cases` mutated cases (round-robin over the seeds); findings' folders are copied to
    `keep` when given.  Stops early when `time_budget` seconds have passed.  `mutations=False`
    runs the seeds as they are (each must be accepted)."""
    own = work is None
    work = Path(tempfile.mkdtemp(prefix="segstudio-fuzz-")) if own else work
    t0 = time.monotonic()
    summary = Summary()
    zyg = None
    try:
        seeds = [s for s in make_seeds(work / "seeds-src") if only is None or s.name in only]
        outside = work / "seeds-src" / "outside"
        zyg = Zygote()
        if cases_per_seed is not None:
            cases = min(cases, cases_per_seed * len(seeds))
        for k in range(cases):
            if time_budget is not None and time.monotonic() - t0 > time_budget:
                break
            s = seeds[k % len(seeds)]
            case_seed = seed * 1_000_003 + k
            rng = random.Random(case_seed)
            case_dir = work / "cases" / f"{k:06d}"
            shutil.copytree(s.folder, case_dir / "data", symlinks=True)
            done = mutate(case_dir / "data", rng, outside) if mutations else []
            try:
                status, code = zyg.run(case_dir, s.fmt, s.arg)
            except RuntimeError:
                zyg.close()
                zyg = Zygote()
                status, code = "crash", -1
            result_file = case_dir / "result.json"
            result = json.loads(result_file.read_text()) if result_file.is_file() else None
            kind, detail = classify(result, status, code, case_dir)
            o = Outcome(s.name, case_seed, done, kind, detail, str(case_dir))
            summary.add(o)
            if o.finding and keep is not None:
                shutil.copytree(case_dir, keep / f"{s.name}-{case_seed}", symlinks=True, dirs_exist_ok=True)
            if progress is not None:
                progress(k, o)
            shutil.rmtree(case_dir, ignore_errors=True)
    finally:
        if zyg is not None:
            zyg.close()
        if own:
            shutil.rmtree(work, ignore_errors=True)
    return summary
