"""The few image/label transforms training needs, in numpy + OpenCV (no torchvision).

Every random choice comes from a `numpy.random.Generator` passed in, so a seed fixes the
whole augmentation stream.  Images are HxWx3 uint8 RGB, labels HxW uint8 class indices
where IGNORE marks pixels that do not count.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import cv2
import numpy as np

IGNORE = 255
MEAN = (0.485, 0.456, 0.406)  # ImageNet statistics: what the built-in weights expect
STD = (0.229, 0.224, 0.225)


def resize_pair(image: np.ndarray, label: np.ndarray | None, size: tuple[int, int]) -> tuple[np.ndarray, np.ndarray | None]:
    """Resize to (w, h): area/linear for the image, nearest for the labels."""
    w, h = size
    interp = cv2.INTER_AREA if w * h < image.shape[0] * image.shape[1] else cv2.INTER_LINEAR
    img = cv2.resize(image, (w, h), interpolation=interp)
    lbl = None if label is None else cv2.resize(label, (w, h), interpolation=cv2.INTER_NEAREST)
    return img, lbl


def shrink_to(image: np.ndarray, label: np.ndarray, short_side: int) -> tuple[np.ndarray, np.ndarray]:
    """Downscale (never up) so the short side is at most `short_side`: a cheap training cache."""
    h, w = image.shape[:2]
    s = short_side / min(h, w)
    if s >= 1.0:
        return image, label
    size = (max(1, round(w * s)), max(1, round(h * s)))
    img, lbl = resize_pair(image, label, size)
    assert lbl is not None
    return img, lbl


def random_resized_crop(
    image: np.ndarray, label: np.ndarray, rng: np.random.Generator, out: int,
    scale: tuple[float, float] = (0.5, 1.0), ratio: tuple[float, float] = (3 / 4, 4 / 3),
) -> tuple[np.ndarray, np.ndarray]:
    """A crop covering a random fraction of the area with a random aspect, resized to out x out.
    At scale 1 and the image's own aspect this is the plain resize used for inference."""
    h, w = image.shape[:2]
    area = h * w
    for _ in range(10):
        a = area * rng.uniform(*scale)
        r = math.exp(rng.uniform(math.log(ratio[0]), math.log(ratio[1]))) * (w / h)
        cw, ch = round(math.sqrt(a * r)), round(math.sqrt(a / r))
        if 0 < cw <= w and 0 < ch <= h:
            x0 = int(rng.integers(0, w - cw + 1))
            y0 = int(rng.integers(0, h - ch + 1))
            break
    else:
        x0, y0, cw, ch = 0, 0, w, h
    img, lbl = resize_pair(image[y0 : y0 + ch, x0 : x0 + cw], label[y0 : y0 + ch, x0 : x0 + cw], (out, out))
    assert lbl is not None
    return img, lbl


def rotate(image: np.ndarray, label: np.ndarray, degrees: float) -> tuple[np.ndarray, np.ndarray]:
    """Rotate about the centre; pixels brought in from outside are black and IGNORE."""
    h, w = image.shape[:2]
    m = cv2.getRotationMatrix2D((w / 2 - 0.5, h / 2 - 0.5), degrees, 1.0)
    img = cv2.warpAffine(image, m, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT_101)
    lbl = cv2.warpAffine(label, m, (w, h), flags=cv2.INTER_NEAREST, borderMode=cv2.BORDER_CONSTANT, borderValue=IGNORE)
    return img, lbl


def color_jitter(image: np.ndarray, rng: np.random.Generator, strength: float) -> np.ndarray:
    """Brightness, contrast and saturation each scaled by a factor in [1-s, 1+s], random order."""
    if strength <= 0:
        return image
    x = image.astype(np.float32)
    for op in rng.permutation(3):
        f = float(rng.uniform(1 - strength, 1 + strength))
        if op == 0:
            x = x * f
        elif op == 1:
            x = (x - x.mean()) * f + x.mean()
        else:
            gray = x @ np.array([0.299, 0.587, 0.114], np.float32)
            x = (x - gray[..., None]) * f + gray[..., None]
    return np.clip(x, 0, 255).astype(np.uint8)


def augment(image: np.ndarray, label: np.ndarray, rng: np.random.Generator, hp: Mapping[str, Any]) -> tuple[np.ndarray, np.ndarray]:
    """The training augmentation chain configured by the template's hyperparameters."""
    size = int(hp["input_size"])
    img, lbl = random_resized_crop(image, label, rng, size, (float(hp["scale_min"]), 1.0))
    if hp.get("rotate", 0) > 0:
        img, lbl = rotate(img, lbl, float(rng.uniform(-hp["rotate"], hp["rotate"])))
    if hp.get("hflip") and rng.random() < 0.5:
        img, lbl = img[:, ::-1], lbl[:, ::-1]
    if hp.get("vflip") and rng.random() < 0.5:
        img, lbl = img[::-1], lbl[::-1]
    img = color_jitter(img, rng, float(hp.get("color_jitter", 0.0)))
    return np.ascontiguousarray(img), np.ascontiguousarray(lbl)


def normalise(images: np.ndarray, mean=MEAN, std=STD) -> np.ndarray:
    """N x H x W x 3 uint8 (or one H x W x 3) -> N x 3 x H x W float32, (x/255 - mean)/std."""
    x = np.asarray(images, np.float32) / 255.0
    if x.ndim == 3:
        x = x[None]
    x = (x - np.asarray(mean, np.float32)) / np.asarray(std, np.float32)
    return np.ascontiguousarray(x.transpose(0, 3, 1, 2))
