#!/usr/bin/python3
"""Partition a trained run's images on its layer-3 features instead of its cluster head.

    /usr/bin/python3 bench/partition_layer3.py RUN DATA [--fine 30,100] [--knn 10] [--seeds 1]

RUN   an `rcc train` output folder (its checkpoint.safetensors)
DATA  a folder that `rcc subset` wrote (images-idx3-ubyte.gz, labels-idx1-ubyte.gz, selection.csv),
      or one holding those two IDX files alone (then the first half of each class is dev)

An experiment of docs/imbalance.md §5, not part of rcc: a cluster head trained with the equal-size
prior can only hand out equal shares, while the backbone's stage-3 features (pooled, 4·width
channels) know the classes far better. For each k-means seed and each number of fine clusters K':

1. the evaluation views of every image through the network in PyTorch (tests/reference/rcc_torch.py
   loads the checkpoint); stage 3's output averaged over positions, centred, put on the unit sphere;
2. spherical k-means into K' fine clusters (k-means++-free: K' random images as the first centres);
3. the k-nearest-neighbour graph of those features (cosine); S_AB = edges between fine clusters;
4. greedy merging down to the run's K: join the two groups with the largest
   S_AB / sqrt(S_AA · S_BB) ("geo") or S_AB / min(S_AA, S_BB) ("ratio").

Prints ACC on dev / holdout / all images for the head and for every candidate, and the sizes.
Needs Debian's python3-torch and python3-numpy; ACC comes from `rcc eval` (RCC, default build/rcc).
"""
import argparse
import gzip
import itertools
import json
import os
import struct
import subprocess
import sys
import tempfile

import numpy as np
import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "reference"))
import rcc_torch as R  # noqa: E402
from safetensors_io import load_safetensors  # noqa: E402

RCC = os.environ.get("RCC", os.path.join(HERE, "..", "build", "rcc"))


def read_idx(path):
    raw = gzip.open(path).read() if path.endswith(".gz") else open(path, "rb").read()
    magic = struct.unpack(">I", raw[:4])[0]
    if magic == 0x803:
        n, h, w = struct.unpack(">III", raw[4:16])
        return np.frombuffer(raw[16:], np.uint8).reshape(n, 1, h, w)
    return np.frombuffer(raw[8:], np.uint8).astype(int)


def dev_half(data, labels):
    sel = os.path.join(data, "selection.csv")
    if os.path.exists(sel):
        rows = open(sel).read().split("\n")[1:]
        return np.array([r.split(",")[3] == "dev" for r in rows if r])
    dev = np.zeros(len(labels), bool)
    for c in np.unique(labels):
        w = np.where(labels == c)[0]
        dev[w[: len(w) // 2]] = True
    return dev


def features(run, images):
    meta, tensors = load_safetensors(os.path.join(run, "checkpoint.safetensors"))
    cfg = json.loads(meta["config"])
    model = R.RCCNet(in_ch=cfg["in_channels"], rep_dim=cfg["rep_dim"], width=cfg["width"],
                     feature_dim=cfg["feature_dim"], K=cfg["clusters"], hidden=cfg["hidden"],
                     small_stem=cfg.get("backbone") == "resnet18-small")
    model.load_state_dict({k: torch.from_numpy(v.copy()) for k, v in tensors.items()
                           if not k.startswith("optimizer.")})
    model.eval()
    pooled = []
    model.backbone.layer3.register_forward_hook(lambda m, i, o: pooled.append(o.mean((2, 3))))
    heads = []
    s = cfg["image_size"]
    with torch.no_grad():
        for b in range(0, len(images), 500):
            x = torch.from_numpy(images[b:b + 500].astype(np.float32) / 255)
            if x.shape[-1] != s or x.shape[-2] != s:
                x = F.interpolate(x, size=(s, s), mode="bilinear", align_corners=False, antialias=False)
            heads.append(model.embed(x)[2])
    f = torch.cat(pooled).numpy().astype(np.float64)
    f -= f.mean(0)
    f /= np.linalg.norm(f, axis=1, keepdims=True)
    return f, torch.cat(heads).numpy().argmax(1), cfg["clusters"]


def knn(f, k):
    out = np.zeros((len(f), k), int)
    for b in range(0, len(f), 1000):
        g = f[b:b + 1000] @ f.T
        g[np.arange(len(g)), np.arange(b, b + len(g))] = -2  # not one's own neighbour
        part = np.argpartition(-g, k, axis=1)[:, :k]
        out[b:b + len(g)] = part
    return out


def spherical_kmeans(f, k, rng, iters=50):
    c = f[rng.choice(len(f), k, replace=False)]
    for _ in range(iters):
        a = (f @ c.T).argmax(1)
        c = np.array([f[a == j].mean(0) if (a == j).any() else f[rng.integers(len(f))] for j in range(k)])
        c /= np.linalg.norm(c, axis=1, keepdims=True)
    return a


def merge(fine, nn, K, link):
    kp = fine.max() + 1
    e = np.zeros((kp, kp))
    np.add.at(e, (np.repeat(fine, nn.shape[1]), fine[nn].ravel()), 1)
    s = e + e.T
    groups = [[j] for j in range(kp) if (fine == j).any()]
    while len(groups) > K:
        best = None
        for i, j in itertools.combinations(range(len(groups)), 2):
            gi, gj = groups[i], groups[j]
            sij, sii, sjj = s[np.ix_(gi, gj)].sum(), s[np.ix_(gi, gi)].sum(), s[np.ix_(gj, gj)].sum()
            v = sij / max(np.sqrt(sii * sjj) if link == "geo" else min(sii, sjj), 1e-9)
            if best is None or v > best[0]:
                best = (v, i, j)
        _, i, j = best
        groups[i] += groups.pop(j)
    to = np.zeros(kp, int)
    for g, members in enumerate(groups):
        to[members] = g
    return to[fine]


def acc(pred, labels, tmp):
    p, l = os.path.join(tmp, "p.txt"), os.path.join(tmp, "l.txt")
    np.savetxt(p, pred, fmt="%d")
    np.savetxt(l, labels, fmt="%d")
    out = subprocess.run([RCC, "eval", "--pred", p, "--labels", l, "--json"], capture_output=True, text=True,
                         check=True).stdout
    return json.loads(out)["acc"]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("run")
    ap.add_argument("data")
    ap.add_argument("--fine", default="30,100", help="numbers of fine clusters K' (comma-separated)")
    ap.add_argument("--knn", type=int, default=10, help="neighbours per image in the graph")
    ap.add_argument("--seeds", default="1", help="k-means seeds (comma-separated)")
    ap.add_argument("--links", default="geo,ratio", help="linkages: geo, ratio")
    a = ap.parse_args()
    images = read_idx(os.path.join(a.data, "images-idx3-ubyte.gz"))
    labels = read_idx(os.path.join(a.data, "labels-idx1-ubyte.gz"))
    dev = dev_half(a.data, labels)
    f, head, K = features(a.run, images)
    nn = knn(f, a.knn)
    with tempfile.TemporaryDirectory() as tmp:
        def line(name, p):
            parts = [acc(p[m], labels[m], tmp) for m in (dev, ~dev, np.ones(len(p), bool))]
            sizes = " ".join(str(x) for x in sorted(np.bincount(p, minlength=K), reverse=True))
            print(f"{name:28s} dev {parts[0]:.4f}  holdout {parts[1]:.4f}  all {parts[2]:.4f}  sizes {sizes}",
                  flush=True)
        line("cluster head", head)
        for seed in (int(x) for x in a.seeds.split(",")):
            for kp in (int(x) for x in a.fine.split(",")):
                fine = spherical_kmeans(f, kp, np.random.default_rng(seed))
                for link in a.links.split(","):
                    line(f"seed {seed} K' {kp} {link} k{a.knn}", merge(fine, nn, K, link))
    return 0


if __name__ == "__main__":
    sys.exit(main())
