import pytest

from segstudio.cutout.settings import CutoutSettings


def test_round_trip_and_unknown_keys():
    s = CutoutSettings(feather=2.5, decontaminate=True, format="webp", crop_margin=4)
    assert CutoutSettings.from_dict(s.to_dict()) == s
    with pytest.raises(ValueError, match="unknown cutout settings: colour"):
        CutoutSettings.from_dict({"colour": 1})


@pytest.mark.parametrize(
    "kwargs",
    [{"threshold": 1.0}, {"refine": "magic"}, {"band": 0}, {"feather": -1}, {"format": "jpg"},
     {"quality": 0}, {"crop_margin": -2}, {"decontaminate_strength": 2}],
)
def test_invalid_settings_are_rejected(kwargs):
    with pytest.raises(ValueError):
        CutoutSettings(**kwargs)
