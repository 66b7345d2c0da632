"""The foreground template: U²-Netp fine-tuned from the built-in weights."""

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from segstudio.inference import u2net  # noqa: E402
from segstudio.training import loop  # noqa: E402
from segstudio.training.data import collect, load_pairs  # noqa: E402
from segstudio.training.templates import build_model, get_template  # noqa: E402
from segstudio.training.u2net_adapter import build_foreground_net  # noqa: E402

needs_weights = pytest.mark.skipif(not u2net.BUILTIN_WEIGHTS.is_file(), reason="built-in U2-Netp weights missing")


@needs_weights
def test_adapter_gives_the_logits_of_the_builtin_network():
    net = build_foreground_net(pretrained=True).eval()
    ref = u2net.load_builtin_u2netp()
    x = torch.randn(1, 3, 64, 64, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        assert torch.allclose(torch.sigmoid(net(x)), ref(x), atol=1e-6)
    net.train()
    out = net(x)
    assert len(out) == 7 and all(o.shape == (1, 1, 64, 64) for o in out)
    bns = [m for m in net.modules() if isinstance(m, torch.nn.BatchNorm2d)]
    assert bns and not any(m.training for m in bns)  # folded BN stays frozen


@needs_weights
def test_fine_tune_one_epoch_changes_weights_but_not_batchnorm(tiny_project, tmp_path):
    t = get_template("foreground")
    hp = t.resolve({"input_size": 32, "batch_size": 4, "epochs": 1, "lr": 1e-3, "workers": 1})
    data = collect(tiny_project, mode="foreground", categories=["disc"], val_fraction=0.25)
    tr = load_pairs(tiny_project, data, data.train_ids, 40)
    va = load_pairs(tiny_project, data, data.val_ids, 40)
    model = build_model(t, hp, data.num_classes)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    res = loop.train(tr, va, data, t, hp, tmp_path / "fg", model_factory=lambda: model)
    assert res.status == "done" and 0.0 <= res.history[0]["val_fg_iou"] <= 1.0
    after = model.state_dict()
    conv = "net.en1.conv_in.conv.weight"
    assert not torch.equal(before[conv], after[conv])
    rv = [k for k in after if k.endswith("running_var")]
    assert rv and all(torch.equal(before[k], after[k]) for k in rv)


def test_semantic_template_on_the_u2netp_body_has_class_heads():
    t = get_template("semantic")
    hp = t.resolve({"backbone": "u2netp"})
    model = build_model(t, hp, 4, pretrained=False).eval()
    with torch.no_grad():
        out = model(torch.zeros(1, 3, 64, 64))
    assert out.shape == (1, 4, 64, 64)
    assert np.isfinite(out.numpy()).all()
