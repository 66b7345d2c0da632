"""runtime.OnnxOrTorch: the one place that decides between an ONNX session and torch."""

from __future__ import annotations

import pytest

from segstudio.inference.base import ModelError
from segstudio.inference.runtime import OnnxOrTorch


def test_auto_makes_the_session_once_and_keeps_it() -> None:
    calls: list[int] = []
    rt = OnnxOrTorch("auto")
    sess = object()
    assert rt.session(lambda: calls.append(1) or sess) is sess
    assert rt.session(lambda: calls.append(1) or object()) is sess
    assert calls == [1]


def test_auto_falls_back_to_torch_for_good_when_the_session_cannot_be_made() -> None:
    rt = OnnxOrTorch("auto")

    def broken() -> object:
        raise ImportError("no onnxruntime")

    assert rt.session(broken) is None
    # a later call does not try again (no export on every click)
    assert rt.session(lambda: pytest.fail("tried again")) is None


def test_onnx_backend_raises_what_making_the_session_raised() -> None:
    rt = OnnxOrTorch("onnx")

    def broken() -> object:
        raise OSError("cache not writable")

    with pytest.raises(OSError, match="cache not writable"):
        rt.session(broken)


def test_fatal_errors_reach_the_caller_even_in_auto() -> None:
    rt = OnnxOrTorch("auto")

    def bad_weights() -> object:
        raise ModelError("w.pt: click-model weights not found")

    with pytest.raises(ModelError, match="w.pt"):
        rt.session(bad_weights, fatal=(ModelError,))
    assert OnnxOrTorch("auto").session(bad_weights) is None  # not fatal: torch


def test_torch_backend_never_makes_a_session_and_a_given_session_is_used() -> None:
    assert OnnxOrTorch("torch").session(lambda: pytest.fail("made")) is None
    given = object()
    assert OnnxOrTorch("onnx", given).session(lambda: pytest.fail("made")) is given


def test_unknown_backend_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="cuda"):
        OnnxOrTorch("cuda")
