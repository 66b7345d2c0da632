"""`segstudio segment IMAGE --model ID [--point X,Y ...] [--box X0,Y0,X1,Y1] --out MASK.png`."""

from __future__ import annotations

import argparse
from pathlib import Path

from segstudio.cli.commands._model_args import add_model_args, load_model
from segstudio.cli.main import CliError


def _floats(text: str, n: int, what: str) -> tuple[float, ...]:
    try:
        vals = tuple(float(v) for v in text.split(","))
    except ValueError:
        vals = ()
    if len(vals) != n:
        raise argparse.ArgumentTypeError(f"{what} must be {n} comma-separated numbers, got {text!r}")
    return vals


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "segment", help="segment one image with a model",
        description="Prompt models (interactive, sam) take --point/--neg-point/--box; image models "
                    "(salient, yolo-seg, semantic) segment the whole image. Writes a 0/255 PNG "
                    "(the union of all instances for image models) or, with --label-map, one "
                    "value per instance/class.")
    p.add_argument("image", type=Path)
    add_model_args(p)
    p.add_argument("--point", action="append", default=[], metavar="X,Y",
                   type=lambda t: _floats(t, 2, "--point"), help="positive click (repeatable)")
    p.add_argument("--neg-point", action="append", default=[], metavar="X,Y",
                   type=lambda t: _floats(t, 2, "--neg-point"), help="negative click (repeatable)")
    p.add_argument("--box", metavar="X0,Y0,X1,Y1", type=lambda t: _floats(t, 4, "--box"))
    p.add_argument("--out", type=Path, required=True, help="output mask PNG")
    p.add_argument("--label-map", action="store_true",
                   help="write instance indices 1..N (image models) instead of a 0/255 mask")
    p.add_argument("--soft", type=Path, metavar="PNG", help="salient models: also write the soft map")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import cv2
    import numpy as np

    from segstudio.inference.base import Click, Prompt
    from segstudio.io.images import ImageLoadError, load_image

    try:
        rgb = load_image(args.image).rgb8()
    except (ImageLoadError, OSError) as e:
        raise CliError(f"{args.image}: {e}") from None
    card, model = load_model(args)
    h, w = rgb.shape[:2]
    if card.is_prompt:
        clicks = [Click(x, y, True) for x, y in args.point] + [Click(x, y, False) for x, y in args.neg_point]
        for c in clicks:
            if not (0 <= c.x < w and 0 <= c.y < h):
                raise CliError(f"point {c.x:g},{c.y:g} is outside the {w}x{h} image")
        if not clicks and args.box is None:
            raise CliError(f"model {card.id} needs --point, --neg-point or --box")
        model.set_image(rgb)
        res = model.predict(Prompt(tuple(clicks), args.box))
        out = res.mask.astype(np.uint8) * 255
        print(f"{args.out}: {int(res.mask.sum())} pixels, score {res.score:.3f}")
    else:
        if args.point or args.neg_point or args.box:
            raise CliError(f"model {card.id} ({card.kind}) segments whole images; it takes no prompts")
        result = model.segment(rgb)
        dets = result.all_instances(background=card.background)
        out = np.zeros((h, w), np.uint16 if len(dets) > 255 else np.uint8)
        for k, d in enumerate(dets, 1):
            full = d.mask.to_full()
            out[full] = k if args.label_map else 255
        for k, d in enumerate(dets, 1):
            print(f"{k}: {d.class_name} score {d.score:.3f} area {d.mask.area}")
        if args.soft is not None and result.soft is not None:
            cv2.imwrite(str(args.soft), np.round(result.soft * 255).astype(np.uint8))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    if not cv2.imwrite(str(args.out), out):
        raise CliError(f"{args.out}: cannot write the mask (unknown extension or unwritable folder)")
    return 0
