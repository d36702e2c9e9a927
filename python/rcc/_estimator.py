"""rcc.RCC: the scikit-learn style estimator over librcc (docs/python.md)."""

import inspect
import json
import numbers
import os
import re
import shutil
import tempfile
import warnings
import weakref

import numpy as np

from . import _inputs, _rcc
from ._progress import Progress

CHECKPOINT = "checkpoint.safetensors"
METRICS = "metrics.jsonl"

# constructor parameter -> key of the library's configuration (rcc_config, its JSON in checkpoints)
_CONFIG_KEYS = {
    "n_clusters": "clusters", "epochs": "epochs", "seed": "seed", "threads": "threads",
    "backbone": "backbone", "image_size": "image_size", "width": "width", "rep_dim": "rep_dim",
    "feature_dim": "feature_dim", "hidden": "hidden", "batch": "batch", "lr": "lr",
    "weight_decay": "weight_decay", "warmup_epochs": "warmup_epochs", "cosine": "cosine",
    "lambda_": "lambda", "entropy_weight": "entropy_weight", "tau_i": "tau_i", "tau_c": "tau_c", "t": "t", "augment": "augment",
    "crop_area_min": "crop_area_min", "jitter_prob": "jitter_prob", "blur_prob": "blur_prob",
    "rotate_deg": "rotate_deg", "self_label_epochs": "self_label_epochs",
    "self_label_threshold": "self_label_threshold", "self_label_lr": "self_label_lr", "conv": "conv",
    "precision": "precision", "loader_threads": "loader_threads", "eval_every": "eval_every",
    "save_every": "save_every",
}
_PARAM_OF_KEY = {v: k for k, v in _CONFIG_KEYS.items()}
_NAMED = {"backbone", "augment", "conv", "precision"}


class NotFittedError(ValueError, AttributeError):
    """A model was used before fit() or RCC.load()."""


def checkpoint_path(path):
    """A checkpoint given as its file (*.safetensors) or as a run folder (its checkpoint.safetensors),
    as the rcc tool's --model takes it."""
    path = os.fspath(path)
    if isinstance(path, bytes):
        path = os.fsdecode(path)
    return path if path.endswith(".safetensors") else os.path.join(path, CHECKPOINT)


def _name_parameter(err):
    """The library names a configuration field; say which parameter of RCC that is."""
    m = re.match(r"(?:configuration: ')?(\w+)'? ", str(err))
    name = _PARAM_OF_KEY.get(m.group(1)) if m else None
    return type(err)(f"{err} (the parameter {name})") if name else err


class RCC:
    """Robust Contrastive Clustering of images: fit(X) trains a network whose cluster head assigns
    images to n_clusters clusters; predict, predict_proba and transform run it. Every parameter
    left None takes the preset's value (preset None: the one `rcc train` picks for the data: cpu for
    gray images, photo for colour ones). See docs/python.md for each parameter."""

    def __init__(self, n_clusters=10, preset=None, epochs=None, seed=0, threads=None, *, backbone=None,
                 image_size=None, width=None, rep_dim=None, feature_dim=None, hidden=None, batch=None, lr=None,
                 weight_decay=None, warmup_epochs=None, cosine=None, lambda_=None, entropy_weight=None, tau_i=None, tau_c=None, t=None,
                 augment=None, crop_area_min=None, jitter_prob=None, blur_prob=None, rotate_deg=None,
                 self_label_epochs=None, self_label_threshold=None, self_label_lr=None, conv=None,
                 precision=None, loader_threads=None, eval_every=None, save_every=None, out_dir=None,
                 vote=_rcc.VOTE_KNN, strict=False, callback=None, verbose=False):
        params = dict(locals())
        del params["self"]
        for k, v in params.items():
            setattr(self, k, v)

    # ------------------------------------------------------------ scikit-learn's parameter protocol

    @classmethod
    def _param_names(cls):
        return [p for p in inspect.signature(cls.__init__).parameters if p != "self"]

    def get_params(self, deep=True):
        """The constructor's parameters, as scikit-learn's clone() and grid searches use them."""
        return {k: getattr(self, k) for k in self._param_names()}

    def set_params(self, **params):
        names = self._param_names()
        for k, v in params.items():
            if k not in names:
                raise ValueError(f"RCC has no parameter {k!r} (its parameters: {', '.join(names)})")
            setattr(self, k, v)
        return self

    def __repr__(self):
        defaults = {k: p.default for k, p in inspect.signature(type(self).__init__).parameters.items()}
        given = [f"{k}={v!r}" for k, v in self.get_params().items() if v is not defaults[k]]
        return f"RCC({', '.join(given)})"

    # ------------------------------------------------------------ configuration

    def _config(self, images):
        """The run's configuration (a dict of the library's keys) and the preset it starts from."""
        if self.preset is None:
            preset, text = _rcc.config_for_data(images)
        else:
            preset, text = self.preset, _rcc.config_preset(str(self.preset))
        cfg = json.loads(text)
        for name, key in _CONFIG_KEYS.items():
            v = getattr(self, name)
            if v is None:
                continue
            if key in _NAMED:
                if not isinstance(v, str):
                    raise TypeError(f"{name} must be a name (str), not {type(v).__name__}")
            elif key == "cosine":
                if v not in (0, 1):  # True and False too
                    raise ValueError(f"cosine must be True or False, not {v!r}")
                v = int(v)
            elif isinstance(v, bool) or not isinstance(v, numbers.Real):
                raise TypeError(f"{name} must be a number, not {type(v).__name__}")
            elif key == "seed":
                if not isinstance(v, numbers.Integral) or v < 0:
                    raise ValueError(f"seed must be an integer >= 0, not {v!r}")
                v = str(int(v))
            elif isinstance(v, numbers.Integral):
                v = int(v)
            else:
                v = float(v)
            cfg[key] = v
        try:
            return json.loads(_rcc.config_check(json.dumps(cfg))), preset
        except (_rcc.ArgumentError, _rcc.FormatError) as e:
            raise _name_parameter(e) from None

    def _events(self, history=None, training=False):
        """The callback given to the library: the progress bar, the user's callback, the history."""
        bar = Progress() if self.verbose else None
        user = self.callback

        def on_event(e):
            if history is not None and e["kind"] == "epoch":
                history.append(e)
            if bar is not None:
                bar(e)
            if user is not None:
                r = user(e)
                if training and e["kind"] in ("step", "epoch") and r is False:
                    return False
            return None

        return on_event

    # ------------------------------------------------------------ training

    def fit(self, X, y=None):
        """Trains on the images X (an array, a path, a list of paths: see rcc.images); y (optional
        labels) only scores the clusters during training (history_). Returns self."""
        history = []
        events = self._events(history, training=True)
        images = _inputs.images(X, y, strict=self.strict, callback=events)
        cfg, preset = self._config(images)
        vote = self._vote_for(images.n)  # a bad vote fails before the training, not after
        if images.n < cfg["batch"]:
            raise ValueError(f"{images.n} images are fewer than one batch of {cfg['batch']}: pass a smaller batch "
                             "(RCC(batch=...))")
        if self.conv is None and self.precision is None:
            # as rcc train: the fastest kernels and precision of this CPU, timed on this run's step
            text, rates, unsafe = _rcc.pick_mode(json.dumps(cfg), images.channels)
            cfg = json.loads(text)
            mode = f"{cfg.get('conv', 'direct')} {cfg.get('precision', 'f32')}"
            left = ("; bf16 left out: oneDNN's bf16 kernels give NaN gradients on stage 4's 1x1 maps at this "
                    "image size") if unsafe else ""
            if rates:
                timed = ", ".join(f"{c} {p} {r:.0f}" for c, p, r in rates)
                events({"kind": "note", "message": f"mode: {mode}, the fastest on this step ({timed} pairs/s){left}; "
                                                   "conv= and precision= choose"})
            else:
                events({"kind": "note", "message": "mode: direct f32 (oneDNN has no Winograd or bf16 kernels "
                                                   f"for this CPU{left})"})
        if self.out_dir is not None:
            out, tmp = os.fspath(self.out_dir), None
        else:
            out = tmp = tempfile.mkdtemp(prefix="rcc-fit-")
        try:
            # threads=None: share the CPUs with the other rcc processes computing on this host,
            # as `rcc train` without --threads does (docs/performance.md)
            done, labels = _rcc.train(json.dumps(cfg), images, out, callback=events, share=self.threads is None)
            self._adopt(os.path.join(out, CHECKPOINT), tmp)
        except KeyboardInterrupt as e:
            if tmp is None:
                raise
            shutil.rmtree(tmp, ignore_errors=True)
            raise KeyboardInterrupt(f"{e} (a temporary folder, now removed: give RCC(out_dir=...) to keep an "
                                    "interrupted run)") from None
        except BaseException:
            if tmp is not None:
                shutil.rmtree(tmp, ignore_errors=True)
            raise
        self.preset_ = preset
        self.history_ = history
        self.stopped_early_ = not done
        # the run assigns the images after its last epoch: the clusters the saved network gives them,
        # refined by the neighbour vote as predict(X) would
        if labels is None or vote:
            labels = self._net.assign(images, callback=self._events(), vote=vote)[0]
        self.labels_ = labels
        return self

    def _vote_for(self, n):
        """The neighbours of the vote over n images (0: none), as `rcc predict --data` chooses them."""
        if not isinstance(self.vote, (int, np.integer)) or isinstance(self.vote, bool) or \
                not 0 <= self.vote <= _rcc.VOTE_MAX_KNN:
            raise ValueError(f"vote={self.vote!r}: a number of neighbours in 0..{_rcc.VOTE_MAX_KNN} (0: the cluster "
                             "head alone)")
        if self.vote and n > _rcc.VOTE_MAX_POINTS:
            warnings.warn(f"{n} images: the cluster head's answers as they are (the neighbour vote, quadratic in "
                          f"the images, runs up to {_rcc.VOTE_MAX_POINTS})", stacklevel=4)
            return 0
        return int(self.vote) if n > 1 else 0

    def fit_predict(self, X, y=None):
        """fit(X, y), then the clusters of X: labels_."""
        return self.fit(X, y).labels_

    def fit_transform(self, X, y=None):
        """fit(X, y), then transform(X)."""
        return self.fit(X, y).transform(X)

    # ------------------------------------------------------------ the trained network

    def _adopt(self, ckpt, tmp):
        """Makes the checkpoint ckpt (in the folder tmp, removed with this object, unless None) this
        estimator's model, replacing any before. Its passes use the threads parameter (else the
        training's count) and the precision given to load() (else the training's)."""
        text, progress = _rcc.checkpoint_info(ckpt)
        cfg = json.loads(text)
        threads = self.threads if self.threads is not None else cfg["threads"]
        net = _rcc.Net(ckpt, precision=getattr(self, "_infer_precision", None), threads=int(threads))
        old = getattr(self, "_finalizer", None)
        if old is not None:
            old()
        self._finalizer = weakref.finalize(self, shutil.rmtree, tmp, True) if tmp is not None else None
        self._net = net
        self._stat = _file_id(ckpt)
        self.checkpoint_ = ckpt
        self.config_ = cfg
        self.progress_ = progress
        self.n_clusters_ = cfg["clusters"]

    def _check_fitted(self):
        if getattr(self, "_net", None) is None:
            raise NotFittedError("this RCC is not fitted yet: call fit(X) or RCC.load(path) first")

    @classmethod
    def load(cls, path, *, threads=None, precision=None, callback=None, verbose=False):
        """A model from a checkpoint written by the rcc tool or by save(): a run folder or its
        checkpoint.safetensors file. The parameters are the checkpoint's configuration; threads
        (default: the training's) and precision ("f32", "bf16"; default: the training's where the
        CPU has it) are those of the predictions."""
        ckpt = checkpoint_path(path)
        if not os.path.exists(ckpt):
            raise FileNotFoundError(2, "No such checkpoint", ckpt)
        cfg = json.loads(_rcc.checkpoint_info(ckpt)[0])
        # the configuration's floats are float32: their shortest text (0.001, not 0.00100000005)
        params = {name: float(str(np.float32(cfg[key]))) if isinstance(cfg[key], float) else cfg[key]
                  for name, key in _CONFIG_KEYS.items() if key in cfg}
        params["seed"] = int(cfg["seed"])
        # checkpoints leave out the default mode: name it, so that a refit trains in the same mode
        # rather than timing the modes again
        params.setdefault("conv", "direct")
        params.setdefault("precision", "f32")
        if threads is not None:
            params["threads"] = threads
        est = cls(callback=callback, verbose=verbose, **params)
        est._infer_precision = precision
        est._adopt(ckpt, None)
        return est

    def save(self, path):
        """Writes the model's checkpoint: to path when it ends in .safetensors, else into the folder
        path (made if needed) as checkpoint.safetensors, with the training log metrics.jsonl when the
        model has one: the run folder that `rcc predict --model`, `rcc report` and RCC.load take.
        Returns the checkpoint's path."""
        self._check_fitted()
        path = os.fspath(path)
        if isinstance(path, bytes):
            path = os.fsdecode(path)
        if path.endswith(".safetensors"):
            dst, folder = path, None
        else:
            os.makedirs(path, exist_ok=True)
            dst, folder = os.path.join(path, CHECKPOINT), path
        if _file_id(self.checkpoint_) != self._stat:
            raise RuntimeError(f"{self.checkpoint_} changed since this model was loaded from it: load it again")
        if not (os.path.exists(dst) and os.path.samefile(dst, self.checkpoint_)):
            _copy(self.checkpoint_, dst)
        log = os.path.join(os.path.dirname(self.checkpoint_), METRICS)
        if folder is not None and os.path.isfile(log) and not os.path.exists(os.path.join(folder, METRICS)):
            _copy(log, os.path.join(folder, METRICS))
        return dst

    # ------------------------------------------------------------ predictions

    def _images_for_net(self, X):
        """X as an ImageSet of the kind the model takes (gray or colour), converted with a warning."""
        self._check_fitted()
        images = _inputs.images(X, strict=self.strict, callback=self._events())
        channels = self.config_["in_channels"]
        if channels and images.channels != channels:
            warnings.warn(f"the model takes {'gray' if channels == 1 else 'colour'} images: converting these "
                          f"{images.n} {'gray' if images.channels == 1 else 'colour'} ones", stacklevel=4)
            images = images.converted(channels)
        return images

    def _assign(self, X, vote=False, **want):
        images = self._images_for_net(X)
        return self._net.assign(images, callback=self._events(), vote=self._vote_for(images.n) if vote else 0,
                                **want)

    def predict(self, X):
        """The cluster of each image: an int32 array of N ids in 0..n_clusters_-1 — the cluster head's,
        refined over X by each image's `vote` nearest neighbours in the stage-3 features (as `rcc
        predict --data`; vote=0: the head alone, each image on its own)."""
        return self._assign(X, vote=True, cluster=True)[0]

    def partition(self, X, fine=100, knn=10, n_clusters=None):
        """Clusters of any size, as `rcc predict --partition`: the images' stage-3 features cut by
        k-means into `fine` clusters, joined along each image's `knn` nearest neighbours until
        `n_clusters` remain (None: n_clusters_, the head's; docs/imbalance.md §5). An int32 array of N
        ids. For data whose images form clear groups (MNIST's long tail: +16 points); the cluster head
        does better where classes overlap (Fashion-MNIST: −6)."""
        images = self._images_for_net(X)
        k = 0 if n_clusters is None else int(n_clusters)
        if n_clusters is not None and k < 1:
            raise ValueError(f"n_clusters={n_clusters!r}: a partition makes at least 1 cluster")
        return self._net.partition(images, fine=int(fine), knn=int(knn), callback=self._events(), k=k)[0]

    def predict_proba(self, X):
        """The cluster head's probabilities: N × n_clusters_ float32, rows summing to 1 (before the
        neighbour vote: an image the vote moved has its largest probability elsewhere)."""
        return self._assign(X, cluster=False, probs=True)[3]

    def transform(self, X):
        """The representation h on the unit sphere: N × rep_dim float32, as `rcc embed` writes it."""
        return self._assign(X, cluster=False, h=True)[2]

    # ------------------------------------------------------------ pickling: the checkpoint travels along

    def __getstate__(self):
        state = {k: v for k, v in self.__dict__.items() if k not in ("_net", "_finalizer", "_stat")}
        if getattr(self, "_net", None) is not None:
            with open(self.checkpoint_, "rb") as f:
                state["_checkpoint_bytes"] = f.read()
            state["_log_bytes"] = None
            log = os.path.join(os.path.dirname(self.checkpoint_), METRICS)
            if os.path.isfile(log):
                with open(log, "rb") as f:
                    state["_log_bytes"] = f.read()
        return state

    def __setstate__(self, state):
        data, log = state.pop("_checkpoint_bytes", None), state.pop("_log_bytes", None)
        self.__dict__.update(state)
        if data is not None:
            tmp = tempfile.mkdtemp(prefix="rcc-model-")
            with open(os.path.join(tmp, CHECKPOINT), "wb") as f:
                f.write(data)
            if log is not None:
                with open(os.path.join(tmp, METRICS), "wb") as f:
                    f.write(log)
            self._finalizer = None
            self._adopt(os.path.join(tmp, CHECKPOINT), tmp)


def _file_id(path):
    s = os.stat(path)
    return (s.st_dev, s.st_ino, s.st_size, s.st_mtime_ns)


def _copy(src, dst):
    """src to dst through a temporary file renamed over it: never half a file at dst."""
    tmp = f"{dst}.tmp.{os.getpid()}"
    try:
        shutil.copyfile(src, tmp)
        os.replace(tmp, dst)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
