import pytest

from segstudio.store import Project

from .synth import moving_object, write_video


@pytest.fixture
def video_project(tmp_path):
    """A project with one 16-frame video of a moving object; yields (project, image id, masks)."""
    from segstudio.video.library import add_video

    frames, masks = moving_object(16)
    path = write_video(tmp_path / "clip.avi", frames)
    project = Project.create(tmp_path / "proj")
    project.add_category("ball")
    added = add_video(project, path)
    yield project, added.image_id, masks
    project.close()
