"""The package against the rcc tool on 1000 MNIST-test digits with a tiny network: the same training,
the same clusters, the same features bit for bit, the same scores, and checkpoints that go both ways."""

import contextlib
import json
import os

import numpy as np
import pytest

import rcc
from conftest import TINY, TINY_FLAGS, run_cli


def cli_clusters(cli, model, data, *flags):
    """rcc predict's clusters, in image order (lines index,cluster,confidence or name,cluster,...)."""
    lines = run_cli(cli, "predict", "--model", model, "--data", data, *flags).split()
    return np.array([int(line.split(",")[-2]) for line in lines], dtype=np.int32)


@contextlib.contextmanager
def head_only(model):
    """The model with vote=0: every image's cluster from the head alone, whatever images come with it
    (the default vote refines the clusters of the images given together, as rcc predict --data does)."""
    model.set_params(vote=0)
    try:
        yield model
    finally:
        model.set_params(vote=rcc.RCC().vote)


def test_fit_writes_the_checkpoint_of_rcc_train(cli, digits, trained, tmp_path):
    X, y, npy = digits
    run_cli(cli, "train", "--data", npy, "--out", tmp_path / "cli", *TINY_FLAGS, "--epochs", 1, "--seed", 0)
    with open(tmp_path / "cli" / "checkpoint.safetensors", "rb") as a:
        with open(os.path.join(trained[1], "checkpoint.safetensors"), "rb") as b:
            assert a.read() == b.read(), "RCC(seed=0, ...).fit differs from rcc train --seed 0 with the same flags"


def test_predict_equals_rcc_predict(cli, digits, trained):
    X, y, npy = digits
    model, run = trained
    ours = model.predict(X)
    assert ours.dtype == np.int32 and ours.shape == (1000,)
    assert np.array_equal(ours, cli_clusters(cli, run, npy))
    assert np.array_equal(model.labels_, ours), "labels_ are the clusters of the training images"
    assert model.n_clusters_ == 10 and model.preset_ == "cpu"
    with head_only(model):
        head = model.predict(X)
    assert np.array_equal(head, cli_clusters(cli, run, npy, "--vote", "0")), "vote=0 is rcc predict --vote 0"
    assert np.any(head != ours), "the vote moved images"
    with pytest.raises(ValueError, match="vote=-1"):
        rcc.RCC(vote=-1).fit(X)


def test_partition_equals_rcc_predict_partition(cli, digits, trained):
    X, _, npy = digits
    model, run = trained
    ours = model.partition(X, fine=30)
    assert ours.dtype == np.int32 and ours.shape == (1000,) and 0 <= ours.min() and ours.max() < 10
    assert np.array_equal(ours, cli_clusters(cli, run, npy, "--partition", "--fine", "30"))
    with pytest.raises(rcc.ArgumentError, match="fine"):
        model.partition(X, fine=5)  # fewer fine clusters than K
    four = model.partition(X, fine=30, n_clusters=4)
    assert sorted(set(four.tolist())) == [0, 1, 2, 3]
    assert np.array_equal(four, cli_clusters(cli, run, npy, "--partition", "--fine", "30", "--clusters", "4"))
    with pytest.raises(ValueError, match="n_clusters=0"):
        model.partition(X, n_clusters=0)


def test_transform_equals_rcc_embed_bit_for_bit(cli, digits, trained, tmp_path):
    X, y, npy = digits
    model, run = trained
    run_cli(cli, "embed", "--model", run, "--data", npy, "--out", tmp_path / "h.npy")
    theirs = np.load(tmp_path / "h.npy")
    ours = model.transform(X)
    assert ours.dtype == np.float32 and ours.shape == theirs.shape == (1000, 3)
    assert np.array_equal(ours.view(np.uint32), theirs.view(np.uint32))
    assert np.allclose(np.linalg.norm(ours, axis=1), 1, atol=1e-5)


def test_predict_proba(digits, trained):
    X, _, _ = digits
    model, _ = trained
    p = model.predict_proba(X)
    assert p.shape == (1000, 10) and p.dtype == np.float32
    assert np.allclose(p.sum(axis=1), 1, atol=1e-5)
    with head_only(model):
        assert np.array_equal(p.argmax(axis=1), model.predict(X)), "the head's clusters are the argmax"


def test_paths_give_what_arrays_give(digits, trained, mnist):
    X, _, npy = digits
    model, _ = trained
    assert np.array_equal(model.predict(npy), model.predict(X))
    with head_only(model):  # each image's answer alone, whatever comes with it
        paths_give_what_arrays_give(X, npy, model, mnist)


def paths_give_what_arrays_give(X, npy, model, mnist):
    from_array = model.predict(X)
    assert np.array_equal(model.predict(npy), from_array)
    assert np.array_equal(model.predict([npy, npy]), np.concatenate([from_array, from_array]))
    assert np.array_equal(model.predict(rcc.images(mnist))[:1000], from_array)
    assert np.array_equal(model.predict(X.astype(np.float32) / 255)[:1000], from_array)


def test_a_folder_of_png_files(cli, digits, trained, tmp_path):
    """rcc predict --sort-into writes the digits as PNG files into cluster-NN folders: read back as a
    folder (one subfolder per class), as a list of files and as one file, they give the same clusters."""
    X, _, npy = digits
    model, run = trained
    with head_only(model):  # the folder lists the images in another order, the list of files is 70 of them
        folder_of_png_files(cli, X, npy, model, run, tmp_path)


def folder_of_png_files(cli, X, npy, model, run, tmp_path):
    sorted_dir = tmp_path / "sorted"
    run_cli(cli, "predict", "--model", run, "--data", npy, "--sort-into", sorted_dir, "--copy", "--vote", "0")
    for sub in os.listdir(sorted_dir):  # a class folder without images is refused: the empty clusters go
        if not os.listdir(sorted_dir / sub):
            os.rmdir(sorted_dir / sub)
    im = rcc.images(str(sorted_dir))
    assert im.n == 1000 and im.names is not None and len(im.names) == 1000
    by_name = model.predict(im)
    index = np.array([int(os.path.basename(n).split(".")[0]) for n in im.names])
    assert np.array_equal(by_name, model.predict(X)[index])
    folder_cluster = [int(os.path.basename(os.path.dirname(n)).split("-")[1]) for n in im.names]
    assert np.array_equal(folder_cluster, by_name), "each image lies in the folder of its cluster"
    assert im.labels is not None and im.num_classes == len(set(folder_cluster)), "class folders give labels"
    files = [str(sorted_dir / os.path.relpath(n, sorted_dir)) for n in im.names[:70]]
    assert np.array_equal(model.predict(files), by_name[:70])
    assert model.predict(files[0])[0] == by_name[0]


def test_metrics_equal_rcc_eval(cli, digits, trained, tmp_path):
    X, y, _ = digits
    model, _ = trained
    pred = model.predict(X)
    np.save(tmp_path / "pred.npy", pred)
    np.save(tmp_path / "labels.npy", y.astype(np.int64))
    theirs = json.loads(run_cli(cli, "eval", "--pred", tmp_path / "pred.npy", "--labels", tmp_path / "labels.npy",
                                "--json"))
    ours = rcc.metrics.scores(y, pred)
    for k in ("acc", "nmi", "ari"):
        assert ours[k] == theirs[k], (k, ours[k], theirs[k])
    assert rcc.metrics.acc(y, pred) == theirs["acc"]
    assert rcc.metrics.nmi(y, pred) == theirs["nmi"]
    assert rcc.metrics.ari(y, pred) == theirs["ari"]
    assert ours["cluster_to_class"] == theirs["cluster_to_class"]
    # any names for the clusters and classes: only which images share one matters
    assert rcc.metrics.scores([str(v) for v in y], pred + 1000)["acc"] == ours["acc"]


def test_checkpoints_go_both_ways(cli, digits, trained, tmp_path):
    X, _, npy = digits
    model, _ = trained
    # saved from Python: a folder the tool takes as --model, and a file
    folder = tmp_path / "saved"
    assert model.save(folder) == str(folder / "checkpoint.safetensors")
    assert (folder / "metrics.jsonl").is_file(), "the run's log goes along"
    assert np.array_equal(cli_clusters(cli, folder, npy), model.predict(X))
    single = model.save(tmp_path / "model.safetensors")
    assert np.array_equal(cli_clusters(cli, single, npy), model.predict(X))
    # trained by the tool (another seed): loaded in Python, the tool's clusters and features
    run_cli(cli, "train", "--data", npy, "--out", tmp_path / "cli", *TINY_FLAGS, "--epochs", 1, "--seed", 5)
    loaded = rcc.RCC.load(tmp_path / "cli")
    assert loaded.n_clusters_ == 10 and loaded.seed == 5 and loaded.width == 4 and loaded.epochs == 1
    assert np.array_equal(loaded.predict(X), cli_clusters(cli, tmp_path / "cli", npy))
    run_cli(cli, "embed", "--model", tmp_path / "cli", "--data", npy, "--out", tmp_path / "h.npy")
    assert np.array_equal(loaded.transform(X).view(np.uint32), np.load(tmp_path / "h.npy").view(np.uint32))
    # and back: saved again from Python, the same bytes as the tool wrote
    again = loaded.save(tmp_path / "again")
    with open(again, "rb") as a, open(tmp_path / "cli" / "checkpoint.safetensors", "rb") as b:
        assert a.read() == b.read()


def test_load_refits_with_the_checkpoints_configuration(digits, trained, tmp_path):
    X, y, _ = digits
    model, run = trained
    loaded = rcc.RCC.load(run)
    assert loaded.lr == 0.001 and loaded.lambda_ == 0.95, "float32 parameters read back as written"
    params = {k: v for k, v in loaded.get_params().items() if k not in ("callback", "verbose")}
    refit = rcc.RCC(**{**params, "out_dir": str(tmp_path / "refit")}).fit(X)
    with open(refit.checkpoint_, "rb") as a, open(model.checkpoint_, "rb") as b:
        assert a.read() == b.read(), "the parameters read from a checkpoint train the same model again"


def test_history_and_progress(trained):
    model, _ = trained
    assert model.progress_ == {"epoch": 1, "batch_in_epoch": 0, "step": 7}
    assert len(model.history_) == 1 and model.history_[0]["epoch"] == 1
    e = model.history_[0]
    assert e["evaluated"] and 0 <= e["acc"] <= 1 and sum(e["sizes"]) == 1000 - 1000 % 128
    assert model.config_["clusters"] == 10 and model.config_["width"] == 4
    assert not model.stopped_early_


def test_all_10000_digits_go_in_chunks_with_the_same_answers(cli, mnist, trained, tmp_path):
    """10 000 images go through in several chunks of whole batches (a Ctrl-C is seen between two):
    the same clusters and features, bit for bit, as the tool's one pass."""
    model, run = trained
    events = []
    model.callback = events.append
    try:
        ours = model.predict(mnist)
        chunks = [e["done"] for e in events if e["kind"] == "assign"]
        h = model.transform(mnist)
    finally:
        model.callback = None
    assert len(chunks) >= 4 and chunks[-1] == 10000 and chunks == sorted(chunks), chunks
    assert np.array_equal(ours, cli_clusters(cli, run, mnist))
    run_cli(cli, "embed", "--model", run, "--data", mnist, "--out", tmp_path / "h.npy")
    assert np.array_equal(h.view(np.uint32), np.load(tmp_path / "h.npy").view(np.uint32))


def test_the_default_mode_is_the_fastest_timed_and_said(digits, tmp_path):
    """conv and precision left None: as rcc train, every mode this CPU offers is timed on the run's
    step, the fastest kept and said (a note event), and the checkpoint names it."""
    X, _, _ = digits
    notes = []
    tiny = {k: v for k, v in TINY.items() if k not in ("conv", "precision")}
    model = rcc.RCC(n_clusters=10, epochs=1, out_dir=str(tmp_path / "auto"),
                    callback=lambda e: notes.append(e["message"]) if e["kind"] == "note" else None, **tiny).fit(X)
    said = [n for n in notes if n.startswith("mode: ")]
    assert len(said) == 1, notes
    mode = (model.config_.get("conv", "direct"), model.config_.get("precision", "f32"))
    offered = {("direct", "f32")} | ({("winograd", "f32")} if rcc.winograd_available() else set()) | \
        ({("direct", "bf16")} if rcc.bf16_available() and "bf16 left out" not in said[0] else set())
    assert mode in offered, (mode, offered)
    if len(offered) > 1:
        timed = dict(((c, p), float(r)) for c, p, r in
                     (t.rsplit(" ", 2) for t in said[0].split("(", 1)[1].split(" pairs/s")[0].split(", ")))
        assert set(timed) == offered and said[0].startswith(f"mode: {mode[0]} {mode[1]}, the fastest")
        assert timed[mode] == max(timed.values()), said[0]
    else:
        assert said[0].startswith("mode: direct f32 (oneDNN has no"), said[0]
