import pytest

from segstudio.core.commands import add_instance, replace_mask
from segstudio.core.history import History
from segstudio.core.instance import Instance
from segstudio.core.masks import MaskPatch
from segstudio.store.tracks import list_tracks, track_presence
from segstudio.video.edits import live_document
from segstudio.video.tracks import (
    TrackError,
    assign_track,
    delete_track,
    merge_tracks,
    new_track,
    split_track,
    unassign,
    update_track,
)


def put(project, vid, frame, masks, iid=1, track=None, cat=1):
    inst = Instance(iid, cat, MaskPatch.from_full(masks[frame]), track_id=track)
    project.save_instances(vid, [inst], frame=frame)
    return inst


def test_video_row_and_frames_are_addressed_in_the_store(video_project):
    project, vid, masks = video_project
    rec = project.image(vid)
    assert (rec.kind, rec.frame_count, rec.shape) == ("video", 16, (120, 160))
    put(project, vid, 3, masks)
    assert [i.id for i in project.load_instances(vid, 3)] == [1]
    assert project.load_instances(vid, 4) == []
    assert project.annotated_frames(vid) == [3]


def test_new_track_split_merge_with_undo(video_project):
    project, vid, masks = video_project
    for f in range(6):
        put(project, vid, f, masks)
    history = History()
    edit, tid = new_track(project, vid, 0, [1], name="ball")
    history.push(edit)
    for f in range(1, 6):
        history.push(assign_track(project, vid, f, 1, tid))
    assert track_presence(project, vid) == {tid: [0, 1, 2, 3, 4, 5]}

    edit, t2 = split_track(project, vid, tid, 3)
    history.push(edit)
    assert track_presence(project, vid) == {tid: [0, 1, 2], t2: [3, 4, 5]}
    assert {t.id for t in list_tracks(project, vid)} == {tid, t2}

    history.push(merge_tracks(project, vid, tid, [t2]))
    assert track_presence(project, vid) == {tid: [0, 1, 2, 3, 4, 5]}
    assert [t.id for t in list_tracks(project, vid)] == [tid]

    history.undo()  # merge
    assert track_presence(project, vid) == {tid: [0, 1, 2], t2: [3, 4, 5]}
    assert {t.id for t in list_tracks(project, vid)} == {tid, t2}
    history.undo()  # split
    assert track_presence(project, vid) == {tid: [0, 1, 2, 3, 4, 5]}
    assert [t.id for t in list_tracks(project, vid)] == [tid]
    history.redo()
    assert track_presence(project, vid) == {tid: [0, 1, 2], t2: [3, 4, 5]}


def test_merge_refuses_overlapping_tracks(video_project):
    project, vid, masks = video_project
    put(project, vid, 0, masks, iid=1)
    put(project, vid, 0, masks, iid=2)
    e1, t1 = new_track(project, vid, 0, [1])
    e1.do()
    e2, t2 = new_track(project, vid, 0, [2])
    e2.do()
    with pytest.raises(TrackError, match="frames 0"):
        merge_tracks(project, vid, t1, [t2])


def test_split_at_an_end_is_refused(video_project):
    project, vid, masks = video_project
    put(project, vid, 2, masks)
    e, tid = new_track(project, vid, 2, [1])
    e.do()
    with pytest.raises(TrackError, match="empty"):
        split_track(project, vid, tid, 2)


def test_track_category_follows_and_delete_restores(video_project):
    project, vid, masks = video_project
    cat2 = project.add_category("other").id
    for f in (0, 1):
        put(project, vid, f, masks)
    e, tid = new_track(project, vid, 0, [1])
    e.do()
    assign_track(project, vid, 1, 1, tid).do()
    edit = update_track(project, vid, tid, name="car", category_id=cat2)
    edit.do()
    assert {i.category_id for f in (0, 1) for i in project.load_instances(vid, f)} == {cat2}
    assert list_tracks(project, vid)[0].name == "car"
    edit.undo()
    assert {i.category_id for f in (0, 1) for i in project.load_instances(vid, f)} == {1}
    d = delete_track(project, vid, tid, delete_instances=True)
    d.do()
    assert project.annotated_frames(vid) == [] and list_tracks(project, vid) == []
    d.undo()
    assert project.annotated_frames(vid) == [0, 1] and len(list_tracks(project, vid)) == 1
    u = unassign(project, vid, 1, [1])
    u.do()
    assert track_presence(project, vid) == {tid: [0]}


def test_the_open_document_is_changed_through_its_own_apply(video_project):
    """A track edit must update the document shown in the app, or its next save would
    write the old track id back."""
    project, vid, masks = video_project
    put(project, vid, 0, masks)
    put(project, vid, 1, masks)
    doc = project.load_document(vid, 1)
    persister = project.attach(doc)
    events = []
    doc.changed.connect(events.append)
    e, tid = new_track(project, vid, 0, [1], documents=live_document(lambda: doc))
    e.do()
    edit = assign_track(project, vid, 1, 1, tid, documents=live_document(lambda: doc))
    history = History()
    history.push(edit)
    assert doc.get(1).track_id == tid and events
    # A later mask edit in the document keeps the track.
    m = MaskPatch.from_full(masks[2])
    history.push(replace_mask(doc, 1, m))
    assert project.load_instances(vid, 1)[0].track_id == tid
    history.undo()
    history.undo()
    assert doc.get(1).track_id is None
    assert project.load_instances(vid, 1)[0].track_id is None
    history.push(add_instance(doc, Instance(5, 1, m)))
    persister.detach()
