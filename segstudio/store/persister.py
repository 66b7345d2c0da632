"""The write path of an open document: each change of an `ImageDocument` written to the
project as it happens (`Project.attach`), all or nothing."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from segstudio.core.document import ChangeRefused, DocumentChange, ImageDocument
from segstudio.store import revisions
from segstudio.store.errors import DatabaseError, ProjectError
from segstudio.store.status import mark_edited, mark_prelabelled

if TYPE_CHECKING:
    from segstudio.store.project import Project

Write = Callable[["Project"], None]  # a write to run inside a transaction of the given project
WriteSink = Callable[[tuple[int, int, str], Write], None]  # (image, frame, label set), write


class DocumentPersister:
    """Writes each document change to the store.  Without a sink the write happens in the call
    that made the change; a sink (the GUI's `WritePath`) may delay it while another process
    holds the lock and reports a failure later.  A write that fails at once raises
    `ChangeRefused` (nothing written), so the command that made the change puts the document
    back: document, history and database never disagree.

    Each write is conditional on the instance revisions the document was loaded with (then on
    the ones it wrote): an edit of an instance someone else changed meanwhile raises
    `StaleWrite` and writes nothing (store.revisions); the window then shows the image as the
    database holds it.  The image's status follows the rule of `store.status`."""

    def __init__(self, project: Project, document: ImageDocument, mark_in_progress: bool,
                 sink: WriteSink | None = None) -> None:
        self.project = project
        self.document = document
        self.mark_in_progress = mark_in_progress
        self.sink = sink
        self.revisions = project.loaded_revisions(document.image_id, document.frame,
                                                  document.label_set)
        document.changed.connect(self._on_change)

    def detach(self) -> None:
        self.document.changed.disconnect(self._on_change)

    def _on_change(self, change: DocumentChange) -> None:
        if not change.persist:
            return  # the document going back to what the store holds
        doc = self.document
        # Captured now: instances are immutable, so a delayed write stores this very change.
        upserts = [doc.get(i) for i in (change.added | change.modified) if i in doc]
        order = doc.order if (change.order_changed or change.added or change.removed) else None
        image_id, frame, label_set, removed = doc.image_id, doc.frame, doc.label_set, change.removed
        mark = self.mark_in_progress and label_set == "gt"
        mark_status = mark_prelabelled if change.kind == "prelabel" else mark_edited
        revs = self.revisions  # read and updated when the write runs: writes run in order
        known = (change.modified - change.added) | change.removed  # must exist, as loaded

        def write(project: Project) -> None:
            # a changed or deleted instance whose revision this document never saw is someone
            # else's (made after the load): revision 0 never matches, so the write is refused
            expected = revs if known <= revs.keys() else {**dict.fromkeys(known, 0), **revs}
            with project.transaction(image=image_id):
                new = project.save_instances(image_id, upserts, removed, order, frame=frame,
                                             label_set=label_set, expected=expected)
                if mark:  # the status rule of store.status (a pre-label is not work)
                    mark_status(project, [image_id])
            for iid in removed:
                revs.pop(iid, None)
            revs.update(new)

        try:
            if self.sink is None:
                write(self.project)
            else:
                self.sink((image_id, frame, label_set), write)
        except revisions.StaleWrite:
            raise  # someone else's newer edit: the window shows the image as stored
        except (DatabaseError, ProjectError) as e:  # nothing written: the edit must not stay
            raise ChangeRefused(f"{self.project.address}: the change was not saved ({e})") from e
