"""EditController: the window's ToolContext and the selection/edit operations as commands.

Tools and menu operations never touch the document directly: they build a
command and `commit` pushes it on the current image's History (the store's
persister writes it at once).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from segstudio.core import commands, edit_ops
from segstudio.core.document import ImageDocument
from segstudio.core.history import Command
from segstudio.core.tools.base import ToolOptions

if TYPE_CHECKING:
    from segstudio.qt.main_window import MainWindow


class EditController:
    def __init__(self, window: MainWindow) -> None:
        self.window = window
        self.options = ToolOptions()

    # ------------------------------------------------------------ ToolContext
    def document(self) -> ImageDocument | None:
        return self.window.current_document()

    def image(self) -> np.ndarray | None:
        data = self.window.current_image_data()
        return data.data if data is not None else None

    def selected_ids(self) -> list[int]:
        return self.window.selected_instance_ids()

    def category_id(self) -> int | None:
        return self.window.current_category_id()

    def commit(self, command: Command) -> None:
        self.window.push_command(command)

    def select(self, ids: list[int]) -> None:
        self.window.select_instances(ids)

    def message(self, text: str) -> None:
        self.window.status(text)

    # ------------------------------------------------------------ operations
    def _run(self, cmd: Command | None, none_message: str = "") -> bool:
        if cmd is None:
            if none_message:
                self.message(none_message)
            return False
        self.commit(cmd)
        return True

    def _selection(self, what: str) -> tuple[ImageDocument, list[int]] | None:
        doc = self.document()
        ids = [i for i in self.selected_ids() if doc is not None and i in doc and i not in self.options.locked]
        if doc is None or not ids:
            self.message(f"{what}: select one or more unlocked instances first")
            return None
        return doc, ids

    def delete_selected(self) -> None:
        sel = self._selection("Delete")
        if sel:
            doc, ids = sel
            self._run(commands.remove_instances(doc, ids, "Delete instances" if len(ids) > 1 else "Delete instance"))

    def set_category(self, category_id: int) -> None:
        sel = self._selection("Change category")
        if sel:
            doc, ids = sel
            cmd = commands.set_category(doc, ids, category_id)
            self._run(None if cmd.is_noop else cmd)

    def fill_holes(self) -> None:
        if sel := self._selection("Fill holes"):
            self._run(edit_ops.fill_holes(*sel), "No holes to fill")

    def remove_islands(self, min_area: int) -> None:
        if sel := self._selection("Remove islands"):
            self._run(edit_ops.remove_islands(*sel, min_area), f"No islands under {min_area} px")

    def smooth(self, radius: int) -> None:
        if sel := self._selection("Smooth"):
            self._run(edit_ops.smooth(*sel, radius), "Nothing to smooth")

    def split(self) -> None:
        if sel := self._selection("Split"):
            doc, ids = sel
            before = set(doc.order)
            if self._run(edit_ops.split_parts(doc, ids), "Each selected instance is a single part"):
                self.select(ids + [i for i in doc.order if i not in before])

    def merge(self) -> None:
        if sel := self._selection("Merge"):
            doc, ids = sel
            keep = [i for i in doc.order if i in set(ids)][:1]
            if self._run(edit_ops.merge(doc, ids), "Select two or more instances to merge"):
                self.select(keep)

    def duplicate(self) -> None:
        if sel := self._selection("Duplicate"):
            doc, ids = sel
            before = set(doc.order)
            if self._run(edit_ops.duplicate(doc, ids)):
                self.select([i for i in doc.order if i not in before])

    def set_attributes(self, iid: int, attributes: dict) -> None:
        doc = self.document()
        if doc is not None:
            self._run(edit_ops.set_attributes(doc, iid, attributes))

    def reorder(self, how: str) -> None:
        sel = self._selection("Reorder")
        if sel:
            self._run(edit_ops.reorder(*sel, how))

    def accept_proposal(self) -> bool:
        doc = self.document()
        if doc is None or doc.proposal is None:
            return False
        prop = doc.proposal
        cat = prop.category_id if prop.category_id is not None else self.category_id()
        if cat is None and prop.target_instance_id is None:
            self.message("Pick a category before accepting the proposal")
            return False
        cmd = commands.accept_proposal(doc, prop, cat or 0)
        doc.clear_proposal()
        self.commit(cmd)
        new = [i for i, v in cmd.after.items() if v is not None]
        self.select(new[:1])
        return True

    def discard_proposal(self) -> bool:
        doc = self.document()
        if doc is None or doc.proposal is None:
            return False
        doc.clear_proposal()
        self.message("Proposal discarded")
        return True
