"""Video feature: a timeline dock (transport, markers, track strips, propagation and
interpolation), a Tracks dock, a Video menu, and frame number + timestamp in the status bar.

Keys: Left/Right (or , .) step one frame, Shift+Left/Right (or < >) ten, Home/End, K plays or
pauses, Ctrl+G jumps to a frame, Ctrl+Shift+Right/Left propagate the selected instances
forward/backward, Ctrl+I interpolates the selected track, Ctrl+T starts a track (no Ctrl+Alt:
desktops take Ctrl+Alt+arrows and Ctrl+Alt+T, see segstudio/qt/shortcuts.py).
The actions are enabled only while a video (or frame sequence) is shown.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QInputDialog, QLabel, QMessageBox

from segstudio.qt import file_dialogs
from segstudio.qt.video.controller import VIDEO_KINDS, VideoController


def install(window) -> None:
    ctl = VideoController(window)
    window.features.video = ctl
    ctl.dock = window.add_dock(ctl.panel, "Timeline", Qt.DockWidgetArea.BottomDockWidgetArea,
                               "dock_video_timeline", modes={"video": "bottom"})
    ctl.tracks_dock = window.add_dock(ctl.tracks_panel, "Tracks", Qt.DockWidgetArea.RightDockWidgetArea,
                                      "dock_video_tracks", modes={"video": "right-lower"})
    window.image_changed.connect(lambda rec: _follow_item_kind(window, rec))
    ctl.status_label = QLabel("")
    ctl.status_label.setMinimumWidth(150)
    window.statusBar().addPermanentWidget(ctl.status_label)
    menu = window.menu("Vide&o")  # Alt+O: Alt+V is View
    # Two entries: one dialog each (a file dialog cannot pick a folder; the folder picker used
    # to appear only after cancelling the file dialog).
    add = menu.addAction("Add &Video File…")
    add.setObjectName("video_add_file")
    add.triggered.connect(lambda: _add_video(window, folder=False))
    add_frames = menu.addAction("Add &Frame Folder…")
    add_frames.setObjectName("video_add_frames")
    add_frames.setToolTip("A folder of numbered frame images (00000.png, 00001.png, ...)")
    add_frames.triggered.connect(lambda: _add_video(window, folder=True))
    extract = menu.addAction("Extract Frames to Files…")
    extract.triggered.connect(lambda: _extract(window, ctl))
    menu.addSeparator()
    for name in ("play", "back1", "fwd1", "back10", "fwd10", "first", "last", "goto"):
        menu.addAction(ctl.actions[name])
    menu.addSeparator()
    for name in ("propagate_fwd", "propagate_back", "interpolate"):
        menu.addAction(ctl.actions[name])
    menu.addSeparator()
    for name in ("new_track", "split_track", "merge_tracks", "delete_track"):
        menu.addAction(ctl.actions[name])
    names = {"back1": "Previous Frame", "fwd1": "Next Frame", "back10": "Back 10 Frames",
             "fwd10": "Forward 10 Frames", "first": "First Frame", "last": "Last Frame",
             "propagate_fwd": "Propagate Forward", "propagate_back": "Propagate Backward",
             "interpolate": "Interpolate Track Between Keyframes", "new_track": "New Track from Selection",
             "split_track": "Split Track at This Frame", "merge_tracks": "Merge Selected Tracks",
             "delete_track": "Delete Track…"}
    for name, text in names.items():  # full names in the menu, short ones on the buttons
        ctl.actions[name].setToolTip(f"{text} ({ctl.actions[name].shortcut().toString()})")
        ctl.actions[name].setIconText(ctl.actions[name].text())
        ctl.actions[name].setText(text)


def _follow_item_kind(window, rec) -> None:
    """Showing a video from Annotate enters Video mode (the timeline), and showing a still image
    from Video goes back to Annotate; the other modes are left alone."""
    if rec is None:
        return
    mode = window.modes.current
    if rec.kind in VIDEO_KINDS and mode == "annotate":
        window.modes.activate("video")
    elif rec.kind not in VIDEO_KINDS and mode == "video":
        window.modes.activate("annotate")


def _add_video(window, folder: bool) -> None:
    project = window.project
    if project is None:
        window.status("Open a project first", 4000)
        return
    if folder:
        path = file_dialogs.choose_folder(window, "video", "Add a folder of numbered frames")
    else:
        path = file_dialogs.open_file(
            window, "video", "Add a video",
            "Videos (*.mp4 *.avi *.mov *.mkv *.webm *.m4v *.mpg *.mpeg *.wmv);;All files (*)")
    if not path:
        return
    from segstudio.io.video_source import FrameError
    from segstudio.video.library import add_video

    try:
        added = add_video(project, path)
    except FrameError as e:
        QMessageBox.warning(window, "Add video", str(e))
        return
    window.refresh_image_list()
    window.go_to_image(added.image_id, 0)


def _extract(window, ctl) -> None:
    """Write every N-th frame of the current video as PNG files, on the I/O pool."""
    rec, project = ctl.record, window.project
    if rec is None or project is None:
        window.status("Show a video first", 4000)
        return
    stride, ok = QInputDialog.getInt(window, "Extract frames", "Every N-th frame:", 10, 1, 100_000)
    if not ok:
        return
    folder = file_dialogs.choose_folder(window, "frames_output", "Extract frames into")
    if not folder:
        return
    from pathlib import Path

    from segstudio.io.video_source import open_source
    from segstudio.video.library import extract_frames

    path, out = project.image_path(rec), Path(folder) / Path(rec.path).stem

    def job(cancel, progress):
        with open_source(path, cache_bytes=0) as src:
            return len(extract_frames(src, out, stride=stride, cancel=cancel, progress=progress))

    def done(job_id, kind, result):
        if job_id == ident:
            window.io_worker.finished.disconnect(done)
            window.status(f"Wrote {result} frames to {out}", 8000)

    ident = window.io_worker.submit("video-extract", job)
    window.io_worker.finished.connect(done)
    window.status(f"Extracting every {stride}th frame to {out}…")
