"""An image's pixels on the canvas: the display window (brightness / contrast) a person chose for
each image, the Display panel's intensity controls that show it, a preview while the full image
loads, and the pixel value under the pointer."""

from __future__ import annotations

from segstudio.io.images import LoadedImage, display_window, to_rgb8
from segstudio.qt.canvas import CanvasView
from segstudio.qt.docks.display import DisplayPanel
from segstudio.qt.statusbar import StatusBar, pixel_under_pointer
from segstudio.store.project import ImageRecord


class PixelView:
    def __init__(self, canvas: CanvasView, display_panel: DisplayPanel, status_bar: StatusBar) -> None:
        self.canvas, self.display_panel, self.status_bar = canvas, display_panel, status_bar
        self.windows: dict[int, tuple[float, float]] = {}  # image id -> (black, white) chosen

    def set_window(self, image_id: int, window: tuple[float, float] | None) -> None:
        """The intensity window of one image; None: back to the automatic one."""
        if window is None:
            self.windows.pop(image_id, None)
        else:
            lo, hi = window
            self.windows[image_id] = (float(lo), float(max(hi, lo + 1e-6)))

    def show(self, rec: ImageRecord | None, data: LoadedImage | None, fit: bool = False,
             preview: tuple | None = None) -> None:
        if data is None and preview is not None and rec is not None:
            self.canvas.set_image_preview(preview[0], rec.shape, preview[1])
        elif data is None:
            self.canvas.set_image(None, rec.shape if rec is not None else None)
            self.display_panel.show_window((0.0, 255.0), None)
        else:
            window = self.windows.get(rec.id) if rec is not None else None
            self.canvas.set_image(to_rgb8(data.data, window))
            self.display_panel.show_window(window or display_window(data.data), data.data.dtype)
        if fit:
            self.canvas.fit()
        self.status_bar.show_cursor(pixel_under_pointer(self.canvas), data.data if data is not None else None)
