"""Packaging: the wheel and sdist carry the resources; one version; desktop files are well-formed.

The wheel and sdist are built once per run by calling the setuptools PEP 517 hooks on a copy of
the source tree (no network, no `build/` folder shared with other runs), then the wheel is
installed into a fresh virtual environment whose dependencies come from the running one.
"""

from __future__ import annotations

import ast
import configparser
import os
import re
import shutil
import subprocess
import sys
import tarfile
import venv
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

import pytest

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    tomllib = pytest.importorskip("tomli")

ROOT = Path(__file__).resolve().parents[2]
PKG = ROOT / "segstudio"
RESOURCES = PKG / "resources"
LINUX = ROOT / "packaging" / "linux"
APP_ID = "io.github.segstudio.SegStudio"
ICON_SIZES = (16, 32, 48, 64, 128, 256, 512)
WEIGHT_SUFFIXES = {".pt", ".pth", ".onnx", ".safetensors", ".npz", ".bin", ".ckpt"}
JUNK = re.compile(r"(__pycache__|\.pyc$|\.pyo$|\.db-wal$|\.db-shm$|\.DS_Store$)")


def source_version() -> str:
    """The one source of truth: `__version__` in segstudio/__init__.py, read without importing."""
    tree = ast.parse((PKG / "__init__.py").read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "__version__" for t in node.targets):
            return ast.literal_eval(node.value)
    raise AssertionError("segstudio/__init__.py defines no __version__")


def resource_files() -> list[str]:
    return sorted(
        p.relative_to(ROOT).as_posix()
        for p in RESOURCES.rglob("*")
        if p.is_file() and not JUNK.search(p.as_posix())
    )


@pytest.fixture(scope="module")
def dists(tmp_path_factory) -> dict[str, Path]:
    src = tmp_path_factory.mktemp("src")
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info", "*.db-wal", "*.db-shm")
    shutil.copytree(PKG, src / "segstudio", ignore=ignore)
    shutil.copytree(ROOT / "packaging", src / "packaging", ignore=ignore)
    for name in ("pyproject.toml", "README.md", "MANIFEST.in", "CHANGELOG.md", "LICENSE", "NOTICE"):
        if (ROOT / name).is_file():
            shutil.copy2(ROOT / name, src / name)
    out = tmp_path_factory.mktemp("dist")
    code = (  # setuptools rewrites sys.argv while building: keep the output folder first
        "import sys; out = sys.argv[1]; from setuptools import build_meta as b;"
        "s = b.build_sdist(out); w = b.build_wheel(out); print('BUILT', s, w)"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code, str(out)], cwd=src, capture_output=True, text=True, timeout=300
    )
    assert proc.returncode == 0, proc.stderr[-4000:]
    sdist_name, wheel_name = proc.stdout.split("BUILT ")[-1].split()
    return {"wheel": out / wheel_name, "sdist": out / sdist_name}


def test_version_single_source_and_changelog():
    version = source_version()
    assert re.fullmatch(r"\d+\.\d+\.\d+([ab]|rc|\.dev)?\d*", version), version
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert "version" not in pyproject["project"], "a second version in pyproject.toml"
    assert "version" in pyproject["project"]["dynamic"]
    assert pyproject["tool"]["setuptools"]["dynamic"]["version"] == {"attr": "segstudio.__version__"}
    changelog = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    released = re.findall(r"^## \[?(\d+\.\d+\.\d+[^\]\s]*)\]?", changelog, re.M)
    assert released and released[0] == version, f"CHANGELOG's newest version {released[:1]} != {version}"
    metainfo = ET.parse(LINUX / f"{APP_ID}.metainfo.xml").getroot()
    releases = [r.get("version") for r in metainfo.iter("release")]
    assert releases and releases[0] == version, "metainfo <releases> must start with the current version"


def test_wheel_carries_every_resource_and_module(dists):
    version = source_version()
    wheel = dists["wheel"]
    assert wheel.name.startswith(f"segstudio-{version}-") and wheel.name.endswith("-none-any.whl")
    with zipfile.ZipFile(wheel) as z:
        names = set(z.namelist())
        meta = z.read(f"segstudio-{version}.dist-info/METADATA").decode()
        entry_points = z.read(f"segstudio-{version}.dist-info/entry_points.txt").decode()
    missing = [f for f in resource_files() if f not in names]
    assert not missing, f"resources missing from the wheel: {missing[:10]}"
    modules = sorted(p.relative_to(ROOT).as_posix() for p in PKG.rglob("*.py") if "__pycache__" not in p.parts)
    missing = [m for m in modules if m not in names]
    assert not missing, f"modules missing from the wheel: {missing[:10]}"
    for s in ICON_SIZES:
        assert f"segstudio/resources/icons/app/segstudio-{s}.png" in names
    assert "segstudio/resources/icons/app/segstudio.svg" in names
    samples = [n for n in names if n.startswith("segstudio/resources/samples/")]
    assert sum(n.endswith((".jpg", ".png")) for n in samples) >= 4
    assert "segstudio/resources/samples/LICENSE.md" in names
    assert not [n for n in names if JUNK.search(n) or n.startswith(("tests/", "bench/"))]
    assert f"Version: {version}" in meta
    assert "License-Expression: Apache-2.0" in meta or "License: Apache-2.0" in meta
    assert re.search(r"^segstudio\s*=\s*segstudio\.cli\.main:main$", entry_points, re.M)


def test_model_weights_ship_with_licence_notices(dists):
    models = RESOURCES / "models"
    weights = [p for p in models.rglob("*") if p.suffix.lower() in WEIGHT_SUFFIXES] if models.is_dir() else []
    if not weights:
        pytest.skip("no built-in model weights in segstudio/resources/models yet")
    notices = [p for p in models.rglob("*") if p.is_file() and re.search(r"licen[cs]e|notice", p.name, re.I)]
    assert notices, "model weights without a LICENSE/NOTICE file in resources/models"
    with zipfile.ZipFile(dists["wheel"]) as z:
        names = set(z.namelist())
    for p in weights + notices:
        assert p.relative_to(ROOT).as_posix() in names


def test_sdist_carries_resources_and_desktop_files(dists):
    version = source_version()
    with tarfile.open(dists["sdist"]) as t:
        names = {n.split("/", 1)[1] for n in t.getnames() if "/" in n}
    assert dists["sdist"].name == f"segstudio-{version}.tar.gz"
    missing = [f for f in resource_files() if f not in names]
    assert not missing, f"resources missing from the sdist: {missing[:10]}"
    for f in ("pyproject.toml", "CHANGELOG.md", f"packaging/linux/{APP_ID}.desktop",
              f"packaging/linux/{APP_ID}.metainfo.xml", f"packaging/linux/{APP_ID}.mime.xml"):
        assert f in names, f


def _fresh_venv(root: Path) -> Path:
    """A new venv with no segstudio; dependencies are borrowed from the running one via a .pth."""
    venv.EnvBuilder(with_pip=False, symlinks=os.name != "nt").create(root)
    py = root / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    site = subprocess.run(
        [str(py), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True, text=True, check=True,
    ).stdout.strip()
    deps = [p for p in sys.path if p.endswith("site-packages") and Path(p).is_dir()]
    (Path(site) / "_borrowed_deps.pth").write_text("\n".join(deps) + "\n")
    return py


@pytest.mark.slow
def test_wheel_installs_and_runs_in_a_fresh_venv(dists, tmp_path):
    py = _fresh_venv(tmp_path / "venv")
    pip = subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(py), "install", "--no-deps", "--no-index",
         "--disable-pip-version-check", str(dists["wheel"])],
        capture_output=True, text=True, timeout=300,
    )
    assert pip.returncode == 0, pip.stderr[-3000:]
    exe = py.parent / ("segstudio.exe" if os.name == "nt" else "segstudio")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    env.update(QT_QPA_PLATFORM="offscreen", SEGSTUDIO_DATA_DIR=str(tmp_path / "data"),
               SEGSTUDIO_LOG_DIR=str(tmp_path / "logs"))

    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([str(exe), *args], cwd=tmp_path, env=env, capture_output=True,
                              text=True, timeout=180)

    where = subprocess.run([str(py), "-c", "import segstudio; print(segstudio.__file__)"],
                           cwd=tmp_path, env=env, capture_output=True, text=True)
    assert Path(where.stdout.strip()).is_relative_to(tmp_path / "venv"), where.stdout + where.stderr

    helped = run("--help")
    assert helped.returncode == 0 and "usage: segstudio" in helped.stdout, helped.stderr
    assert run("--version").stdout.strip() == f"segstudio {source_version()}"
    if re.search(r"^\s+models\b", helped.stdout, re.M):
        models = run("models")
        assert models.returncode == 0, models.stderr[-3000:]
        assert models.stdout.strip(), "segstudio models listed nothing"
    opened = run("open", "--sample", "--quit-after", "0")
    assert opened.returncode == 0, opened.stderr[-3000:]
    sample = tmp_path / "data" / "sample-project"
    assert (sample / "segstudio.db").is_file()
    assert len(list((sample / "images").glob("*"))) >= 4


def test_desktop_entry_is_well_formed():
    path = LINUX / f"{APP_ID}.desktop"
    parser = configparser.ConfigParser(interpolation=None, strict=True)
    parser.optionxform = str  # keys are case-sensitive
    parser.read(path, encoding="utf-8")
    entry = parser["Desktop Entry"]
    assert entry["Type"] == "Application" and entry["Name"] == "SegStudio"
    assert entry["Icon"] == APP_ID and entry["Exec"].split()[:2] == ["segstudio", "open"]
    assert entry["Categories"].endswith(";") and "Graphics" in entry["Categories"].split(";")
    mimes = [m for m in entry["MimeType"].split(";") if m]
    mime_root = ET.parse(LINUX / f"{APP_ID}.mime.xml").getroot()
    ns = "{http://www.freedesktop.org/standards/shared-mime-info}"
    declared = {m.get("type"): m for m in mime_root.iter(f"{ns}mime-type")}
    assert set(mimes) <= set(declared), "the desktop entry names a MIME type nobody declares"
    assert declared["application/x-segstudio-project"].find(f"{ns}glob").get("pattern") == "segstudio.db"
    for action in [a for a in entry.get("Actions", "").split(";") if a]:
        assert parser[f"Desktop Action {action}"]["Exec"].startswith("segstudio ")
    tool = shutil.which("desktop-file-validate")
    if tool:
        proc = subprocess.run([tool, str(path)], capture_output=True, text=True)
        assert proc.returncode == 0 and "error" not in proc.stdout, proc.stdout


def test_metainfo_is_well_formed():
    path = LINUX / f"{APP_ID}.metainfo.xml"
    root = ET.parse(path).getroot()
    assert root.tag == "component" and root.get("type") == "desktop-application"
    assert root.findtext("id") == APP_ID
    assert root.findtext("metadata_license") == "CC0-1.0" and root.findtext("project_license") == "Apache-2.0"
    assert root.find("launchable").text == f"{APP_ID}.desktop"
    assert root.find("description/p") is not None and root.findtext("summary")
    assert [b.text for b in root.iter("binary")] == ["segstudio"]
    tool = shutil.which("appstreamcli")
    if tool:
        proc = subprocess.run([tool, "validate", "--no-net", str(path)], capture_output=True, text=True)
        assert proc.returncode == 0, proc.stdout + proc.stderr


def test_app_icons_are_square_pngs_at_every_size():
    import cv2

    folder = RESOURCES / "icons" / "app"
    svg = ET.parse(folder / "segstudio.svg").getroot()
    assert svg.tag.endswith("svg") and svg.get("viewBox") == "0 0 512 512"
    for s in ICON_SIZES:
        img = cv2.imread(str(folder / f"segstudio-{s}.png"), cv2.IMREAD_UNCHANGED)
        assert img is not None and img.shape == (s, s, 4), (s, None if img is None else img.shape)
        assert img[s // 2, s // 2, 3] == 255 and img[0, 0, 3] < 128  # opaque centre, rounded corner
    ico = (folder / "segstudio.ico").read_bytes()
    assert ico[:4] == b"\0\0\1\0" and int.from_bytes(ico[4:6], "little") == 6
    icns = (folder / "segstudio.icns").read_bytes()
    assert icns[:4] == b"icns" and int.from_bytes(icns[4:8], "big") == len(icns)


def test_committed_icons_match_make_icons(tmp_path):
    """The icons are the output of packaging/make_icons.py (nobody edited a PNG by hand)."""
    import cv2
    import numpy as np

    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    proc = subprocess.run([sys.executable, str(ROOT / "packaging" / "make_icons.py"), "--out", str(tmp_path),
                           "--desktop-out", str(tmp_path / "desktop")],
                          env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    folder = RESOURCES / "icons" / "app"
    assert (tmp_path / "segstudio.svg").read_bytes() == (folder / "segstudio.svg").read_bytes()
    for s in ICON_SIZES:
        fresh = cv2.imread(str(tmp_path / f"segstudio-{s}.png"), cv2.IMREAD_UNCHANGED).astype(int)
        committed = cv2.imread(str(folder / f"segstudio-{s}.png"), cv2.IMREAD_UNCHANGED).astype(int)
        assert np.abs(fresh - committed).max() <= 8, f"segstudio-{s}.png differs from make_icons.py"


@pytest.mark.skipif(os.name == "nt" or not shutil.which("bash"), reason="needs bash")
def test_install_desktop_script_installs_and_uninstalls(tmp_path):
    script = LINUX / "install-desktop.sh"
    prefix = tmp_path / "prefix"
    exe = "/opt/Seg Studio/segstudio"  # a path with a space must be quoted in Exec
    proc = subprocess.run(["bash", str(script), "--prefix", str(prefix), "--exec", exe],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    share = prefix / "share"
    desktop = (share / "applications" / f"{APP_ID}.desktop").read_text(encoding="utf-8")
    assert f'Exec="{exe}" open %f' in desktop and f"TryExec={exe}\n" in desktop
    assert (share / "metainfo" / f"{APP_ID}.metainfo.xml").is_file()
    assert (share / "mime" / "packages" / f"{APP_ID}.xml").is_file()
    assert (share / "icons" / "hicolor" / "scalable" / "apps" / f"{APP_ID}.svg").is_file()
    for s in ICON_SIZES:
        assert (share / "icons" / "hicolor" / f"{s}x{s}" / "apps" / f"{APP_ID}.png").is_file()
    if shutil.which("update-mime-database"):  # the cache now maps segstudio.db to our type
        assert "application/x-segstudio-project:segstudio.db" in (share / "mime" / "globs2").read_text()
    proc = subprocess.run(["bash", str(script), "--prefix", str(prefix), "--uninstall"],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert not (share / "applications" / f"{APP_ID}.desktop").exists()
    assert not list((share / "icons").rglob(f"{APP_ID}.*"))


def test_bundle_spec_and_scripts_are_consistent():
    """The spec names the entry script, and the shell scripts parse (the bundle build itself is
    too slow for the default run: packaging/build_bundle.sh)."""
    spec = (ROOT / "packaging" / "segstudio.spec").read_text(encoding="utf-8")
    compile(spec, "segstudio.spec", "exec")
    assert "bundle_entry.py" in spec and (ROOT / "packaging" / "bundle_entry.py").is_file()
    assert 'collect_submodules("segstudio")' in spec
    if shutil.which("bash"):
        for script in (ROOT / "packaging" / "build_bundle.sh", LINUX / "install-desktop.sh"):
            proc = subprocess.run(["bash", "-n", str(script)], capture_output=True, text=True)
            assert proc.returncode == 0, proc.stderr


def test_bundle_entry_dispatches_to_the_cli(tmp_path):
    entry = ROOT / "packaging" / "bundle_entry.py"
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    version = subprocess.run([sys.executable, str(entry), "--version"], cwd=tmp_path, env=env,
                             capture_output=True, text=True, timeout=60)
    assert version.returncode == 0 and version.stdout.strip() == f"segstudio {source_version()}"
    info = subprocess.run([sys.executable, str(entry), "--bundle-info"], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=60)
    assert info.returncode == 0 and "frozen: False" in info.stdout
    bad = subprocess.run([sys.executable, str(entry), "no-such-command"], cwd=tmp_path, env=env,
                         capture_output=True, text=True, timeout=60)
    assert bad.returncode == 2 and "invalid choice" in bad.stderr


def test_wheel_built_from_the_sdist_is_complete(dists, tmp_path):
    """Distributions build from the sdist: it must hold everything the wheel needs."""
    with tarfile.open(dists["sdist"]) as t:
        if hasattr(tarfile, "data_filter"):  # Python >= 3.10.12 / 3.11.4
            t.extractall(tmp_path, filter="data")
        else:
            t.extractall(tmp_path)
    (src,) = [p for p in tmp_path.iterdir() if p.is_dir()]
    code = ("import sys; out = sys.argv[1]; from setuptools import build_meta as b;"
            "print('BUILT', b.build_wheel(out))")
    proc = subprocess.run([sys.executable, "-c", code, str(tmp_path / "out")], cwd=src,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    wheel = tmp_path / "out" / proc.stdout.split("BUILT ")[-1].strip()
    with zipfile.ZipFile(wheel) as z, zipfile.ZipFile(dists["wheel"]) as ref:
        assert sorted(z.namelist()) == sorted(ref.namelist())


@pytest.mark.parametrize("platform", ["linux", "win32", "darwin"])
def test_spec_builds_the_right_targets_per_platform(platform, monkeypatch, tmp_path):
    """Run the spec with PyInstaller's build classes replaced by recorders: each platform branch
    must produce its executables (the real build runs only on its own OS)."""
    import types

    calls: dict[str, list] = {"EXE": [], "COLLECT": [], "BUNDLE": []}

    class Analysis:
        def __init__(self, scripts, **kw):
            self.scripts, self.kw = scripts, kw
            self.binaries = [("torch/test/x_test", "/src/x", "BINARY"), ("torch/lib/libtorch.so", "/s", "BINARY"),
                             ("torch/bin/torch_shm_manager", "/s", "BINARY"), ("torch/bin/protoc", "/s", "BINARY")]
            self.datas, self.pure = [("torch/include/a.h", "/s", "DATA")], []

    def record(kind):
        def make(*args, **kw):
            calls[kind].append((args, kw))
            return types.SimpleNamespace(kind=kind, name=kw.get("name"))
        return make

    hooks = types.ModuleType("PyInstaller.utils.hooks")
    hooks.collect_submodules = lambda pkg: [pkg, f"{pkg}.cli.commands.open"]
    hooks.collect_data_files = lambda pkg, **kw: [("x", "segstudio/resources")]
    for name in ("PyInstaller", "PyInstaller.utils"):
        monkeypatch.setitem(sys.modules, name, types.ModuleType(name))
    monkeypatch.setitem(sys.modules, "PyInstaller.utils.hooks", hooks)
    monkeypatch.setattr(sys, "platform", platform)
    spec = ROOT / "packaging" / "segstudio.spec"
    scope = {"SPECPATH": str(spec.parent), "DISTPATH": str(tmp_path), "__file__": str(spec),
             "Analysis": Analysis, "PYZ": lambda pure: "pyz", "EXE": record("EXE"),
             "COLLECT": record("COLLECT"), "BUNDLE": record("BUNDLE")}
    exec(compile(spec.read_text(encoding="utf-8"), str(spec), "exec"), scope)

    a = scope["a"]
    assert [b[0] for b in a.binaries] == ["torch/lib/libtorch.so", "torch/bin/torch_shm_manager"]
    assert a.datas == []  # torch headers dropped
    assert "segstudio.cli.commands.open" in a.kw["hiddenimports"]
    exes = {kw["name"]: kw for _, kw in calls["EXE"]}
    assert exes["segstudio"]["console"] is True
    if platform == "linux":
        assert set(exes) == {"segstudio"} and exes["segstudio"]["icon"] is None
        assert (tmp_path / "SegStudio" / "share" / "applications" / f"{APP_ID}.desktop").is_file()
        assert (tmp_path / "SegStudio" / "install-desktop.sh").is_file()
    else:
        assert exes["SegStudio"]["console"] is False
        assert exes["SegStudio"]["icon"].endswith(".ico" if platform == "win32" else ".icns")
    assert len(calls["COLLECT"]) == 1 and calls["COLLECT"][0][1]["name"] == "SegStudio"
    if platform == "darwin":
        (_, kw), = calls["BUNDLE"]
        assert kw["bundle_identifier"] == APP_ID and kw["version"] == source_version()
        assert kw["info_plist"]["CFBundleShortVersionString"] == source_version()
    else:
        assert not calls["BUNDLE"]
