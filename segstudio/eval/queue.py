"""The review queue: images ordered by disagreement or by model uncertainty.

Qt-free so the CLI, the GUI and the tests share it.  `disagreement` puts the
lowest agreement (panoptic-style IoU, see compare.py) first; `uncertainty` puts
the most uncertain model output first and images without predictions last.
Images already accepted can be skipped; the cursor survives re-sorting.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from segstudio.eval.compare import EvalResult, ImageEval

ORDERS = ("disagreement", "uncertainty", "name")
REVIEW_STATUSES = ("to_review", "accepted", "needs_fix")


@dataclass(frozen=True)
class QueueItem:
    image_id: int
    frame: int
    name: str
    agreement: float
    uncertainty: float | None
    tp: int
    fp: int
    fn: int


def _item(e: ImageEval) -> QueueItem:
    return QueueItem(e.image_id, e.frame, e.name, e.agreement, e.uncertainty, e.tp, e.fp, e.fn)


def order_items(items: list[QueueItem], order: str) -> list[QueueItem]:
    if order == "disagreement":
        return sorted(items, key=lambda i: (i.agreement, -(i.fp + i.fn), i.name, i.frame))
    if order == "uncertainty":
        def key(i: QueueItem):
            u = i.uncertainty
            return (u is None, -(u if u is not None and not math.isnan(u) else 0.0), i.agreement, i.name)
        return sorted(items, key=key)
    if order == "name":
        return sorted(items, key=lambda i: (i.name, i.frame))
    raise ValueError(f"unknown queue order {order!r}; expected one of {ORDERS}")


class ReviewQueue:
    """A cursor over the evaluated images; `statuses` maps image id -> review status."""

    def __init__(
        self,
        result: EvalResult,
        order: str = "disagreement",
        statuses: dict[int, str | None] | None = None,
        skip_accepted: bool = True,
    ) -> None:
        self._all = [_item(e) for e in result.images]
        self.statuses = dict(statuses or {})
        self.skip_accepted = skip_accepted
        self.order = order
        self.items: list[QueueItem] = []
        self.index = -1
        self.resort(order)

    def resort(self, order: str | None = None) -> None:
        current = self.current
        here = (current.image_id, current.frame) if current is not None else None
        self.order = order or self.order
        items = self._all
        if self.skip_accepted:
            items = [i for i in items
                     if self.statuses.get(i.image_id) != "accepted" or (i.image_id, i.frame) == here]
        self.items = order_items(items, self.order)
        pos = self.position(*here) if here is not None else -1
        self.index = pos if pos >= 0 else (0 if self.items else -1)

    @property
    def current(self) -> QueueItem | None:
        return self.items[self.index] if 0 <= self.index < len(self.items) else None

    def __len__(self) -> int:
        return len(self.items)

    def position(self, image_id: int, frame: int = 0) -> int:
        return next((k for k, i in enumerate(self.items) if (i.image_id, i.frame) == (image_id, frame)), -1)

    def go_to(self, image_id: int, frame: int = 0) -> QueueItem | None:
        k = self.position(image_id, frame)
        if k >= 0:
            self.index = k
        return self.current

    def next(self, skip: tuple[str, ...] | None = None) -> QueueItem | None:
        """The next item whose review status is not in `skip` (default: accepted ones when
        the queue skips them), or None at the end."""
        skip = skip if skip is not None else (("accepted",) if self.skip_accepted else ())
        k = self.index + 1
        while k < len(self.items):
            if self.statuses.get(self.items[k].image_id) not in skip:
                self.index = k
                return self.items[k]
            k += 1
        return None

    def previous(self) -> QueueItem | None:
        if self.index > 0:
            self.index -= 1
            return self.items[self.index]
        return None

    def set_status(self, image_id: int, status: str | None) -> None:
        if status is not None and status not in REVIEW_STATUSES:
            raise ValueError(f"unknown review status {status!r}; expected one of {REVIEW_STATUSES}")
        self.statuses[image_id] = status

    def update(self, image_id: int, frame: int, agreement: float, tp: int, fp: int, fn: int) -> int:
        """Refresh one image's figures after an edit (no re-sorting: the list must not jump
        under the reviewer); returns its position in `items` or -1."""
        for lst in (self._all, self.items):
            for k, it in enumerate(lst):
                if (it.image_id, it.frame) == (image_id, frame):
                    lst[k] = QueueItem(image_id, frame, it.name, agreement, it.uncertainty, tp, fp, fn)
        return self.position(image_id, frame)

    def remaining(self) -> int:
        return sum(1 for i in self.items if self.statuses.get(i.image_id) != "accepted")
