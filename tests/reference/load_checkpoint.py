#!/usr/bin/python3
"""Shows that a PyTorch user loads an rcc checkpoint and gets the same embeddings.

    /usr/bin/python3 tests/reference/load_checkpoint.py CHECKPOINT IMAGES H_NPY [N]

CHECKPOINT  an rcc checkpoint.safetensors (from `rcc train`)
IMAGES      the IDX image file (.gz or raw) that `rcc embed` read
H_NPY       what `rcc embed --model CHECKPOINT --data IMAGES --out H_NPY` wrote

The checkpoint is read with a plain safetensors reader (json + numpy; Debian 12 has no
`safetensors` package), the tensors whose names do not start with "optimizer." are given to
RCCNet.load_state_dict(strict=True), the first N images are resized as rcc does (bilinear,
align_corners=False, no antialiasing) and embedded in eval mode; exits 1 if h differs from
rcc's by more than 1e-4.
"""
import gzip
import json
import os
import struct
import sys

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import rcc_torch as R  # noqa: E402
from safetensors_io import load_safetensors  # noqa: E402

def read_idx_images(path):
    raw = gzip.open(path).read() if path.endswith(".gz") else open(path, "rb").read()
    magic, n, h, w = struct.unpack(">IIII", raw[:16])
    assert magic == 0x803, "not an idx3 image file"
    return np.frombuffer(raw[16:], dtype=np.uint8).reshape(n, 1, h, w)


def main():
    if len(sys.argv) < 4:
        print(__doc__)
        return 2
    ckpt, images, h_path = sys.argv[1:4]
    n = int(sys.argv[4]) if len(sys.argv) > 4 else 256
    meta, tensors = load_safetensors(ckpt)
    cfg = json.loads(meta["config"])
    model = R.RCCNet(in_ch=cfg["in_channels"], rep_dim=cfg["rep_dim"], width=cfg["width"],
                     feature_dim=cfg["feature_dim"], K=cfg["clusters"], hidden=cfg["hidden"])
    state = {k: torch.from_numpy(v.copy()) for k, v in tensors.items() if not k.startswith("optimizer.")}
    model.load_state_dict(state, strict=True)
    model.eval()
    x = torch.from_numpy(read_idx_images(images)[:n].astype(np.float32) / 255.0)
    s = cfg["image_size"]
    if x.shape[-1] != s or x.shape[-2] != s:
        x = F.interpolate(x, size=(s, s), mode="bilinear", align_corners=False, antialias=False)
    with torch.no_grad():
        h, _, _ = model.embed(x)
    ours = np.load(h_path)[:n]
    diff = float(np.abs(h.numpy() - ours).max())
    print(f"loaded {len(state)} tensors with load_state_dict(strict=True); {n} images; "
          f"max |h_torch - h_rcc| = {diff:.3g}")
    return 0 if diff <= 1e-4 else 1


if __name__ == "__main__":
    sys.exit(main())
