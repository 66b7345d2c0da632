"""The click/box prompt tools as Qt-free state machines (driven by synthetic events)."""

from __future__ import annotations

import numpy as np

from segstudio.core.document import ImageDocument
from segstudio.core.masks import MaskPatch
from segstudio.core.proposal import Proposal
from segstudio.core.tools.base import KEY_BACKSPACE, Buttons, Mods, SimpleContext
from segstudio.core.tools.prompt import BoxPromptTool, PromptTool


def _tool(cls=PromptTool):
    doc = ImageDocument((40, 60))
    sent = []
    tool = cls(lambda prompt, seq: sent.append((prompt, seq)))
    tool.activate(SimpleContext(doc))
    return tool, doc, sent


def _click(tool, x, y, buttons=Buttons.LEFT, mods=Mods.NONE):
    tool.press(x, y, buttons, mods)
    tool.release(x, y, buttons, mods)


def test_clicks_build_the_prompt_with_signs_and_previous_mask():
    tool, doc, sent = _tool()
    _click(tool, 10, 10)
    assert sent[-1][0].clicks[0].positive and sent[-1][0].prev_mask is None
    mask = np.zeros((40, 60), bool)
    mask[5:15, 5:15] = True
    assert tool.take_result(sent[-1][1], mask)
    _click(tool, 30, 20, Buttons.RIGHT)
    _click(tool, 31, 21, Buttons.LEFT, Mods.ALT)
    prompt, seq = sent[-1]
    assert [c.positive for c in prompt.clicks] == [True, False, False]
    assert prompt.prev_mask is mask
    assert not tool.take_result(seq - 1, mask)  # a stale answer is ignored
    kinds = [(s.kind, s.role) for s in tool.preview()]
    assert kinds == [("point", "add"), ("point", "subtract"), ("point", "subtract")]


def test_clicks_outside_the_image_are_ignored():
    tool, _, sent = _tool()
    _click(tool, -3, 10)
    _click(tool, 10, 45)
    assert sent == []


def test_backspace_takes_back_a_click_and_the_last_one_clears_the_proposal():
    tool, doc, sent = _tool()
    _click(tool, 10, 10)
    _click(tool, 20, 10)
    assert tool.key(KEY_BACKSPACE, Mods.NONE)
    assert len(sent[-1][0].clicks) == 1 and sent[-1][0].prev_mask is None
    doc.set_proposal(Proposal(MaskPatch.from_full(np.ones((40, 60), bool))))
    assert tool.key(KEY_BACKSPACE, Mods.NONE)
    assert doc.proposal is None and len(sent) == 3
    assert not tool.key(KEY_BACKSPACE, Mods.NONE)  # nothing left: the canvas may use the key


def test_box_tool_drag_sets_a_box_and_clicks_refine_it():
    tool, doc, sent = _tool(BoxPromptTool)
    tool.press(5, 5, Buttons.LEFT, Mods.NONE)
    tool.move(20, 15, Buttons.LEFT, Mods.NONE)
    assert [s.role for s in tool.preview()] == ["active"]
    tool.release(70, 30, Buttons.LEFT, Mods.NONE)  # clamped to the image
    assert sent[-1][0].box == (5, 5, 60, 30) and not sent[-1][0].clicks
    _click(tool, 12, 12, Buttons.RIGHT)
    assert sent[-1][0].box == (5, 5, 60, 30) and not sent[-1][0].clicks[0].positive
    tool.cancel()
    assert tool.prompt().is_empty and tool.preview() == []


def test_click_tool_ignores_drags():
    tool, _, sent = _tool()
    tool.press(5, 5, Buttons.LEFT, Mods.NONE)
    assert not tool.move(25, 25, Buttons.LEFT, Mods.NONE)
    tool.release(25, 25, Buttons.LEFT, Mods.NONE)
    assert len(sent) == 1 and sent[0][0].clicks[0].x == 5
