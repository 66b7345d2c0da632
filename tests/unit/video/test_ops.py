import pytest

from segstudio.core.history import History
from segstudio.core.instance import Instance
from segstudio.core.masks import MaskPatch
from segstudio.store.tracks import list_tracks, track_presence
from segstudio.video.ops import (
    interpolation_edit,
    is_keyframe,
    plan_propagation,
    propagate_in_project,
    propagation_edit,
    run_plan,
)
from segstudio.video.tracks import TrackError, track_instances


def put(project, vid, frame, mask, iid=1, track=None):
    project.save_instances(vid, [Instance(iid, 1, MaskPatch.from_full(mask), track_id=track)],
                           frame=frame)


def test_propagate_writes_a_track_and_undoes_in_one_step(video_project):
    project, vid, masks = video_project
    put(project, vid, 0, masks[0])
    edit, rep = propagate_in_project(project, vid, 0, [1], count=8)
    assert rep.frames == list(range(1, 9))
    (tid,) = [t.id for t in list_tracks(project, vid)]
    assert track_presence(project, vid) == {tid: list(range(0, 9))}
    for f in range(1, 9):
        (inst,) = project.load_instances(vid, f)
        assert inst.source == "model" and inst.attributes["propagated_from"] == 0
        assert inst.mask.iou(MaskPatch.from_full(masks[f])) > 0.8
        assert 0 < inst.score <= 1
    assert is_keyframe(project.load_instances(vid, 0)[0])
    edit.undo()
    assert project.annotated_frames(vid) == [0]
    assert project.load_instances(vid, 0)[0].track_id is None
    assert list_tracks(project, vid) == []


def test_repropagation_replaces_old_results_but_stops_at_keyframes(video_project):
    project, vid, masks = video_project
    put(project, vid, 0, masks[0])
    propagate_in_project(project, vid, 0, [1], count=10)
    (tid,) = [t.id for t in list_tracks(project, vid)]
    # The user corrects frame 4 (a manual edit: a keyframe now) and sets a keyframe on 9.
    put(project, vid, 4, masks[4], track=tid)
    put(project, vid, 9, masks[9], track=tid)
    old7 = project.load_instances(vid, 7)[0]
    plan = plan_propagation(project, vid, 4, [1])
    assert plan.keyframes[tid] == {0, 9}
    outcome = run_plan(plan)
    assert outcome.report.reason == "keyframe" and sorted(outcome.masks) == [5, 6, 7, 8]
    edit = propagation_edit(project, plan, outcome)
    History().push(edit)
    new7 = project.load_instances(vid, 7)[0]
    assert new7.id == old7.id and new7.attributes["propagated_from"] == 4
    assert is_keyframe(project.load_instances(vid, 9)[0])
    assert len(project.load_instances(vid, 9)) == 1


def test_plan_errors_are_clear(video_project):
    project, vid, masks = video_project
    with pytest.raises(TrackError, match="no instance 3"):
        plan_propagation(project, vid, 0, [3])
    with pytest.raises(TrackError, match="out of range"):
        plan_propagation(project, vid, 99, [1])


def test_interpolation_fills_the_gap_as_one_undo_step(video_project):
    project, vid, masks = video_project
    put(project, vid, 2, masks[2], track=7)
    put(project, vid, 10, masks[10], track=7)
    history = History()
    history.push(interpolation_edit(project, vid, 7))
    got = track_instances(project, vid, 7)
    assert sorted(got) == list(range(2, 11))
    for f in range(3, 10):
        assert got[f].attributes["interpolated"] == [2, 10]
        assert got[f].mask.iou(MaskPatch.from_full(masks[f])) > 0.85  # linear motion
    history.undo()
    assert sorted(track_instances(project, vid, 7)) == [2, 10]
    with pytest.raises(TrackError, match="no two keyframes"):
        interpolation_edit(project, vid, 8)
