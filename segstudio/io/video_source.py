"""Frame sources: streamed, random-access reading of video files and folders of numbered frames.

`open_source(path)` returns a `FrameSource` with `.frame_count`, `.fps`, `.shape` (h, w),
`.read(i) -> RGB uint8 (h, w, 3)` (read-only: copy before writing into it) and `.close()`.

Nothing is decoded up front (a 10,000-frame video opens in the time of two frame decodes);
decoded frames live in a byte-bounded LRU cache (`cache.py`), so memory stays flat however far
the user scrubs.  Seeking is keyframe-aware without parsing the container: a seek costs a jump
to the previous keyframe plus decoding up to the target, so the source measures both the cost of
one sequential decode and the cost of a seek, and for a target a little ahead of the decoder it
decodes forward when `gap * decode_cost < seek_cost` (within the same GOP that is always
cheaper), and seeks otherwise.  Sources are thread-safe (one lock around the decoder); a
background job that streams many frames should open its own source so it does not fight the
GUI's scrubbing over one decoder position.
"""

from __future__ import annotations

import threading
import time
from abc import ABC, abstractmethod
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from segstudio.core.image_header import IMAGE_EXTENSIONS, HeaderError, read_header
from segstudio.io.errors import FileProblem
from segstudio.io.frame_cache import DEFAULT_CACHE_BYTES, FrameCache
from segstudio.io.images import ImageLoadError, load_image

# Gaps this small are always decoded forward: a seek costs at least one decode plus a flush.
FORWARD_ALWAYS = 2
BACKWARD_CHUNK = 12  # frames decoded at once when the user steps backwards
VIDEO_EXTENSIONS = {".mp4", ".avi", ".mov", ".mkv", ".webm", ".m4v", ".mpg", ".mpeg", ".wmv"}


class FrameError(FileProblem):
    """A video or frame folder cannot be opened or a frame cannot be read; names file and problem."""


@dataclass
class SourceStats:
    decoded: int = 0  # frames decoded (retrieved) for callers
    skipped: int = 0  # frames decoded only to move forward (grab without retrieve)
    seeks: int = 0


class FrameSource(ABC):
    """Random access to the frames of one video or frame folder."""

    kind: str  # 'video' or 'frames' (the `images.kind` stored in the project)

    def __init__(self, path: Path, cache_bytes: int) -> None:
        self.path = path
        self.cache = FrameCache(cache_bytes)
        self.stats = SourceStats()
        self.frame_count = 0
        self.fps: float | None = None
        self.shape: tuple[int, int] = (0, 0)
        self._closed = False
        self._last_request = -2

    def read(self, index: int) -> np.ndarray:
        """Frame `index` as a read-only HxWx3 RGB uint8 array."""
        if self._closed:
            raise FrameError(self.path, "source is closed")
        index = int(index)
        if not 0 <= index < self.frame_count:
            raise FrameError(self.path, f"frame {index} out of range (0..{self.frame_count - 1})")
        frame = self.cache.get(index)
        if frame is None:
            backward = index == self._last_request - 1
            frame = self._decode_backward(index) if backward else None
            if frame is None:
                frame = self._decode(index)
            frame.flags.writeable = False
            self.cache.put(index, frame)
        self._last_request = index
        return frame

    def _decode_backward(self, index: int) -> np.ndarray | None:
        """Stepping backwards one frame at a time costs a seek per frame; decode a chunk
        ending at `index` once instead and serve the next steps from the cache."""
        frame_bytes = self.shape[0] * self.shape[1] * 3
        chunk = min(BACKWARD_CHUNK, self.cache.max_bytes // max(1, 2 * frame_bytes))
        if chunk < 2 or self.kind != "video":
            return None
        start = max(0, index - chunk + 1)
        for i in range(start, index):
            if i not in self.cache:
                f = self._decode(i)
                f.flags.writeable = False
                self.cache.put(i, f)
        return self._decode(index)

    def timestamp(self, index: int) -> float | None:
        """Seconds from the start of the video, or None when the frame rate is unknown."""
        return index / self.fps if self.fps else None

    @property
    def width(self) -> int:
        return self.shape[1]

    @property
    def height(self) -> int:
        return self.shape[0]

    @abstractmethod
    def _decode(self, index: int) -> np.ndarray: ...

    def close(self) -> None:
        self._closed = True
        self.cache.clear()

    def __enter__(self) -> FrameSource:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __len__(self) -> int:
        return self.frame_count


def open_source(
    path: str | Path,
    *,
    cache_bytes: int = DEFAULT_CACHE_BYTES,
    fps: float | None = None,
    verify_end: bool = True,
) -> FrameSource:
    """Open a video file or a folder of numbered frames.  Raises FrameError on bad input.

    `fps` overrides the container's frame rate (and gives a folder of frames one);
    `verify_end` checks, with one seek, that the reported last frame decodes, and corrects
    the frame count of containers that only estimate it.
    """
    p = Path(path)
    if not p.exists():
        raise FrameError(p, "no such file or folder")
    if p.is_dir():
        return FrameFolderSource(p, cache_bytes=cache_bytes, fps=fps)
    if p.suffix.lower() in IMAGE_EXTENSIONS:
        raise FrameError(p, "is an image, not a video (add its folder as a frame sequence)")
    return VideoFileSource(p, cache_bytes=cache_bytes, fps=fps, verify_end=verify_end)


def is_video_path(path: str | Path) -> bool:
    return Path(path).suffix.lower() in VIDEO_EXTENSIONS


# --------------------------------------------------------------------------- video files
class VideoFileSource(FrameSource):
    kind = "video"

    def __init__(
        self,
        path: Path,
        *,
        cache_bytes: int = DEFAULT_CACHE_BYTES,
        fps: float | None = None,
        verify_end: bool = True,
    ) -> None:
        super().__init__(path, cache_bytes)
        self._lock = threading.Lock()
        self._cap: cv2.VideoCapture | None = cv2.VideoCapture(str(path))
        if not self._cap.isOpened():
            self._cap.release()
            raise FrameError(path, "cannot be decoded as a video (unknown format or corrupt file)")
        self._pos = 0  # index of the frame the next cap.read() returns
        self._decode_cost = 0.0  # seconds per sequential decode (moving average)
        self._seek_cost = 0.0  # seconds per seek+decode (moving average)
        n = int(self._cap.get(cv2.CAP_PROP_FRAME_COUNT) or 0)
        rate = float(self._cap.get(cv2.CAP_PROP_FPS) or 0.0)
        self.fps = fps if fps else (rate if 0.0 < rate < 1000.0 else None)
        self.frame_count = max(n, 1)
        # Decode frame 0 for the true (rotation-applied) shape and to prove the stream decodes.
        first = self._read_at(0)
        if first is None:
            self._cap.release()
            raise FrameError(path, "contains no decodable video frame")
        self.shape = (int(first.shape[0]), int(first.shape[1]))
        first.flags.writeable = False
        self.cache.put(0, first)
        if n <= 0:
            self.frame_count = self._count_by_decoding()
        elif verify_end and n > 1:
            self.frame_count = self._verified_count(n)

    # The decoder -------------------------------------------------------------
    def _decode(self, index: int) -> np.ndarray:
        frame = self._read_at(index)
        if frame is None:
            raise FrameError(self.path, f"frame {index} cannot be decoded")
        if frame.shape[:2] != self.shape:
            raise FrameError(
                self.path, f"frame {index} is {frame.shape[1]}x{frame.shape[0]}, expected "
                f"{self.shape[1]}x{self.shape[0]} (resolution changes mid-stream are not supported)"
            )
        return frame

    def _read_at(self, index: int) -> np.ndarray | None:
        with self._lock:
            if self._cap is None:
                return None
            gap = index - self._pos
            if self._pos < 0 or not self.prefers_forward(gap):
                return self._seek_and_read(index)
            for _ in range(gap):  # decode forward without colour conversion
                t0 = time.perf_counter()
                if not self._cap.grab():
                    self._pos = -1
                    return None
                self._note_decode(time.perf_counter() - t0)
                self._pos += 1
                self.stats.skipped += 1
            return self._read_next()

    def prefers_forward(self, gap: int) -> bool:
        """Whether reaching a frame `gap` frames ahead of the decoder is cheaper by decoding
        forward than by seeking (costs measured on this file)."""
        if gap < 0:
            return False
        if gap <= FORWARD_ALWAYS:
            return True
        seek_cost = self._seek_cost or 8 * max(self._decode_cost, 1e-3)
        return gap * self._decode_cost < seek_cost

    def _capture(self) -> cv2.VideoCapture:
        if self._cap is None:
            raise FrameError(self.path, "the video is closed")
        return self._cap

    def _read_next(self) -> np.ndarray | None:
        t0 = time.perf_counter()
        ok, bgr = self._capture().read()
        if not ok or bgr is None:
            self._pos = -1  # position unknown: the next read seeks
            return None
        self._note_decode(time.perf_counter() - t0)
        self._pos += 1
        self.stats.decoded += 1
        return _to_rgb(bgr)

    def _seek_and_read(self, index: int) -> np.ndarray | None:
        t0 = time.perf_counter()
        self._capture().set(cv2.CAP_PROP_POS_FRAMES, index)
        self._pos = index
        self.stats.seeks += 1
        ok, bgr = self._capture().read()
        if not ok or bgr is None:
            self._pos = -1
            return None
        cost = time.perf_counter() - t0
        self._seek_cost = cost if not self._seek_cost else 0.8 * self._seek_cost + 0.2 * cost
        self._pos = index + 1
        self.stats.decoded += 1
        return _to_rgb(bgr)

    def _note_decode(self, cost: float) -> None:
        self._decode_cost = cost if not self._decode_cost else 0.9 * self._decode_cost + 0.1 * cost

    # Frame count -------------------------------------------------------------
    def _verified_count(self, n: int) -> int:
        """Containers may overstate the count (it is estimated from the duration): find the
        last frame that decodes, with one seek when the count is right."""
        last = self._read_at(n - 1)
        if last is not None and last.shape[:2] == self.shape:
            last.flags.writeable = False
            self.cache.put(n - 1, last)
            return n
        # Step back until a frame decodes, then count forward from it.
        back = 2
        while True:
            start = max(n - 1 - back, 0)
            if start == 0 or self._read_at(start) is not None:
                break
            back *= 2
        count = start + 1 if start > 0 else self._count_from_start()
        if start > 0:
            with self._lock:
                while self._capture().grab():
                    count += 1
                self._pos = -1
        return max(count, 1)

    def _count_from_start(self) -> int:
        with self._lock:
            self._capture().set(cv2.CAP_PROP_POS_FRAMES, 0)
            count = 0
            while self._capture().grab():
                count += 1
            self._pos = -1
        return count

    def _count_by_decoding(self) -> int:
        # Streams without a frame count (rare: raw elementary streams) are counted once.
        return max(self._count_from_start(), 1)

    def close(self) -> None:
        with self._lock:
            if self._cap is not None:
                self._cap.release()
                self._cap = None
        super().close()


def _to_rgb(bgr: np.ndarray) -> np.ndarray:
    if bgr.ndim == 2:
        return cv2.cvtColor(bgr, cv2.COLOR_GRAY2RGB)
    if bgr.shape[2] == 4:
        return cv2.cvtColor(bgr, cv2.COLOR_BGRA2RGB)
    return cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)


# --------------------------------------------------------------------------- frame folders
def list_frame_files(folder: str | Path) -> list[Path]:
    """Image files directly inside `folder`, in natural order (frame2 before frame10)."""
    from segstudio.store.scan import natural_key

    root = Path(folder)
    files = [
        p for p in root.iterdir()
        if p.is_file() and p.suffix.lower() in IMAGE_EXTENSIONS and not p.name.startswith(".")
    ]
    files.sort(key=lambda p: natural_key(p.name))
    return files


class FrameFolderSource(FrameSource):
    kind = "frames"

    def __init__(
        self, folder: Path, *, cache_bytes: int = DEFAULT_CACHE_BYTES, fps: float | None = None
    ) -> None:
        super().__init__(folder, cache_bytes)
        try:
            self.files = list_frame_files(folder)
        except OSError as e:
            raise FrameError(folder, f"cannot list the folder ({e.strerror or e})") from None
        if not self.files:
            raise FrameError(folder, "contains no image frames")
        try:
            header = read_header(self.files[0])
        except (HeaderError, OSError) as e:
            raise FrameError(self.files[0], f"first frame unreadable ({e})") from None
        self.shape = (int(header.height), int(header.width))
        self.frame_count = len(self.files)
        self.fps = fps

    def frame_path(self, index: int) -> Path:
        return self.files[index]

    def _decode(self, index: int) -> np.ndarray:
        path = self.files[index]
        try:
            rgb = load_image(path).rgb8()
        except ImageLoadError as e:
            raise FrameError(path, f"frame {index}: {e.problem}") from None
        if rgb.shape[:2] != self.shape:
            raise FrameError(
                path, f"frame {index} is {rgb.shape[1]}x{rgb.shape[0]}, the sequence is "
                f"{self.shape[1]}x{self.shape[0]}"
            )
        self.stats.decoded += 1
        return np.ascontiguousarray(rgb)
