"""Opening user model files safely and with clear errors (onnxruntime, TorchScript, state dicts).

Nothing here unpickles arbitrary objects: ONNX is a protobuf; TorchScript archives are loaded by
`torch.jit.load`, which reads code and tensors of the TorchScript format (it runs the model's own
TorchScript code, as any model does, but never Python pickles of arbitrary classes); plain
weights go through `torch.load(weights_only=True)`.
"""

from __future__ import annotations

import os
import threading
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

from segstudio.core.tasks import CancelToken
from segstudio.inference.base import ModelError


def onnx_session(path: Path, threads: int | None = None) -> Any:
    """An onnxruntime session on the CPU; `threads` intra-op threads (None: up to 4; 0:
    onnxruntime's own choice, one per physical core)."""
    import onnxruntime as ort

    path = Path(path)
    if not path.is_file():
        raise ModelError(f"{path}: ONNX model file not found")
    opts = ort.SessionOptions()
    if threads != 0:
        opts.intra_op_num_threads = threads or min(4, os.cpu_count() or 1)
        opts.inter_op_num_threads = 1
    opts.log_severity_level = 3
    # idle intra-op threads sleep instead of spinning: they would starve the GUI thread
    opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
    try:
        return ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])
    except Exception as exc:  # onnxruntime raises its own exception types
        msg = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ModelError(f"{path}: not a loadable ONNX model ({msg})") from exc


_EXPORT_LOCK = threading.Lock()  # two threads exporting one network would race on the file


def onnx_cache_dir() -> Path:
    """Where built-in networks' ONNX exports are cached (~/.cache/segstudio/onnx)."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "segstudio" / "onnx"


def cached_onnx(name: str, digest: str, export: Callable[[Path], Any]) -> Path:
    """The cached ONNX export `<name>-<digest>.onnx`, made by `export(path)` on first use.
    `digest` names the weights, so new weights never meet an old export."""
    path = onnx_cache_dir() / f"{name}-{digest}.onnx"
    with _EXPORT_LOCK:
        if not path.is_file():
            export(path)
    return path


def export_onnx(net: Any, input_shape: tuple[int, ...], path: Path, input_name: str, output_name: str) -> Path:
    """ONNX export (opset 17, dynamic batch) of the eval-mode torch network; written beside
    and renamed into place, so a concurrent reader never sees half a file."""
    import torch

    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            net.eval(), (torch.zeros(*input_shape),), str(tmp),
            input_names=[input_name], output_names=[output_name], opset_version=17,
            dynamic_axes={input_name: {0: "n"}, output_name: {0: "n"}}, dynamo=False,
        )
    tmp.replace(path)
    return path


class OnnxOrTorch:
    """Which runtime a built-in network runs on: the ONNX session, made on first use, or None
    for torch.  backend "torch" never makes one; "onnx" raises what making it raised; "auto"
    falls back to torch for good when the session cannot be made (no onnxruntime, no writable
    cache, a failed export), except for the `fatal` errors, which always reach the caller."""

    BACKENDS = ("auto", "torch", "onnx")

    def __init__(self, backend: str, session: Any = None) -> None:
        if backend not in self.BACKENDS:
            raise ValueError(f"unknown backend {backend!r}")
        self.backend = backend
        self._session: Any = session  # None: not tried yet; False: tried, torch it is

    def session(
        self, make: Callable[[], Any], fatal: tuple[type[BaseException], ...] = ()
    ) -> Any:
        if self.backend == "torch" or self._session is False:
            return None
        if self._session is None:
            try:
                self._session = make()
            except fatal:
                raise
            except Exception:
                if self.backend == "onnx":
                    raise
                self._session = False
                return None
        return self._session


def run_onnx(sess: Any, feeds: dict[str, Any], cancel: CancelToken | None = None) -> list[Any]:
    """One run; a cancel stops it between layers (a click superseded by the next one must not
    hold its thread for the rest of a pass) and raises Cancelled, not an onnxruntime error."""
    if cancel is None:
        return sess.run(None, feeds)
    import onnxruntime as ort

    opts = ort.RunOptions()

    def stop() -> None:
        opts.terminate = True

    with cancel.on_cancel(stop):
        try:
            return sess.run(None, feeds, opts)
        except Exception:
            cancel.check()  # terminated on purpose: Cancelled
            raise


def torchscript_module(path: Path) -> Any:
    import torch

    path = Path(path)
    if not path.is_file():
        raise ModelError(f"{path}: TorchScript file not found")
    try:
        with warnings.catch_warnings():  # torch >= 2.9 marks TorchScript as deprecated
            warnings.simplefilter("ignore", DeprecationWarning)
            m = torch.jit.load(str(path), map_location="cpu")
    except Exception as exc:
        raise ModelError(f"{path}: not a TorchScript archive ({exc})") from exc
    m.eval()
    return m


def torch_weights(path: Path, what: str = "weights file") -> Any:
    """A torch weights file (a state dict or a checkpoint) read with `weights_only=True`:
    tensors and plain containers, never pickled objects of arbitrary classes.  A missing file
    is a FileNotFoundError, an unreadable one a ValueError; both name the file."""
    import torch

    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: {what} not found")
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # corrupt file, a pickle with code, another format
        raise ValueError(f"{path}: not a readable torch weights file ({exc})") from exc


def io_names(sess: Any) -> tuple[list[str], list[str]]:
    return [i.name for i in sess.get_inputs()], [o.name for o in sess.get_outputs()]
