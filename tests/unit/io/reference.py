"""Reference readers that live in their own virtual environments (their pins clash with ours).

A test asks for one with `reference_python("datumaro", "datumaro")`: the interpreter of
`$SEGSTUDIO_REF_DATUMARO` or `/tmp/venv-datumaro/bin/python` when it can import the module,
else the test is skipped with the command that installs it.  Scripts under `reference_scripts/`
run in that interpreter and print JSON.
"""

from __future__ import annotations

import functools
import json
import os
import subprocess
from pathlib import Path

import pytest

SCRIPTS = Path(__file__).with_name("reference_scripts")
PACKAGES = {"datumaro": "datumaro", "ls": "label-studio-converter"}


@functools.cache
def _find(name: str, module: str) -> str | None:
    candidates = [os.environ.get(f"SEGSTUDIO_REF_{name.upper()}"), f"/tmp/venv-{name}/bin/python"]
    for py in candidates:
        if not py or not Path(py).exists():
            continue
        ok = subprocess.run([py, "-c", f"import {module}"], capture_output=True, timeout=120)
        if ok.returncode == 0:
            return py
    return None


def reference_python(name: str, module: str) -> str:
    py = _find(name, module)
    if py is None:
        pkg = PACKAGES.get(name, module)
        pytest.skip(f"reference reader {module} not installed (python3 -m venv /tmp/venv-{name} && "
                    f"/tmp/venv-{name}/bin/pip install {pkg}; or set SEGSTUDIO_REF_{name.upper()})")
    return py


def run_script(python: str, script: str, *args: str | Path) -> object:
    out = subprocess.run([python, str(SCRIPTS / script), *map(str, args)], capture_output=True,
                         text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    return json.loads(out.stdout)
