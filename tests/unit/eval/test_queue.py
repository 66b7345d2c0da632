import pytest

from segstudio.eval.compare import EvalImage, evaluate
from segstudio.eval.queue import ReviewQueue

from .helpers import inst, rect

SHAPE = (30, 30)


def result():
    gt = [inst(1, 1, rect(SHAPE, 0, 0, 10, 10))]
    images = [
        EvalImage(1, "good", SHAPE, gt, [inst(1, 1, rect(SHAPE, 0, 0, 10, 10), score=0.99)]),
        EvalImage(2, "bad", SHAPE, gt, [inst(1, 1, rect(SHAPE, 20, 20, 30, 30), score=0.9)]),
        EvalImage(3, "meh", SHAPE, gt, [inst(1, 1, rect(SHAPE, 0, 2, 10, 12), score=0.55)]),
        EvalImage(4, "none", SHAPE, [], []),
    ]
    return evaluate(images, [(1, "a")])


def test_disagreement_order_and_navigation():
    q = ReviewQueue(result())
    assert [i.name for i in q.items] == ["bad", "meh", "good", "none"]
    assert q.current.name == "bad"
    assert q.next().name == "meh"
    assert q.previous().name == "bad"
    q.set_status(3, "accepted")
    assert q.next().name == "good"  # 'meh' is accepted: skipped
    assert q.remaining() == 3
    assert q.next().name == "none" and q.next() is None


def test_uncertainty_order_puts_images_without_predictions_last():
    q = ReviewQueue(result(), order="uncertainty")
    assert [i.name for i in q.items] == ["meh", "bad", "good", "none"]


def test_resort_keeps_the_cursor_and_filters_accepted():
    q = ReviewQueue(result(), statuses={1: "accepted"})
    assert "good" not in [i.name for i in q.items]
    q.go_to(3)
    q.resort("name")
    assert q.current.name == "meh"
    with pytest.raises(ValueError):
        q.resort("random")
    with pytest.raises(ValueError):
        q.set_status(1, "maybe")


def test_next_can_skip_statuses_while_the_list_keeps_them():
    q = ReviewQueue(result(), skip_accepted=False, statuses={3: "accepted"})
    assert len(q) == 4 and q.current.name == "bad"
    assert q.next(skip=("accepted",)).name == "good"  # 'meh' (accepted) is passed over
    q.go_to(2)
    assert q.next().name == "meh"  # without skipping it is not
