"""rcc: Robust Contrastive Clustering of images in Python, over librcc (C, oneDNN; no PyTorch).

    import rcc
    model = rcc.RCC(n_clusters=10).fit(X)      # X: N×H×W(×C) uint8/float32, a folder, paths
    clusters = model.predict(X)
    print(rcc.metrics.acc(y, clusters))

docs/python.md describes every parameter, what each call returns and raises, threads and the GIL,
and the checkpoints (the rcc tool's files, both ways). Importing rcc changes nothing in the process:
no thread count, no floating-point mode, no signal handler.
"""

from . import _rcc, metrics
from ._estimator import RCC, NotFittedError
from ._inputs import images
from ._rcc import ArgumentError, BackendError, FileError, FormatError, ImageSet, NumericError, RCCError

__version__ = _rcc.version
__all__ = ["RCC", "ImageSet", "images", "metrics", "threads_available", "bf16_available", "winograd_available",
           "RCCError", "FileError",
           "FormatError", "ArgumentError", "BackendError", "NumericError", "NotFittedError"]


def threads_available():
    """The CPUs this process may use (its affinity mask, at most its cgroup's CPU quota): the thread
    count a model computes with unless told otherwise."""
    return _rcc.threads_available()


def bf16_available():
    """Whether this CPU computes bf16 convolutions (AVX512-BF16): precision="bf16" needs it."""
    return _rcc.bf16_available()


def winograd_available():
    """Whether oneDNN has Winograd convolution kernels for this CPU (AVX-512): conv="winograd" computes
    with them there, directly elsewhere."""
    return _rcc.winograd_available()
