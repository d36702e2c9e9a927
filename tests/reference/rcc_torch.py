"""PyTorch reference implementation of the RCC model and losses (see docs/method.md).

This module is the oracle the C implementation is tested against: the golden fixtures in
tests/fixtures/ are produced from it by make_fixtures.py, and bench/bench_torch.py uses it
for the PyTorch side of the throughput benchmark.

Contents
  ResNet18(in_ch, rep_dim, width)   backbone, torchvision-like state-dict names
  RCCNet(in_ch, rep_dim, width, feature_dim, K)
  hash32 / fnv1a32 / hash_uniform   the hash used for deterministic weights and inputs
  deterministic_init(model)         sets every parameter from the hash (C can recompute it)
  hash_input(name, shape)           deterministic inputs ("input.a", "input.b")
  instance_loss, cluster_nce, entropy, uniformity, total_loss
"""

import math

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

import safetensors_io as _st

# --------------------------------------------------------------------------------------------
# Backbone
# --------------------------------------------------------------------------------------------

BN_MOMENTUM = 0.1
BN_EPS = 1e-5


def _bn(ch):
    return nn.BatchNorm2d(ch, eps=BN_EPS, momentum=BN_MOMENTUM)


class BasicBlock(nn.Module):
    """conv3x3(stride)-BN-ReLU-conv3x3-BN + shortcut, then ReLU unless final_relu is False."""

    def __init__(self, in_ch, out_ch, stride=1, final_relu=True):
        super().__init__()
        self.conv1 = nn.Conv2d(in_ch, out_ch, 3, stride=stride, padding=1, bias=False)
        self.bn1 = _bn(out_ch)
        self.conv2 = nn.Conv2d(out_ch, out_ch, 3, stride=1, padding=1, bias=False)
        self.bn2 = _bn(out_ch)
        if stride != 1 or in_ch != out_ch:
            self.downsample = nn.Sequential(
                nn.Conv2d(in_ch, out_ch, 1, stride=stride, bias=False),
                _bn(out_ch),
            )
        else:
            self.downsample = None
        self.final_relu = final_relu

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        shortcut = x if self.downsample is None else self.downsample(x)
        out = out + shortcut
        if self.final_relu:
            out = F.relu(out)
        return out


class ResNet18(nn.Module):
    """ResNet-18 whose last stage has rep_dim channels; returns h = h_raw / ||h_raw||.

    Stage widths: width, 2*width, 4*width, rep_dim (paper: width = 64, rep_dim = 3).
    Stage 4 blocks have no final ReLU. small_stem (backbone "resnet18-small"): the stem is a
    3x3 stride-1 convolution and there is no max-pool (the CIFAR variant of ResNet).
    """

    def __init__(self, in_ch=1, rep_dim=3, width=64, small_stem=False):
        super().__init__()
        self.in_ch, self.rep_dim, self.width = in_ch, rep_dim, width
        w = width
        if small_stem:
            self.conv1 = nn.Conv2d(in_ch, w, 3, stride=1, padding=1, bias=False)
            self.maxpool = nn.Identity()
        else:
            self.conv1 = nn.Conv2d(in_ch, w, 7, stride=2, padding=3, bias=False)
            self.maxpool = nn.MaxPool2d(3, stride=2, padding=1)
        self.bn1 = _bn(w)
        self.layer1 = nn.Sequential(BasicBlock(w, w, 1), BasicBlock(w, w, 1))
        self.layer2 = nn.Sequential(BasicBlock(w, 2 * w, 2), BasicBlock(2 * w, 2 * w, 1))
        self.layer3 = nn.Sequential(BasicBlock(2 * w, 4 * w, 2), BasicBlock(4 * w, 4 * w, 1))
        self.layer4 = nn.Sequential(
            BasicBlock(4 * w, rep_dim, 2, final_relu=False),
            BasicBlock(rep_dim, rep_dim, 1, final_relu=False),
        )
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        kaiming_init(self)

    def forward_raw(self, x):
        x = self.maxpool(F.relu(self.bn1(self.conv1(x))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return torch.flatten(self.avgpool(x), 1)

    def forward(self, x):
        h_raw = self.forward_raw(x)
        return h_raw / h_raw.norm(dim=1, keepdim=True)


def kaiming_init(module):
    """SPEC init: convs Kaiming-normal (fan_out, ReLU gain), BN gamma 1 beta 0.
    Linear layers keep PyTorch's default init."""
    for m in module.modules():
        if isinstance(m, nn.Conv2d):
            nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
        elif isinstance(m, nn.BatchNorm2d):
            nn.init.ones_(m.weight)
            nn.init.zeros_(m.bias)


class RCCNet(nn.Module):
    """Backbone + instance head g_I + cluster head g_C (SPEC section 1)."""

    def __init__(self, in_ch=1, rep_dim=3, width=64, feature_dim=128, K=10, hidden=512, small_stem=False):
        super().__init__()
        self.K = K
        self.feature_dim = feature_dim
        self.backbone = ResNet18(in_ch=in_ch, rep_dim=rep_dim, width=width, small_stem=small_stem)
        self.instance_projector = nn.Sequential(
            nn.Linear(rep_dim, hidden), nn.ReLU(), nn.Linear(hidden, feature_dim)
        )
        self.cluster_projector = nn.Sequential(
            nn.Linear(rep_dim, hidden), nn.ReLU(), nn.Linear(hidden, K), nn.Softmax(dim=1)
        )

    def embed(self, x):
        """One view: returns (h, z, y)."""
        h = self.backbone(x)
        g = self.instance_projector(h)
        z = g / g.norm(dim=1, keepdim=True)
        y = self.cluster_projector(h)
        return h, z, y

    def forward(self, x_a, x_b):
        # The backbone runs separately on each view: batch-norm statistics are per view and the
        # running statistics are updated twice per step, first with view a, then with view b.
        h_a, z_a, y_a = self.embed(x_a)
        h_b, z_b, y_b = self.embed(x_b)
        return {"h_a": h_a, "h_b": h_b, "z_a": z_a, "z_b": z_b, "y_a": y_a, "y_b": y_b}


# --------------------------------------------------------------------------------------------
# Hash-based deterministic initialisation (mirrored by the C tests)
# --------------------------------------------------------------------------------------------

M32 = 0xFFFFFFFF
GOLDEN = 0x9E3779B9


def hash32(x):
    """lowbias32 on a numpy uint64 array (or int) holding values < 2^32; returns uint64 array."""
    x = np.asarray(x, dtype=np.uint64) & np.uint64(M32)
    x = x ^ (x >> np.uint64(16))
    x = (x * np.uint64(0x7FEB352D)) & np.uint64(M32)
    x = x ^ (x >> np.uint64(15))
    x = (x * np.uint64(0x846CA68B)) & np.uint64(M32)
    x = x ^ (x >> np.uint64(16))
    return x


def fnv1a32(name):
    h = 2166136261
    for b in name.encode("utf-8"):
        h ^= b
        h = (h * 16777619) & M32
    return h


def hash_stream(seed, n):
    """hash32((seed * 0x9E3779B9 + i) mod 2^32) for i = 0..n-1 (uint64 array)."""
    base = (int(seed) * GOLDEN) & M32
    i = np.arange(n, dtype=np.uint64)
    return hash32((i + np.uint64(base)) & np.uint64(M32))


def hash_uniform(seed, n):
    """u(seed, i) = (hash32((seed*0x9E3779B9 + i) mod 2^32) + 0.5) / 2^32, float64, in (0, 1)."""
    return (hash_stream(seed, n).astype(np.float64) + 0.5) / 4294967296.0


def _u_tensor(name, shape):
    n = int(np.prod(shape)) if len(shape) else 1
    return hash_uniform(fnv1a32(name), n).reshape(shape)


def hash_input(name, shape):
    """Deterministic input tensor: u(fnv1a32(name), i) in row-major order, float32."""
    return torch.from_numpy(_u_tensor(name, tuple(shape)).astype(np.float32))


def deterministic_init(model, prefix=""):
    """Set every parameter of `model` from the hash, keyed by its full state-dict name.

    conv weight:         (2u-1) * sqrt(3) * sqrt(2 / fan_out),  fan_out = out_ch*kh*kw
    BN weight / bias:    1 + 0.25*(2u-1)  /  0.1*(2u-1);  running mean 0, var 1
    Linear weight, bias: (2u-1) / sqrt(fan_in)
    `prefix` is prepended to the module names (use "backbone." to init a bare ResNet18 with the
    same values it would get inside an RCCNet).
    """
    with torch.no_grad():
        for mname, m in model.named_modules():
            full = prefix + mname + ("." if mname else "")
            if isinstance(m, nn.Conv2d):
                w = m.weight
                fan_out = w.shape[0] * w.shape[2] * w.shape[3]
                u = _u_tensor(full + "weight", tuple(w.shape))
                w.copy_(torch.from_numpy(((2 * u - 1) * math.sqrt(3.0) * math.sqrt(2.0 / fan_out))))
                if m.bias is not None:
                    raise ValueError("convs have no bias")
            elif isinstance(m, nn.BatchNorm2d):
                u = _u_tensor(full + "weight", tuple(m.weight.shape))
                m.weight.copy_(torch.from_numpy(1.0 + 0.25 * (2 * u - 1)))
                u = _u_tensor(full + "bias", tuple(m.bias.shape))
                m.bias.copy_(torch.from_numpy(0.1 * (2 * u - 1)))
                m.running_mean.zero_()
                m.running_var.fill_(1.0)
                m.num_batches_tracked.zero_()
            elif isinstance(m, nn.Linear):
                fan_in = m.weight.shape[1]
                for pname in ("weight", "bias"):
                    p = getattr(m, pname)
                    u = _u_tensor(full + pname, tuple(p.shape))
                    p.copy_(torch.from_numpy((2 * u - 1) / math.sqrt(fan_in)))
    return model


def sign_stream(name, j, n):
    """s_j(i) = +1 if hash32(((seed+j+1)*0x9E3779B9 + i) mod 2^32) & 1 else -1, seed = fnv1a32(name).
    Used for the random-sign gradient projections (gproj) of the width-64 fixture."""
    seed = (fnv1a32(name) + j + 1) & M32
    bits = hash_stream(seed, n) & np.uint64(1)
    return np.where(bits == 1, 1.0, -1.0)


# --------------------------------------------------------------------------------------------
# Losses (SPEC section 2). Pure functions; they compute in the dtype of their inputs.
# --------------------------------------------------------------------------------------------


def _nt_xent_from_sim(sim):
    """sim: (2M, 2M) similarity / tau. Row i's positive is (i + M) mod 2M, diagonal excluded.
    Returns the mean cross-entropy over the 2M rows."""
    n2 = sim.shape[0]
    m = n2 // 2
    off = ~torch.eye(n2, dtype=torch.bool, device=sim.device)
    logits = sim[off].view(n2, n2 - 1)  # row i without column i
    # After dropping column i, column j > i moves to j - 1.
    idx = torch.arange(n2, device=sim.device)
    target = torch.where(idx < m, idx + m - 1, idx - m)
    return F.cross_entropy(logits, target)


def instance_loss(z_a, z_b, tau):
    """NT-Xent over Z = [z_a; z_b] with plain dot products (z assumed unit)."""
    Z = torch.cat([z_a, z_b], dim=0)
    sim = Z @ Z.t() / tau
    return _nt_xent_from_sim(sim)


def cluster_nce(y_a, y_b, tau):
    """NT-Xent over the 2K cluster columns with cosine similarity."""
    C = torch.cat([y_a.t(), y_b.t()], dim=0)  # (2K, N)
    norms = C.norm(dim=1)
    sim = (C @ C.t()) / (norms[:, None] * norms[None, :]) / tau
    return _nt_xent_from_sim(sim)


def entropy(y):
    """H = log K + sum_k p_k log p_k, p = column sums of y normalised to 1."""
    p = y.sum(0)
    p = p / p.sum()
    return math.log(p.shape[0]) + (p * torch.log(p)).sum()


def self_label_loss(y_a, y_b, threshold):
    """SCAN's self-labelling loss on probabilities: the rows of y_a whose largest probability exceeds
    the threshold give targets (argmax); the loss is the class-balanced cross-entropy of y_b's rows
    with them, weight_c = confident / count_c (SCAN's ConfidenceBasedCE), mean over the weights."""
    prob, target = y_a.detach().max(dim=1)
    mask = prob > threshold
    t = target[mask]
    k = y_a.shape[1]
    counts = torch.bincount(t, minlength=k).to(y_b.dtype)
    weight = torch.ones(k, dtype=y_b.dtype)
    present = counts > 0
    weight[present] = t.numel() / counts[present]
    return torch.nn.functional.nll_loss(torch.log(y_b[mask]), t, weight=weight, reduction="mean")


def uniformity(h, t=2.0):
    """log mean_{i<j} exp(-t ||h_i - h_j||^2), via logsumexp over explicit pair distances."""
    n = h.shape[0]
    iu = torch.triu_indices(n, n, offset=1, device=h.device)
    diff = h[iu[0]] - h[iu[1]]
    d2 = (diff * diff).sum(dim=1)
    num_pairs = iu.shape[1]
    return torch.logsumexp(-t * d2, dim=0) - math.log(num_pairs)


def total_loss(out, lam=0.95, tau_i=0.5, tau_c=1.0, t=2.0):
    ins = instance_loss(out["z_a"], out["z_b"], tau_i)
    clu = cluster_nce(out["y_a"], out["y_b"], tau_c)
    ent = entropy(out["y_a"]) + entropy(out["y_b"])
    unif = uniformity(out["h_a"], t) + uniformity(out["h_b"], t)
    total = lam * (ins + clu + ent) + (1.0 - lam) * unif
    return {"ins": ins, "clu_nce": clu, "entropy": ent, "unif": unif, "total": total}


# --------------------------------------------------------------------------------------------
# Minimal safetensors I/O (F32 only), no dependency on the safetensors package.
# --------------------------------------------------------------------------------------------


def save_safetensors(path, tensors, metadata=None):
    """tensors: ordered dict name -> tensor or array (stored as float32); see safetensors_io."""
    _st.save_safetensors(path, {k: (t.detach().cpu().contiguous().numpy() if isinstance(t, torch.Tensor) else t)
                                for k, t in tensors.items()}, metadata)


def load_safetensors(path):
    """Returns (metadata dict, dict name -> numpy array)."""
    return _st.load_safetensors(path)
