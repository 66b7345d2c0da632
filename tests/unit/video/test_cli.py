import json

from segstudio.cli.main import main
from segstudio.core.instance import Instance
from segstudio.core.masks import MaskPatch
from segstudio.store import Project

from .synth import moving_object, write_video


def test_add_video_propagate_and_export(tmp_path, capsys):
    frames, masks = moving_object(12)
    video = write_video(tmp_path / "clip.avi", frames)
    root = tmp_path / "proj"
    Project.create(root).close()
    assert main(["add-video", str(root), str(video), "--extract", str(tmp_path / "ex"),
                 "--stride", "5"]) == 0
    out = capsys.readouterr().out
    assert "added" in out and "12 frames" in out and "160x120" in out
    assert sorted(p.name for p in (tmp_path / "ex" / "clip").iterdir()) == [
        "frame_000000.png", "frame_000005.png", "frame_000010.png"]
    assert main(["add-video", str(root), str(video)]) == 0  # idempotent
    assert "already in the project" in capsys.readouterr().out

    with Project.open(root) as p:
        (rec,) = p.images()
        cat = p.add_category("ball").id
        p.save_instances(rec.id, [Instance(3, cat, MaskPatch.from_full(masks[2]))], frame=2)
    assert main(["propagate", str(root), "--video", "clip", "--frame", "2", "--instance", "3",
                 "--to", "8", "--json"]) == 0
    summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert summary["frames"] == 6 and summary["last"] == 8 and summary["direction"] == "forward"
    assert main(["propagate", str(root), "--video", str(rec.id), "--frame", "2", "--instance", "3",
                 "--to", "0", "--refine", "none"]) == 0
    assert "backward" in capsys.readouterr().out
    with Project.open(root) as p:
        assert p.annotated_frames(rec.id) == list(range(0, 9))
        inst = p.load_instances(rec.id, 7)[0]
        assert inst.mask.iou(MaskPatch.from_full(masks[7])) > 0.8


def test_cli_errors_are_one_line(tmp_path, capsys):
    root = tmp_path / "proj"
    Project.create(root).close()
    junk = tmp_path / "junk.mp4"
    junk.write_bytes(b"junk")
    assert main(["add-video", str(root), str(junk)]) == 2
    captured = capsys.readouterr()
    assert "junk.mp4" in captured.out and "no video was added" in captured.err
    assert main(["propagate", str(root), "--video", "nope", "--frame", "0", "--instance", "1"]) == 2
    assert "no video 'nope'" in capsys.readouterr().err


def test_propagate_model_refiner_must_be_a_prompt_model(tmp_path, capsys):
    frames, masks = moving_object(8)
    video = write_video(tmp_path / "clip.avi", frames)
    root = tmp_path / "proj"
    with Project.create(root) as p:
        p.add_category("ball")
        from segstudio.video.library import add_video

        vid = add_video(p, video).image_id
        p.save_instances(vid, [Instance(1, 1, MaskPatch.from_full(masks[0]))], frame=0)
    assert main(["propagate", str(root), "--video", str(vid), "--frame", "0", "--instance", "1",
                 "--count", "2", "--refine", "model", "--model", "u2netp-salient"]) == 2
    assert "prompt" in capsys.readouterr().err
    assert main(["propagate", str(root), "--video", str(vid), "--frame", "0", "--instance", "1",
                 "--refine", "model", "--model", "no-such-model"]) == 2
    assert "unknown model" in capsys.readouterr().err
