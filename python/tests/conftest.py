"""Shared pieces of the Python package's tests. ctest runs them with Debian's python3 and
PYTHONPATH=build/python, RCC_CLI (the rcc tool of the same build), RCC_SHARED_DATA (../shared/data)
and RCC_BUILD (the build folder). MNIST-test comes from RCC_DATA (the folder of its IDX files, as
for tests/test_cli.sh) or RCC_SHARED_DATA/mnist; the tests that need it skip without it."""

import os
import struct
import subprocess
import zlib

import numpy as np
import pytest

import rcc

# tests/test_cli.sh's tiny network: a training step takes milliseconds
# (the mode fixed on both sides: rcc train's default times the modes and keeps the fastest, and two
# timings need not agree, so checkpoints compared byte for byte name theirs)
TINY = dict(width=4, image_size=16, batch=128, hidden=16, feature_dim=8, threads=2, conv="direct", precision="f32")
TINY_FLAGS = ["--width", "4", "--size", "16", "--batch", "128", "--hidden", "16", "--feature-dim", "8",
              "--threads", "2", "--conv", "direct", "--precision", "f32"]


def mnist_dir():
    d = os.environ.get("RCC_DATA") or os.path.join(os.environ.get("RCC_SHARED_DATA", ""), "mnist")
    return d if os.path.isfile(os.path.join(d, "t10k-images-idx3-ubyte.gz")) else None


@pytest.fixture(scope="session")
def cli():
    path = os.environ.get("RCC_CLI")
    if not path or not os.access(path, os.X_OK):
        pytest.skip("the rcc tool is not given (RCC_CLI): run through ctest")
    return path


def run_cli(cli, *args):
    """The rcc tool's stdout; an AssertionError with its stderr when it fails."""
    r = subprocess.run([cli, *map(str, args)], capture_output=True, text=True)
    assert r.returncode == 0, f"rcc {' '.join(map(str, args))}: exit {r.returncode}: {r.stderr}"
    return r.stdout


@pytest.fixture(scope="session")
def mnist():
    d = mnist_dir()
    if d is None:
        pytest.skip("MNIST-test not found (set RCC_DATA to the folder of t10k-images-idx3-ubyte.gz, or give "
                    "../shared/data/mnist)")
    return os.path.join(d, "t10k-images-idx3-ubyte.gz")


@pytest.fixture(scope="session")
def digits(mnist, tmp_path_factory):
    """The first 1000 MNIST-test digits (uint8, 1000×28×28), their labels, and the same images as a
    .npy file for the rcc tool."""
    im = rcc.images(mnist)
    X, y = im.to_array()[:1000], im.labels[:1000]
    path = tmp_path_factory.mktemp("digits") / "digits.npy"
    np.save(path, X)
    return X, y, str(path)


@pytest.fixture(scope="session")
def trained(digits, tmp_path_factory):
    """A tiny model fitted on the 1000 digits for one epoch, its run kept in a folder."""
    X, y, _ = digits
    out = tmp_path_factory.mktemp("run") / "py"
    model = rcc.RCC(n_clusters=10, epochs=1, out_dir=str(out), **TINY).fit(X, y)
    return model, str(out)


@pytest.fixture(scope="session")
def noise():
    """512 random 16×16 gray images: data for the tests that need a model but not MNIST."""
    return np.random.default_rng(7).integers(0, 256, size=(512, 16, 16), dtype=np.uint8)


@pytest.fixture(scope="session")
def noise_model(noise):
    return rcc.RCC(n_clusters=4, epochs=1, **{**TINY, "batch": 64}).fit(noise)


def write_png(path, image):
    """An 8-bit gray (H×W) or RGB (H×W×3) uint8 array as a PNG file, by hand (zlib only)."""
    h, w = image.shape[:2]
    colour = image.ndim == 3
    rows = b"".join(b"\0" + image[y].tobytes() for y in range(h))

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", w, h, 8, 2 if colour else 0, 0, 0, 0)
    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) +
                chunk(b"IEND", b""))
