"""Golden fixtures for tests/test_eval.c, computed with scikit-learn and SciPy.

    /usr/bin/python3 tests/reference/make_eval_fixtures.py [OUT_DIR]     # default tests/fixtures

Needs Debian's python3-sklearn and python3-scipy (numpy comes with them); no PyTorch. Writes:

  eval_metrics.safetensors   clustering scores: case{i}.pred, case{i}.labels (F32 holding ints),
                             case{i}.expect = [ACC, NMI, ARI] (F64). ACC is the Hungarian match
                             (scipy.optimize.linear_sum_assignment, maximize=True) on the
                             contingency table / n; NMI is normalized_mutual_info_score
                             (arithmetic); ARI is adjusted_rand_score. K != C cases included.
  eval_cluster.safetensors   silhouette and Calinski-Harabasz on fixed labels:
                             {name}.x (F32), {name}.labels, {name}.expect =
                             [silhouette euclidean, silhouette cosine, calinski_harabasz] (F64).
  eval_kmeans.safetensors    k-means: {name}.x (F32, N x D), {name}.ks (F32), {name}.inertia (F64,
                             sklearn KMeans(n_init=10, random_state=0) per k) and {name}.best
                             (F64, the lowest inertia over random_state 0..9, each n_init=10).

The data are seeded (numpy default_rng), so the files are the same on every run with the same
library versions. Total size is about 60 KB.
"""

import json
import os
import struct
import sys

import numpy as np
from scipy.optimize import linear_sum_assignment
from sklearn.cluster import KMeans
from sklearn.metrics import (adjusted_rand_score, calinski_harabasz_score, normalized_mutual_info_score,
                             silhouette_score)
from sklearn.metrics.cluster import contingency_matrix

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from safetensors_io import save_safetensors  # noqa: E402


def hungarian_acc(labels, pred):
    c = contingency_matrix(labels, pred)  # classes x clusters
    r, col = linear_sum_assignment(c, maximize=True)
    return c[r, col].sum() / len(labels)


def noisy(rng, labels, k, flip, perm=None):
    """A prediction that follows `labels` through a map into [0, k), with a fraction `flip` random."""
    perm = rng.permutation(max(k, labels.max() + 1)) if perm is None else perm
    pred = perm[labels] % k
    m = rng.random(len(labels)) < flip
    pred[m] = rng.integers(0, k, m.sum())
    return pred


def metric_cases(rng):
    cases = []
    # 0: unrelated, K = C = 10
    y = rng.integers(0, 10, 500)
    cases.append((rng.integers(0, 10, 500), y))
    # 1: K = 5 < C = 10, two classes per cluster plus noise
    y = rng.integers(0, 10, 400)
    cases.append((noisy(rng, y // 2, 5, 0.1), y))
    # 2: K = 15 > C = 10: classes split across clusters
    y = rng.integers(0, 10, 600)
    p = np.where(rng.random(600) < 0.5, y, y + 10 * (y < 5))
    cases.append((noisy(rng, p, 15, 0.08, perm=rng.permutation(15)), y))
    # 3: a perfect clustering under a permutation, K = C = 7
    y = rng.integers(0, 7, 300)
    cases.append((rng.permutation(7)[y], y))
    # 4: a single cluster against 4 classes
    y = rng.integers(0, 4, 200)
    cases.append((np.zeros(200, dtype=int), y))
    # 5: both trivial
    cases.append((np.zeros(50, dtype=int), np.zeros(50, dtype=int)))
    # 6: K = 30 against C = 3, n = 2000, mostly nested
    y = rng.integers(0, 3, 2000)
    cases.append((noisy(rng, y * 10 + rng.integers(0, 10, 2000), 30, 0.2, perm=rng.permutation(30)), y))
    # 7: unused ids on both sides (pred uses 0, 2, 5; labels use 1, 3)
    y = np.where(rng.random(250) < 0.6, 1, 3)
    p = np.where(y == 1, 2, 5)
    m = rng.random(250) < 0.3
    p[m] = rng.choice([0, 2, 5], m.sum())
    cases.append((p, y))
    # 8: tiny, K = 2 > C = 1 (labels all one class)
    cases.append((np.array([0, 1, 1, 0, 1]), np.zeros(5, dtype=int)))
    return cases


def blobs(rng, centres, n, sd):
    k = len(centres)
    lab = rng.integers(0, k, n)
    return (np.asarray(centres)[lab] + sd * rng.standard_normal((n, len(centres[0])))).astype(np.float32), lab


def sphere_blobs(rng, k, n, kappa_sd):
    """Points near k random unit directions (Gaussian perturbation, renormalised): vMF-like."""
    mu = rng.standard_normal((k, 3))
    mu /= np.linalg.norm(mu, axis=1, keepdims=True)
    lab = rng.integers(0, k, n)
    x = mu[lab] + kappa_sd * rng.standard_normal((n, 3))
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    return x.astype(np.float32), lab


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "fixtures")
    rng = np.random.default_rng(20240505)

    t = {}
    cases = metric_cases(rng)
    for i, (p, y) in enumerate(cases):
        p, y = np.asarray(p, dtype=np.int64), np.asarray(y, dtype=np.int64)
        e = [hungarian_acc(y, p), normalized_mutual_info_score(y, p), adjusted_rand_score(y, p)]
        t[f"case{i}.pred"] = ("F32", p)
        t[f"case{i}.labels"] = ("F32", y)
        t[f"case{i}.expect"] = ("F64", e)
        print(f"case{i}: n={len(y)} K={p.max() + 1} C={y.max() + 1} acc={e[0]:.6f} nmi={e[1]:.6f} ari={e[2]:.6f}")
    save_safetensors(os.path.join(out, "eval_metrics.safetensors"), t, {"cases": len(cases)})

    t = {}
    xa, la = blobs(rng, [[0, 0, 0], [3, 0, 0], [0, 3, 1], [2, 2, 4]], 300, 0.9)
    xb, lb = sphere_blobs(rng, 5, 250, 0.35)
    xc = rng.standard_normal((120, 4)).astype(np.float32)
    lc = rng.integers(0, 3, 120)
    lc[:3] = [0, 1, 2]
    for name, x, lab in (("blobs", xa, la), ("sphere", xb, lb), ("noise", xc, lc)):
        e = [silhouette_score(x.astype(np.float64), lab, metric="euclidean"),
             silhouette_score(x.astype(np.float64), lab, metric="cosine"),
             calinski_harabasz_score(x.astype(np.float64), lab)]
        t[f"{name}.x"] = ("F32", x)
        t[f"{name}.labels"] = ("F32", lab)
        t[f"{name}.expect"] = ("F64", e)
        print(f"{name}: silhouette euclid {e[0]:.6f} cosine {e[1]:.6f} CH {e[2]:.6f}")
    save_safetensors(os.path.join(out, "eval_cluster.safetensors"), t)

    t = {}
    xa, _ = blobs(rng, [[0, 0], [4, 0], [0, 4], [4, 4], [2, 7]], 600, 0.8)
    xb, _ = sphere_blobs(rng, 6, 800, 0.3)
    xc = rng.random((500, 3)).astype(np.float32)
    for name, x, ks in (("blobs2d", xa, [3, 5, 8]), ("sphere", xb, [4, 6, 10]), ("uniform", xc, [2, 7, 15])):
        inertia, best = [], []
        for k in ks:
            inertia.append(KMeans(n_clusters=k, n_init=10, random_state=0).fit(x).inertia_)
            best.append(min(KMeans(n_clusters=k, n_init=10, random_state=s).fit(x).inertia_ for s in range(10)))
        t[f"{name}.x"] = ("F32", x)
        t[f"{name}.ks"] = ("F32", ks)
        t[f"{name}.inertia"] = ("F64", inertia)
        t[f"{name}.best"] = ("F64", best)
        print(f"{name}: k={ks} inertia={[round(v, 4) for v in inertia]} best={[round(v, 4) for v in best]}")
    save_safetensors(os.path.join(out, "eval_kmeans.safetensors"), t)


if __name__ == "__main__":
    main()
