"""The open project and the per-(image, frame) documents with their undo histories.

A document is created once per (image, frame, label set) and kept with its History
and its store persister for the rest of the session, so undo/redo survives image
navigation and every command reaches the store the moment it runs.  Qt-free.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from segstudio.core.document import ImageDocument
from segstudio.core.history import History
from segstudio.io.images import ImageLoadError, LoadedImage, load_image
from segstudio.store import Project
from segstudio.store.project import DocumentPersister, ImageRecord, WriteSink

HISTORY_BUDGET = 128 * 1024 * 1024  # bytes of undo data per image
SESSION_BUDGET = 1024 * 1024 * 1024  # bytes of open documents + undo data kept across navigation
PREVIEW_MIN_PIXELS = 16_000_000  # above this, a JPEG is first shown from a 1/8 decode
# Above this, other still images (PNG, TIFF, ... decode at ~20 ms per megapixel on 2 cores, three
# times slower than JPEG) are decoded on the I/O pool, so opening one never stalls the window.
BACKGROUND_MIN_PIXELS = 6_000_000
VIDEO_KINDS = ("video", "frames")

Key = tuple[int, int, str]


@dataclass
class Page:
    document: ImageDocument
    history: History
    persister: DocumentPersister | None


def _page_bytes(page: Page) -> int:
    return sum(inst.nbytes for inst in page.document) + page.history.nbytes


class Session:
    def __init__(self, project: Project, write_path: WriteSink | None = None) -> None:
        self.project = project
        self.write_path = write_path  # where document edits are written (None: at once, here)
        self.pages: dict[Key, Page] = {}
        self._video_sources: dict[int, object] = {}
        self.prefetched: dict[int, LoadedImage] = {}  # decoded ahead by the I/O worker

    @property
    def root(self) -> Path:
        return self.project.root

    def page(self, image_id: int, frame: int = 0, label_set: str = "gt") -> Page:
        key = (image_id, frame, label_set)
        page = self.pages.pop(key, None)
        if page is None:
            doc = self.project.load_document(image_id, frame, label_set)
            page = Page(doc, History(HISTORY_BUDGET), self.project.attach(doc, sink=self.write_path))
        self.pages[key] = page  # most recently used last
        self.trim(key)
        return page

    def trim(self, keep: Key, budget: int = SESSION_BUDGET) -> None:
        """Forget the least recently used pages beyond `budget` bytes (documents + undo data).
        Their edits are in the store already; only their undo steps go.  Pages without undo
        steps go first."""
        sizes = {k: _page_bytes(p) for k, p in self.pages.items()}
        total = sum(sizes.values())
        order = [k for k in self.pages if k != keep]
        order.sort(key=lambda k: len(self.pages[k].history) > 0)  # stable: LRU within each group
        for k in order:
            if total <= budget:
                break
            page = self.pages.pop(k)
            if page.persister is not None:
                page.persister.detach()
            total -= sizes[k]

    def reload(self, image_id: int, frame: int = 0, label_set: str = "gt") -> Page:
        """Drop the cached document (its history refers to it) and read the store again."""
        old = self.pages.pop((image_id, frame, label_set), None)
        if old is not None and old.persister is not None:
            old.persister.detach()
        return self.page(image_id, frame, label_set)

    def load_pixels(self, record: ImageRecord, frame: int = 0) -> LoadedImage:
        path = self.project.image_path(record)
        if record.kind not in VIDEO_KINDS:
            ready = self.prefetched.pop(record.id, None)
            return ready if ready is not None else load_image(path)
        src = self._video_sources.get(record.id)
        if src is None:
            from segstudio.io.video_source import open_source

            try:
                src = open_source(path)
            except Exception as e:  # any reader failure becomes a clear message
                raise ImageLoadError(path, f"cannot open video: {e}") from None
            self._video_sources[record.id] = src
        try:
            rgb = np.asarray(src.read(frame))  # type: ignore[attr-defined]
        except Exception as e:
            raise ImageLoadError(path, f"cannot read frame {frame}: {e}") from None
        return LoadedImage(path, rgb, "video-frame", [f"frame {frame}"])

    def quick_preview(self, record: ImageRecord) -> tuple[np.ndarray, int] | None:
        """A 1/8-scale decode of a big JPEG (libjpeg scales while decoding: ~50x faster than
        the full image) to show at once while the full image loads; None if not worth it."""
        if not self._undecoded_still(record) or record.width * record.height < PREVIEW_MIN_PIXELS:
            return None
        path = self.project.image_path(record)
        if not _is_jpeg(path):
            return None
        small = cv2.imread(str(path), cv2.IMREAD_REDUCED_COLOR_8)
        level = 3
        if small is None or small.shape[:2] != (-(-record.height // 8), -(-record.width // 8)):
            return None  # unreadable or EXIF-rotated: let the full load report/handle it
        return cv2.cvtColor(small, cv2.COLOR_BGR2RGB), level

    def loads_in_background(self, record: ImageRecord) -> bool:
        """True for a still image whose decode would stall the window (big, not a JPEG, not
        already prefetched): it is shown without pixels first and filled in by `load_job`."""
        if not self._undecoded_still(record) or record.width * record.height < BACKGROUND_MIN_PIXELS:
            return False
        return not _is_jpeg(self.project.image_path(record))

    def _undecoded_still(self, record: ImageRecord) -> bool:
        """A still image (not a video) whose pixels are not already prefetched."""
        return record.kind not in VIDEO_KINDS and record.id not in self.prefetched

    def load_job(self, record: ImageRecord):
        """A worker job decoding `record` in full (the store stays on the GUI thread)."""
        path = self.project.image_path(record)  # resolved here: the store stays on the GUI thread

        def job(cancel, progress):
            return record.id, load_image(path)

        return job

    def prefetch_job(self, record: ImageRecord):
        """A worker job decoding `record` ahead of time (still images only), or None."""
        return self.load_job(record) if self._undecoded_still(record) else None

    def keep_prefetched(self, image_id: int, data: LoadedImage, keep: int = 2) -> None:
        self.prefetched[image_id] = data
        while len(self.prefetched) > keep:
            self.prefetched.pop(next(iter(self.prefetched)))

    def close(self) -> None:
        for page in self.pages.values():
            if page.persister is not None:
                page.persister.detach()
        self.pages.clear()
        self.prefetched.clear()
        for src in self._video_sources.values():
            with contextlib.suppress(Exception):  # a reader failing to close loses nothing
                src.close()  # type: ignore[attr-defined]
        self._video_sources.clear()
        self.project.close()


def _is_jpeg(path: Path) -> bool:
    return path.suffix.lower() in (".jpg", ".jpeg")
