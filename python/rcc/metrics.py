"""Scores of a clustering against labels, computed by librcc exactly as `rcc eval` computes them
(rcc_eval.h): ACC, the share of images whose cluster maps to their class under the best one-to-one
map of clusters to classes (Hungarian); NMI with the arithmetic mean of the entropies; the adjusted
Rand index. NMI and ARI are scikit-learn's definitions (docs/evaluation.md)."""

import numpy as np

from . import _rcc

__all__ = ["acc", "nmi", "ari", "scores"]

_ID_LIMIT = 100000  # rcc eval's ids are 0..99999; other values are renumbered, which changes no score


def _ids(x, what):
    a = np.asarray(x)
    if a.ndim != 1:
        raise ValueError(f"{what} must be a 1-D array, not of shape {a.shape}")
    if a.size == 0:
        raise ValueError(f"{what} is empty")
    if a.dtype.kind == "f" and np.isnan(a).any():
        raise ValueError(f"{what} holds NaN")
    if a.dtype.kind in "iu" and a.min() >= 0 and a.max() < _ID_LIMIT:
        return np.ascontiguousarray(a, dtype=np.int32)
    try:
        return np.unique(a, return_inverse=True)[1].astype(np.int32).ravel()
    except TypeError as e:
        raise TypeError(f"{what} must hold comparable labels (ints or strings): {e}") from None


def scores(labels_true, labels_pred):
    """ACC, NMI and ARI of the clusters labels_pred against the classes labels_true, as a dict
    (also n, clusters, classes and cluster_to_class: the class each cluster id 0..clusters-1 is
    mapped to, -1 for clusters left without one). Labels and ids may be any integers or strings;
    non-negative integers below 100 000 are taken as they are (rcc eval's ids)."""
    t, p = _ids(labels_true, "labels_true"), _ids(labels_pred, "labels_pred")
    if t.shape != p.shape:
        raise ValueError(f"{t.shape[0]} labels but {p.shape[0]} cluster ids")
    return _rcc.scores(p, t)


def acc(labels_true, labels_pred):
    """Clustering accuracy: the best one-to-one map of clusters to classes, as a share of all images."""
    return scores(labels_true, labels_pred)["acc"]


def nmi(labels_true, labels_pred):
    """Normalised mutual information (arithmetic mean of the two entropies)."""
    return scores(labels_true, labels_pred)["nmi"]


def ari(labels_true, labels_pred):
    """Adjusted Rand index."""
    return scores(labels_true, labels_pred)["ari"]
