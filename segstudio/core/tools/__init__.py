"""Qt-free annotation tools (see base.py for the protocol) and a registry of the built-in ones."""

from __future__ import annotations

from segstudio.core.tools.base import (
    BaseTool,
    Buttons,
    Mods,
    PreviewShape,
    Tool,
    ToolContext,
    ToolOptions,
)
from segstudio.core.tools.brush import BrushTool, EraserTool
from segstudio.core.tools.fill import MagicWandTool
from segstudio.core.tools.select import SelectTool
from segstudio.core.tools.shapes import EllipseTool, LassoTool, PolygonTool, RectangleTool
from segstudio.core.tools.vertex import VertexTool

BUILTIN_TOOLS: tuple[type[BaseTool], ...] = (
    SelectTool,
    BrushTool,
    EraserTool,
    PolygonTool,
    RectangleTool,
    EllipseTool,
    LassoTool,
    MagicWandTool,
    VertexTool,
)

__all__ = [
    "BUILTIN_TOOLS",
    "BaseTool",
    "BrushTool",
    "Buttons",
    "EllipseTool",
    "EraserTool",
    "LassoTool",
    "MagicWandTool",
    "Mods",
    "PolygonTool",
    "PreviewShape",
    "RectangleTool",
    "SelectTool",
    "Tool",
    "ToolContext",
    "ToolOptions",
    "VertexTool",
]
