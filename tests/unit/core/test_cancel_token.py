"""CancelToken callbacks: how a long native call is told to stop."""

from __future__ import annotations

import pytest

from segstudio.core.tasks import Cancelled, CancelToken


def test_on_cancel_calls_back_only_while_registered():
    token, calls = CancelToken(), []
    with token.on_cancel(lambda: calls.append("a")):
        token.cancel()
    assert calls == ["a"]
    with pytest.raises(Cancelled):
        token.check()
    later = CancelToken()
    with later.on_cancel(lambda: calls.append("b")):
        pass
    later.cancel()  # the block is over: no call
    assert calls == ["a"]


def test_on_cancel_of_an_already_cancelled_token_calls_at_once():
    token, calls = CancelToken(), []
    token.cancel()
    with token.on_cancel(lambda: calls.append(1)):
        assert calls == [1]
