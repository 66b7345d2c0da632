import numpy as np

from segstudio.core.document import ImageDocument
from segstudio.core.tools.base import KEY_BACKSPACE, Buttons, Mods, SimpleContext
from segstudio.cutout.refine_tool import RefineEdgeTool


def _tool(shape=(40, 50), size=5):
    doc = ImageDocument(shape)
    ctx = SimpleContext(doc)
    ctx.options.brush_size = size
    tool = RefineEdgeTool()
    tool.activate(ctx)
    return tool, ctx, doc


def _stroke(tool, pts, button=Buttons.LEFT):
    tool.press(*pts[0], button, Mods.NONE)
    for p in pts[1:]:
        tool.move(*p, button, Mods.NONE)
    tool.release(*pts[-1], button, Mods.NONE)


def test_strokes_grow_the_region_and_never_edit_the_document():
    tool, ctx, doc = _tool()
    boxes = []
    tool.region_changed.connect(boxes.append)
    _stroke(tool, [(10, 10), (30, 10)])
    assert tool.has_region and tool.region[10, 20] and not tool.region[30, 20]
    assert len(doc) == 0 and not ctx.commands
    x0, y0, x1, y1 = boxes[-1]
    assert x0 <= 8 and x1 >= 32 and y0 <= 8 and y1 >= 12
    assert tool.live_mask is None  # nothing left in flight


def test_right_button_removes_and_backspace_takes_strokes_back():
    tool, *_ = _tool()
    _stroke(tool, [(10, 10), (30, 10)])
    painted = tool.region.copy()
    _stroke(tool, [(20, 10)], Buttons.RIGHT)
    assert not tool.region[10, 20] and tool.region[10, 11]
    assert tool.key(KEY_BACKSPACE, Mods.NONE)
    assert np.array_equal(tool.region, painted)
    assert tool.key(KEY_BACKSPACE, Mods.NONE)
    assert not tool.region.any()
    assert not tool.key(KEY_BACKSPACE, Mods.NONE)


def test_reset_and_deactivate():
    tool, *_ = _tool()
    seen = []
    tool.deactivated.connect(lambda: seen.append(True))
    _stroke(tool, [(5, 5)])
    tool.reset((40, 50))
    assert not tool.has_region and tool.region.shape == (40, 50)
    tool.deactivate()
    assert seen == [True] and tool.ctx is None
