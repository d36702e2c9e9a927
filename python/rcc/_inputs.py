"""What a user passes as images (and labels), made into an rcc.ImageSet: a NumPy array (copied into
the library's layout), a path or a list of paths (read by the library's own readers, as the rcc tool
reads --data), or an ImageSet already."""

import os
import warnings

import numpy as np

from . import _rcc

_PATH_TYPES = (str, bytes, os.PathLike)
MAX_LABEL = 65535


def _is_path(x):
    return isinstance(x, _PATH_TYPES)


def label_array(labels, n, what="y"):
    """labels as a 1-D int32 array of n values in 0..65535, or an exception naming what is wrong."""
    a = np.asarray(labels)
    if a.dtype.kind not in "iu":
        raise TypeError(f"{what} must hold integer labels, not {a.dtype}")
    if a.ndim != 1:
        raise ValueError(f"{what} must be a 1-D array of labels, not of shape {a.shape}")
    if n is not None and a.shape[0] != n:
        raise ValueError(f"{what} has {a.shape[0]} labels for {n} images")
    if a.size and (a.min() < 0 or a.max() > MAX_LABEL):
        raise ValueError(f"{what}: labels must lie in 0..{MAX_LABEL} (found {a.min()}..{a.max()})")
    return np.ascontiguousarray(a, dtype=np.int32)


def _check_exists(path):
    if not os.path.exists(path):
        raise FileNotFoundError(2, "No such file or folder", os.fsdecode(path))


def _warn_report(im):
    r = im.report
    if not r:
        return
    if r["broken_files"]:
        warnings.warn(f"skipped {r['broken_files']} broken image file(s) (the first: {r['first_broken']}); "
                      "strict=True refuses them", RuntimeWarning, stacklevel=4)
    if r["labels_dropped"]:
        warnings.warn("some sources have labels and others not: the images are taken as unlabelled",
                      RuntimeWarning, stacklevel=4)


def images(X, labels=None, *, strict=False, max_broken=0.05, callback=None):
    """X as an rcc.ImageSet (see docs/python.md, "Images in").

    X: an N×H×W or N×H×W×C (C = 1 or 3) NumPy array, uint8 (0..255) or float32 (0..1); a path (an
    IDX file, a .npy file, a folder of PNG/JPEG images, flat or one subfolder per class, or one
    image file); a list of such paths (concatenated); or an ImageSet. labels: integer labels (an
    array of N), or with paths, a label file (IDX or .npy) per path; labels only serve to score.
    strict and max_broken: how broken image files in folders are treated (skipped and warned of,
    unless strict, up to a share max_broken of the files). callback: gets the loading's events.
    """
    if isinstance(X, _rcc.ImageSet):
        return X if labels is None else X.with_labels(label_array(labels, X.n))
    if isinstance(X, (list, tuple)) and any(_is_path(p) for p in X):
        if not all(_is_path(p) for p in X):
            raise TypeError("a list of images must hold paths only (or use an array of pixels)")
        paths = list(X)
    elif _is_path(X):
        paths = [X]
    else:
        paths = None
    if paths is not None:
        label_files, label_values = None, None
        if labels is not None and _is_path(labels):
            if len(paths) != 1:
                raise ValueError("one label file for several sources: give a list, one label file (or None) each")
            label_files = [labels]
        elif isinstance(labels, (list, tuple)) and labels and all(x is None or _is_path(x) for x in labels):
            label_files = list(labels)
        elif labels is not None:
            label_values = labels
        for p in paths + [f for f in label_files or [] if f is not None]:
            _check_exists(p)
        im = _rcc.ImageSet.load([os.fspath(p) for p in paths],
                                labels=None if label_files is None else
                                [None if f is None else os.fspath(f) for f in label_files],
                                strict=strict, max_broken=max_broken, callback=callback)
        _warn_report(im)
        if label_values is not None:
            im = im.with_labels(label_array(label_values, im.n))
        return im
    if isinstance(X, (list, tuple)):
        if not X:
            raise ValueError("no images: X is an empty list")
        X = np.asarray(X)
    if not isinstance(X, np.ndarray):
        raise TypeError("images must be a NumPy array (N×H×W or N×H×W×C, uint8 or float32), a path (folder, "
                        f"IDX or .npy file, image) or a list of paths, not {type(X).__name__}")
    n = X.shape[0] if X.ndim else None
    return _rcc.ImageSet.from_array(X, None if labels is None else label_array(labels, n))
