"""librcc as a guest in a Python process: NumPy's numerics and the OpenMP and BLAS thread settings are
as they were after `import rcc` and after fit (and inside its callbacks); other Python threads run
while it computes; Ctrl-C stops a run cleanly; callbacks stop it or fail it."""

import ctypes
import ctypes.util
import os
import subprocess
import sys
import textwrap
import threading
import time

import numpy as np
import pytest

import rcc
from conftest import TINY

NOISE_TINY = {**TINY, "batch": 64}


def denormals_survive():
    """A float32 product that is denormal, and a denormal operand: zero under flush-to-zero (FTZ) and
    denormals-are-zero (DAZ) respectively, which librcc computes with."""
    tiny = np.array([1e-38], dtype=np.float32)
    made = (tiny * np.float32(1e-3))[0]
    kept = (np.array([1e-41], dtype=np.float32) * np.float32(1.0))[0]
    return bool(made != 0 and kept != 0)


def libgomp():
    return ctypes.CDLL(ctypes.util.find_library("gomp") or "libgomp.so.1")


def openblas_threads():
    """OpenBLAS's thread count when NumPy's BLAS is OpenBLAS (it is loaded in this process), else None."""
    with open("/proc/self/maps") as f:
        libs = {line.split()[-1] for line in f if "openblas" in line and line.split()[-1].startswith("/")}
    for lib in libs:
        try:
            return ctypes.CDLL(lib).openblas_get_num_threads()
        except (OSError, AttributeError):
            continue
    return None


def run_python(code, *args, timeout=300):
    r = subprocess.run([sys.executable, "-c", textwrap.dedent(code), *map(str, args)], capture_output=True,
                       text=True, timeout=timeout)
    return r.returncode, r.stdout, r.stderr


def test_import_changes_nothing():
    code = """
        import ctypes, json, os, numpy as np
        def denormal():
            return bool((np.array([1e-38], np.float32) * np.float32(1e-3))[0] != 0)
        gomp = ctypes.CDLL("libgomp.so.1")
        gomp.omp_set_num_threads(3)
        env = dict(os.environ)
        before = [denormal(), gomp.omp_get_max_threads()]
        import rcc
        after = [denormal(), gomp.omp_get_max_threads()]
        print(json.dumps([before, after, env == dict(os.environ)]))
    """
    rc, out, err = run_python(code)
    assert rc == 0, err
    before, after, same_env = __import__("json").loads(out)
    assert before == [True, 3]
    assert after == before, "import rcc changed the floating-point mode or OpenMP's thread count"
    assert same_env


def test_fit_and_predict_leave_the_host_as_it_was(noise):
    gomp = libgomp()
    old = gomp.omp_get_max_threads()
    gomp.omp_set_num_threads(3)
    blas = openblas_threads()
    env = dict(os.environ)
    in_callback = []

    def callback(e):
        if e["kind"] == "step":
            in_callback.append(denormals_survive())

    try:
        assert denormals_survive()
        model = rcc.RCC(n_clusters=4, epochs=1, callback=callback, **NOISE_TINY).fit(noise)
        model.predict(noise)
        assert denormals_survive(), "fit left flush-to-zero on"
        assert gomp.omp_get_max_threads() == 3, "fit changed OpenMP's thread count"
        assert openblas_threads() == blas
        assert dict(os.environ) == env
        assert in_callback and all(in_callback), "a callback ran with librcc's flush-to-zero"
    finally:
        gomp.omp_set_num_threads(old)


def test_other_threads_run_while_fit_computes(noise):
    count, stop, marks = [0], threading.Event(), []

    def spin():
        while not stop.is_set():
            count[0] += 1

    def callback(e):  # the other thread's count as each step ends: how far it got while librcc computed
        if e["kind"] == "step":
            marks.append((time.monotonic(), count[0]))

    # a short switch interval: were the GIL held through the steps, the other thread would get only
    # the callbacks' moments (5 ms each at the default interval; 0.5 ms here)
    interval = sys.getswitchinterval()
    sys.setswitchinterval(0.0005)
    t = threading.Thread(target=spin)
    t.start()
    try:
        time.sleep(0.3)
        t0, c0 = time.monotonic(), count[0]
        time.sleep(0.5)
        alone = (count[0] - c0) / (time.monotonic() - t0)
        rcc.RCC(n_clusters=4, epochs=3, callback=callback, **NOISE_TINY).fit(noise)
    finally:
        stop.set()
        t.join()
        sys.setswitchinterval(interval)
    (t0, c0), (t1, c1) = marks[0], marks[-1]
    during = (c1 - c0) / (t1 - t0)
    # measured here: 40-50 % of its rate alone (it shares the CPUs with the training's threads);
    # 1-2 % with the GIL held through the steps
    assert len(marks) == 24 and t1 - t0 > 0.1
    assert during > 0.1 * alone, f"the other thread ran at {during:.0f}/s during fit against {alone:.0f}/s alone"


def test_two_threads_predict_with_one_model(noise, noise_model):
    expected = noise_model.predict(noise)
    results, errors = [None] * 4, []

    def work(i):
        try:
            for _ in range(5):
                results[i] = noise_model.predict(noise)
        except Exception as e:  # noqa: BLE001 (reported below)
            errors.append(e)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert all(np.array_equal(r, expected) for r in results)


def test_a_callback_returning_false_stops_the_run(noise, tmp_path):
    def callback(e):
        return not (e["kind"] == "step" and e["step"] == 3)

    model = rcc.RCC(n_clusters=4, epochs=4, callback=callback, out_dir=str(tmp_path), **NOISE_TINY).fit(noise)
    assert model.stopped_early_
    assert model.progress_["step"] == 3, "the checkpoint is the one saved at the stop"
    assert np.array_equal(model.labels_, model.predict(noise)), "labels_ of the network saved at the stop"


def test_an_exception_in_the_callback_stops_the_run_and_is_raised(noise, tmp_path):
    class Boom(Exception):
        pass

    seen = []

    def callback(e):
        if e["kind"] == "step":
            seen.append(e["step"])
            if e["step"] == 2:
                raise Boom("from the callback")

    model = rcc.RCC(n_clusters=4, epochs=4, callback=callback, out_dir=str(tmp_path), **NOISE_TINY)
    with pytest.raises(Boom, match="from the callback"):
        model.fit(noise)
    assert seen == [1, 2], "no event after the exception"
    assert not hasattr(model, "labels_")
    with pytest.raises(rcc.NotFittedError):
        model.predict(noise)
    assert rcc.RCC.load(tmp_path).progress_["step"] == 2, "the run saved where it stopped"


INTERRUPT = """
    import os, signal, sys, threading, time, numpy as np, rcc
    X = np.random.default_rng(0).integers(0, 256, (512, 16, 16), dtype=np.uint8)
    steps = []
    def callback(e):
        if e["kind"] == "step":
            steps.append(time.monotonic())
    def ctrl_c():  # once two steps are done, from another thread: the main one is inside librcc
        while len(steps) < 2:
            time.sleep(0.001)
        os.kill(os.getpid(), signal.SIGINT)
        steps.append(-time.monotonic())
    threading.Thread(target=ctrl_c, daemon=True).start()
    out = sys.argv[1] if sys.argv[1] != "-" else None
    model = rcc.RCC(n_clusters=4, epochs=200, out_dir=out, callback=callback, width=4, image_size=16, batch=64,
                    hidden=16, feature_dim=8, threads=2)
    try:
        model.fit(X)
        print("finished")
    except KeyboardInterrupt as e:
        sent = -[s for s in steps if s < 0][0]
        after = [s for s in steps if s > sent]
        print("interrupted:", e)
        print("steps after the signal:", len(after))
        print("fitted:", hasattr(model, "labels_"))
"""


def test_ctrl_c_stops_fit_cleanly(tmp_path):
    out = tmp_path / "run"
    rc, stdout, stderr = run_python(INTERRUPT, out)
    assert rc == 0, stderr
    assert "interrupted: interrupted at epoch 1" in stdout and "saved" in stdout, stdout
    after = int(stdout.split("steps after the signal:")[1].split()[0])
    assert after <= 1, f"{after} steps ran after Ctrl-C"
    assert "fitted: False" in stdout
    loaded = rcc.RCC.load(out)
    assert 2 <= loaded.progress_["step"] <= 4, "the checkpoint saved at the stop"
    cli = os.environ.get("RCC_CLI")
    if cli:  # the tool resumes it (to the end of its first epoch): the run folder is the tool's
        X = np.random.default_rng(0).integers(0, 256, (512, 16, 16), dtype=np.uint8)
        np.save(tmp_path / "x.npy", X)
        r = subprocess.run([cli, "train", "--resume", str(out), "--data", str(tmp_path / "x.npy"), "--epochs", "1"],
                           capture_output=True, text=True)
        assert r.returncode == 0, r.stderr
        assert rcc.RCC.load(out).progress_ == {"epoch": 1, "batch_in_epoch": 0, "step": 8}
    # without out_dir the temporary run folder goes, and the message says so
    rc, stdout, stderr = run_python(INTERRUPT, "-")
    assert rc == 0, stderr
    assert "give RCC(out_dir=...) to keep an interrupted run" in stdout, stdout
