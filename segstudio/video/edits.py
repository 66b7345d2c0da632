"""Undoable edits that span many frames of one video: track changes, propagation, interpolation.

An `EditCommand` acts on one loaded `ImageDocument`; a video edit touches instances on frames
that are not loaded.  `VideoEdit` holds, per frame, the touched instances before and after
(read-only mask patches, so cheap) plus the `tracks` rows before and after, and writes them to
the project in one transaction.  For a frame whose document is open in the app, the change goes
through that document instead (`documents(frame) -> ImageDocument | None`), so the canvas updates
and the document never holds stale track ids; that document's persister writes it to the store.
It follows the `History` command protocol (`label`, `do`, `undo`, `nbytes`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from segstudio.core.document import ChangeRefused, ImageDocument
from segstudio.core.instance import Instance
from segstudio.store import DatabaseError, Project, ProjectError
from segstudio.store.status import mark_edited
from segstudio.store.tracks import Track, write_tracks

DocumentLookup = Callable[[int], "ImageDocument | None"]
FrameChanges = dict[int, dict[int, "Instance | None"]]  # frame -> instance id -> instance/None


class VideoEdit:
    def __init__(
        self,
        project: Project,
        image_id: int,
        label: str,
        before: FrameChanges,
        after: FrameChanges,
        tracks_before: Mapping[int, Track | None] | None = None,
        tracks_after: Mapping[int, Track | None] | None = None,
        *,
        label_set: str = "gt",
        documents: DocumentLookup | None = None,
    ) -> None:
        self.project = project
        self.image_id = image_id
        self.label = label
        self.before = before
        self.after = after
        self.tracks_before = dict(tracks_before or {})
        self.tracks_after = dict(tracks_after or {})
        self.label_set = label_set
        self.documents = documents

    @property
    def frames(self) -> list[int]:
        return sorted(set(self.before) | set(self.after))

    @property
    def is_noop(self) -> bool:
        return not any(self.after.values()) and not any(self.before.values()) and not (
            self.tracks_after or self.tracks_before
        )

    def do(self) -> None:
        self._apply(self.after, self.tracks_after, self.before)

    def undo(self) -> None:
        self._apply(self.before, self.tracks_before, self.after)

    @property
    def nbytes(self) -> int:
        n = 512
        for side in (self.before, self.after):
            for changes in side.values():
                n += sum(i.nbytes for i in changes.values() if i is not None)
        return n

    def _apply(self, frames: FrameChanges, tracks: Mapping[int, Track | None], back: FrameChanges) -> None:
        """One transaction; all or nothing: if the store refuses, the open documents changed
        so far go back (unsaved) and `ChangeRefused` says why."""
        shown: list[tuple[ImageDocument, int]] = []
        try:
            with self.project.transaction():
                write_tracks(self.project, tracks)
                for frame, changes in sorted(frames.items()):
                    if not changes:
                        continue
                    doc = self.documents(frame) if self.documents else None
                    if doc is not None and doc.image_id == self.image_id and doc.frame == frame \
                            and doc.label_set == self.label_set:
                        shown.append((doc, frame))
                        doc.apply(dict(changes), None, self.label)
                        continue
                    upserts = [i for i in changes.values() if i is not None]
                    deletes = [iid for iid, i in changes.items() if i is None]
                    self.project.save_instances(
                        self.image_id, upserts, deletes, frame=frame, label_set=self.label_set
                    )
                if any(frames.values()) and self.label_set == "gt":
                    mark_edited(self.project, [self.image_id])
        except (ChangeRefused, DatabaseError, ProjectError) as e:
            for doc, frame in shown:
                doc.apply(dict(back.get(frame, {})), None, self.label, persist=False)
            raise ChangeRefused(f"{self.project.address}: {self.label} was not saved ({e})") from e


def live_document(get_current: Callable[[], ImageDocument | None]) -> DocumentLookup:
    """A `documents` lookup for the app: the current document when it shows that frame."""

    def lookup(frame: int) -> ImageDocument | None:
        doc = get_current()
        return doc if doc is not None and doc.frame == frame else None

    return lookup
