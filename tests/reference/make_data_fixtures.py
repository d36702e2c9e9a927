#!/usr/bin/python3
"""Golden fixtures for the data module (tests/test_data.c; see docs/data.md).

Usage:  /usr/bin/python3 tests/reference/make_data_fixtures.py [OUTDIR]
        OUTDIR defaults to tests/fixtures (next to this folder).

Writes
  resize.safetensors   PyTorch's interpolate(mode="bilinear", align_corners=False, antialias=False)
                       on random images: needs only torch (Debian's python3-torch).
  augment.safetensors  torchvision's tensor transforms with fixed parameters (resized_crop,
                       ColorJitter's four adjustments in a given order, rgb_to_grayscale,
                       gaussian_blur, and all of them in a row): needs python3-torchvision
                       (Debian, 0.14); skipped with a message when it is missing.

Tensor names: resize: "in.K" (C×H×W) and "out.K" (C×S×S) for K = 0, 1, ...
augment: "in.NAME", "out.NAME", and "params.NAME" = [crop_y, crop_x, crop_h, crop_w, jitter,
order0..3, brightness, contrast, saturation, hue, gray, blur, sigma, kernel, S]
(order: 0 brightness, 1 contrast, 2 saturation, 3 hue; unused entries are neutral).
"""

import os
import sys
from collections import OrderedDict

import torch
import torch.nn.functional as Fnn

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from rcc_torch import save_safetensors  # noqa: E402

RESIZE_CASES = [  # (C, H, W, S)
    (1, 28, 28, 64),  # MNIST to the paper's size
    (3, 17, 23, 8),  # shrinking, not square
    (2, 5, 7, 13),
    (1, 64, 64, 64),  # identity
    (1, 1, 1, 4),
    (3, 100, 80, 37),
    (1, 28, 28, 32),
]


def make_resize(out):
    g = torch.Generator().manual_seed(3)
    t = OrderedDict()
    for k, (c, h, w, s) in enumerate(RESIZE_CASES):
        x = torch.rand(c, h, w, generator=g)
        y = Fnn.interpolate(x[None], size=(s, s), mode="bilinear", align_corners=False, antialias=False)[0]
        t[f"in.{k}"] = x
        t[f"out.{k}"] = y
    meta = dict(generator="tests/reference/make_data_fixtures.py", torch_version=torch.__version__,
                cases=str(len(RESIZE_CASES)))
    save_safetensors(os.path.join(out, "resize.safetensors"), t, meta)


def make_augment(out):
    try:
        import torchvision
        import torchvision.transforms.functional as TF
    except ImportError:
        print("torchvision is missing (apt-get install python3-torchvision): augment.safetensors not written")
        return
    g = torch.Generator().manual_seed(4)
    t = OrderedDict()

    def case(name, x, s, crop=None, jitter=None, gray=False, blur=None):
        """crop (i, j, h, w); jitter (order, b, c, s, h); blur (kernel, sigma)."""
        _, h, w = x.shape
        y = x
        cy, cx, ch, cw = crop if crop else (0, 0, h, w)
        y = TF.resized_crop(y, cy, cx, ch, cw, [s, s], TF.InterpolationMode.BILINEAR, antialias=False)
        order, fb, fc, fs, fh = jitter if jitter else ([0, 1, 2, 3], 1.0, 1.0, 1.0, 0.0)
        if jitter:  # ColorJitter.forward with fixed order and factors
            for op in order:
                if op == 0:
                    y = TF.adjust_brightness(y, fb)
                elif op == 1:
                    y = TF.adjust_contrast(y, fc)
                elif op == 2:
                    y = TF.adjust_saturation(y, fs)
                else:
                    y = TF.adjust_hue(y, fh)
        if gray:
            y = TF.rgb_to_grayscale(y, num_output_channels=y.shape[0])
        k, sigma = blur if blur else (1, 0.0)
        if blur:
            y = TF.gaussian_blur(y, [k, k], [sigma, sigma])
        params = [cy, cx, ch, cw, 1.0 if jitter else 0.0] + list(order) + [fb, fc, fs, fh,
                                                                           1.0 if gray else 0.0,
                                                                           1.0 if blur else 0.0, sigma, k, s]
        t[f"in.{name}"] = x
        t[f"out.{name}"] = y.clamp(0, 1)
        t[f"params.{name}"] = torch.tensor(params, dtype=torch.float64)

    rgb16 = torch.rand(3, 16, 16, generator=g)
    gray16 = torch.rand(1, 16, 16, generator=g)
    digit = torch.rand(1, 28, 28, generator=g) ** 4  # mostly dark, like a digit
    rgb32 = torch.rand(3, 32, 32, generator=g)
    gray64 = torch.rand(1, 64, 64, generator=g)

    case("crop_gray", digit, 64, crop=(3, 5, 17, 20))
    case("crop_rgb", rgb32, 24, crop=(10, 0, 22, 9))
    case("crop_full", digit, 64)
    case("jitter_rgb_a", rgb16, 16, jitter=([0, 1, 2, 3], 1.3, 0.7, 0.65, 0.08))
    case("jitter_rgb_b", rgb16, 16, jitter=([3, 2, 1, 0], 0.6, 1.4, 1.4, -0.1))
    case("jitter_rgb_c", rgb16, 16, jitter=([2, 0, 3, 1], 1.1, 1.25, 0.8, 0.03))
    case("jitter_gray_a", gray16, 16, jitter=([1, 0, 2, 3], 1.2, 0.6, 1.3, 0.05))
    case("jitter_gray_b", gray16, 16, jitter=([0, 3, 1, 2], 0.7, 1.35, 0.6, -0.07))
    case("grayscale", rgb16, 16, gray=True)
    case("blur_gray", gray64, 64, blur=(7, 1.3))
    case("blur_rgb", rgb16, 16, blur=(5, 0.4))
    case("blur_wide", gray16, 16, blur=(7, 2.0))
    case("all_rgb", rgb32, 20, crop=(4, 6, 20, 17), jitter=([1, 3, 0, 2], 1.2, 0.8, 1.3, -0.05), gray=True,
         blur=(3, 0.9))
    case("all_gray", digit, 64, crop=(2, 1, 24, 25), jitter=([3, 1, 2, 0], 0.9, 1.3, 1.0, 0.0), blur=(7, 1.7))
    meta = dict(generator="tests/reference/make_data_fixtures.py", torch_version=torch.__version__,
                torchvision_version=torchvision.__version__)
    save_safetensors(os.path.join(out, "augment.safetensors"), t, meta)


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "..", "fixtures")
    os.makedirs(out, exist_ok=True)
    torch.set_num_threads(1)
    make_resize(out)
    make_augment(out)
    print("wrote data fixtures to", os.path.abspath(out))


if __name__ == "__main__":
    main()
