"""Bad input and misuse raise clear exceptions and crash nothing; memory does not grow over repeated
predictions; parameters, pickling, saving; the installed package imports."""

import glob
import os
import pickle
import subprocess
import sys

import numpy as np
import pytest

import rcc
from conftest import TINY, write_png

NOISE_TINY = {**TINY, "batch": 64}


@pytest.mark.parametrize("X, error, words", [
    (np.zeros((4, 16, 16), np.float64), TypeError, ["uint8", "float32", "float64"]),
    (np.zeros((4, 16, 16), np.int64), TypeError, ["uint8", "float32"]),
    (np.zeros((16, 16), np.uint8), ValueError, ["N×H×W", "X[None]"]),
    (np.zeros((2, 2, 16, 16, 1), np.uint8), ValueError, ["N×H×W", "5-D"]),
    (np.zeros((4, 3, 16, 16), np.uint8), ValueError, ["transpose(0, 2, 3, 1)"]),
    (np.zeros((4, 16, 16, 2), np.uint8), ValueError, ["C = 1 or 3"]),
    (np.zeros((0, 16, 16), np.uint8), ValueError, ["no images"]),
    (np.zeros((4, 0, 16), np.uint8), ValueError, ["no images"]),
    ([], ValueError, ["no images"]),
    ("not images at all", FileNotFoundError, ["not images at all"]),
    ([1, 2, 3], TypeError, ["uint8"]),
    (42, TypeError, ["NumPy array", "int"]),
])
def test_bad_images(noise_model, X, error, words):
    for call in (noise_model.predict, rcc.RCC().fit):
        with pytest.raises(error) as e:
            call(X)
        for w in words:
            assert w in str(e.value), (w, str(e.value))


def test_bad_pixel_values(noise_model):
    X = np.full((3, 16, 16), 0.5, np.float32)
    X[2, 5, 7] = np.nan
    with pytest.raises(ValueError, match=r"X\[2, 5, 7\] is NaN"):
        noise_model.predict(X)
    X[2, 5, 7] = np.inf
    with pytest.raises(ValueError, match=r"X\[2, 5, 7\] = inf: float32 pixels must lie in \[0, 1\]"):
        noise_model.predict(X)
    C = np.full((3, 16, 16, 3), 0.5, np.float32)
    C[1, 2, 3, 2] = 255.0
    with pytest.raises(ValueError, match=r"X\[1, 2, 3, 2\] = 255.0.*divide 8-bit values by 255"):
        rcc.images(C)


def test_paths_that_are_missing_or_not_images(noise_model, tmp_path):
    with pytest.raises(FileNotFoundError) as e:
        noise_model.predict(tmp_path / "missing")
    assert e.value.filename == str(tmp_path / "missing")
    with pytest.raises(FileNotFoundError):
        noise_model.predict([str(tmp_path), str(tmp_path / "missing.png")])
    text = tmp_path / "notes.txt"
    text.write_text("no pixels here\n")
    with pytest.raises(rcc.FormatError, match="notes.txt") as e:
        noise_model.predict(text)
    assert isinstance(e.value, ValueError) and isinstance(e.value, rcc.RCCError)
    (tmp_path / "empty").mkdir()
    with pytest.raises(rcc.FormatError, match="empty folder"):
        noise_model.predict(tmp_path / "empty")
    with pytest.raises(TypeError, match="paths only"):
        noise_model.predict([str(text), np.zeros((16, 16), np.uint8)])


def test_png_files_and_folders(noise, noise_model, tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    paths = []
    for i in range(6):
        paths.append(str(tmp_path / "ab"[i % 2] / f"{i}.png"))
        write_png(paths[-1], noise[i])
    im = rcc.images(tmp_path)
    assert im.n == 6 and im.dtype == "uint8" and list(im.labels) == [0, 0, 0, 1, 1, 1]
    assert im.names == sorted(paths, key=lambda p: (p.split("/")[-2], p))
    assert np.array_equal(rcc.images(paths).to_array(), noise[:6]), "PNG files read back as written"
    assert np.array_equal(noise_model.predict(paths), noise_model.predict(noise[:6]))
    colour = np.stack([noise[0], noise[1], noise[2]], axis=2)
    write_png(tmp_path / "colour.png", colour)
    im = rcc.images(str(tmp_path / "colour.png"))
    assert im.channels == 3 and np.array_equal(im.to_array()[0], colour)
    gray = rcc.images(paths, labels=[5, 4, 3, 2, 1, 0])
    assert list(gray.labels) == [5, 4, 3, 2, 1, 0] and gray.num_classes == 6
    assert rcc.images(gray, labels=np.zeros(6, np.int8)).labels.tolist() == [0] * 6
    assert gray.labels.tolist() == [5, 4, 3, 2, 1, 0], "an ImageSet never changes"
    three = gray.converted(3)
    assert three.channels == 3 and np.array_equal(three.to_array(), np.repeat(noise[:6, :, :, None], 3, axis=3))


def test_verbose_progress_and_notes(noise, tmp_path, capsys):
    out = tmp_path / "run"
    out.mkdir()
    dead = subprocess.Popen(["true"])
    dead.wait()  # a pid no process has: the stale temporary file of an interrupted write
    (out / f"checkpoint.safetensors.tmp.{dead.pid}").write_bytes(b"half a checkpoint")
    events = []
    rcc.RCC(n_clusters=4, epochs=1, out_dir=str(out), verbose=True, callback=events.append, **NOISE_TINY).fit(noise)
    err = capsys.readouterr().err
    assert "epoch 1/1 batch 8/8 step 8: loss" in err and "epoch 1/1 done in" in err and "cluster sizes:" in err, err
    assert "rcc: note: removed" in err
    notes = [e for e in events if e["kind"] == "note"]
    assert len(notes) == 1 and "interrupted checkpoint write" in notes[0]["message"]
    assert [e["kind"] for e in events].count("step") == 8


def test_array_layouts(noise, noise_model):
    """Strided, Fortran-ordered and big-endian arrays are read as their values, whatever the layout."""
    expected = noise_model.predict(noise[:, ::2, ::2].copy())
    assert np.array_equal(noise_model.predict(noise[:, ::2, ::2]), expected)
    assert np.array_equal(noise_model.predict(np.asfortranarray(noise[:, ::2, ::2])), expected)
    f = noise.astype(np.float32) / 255
    assert np.array_equal(noise_model.transform(f.astype(">f4")), noise_model.transform(f))
    assert np.array_equal(noise_model.transform(f[..., None]), noise_model.transform(f)), "N×H×W×1 is N×H×W"


def test_an_exception_in_the_callback_stops_a_load(noise, tmp_path):
    write_png(tmp_path / "one.png", noise[0])
    seen = []

    def callback(e):
        seen.append(e)
        if e["kind"] == "load":
            raise RuntimeError("enough")

    with pytest.raises(RuntimeError, match="enough"):
        rcc.images([str(tmp_path / "one.png")] * 1200, callback=callback)
    assert [e["decoded"] for e in seen] == [500], "the load stopped at its first progress event"


def test_bad_labels(noise):
    with pytest.raises(ValueError, match="3 labels for 512 images"):
        rcc.RCC().fit(noise, [0, 1, 2])
    with pytest.raises(TypeError, match="integer labels"):
        rcc.RCC().fit(noise, np.zeros(512, np.float32))
    with pytest.raises(ValueError, match="0..65535"):
        rcc.RCC().fit(noise, np.full(512, -1))


@pytest.mark.parametrize("params, error, words", [
    (dict(lambda_=2.0), rcc.ArgumentError, ["lambda", "lambda_"]),
    (dict(n_clusters=0), rcc.ArgumentError, ["clusters", "n_clusters"]),
    (dict(epochs="5"), TypeError, ["epochs", "number"]),
    (dict(seed=-1), ValueError, ["seed"]),
    (dict(preset="fast"), rcc.ArgumentError, ["unknown preset 'fast'", "cpu"]),
    (dict(backbone="vgg"), rcc.RCCError, ["vgg", "resnet18"]),
    (dict(precision=16), TypeError, ["precision", "name"]),
    (dict(cosine=2), ValueError, ["cosine"]),
    (dict(batch=1024), ValueError, ["fewer than one batch of 1024", "batch"]),
])
def test_bad_parameters(noise, params, error, words):
    with pytest.raises(error) as e:
        rcc.RCC(**{**NOISE_TINY, **params}).fit(noise)
    for w in words:
        assert w in str(e.value), (w, str(e.value))


def test_not_fitted_and_missing_checkpoints(noise, tmp_path):
    for call in (rcc.RCC().predict, rcc.RCC().predict_proba, rcc.RCC().transform, rcc.RCC().save):
        with pytest.raises(rcc.NotFittedError, match="not fitted"):
            call(noise if call.__name__ != "save" else tmp_path)
    with pytest.raises(FileNotFoundError):
        rcc.RCC.load(tmp_path / "nothing")
    (tmp_path / "bad.safetensors").write_bytes(b"not a checkpoint")
    with pytest.raises(rcc.RCCError, match="bad.safetensors"):
        rcc.RCC.load(tmp_path / "bad.safetensors")


def test_colour_images_for_a_gray_model(noise, noise_model):
    colour = np.repeat(noise[..., None], 3, axis=3)
    with pytest.warns(UserWarning, match="the model takes gray images: converting"):
        got = noise_model.predict(colour)
    assert got.shape == (512,)


def test_errors_are_the_python_kinds():
    assert issubclass(rcc.FileError, OSError) and issubclass(rcc.FileError, rcc.RCCError)
    assert issubclass(rcc.FormatError, ValueError) and issubclass(rcc.ArgumentError, ValueError)
    assert issubclass(rcc.NumericError, ArithmeticError) and issubclass(rcc.BackendError, RuntimeError)
    assert issubclass(rcc.NotFittedError, ValueError) and issubclass(rcc.NotFittedError, AttributeError)


def rss_kib():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise AssertionError("no VmRSS in /proc/self/status")


def test_200_predictions_do_not_grow_memory(noise, noise_model):
    for _ in range(20):  # plans, thread stacks and allocator pools settle first
        noise_model.predict(noise)
        noise_model.transform(noise)
    before = rss_kib()
    for _ in range(200):
        noise_model.predict(noise)
    for _ in range(20):
        noise_model.transform(noise)
    grown = rss_kib() - before
    # a leak of the images' copy alone (512×16×16 bytes) would be 26 MB over these 220 calls
    assert grown < 3 * 1024, f"VmRSS grew by {grown} KiB over 220 predictions"


def test_parameters_the_scikit_learn_way():
    m = rcc.RCC(n_clusters=5, epochs=3, lambda_=0.9)
    p = m.get_params()
    assert p["n_clusters"] == 5 and p["lambda_"] == 0.9 and p["preset"] is None and p["seed"] == 0
    clone = rcc.RCC(**p)
    assert clone.get_params() == p
    assert m.set_params(epochs=7) is m and m.epochs == 7
    with pytest.raises(ValueError, match="no parameter 'epoch'"):
        m.set_params(epoch=7)
    assert repr(m) == "RCC(n_clusters=5, epochs=7, lambda_=0.9)"


def test_pickle_carries_the_model(noise, noise_model):
    copy = pickle.loads(pickle.dumps(noise_model))
    assert copy.checkpoint_ != noise_model.checkpoint_
    assert np.array_equal(copy.predict(noise), noise_model.predict(noise))
    folder = os.path.dirname(copy.checkpoint_)
    del copy
    assert not os.path.exists(folder), "the unpickled model's temporary folder goes with it"


def test_save_refuses_a_changed_checkpoint(noise, tmp_path):
    rcc.RCC(n_clusters=4, epochs=1, out_dir=str(tmp_path / "run"), **NOISE_TINY).fit(noise)
    loaded = rcc.RCC.load(tmp_path / "run")
    rcc.RCC(n_clusters=4, epochs=1, seed=3, out_dir=str(tmp_path / "run"), **NOISE_TINY).fit(noise)
    with pytest.raises(RuntimeError, match="changed since this model was loaded"):
        loaded.save(tmp_path / "copy")
    assert not (tmp_path / "copy" / "checkpoint.safetensors").exists()
    again = rcc.RCC.load(tmp_path / "run")
    assert again.save(tmp_path / "run") == str(tmp_path / "run" / "checkpoint.safetensors"), "saving onto itself"
    assert again.save(tmp_path / "copy") == str(tmp_path / "copy" / "checkpoint.safetensors")


def test_the_installed_package_imports(tmp_path):
    build = os.environ.get("RCC_BUILD")
    if not build:
        pytest.skip("RCC_BUILD not given: run through ctest")
    r = subprocess.run(["cmake", "--install", build, "--component", "python", "--prefix", str(tmp_path)],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    inits = glob.glob(str(tmp_path / "**" / "rcc" / "__init__.py"), recursive=True)
    assert len(inits) == 1, inits
    site = os.path.dirname(os.path.dirname(inits[0]))
    code = "import rcc, sys; print(rcc.__file__); print(rcc.metrics.acc([0, 0, 1], [1, 1, 0]))"
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["PYTHONPATH"] = site
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd="/", env=env)
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == [inits[0], "1.0"]
