import pytest

torch = pytest.importorskip("torch")

from segstudio.training import losses  # noqa: E402
from segstudio.training.transforms import IGNORE  # noqa: E402


def _batch(c=3):
    g = torch.Generator().manual_seed(0)
    logits = torch.randn(2, c, 8, 8, generator=g)
    target = torch.randint(0, max(c, 2), (2, 8, 8), generator=g)
    target[:, :2] = IGNORE
    return logits, target


@pytest.mark.parametrize("name", ["ce", "dice", "focal", "ce+dice", "focal+dice"])
@pytest.mark.parametrize("c", [1, 3])
def test_ignored_pixels_do_not_count(name, c):
    logits, target = _batch(c)
    fn = losses.make_loss(name)
    base = fn(logits, target)
    changed = logits.clone()
    changed[:, :, :2] += 50.0
    assert torch.isfinite(base)
    assert torch.allclose(fn(changed, target), base, atol=1e-6)


def test_perfect_prediction_scores_near_zero():
    target = torch.randint(0, 3, (1, 8, 8), generator=torch.Generator().manual_seed(1))
    logits = torch.nn.functional.one_hot(target, 3).permute(0, 3, 1, 2).float() * 30
    for name in ("ce", "dice", "focal"):
        assert float(losses.make_loss(name)(logits, target)) < 1e-3


def test_focal_down_weights_easy_pixels_and_weights_apply():
    logits, target = _batch(3)
    assert float(losses.focal(logits, target, 2.0)) < float(losses.cross_entropy(logits, target))
    assert torch.allclose(losses.focal(logits, target, 0.0), losses.cross_entropy(logits, target), atol=1e-5)
    w = torch.tensor([1.0, 1.0, 5.0])
    assert float(losses.cross_entropy(logits, target, w)) != pytest.approx(float(losses.cross_entropy(logits, target)))


def test_all_ignored_is_zero_with_gradient():
    logits = torch.randn(1, 2, 4, 4, requires_grad=True)
    target = torch.full((1, 4, 4), IGNORE)
    loss = losses.make_loss("ce+dice")(logits, target)
    loss.backward()
    assert float(loss.detach()) == 0.0 and logits.grad is not None


def test_unknown_loss():
    logits, target = _batch(3)
    with pytest.raises(ValueError, match="unknown loss"):
        losses.make_loss("l2")(logits, target)
