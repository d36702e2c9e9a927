#!/usr/bin/python3
"""Write the golden fixtures the C tests compare against (see README.md next to this file).

Usage:  /usr/bin/python3 tests/reference/make_fixtures.py [OUTDIR] [--check] [--only NAME]
        OUTDIR defaults to tests/fixtures (next to this folder).
        --only writes just the fixtures whose file name contains NAME (e.g. model_small).
        --check also recomputes the model fixtures in float64 and prints how far the float32
        values stored are from them (a guide for the C-side tolerances).
"""

import argparse
import math
import os
import sys
from collections import OrderedDict

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import rcc_torch as R  # noqa: E402

# Shared configuration of the model fixtures.
CFG = OrderedDict(
    C=1, N=4, rep_dim=3, feature_dim=128, K=5, lam=0.95, tau_i=0.5, tau_c=1.0, t=2.0
)
MODEL_CONFIGS = [(16, 32), (16, 64), (64, 64)]  # (width, S): resnet18, CFG's channels
# backbone resnet18-small (3x3 stride-1 stem, no max-pool) on colour images: (width, S, C)
SMALL_CONFIGS = [(16, 32, 3)]
GSAMPLE_M = 2048
ADAM = OrderedDict(lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.0, steps=5)


def common_meta(**extra):
    meta = OrderedDict(
        generator="tests/reference/make_fixtures.py",
        torch_version=torch.__version__,
        dtype="float32",
        bn_momentum=str(R.BN_MOMENTUM),
        bn_eps=str(R.BN_EPS),
    )
    meta.update(extra)
    return meta


def build_model(width, dtype=torch.float32, C=None, small_stem=False):
    model = R.RCCNet(
        in_ch=C or CFG["C"], rep_dim=CFG["rep_dim"], width=width,
        feature_dim=CFG["feature_dim"], K=CFG["K"], small_stem=small_stem,
    )
    R.deterministic_init(model)
    model.to(dtype)
    model.train()
    return model


def model_inputs(S, dtype=torch.float32, C=None):
    shape = (CFG["N"], C or CFG["C"], S, S)
    return R.hash_input("input.a", shape).to(dtype), R.hash_input("input.b", shape).to(dtype)


def run_model(width, S, dtype=torch.float32, C=None, small_stem=False):
    model = build_model(width, dtype, C, small_stem)
    x_a, x_b = model_inputs(S, dtype, C)
    out = model(x_a, x_b)
    losses = R.total_loss(out, CFG["lam"], CFG["tau_i"], CFG["tau_c"], CFG["t"])
    losses["total"].backward()
    return model, x_a, x_b, out, losses


def bn_modules(model):
    return [(n, m) for n, m in model.named_modules() if isinstance(m, torch.nn.BatchNorm2d)]


def model_fixture_name(width, S, C=None, small_stem=False):
    if small_stem:
        return "model_small_w%d_s%d_c%d.safetensors" % (width, S, C or CFG["C"])
    return "model_w%d_s%d.safetensors" % (width, S)


def make_model_fixture(outdir, width, S, check=False, C=None, small_stem=False):
    model, x_a, x_b, out, losses = run_model(width, S, C=C, small_stem=small_stem)
    T = OrderedDict()
    T["x_a"], T["x_b"] = x_a, x_b
    for k in ("h_a", "h_b", "z_a", "z_b", "y_a", "y_b"):
        T[k] = out[k]
    for k in ("ins", "clu_nce", "entropy", "unif", "total"):
        T["loss." + k] = losses[k].reshape(1)
    for name, m in bn_modules(model):
        T["running.%s.running_mean" % name] = m.running_mean
        T["running.%s.running_var" % name] = m.running_var
    full = width == 16
    for name, p in model.named_parameters():
        g = p.grad.detach()
        if full:
            T["grad." + name] = g
        else:
            g64 = g.double().flatten().numpy()
            n = g64.size
            M = min(n, GSAMPLE_M)
            idx = (np.arange(M, dtype=np.int64) * n) // M
            T["gsample." + name] = g64[idx]
            T["gnorm." + name] = np.array([math.sqrt(float(np.sum(g64 * g64)))])
            T["gproj." + name] = np.array(
                [float(np.sum(g64 * R.sign_stream(name, j, n))) for j in (0, 1)]
            )
    model.eval()
    pooled = []
    hook = model.backbone.layer3.register_forward_hook(lambda m, i, o: pooled.append(o.mean((2, 3))))
    with torch.no_grad():
        T["eval.h"] = model.backbone(x_a)
    hook.remove()
    T["eval.stage3"] = pooled[0]  # stage 3's output averaged over positions (rcc embed --features stage3)

    cfg = dict(CFG, C=C or CFG["C"])
    meta = common_meta(
        width=width, S=S, num_batches_tracked=2,
        init="deterministic_init (hash, see README)", mode="train, views a then b",
        grads="full" if full else "gsample/gnorm/gproj", gsample_M=GSAMPLE_M,
        backbone="resnet18-small" if small_stem else "resnet18",
        **cfg,
    )
    path = os.path.join(outdir, model_fixture_name(width, S, C, small_stem))
    R.save_safetensors(path, T, meta)
    print("wrote %s (%d bytes)" % (path, os.path.getsize(path)))
    print("  losses: " + ", ".join("%s=%.9g" % (k, float(v)) for k, v in losses.items()))

    if check:
        report_f64(width, S, model, out, losses, C, small_stem)
    return path


def report_f64(width, S, model32, out32, losses32, C=None, small_stem=False):
    """Compare the float32 run with a float64 run of the same model (diagnostic only)."""
    model64, _, _, out64, losses64 = run_model(width, S, torch.float64, C, small_stem)

    def rel(a, b):
        a = a.detach().double()
        b = b.detach().double()
        return float((a - b).abs().max() / (b.abs().max() + 1e-300))

    print("  f32 vs f64 (max abs err / max abs value):")
    print("    outputs: " + ", ".join("%s %.2e" % (k, rel(out32[k], out64[k])) for k in out64))
    print("    losses:  " + ", ".join(
        "%s %.2e" % (k, abs(float(losses32[k]) - float(losses64[k])) / max(abs(float(losses64[k])), 1e-300))
        for k in losses64))
    worst = []
    p64 = dict(model64.named_parameters())
    for name, p in model32.named_parameters():
        worst.append((rel(p.grad, p64[name].grad), name))
    worst.sort(reverse=True)
    print("    grads, worst 5: " + ", ".join("%s %.2e" % (n, e) for e, n in worst[:5]))
    print("    grads, median:  %.2e" % worst[len(worst) // 2][0])


def make_loss_case(seed, N, D=16, K=5, rep=3):
    """Random loss inputs (float32-rounded) and float64 losses and gradients."""
    g = torch.Generator().manual_seed(seed)

    def unit_rows(n, d):
        x = torch.randn(n, d, generator=g, dtype=torch.float64)
        return (x / x.norm(dim=1, keepdim=True)).float()

    z_a, z_b = unit_rows(N, D), unit_rows(N, D)
    y_a = torch.softmax(torch.randn(N, K, generator=g, dtype=torch.float64), dim=1).float()
    y_b = torch.softmax(torch.randn(N, K, generator=g, dtype=torch.float64), dim=1).float()
    h_a, h_b = unit_rows(N, rep), unit_rows(N, rep)
    inputs = OrderedDict(z_a=z_a, z_b=z_b, y_a=y_a, y_b=y_b, h_a=h_a, h_b=h_b)
    v = {k: t.double().requires_grad_(True) for k, t in inputs.items()}

    tau_i, tau_c, t = CFG["tau_i"], CFG["tau_c"], CFG["t"]
    spec = OrderedDict(
        ins=(lambda: R.instance_loss(v["z_a"], v["z_b"], tau_i), ("z_a", "z_b")),
        clu_nce=(lambda: R.cluster_nce(v["y_a"], v["y_b"], tau_c), ("y_a", "y_b")),
        entropy_a=(lambda: R.entropy(v["y_a"]), ("y_a",)),
        entropy_b=(lambda: R.entropy(v["y_b"]), ("y_b",)),
        unif_a=(lambda: R.uniformity(v["h_a"], t), ("h_a",)),
        unif_b=(lambda: R.uniformity(v["h_b"], t), ("h_b",)),
    )
    T = OrderedDict(inputs)
    values = OrderedDict()
    for lname, (fn, wrt) in spec.items():
        val = fn()
        grads = torch.autograd.grad(val, [v[w] for w in wrt])
        T[lname] = val.reshape(1)
        values[lname] = float(val)
        for w, gr in zip(wrt, grads):
            T["d_%s.%s" % (lname, w)] = gr
    check_losses_independent(v, values)
    return T, values


def check_losses_independent(v, values):
    """Re-derive each loss with plain loops in float64 (a guard against indexing mistakes)."""
    def ntxent(rows, tau, cosine):
        rows = rows.detach().numpy()
        n2 = rows.shape[0]
        m = n2 // 2
        tot = 0.0
        for i in range(n2):
            s = []
            for j in range(n2):
                d = float(rows[i] @ rows[j])
                if cosine:
                    d /= float(np.linalg.norm(rows[i]) * np.linalg.norm(rows[j]))
                s.append(d / tau)
            pos = (i + m) % n2
            denom = sum(math.exp(s[j]) for j in range(n2) if j != i)
            tot += -(s[pos] - math.log(denom))
        return tot / n2

    def ent(y):
        p = y.detach().numpy().sum(0)
        p = p / p.sum()
        return math.log(len(p)) + float(np.sum(p * np.log(p)))

    def unif(h, t):
        h = h.detach().numpy()
        n = h.shape[0]
        vals = [math.exp(-t * float(np.sum((h[i] - h[j]) ** 2))) for i in range(n) for j in range(i + 1, n)]
        return math.log(sum(vals) / len(vals))

    ref = dict(
        ins=ntxent(torch.cat([v["z_a"], v["z_b"]]), CFG["tau_i"], False),
        clu_nce=ntxent(torch.cat([v["y_a"].t(), v["y_b"].t()]), CFG["tau_c"], True),
        entropy_a=ent(v["y_a"]), entropy_b=ent(v["y_b"]),
        unif_a=unif(v["h_a"], CFG["t"]), unif_b=unif(v["h_b"], CFG["t"]),
    )
    for k, r in ref.items():
        if abs(r - values[k]) > 1e-12 * max(1.0, abs(r)):
            raise AssertionError("loss %s: %r vs loop %r" % (k, values[k], r))


def make_near_case(seed=2, n=16, radius=4e-4):
    """16 unit vectors all within `radius` (< 1e-3) of one unit vector."""
    g = torch.Generator().manual_seed(seed)
    c = torch.randn(3, generator=g, dtype=torch.float64)
    c = c / c.norm()
    d = torch.randn(n, 3, generator=g, dtype=torch.float64)
    d = d / d.norm(dim=1, keepdim=True)
    r = radius * torch.rand(n, 1, generator=g, dtype=torch.float64)
    pts = c[None, :] + r * d
    pts = (pts / pts.norm(dim=1, keepdim=True)).float()
    assert float((pts.double() - c).norm(dim=1).max()) < 1e-3
    h = pts.double().requires_grad_(True)
    val = R.uniformity(h, CFG["t"])
    (gr,) = torch.autograd.grad(val, [h])
    return pts, val, gr


def make_losses_fixture(outdir):
    T = OrderedDict()
    small, vs = make_loss_case(seed=0, N=8)
    T.update(small)
    big, vb = make_loss_case(seed=1, N=64)
    for k, t in big.items():
        T["big." + k] = t
    pts, val, gr = make_near_case()
    T["near.h"] = pts
    T["near.unif"] = val.reshape(1)
    T["near.d_unif"] = gr
    meta = common_meta(
        N=8, D=16, K=5, rep_dim=3, tau_i=CFG["tau_i"], tau_c=CFG["tau_c"], t=CFG["t"],
        **{"big.N": 64, "near.N": 16, "near.radius": 4e-4},
        seeds="torch.Generator seeds: 0 (plain), 1 (big.), 2 (near.)",
        compute="float64 from the stored float32 inputs, stored as float32",
    )
    path = os.path.join(outdir, "losses.safetensors")
    R.save_safetensors(path, T, meta)
    print("wrote %s (%d bytes)" % (path, os.path.getsize(path)))
    print("  N=8:  " + ", ".join("%s=%.9g" % kv for kv in vs.items()))
    print("  N=64: " + ", ".join("%s=%.9g" % kv for kv in vb.items()))
    print("  near.unif=%.9g" % float(val))
    return path


def make_self_label_fixture(outdir, N=48, K=6, threshold=0.9):
    """Self-labelling: y_a from logits scaled so that about half the rows are confident, with unequal
    class counts; y_b softmax of other logits. The loss and its gradient with respect to y_b in
    float64, checked against cross_entropy on y_b's logits (SCAN computes it so)."""
    g = torch.Generator().manual_seed(3)
    la = torch.randn(N, K, generator=g, dtype=torch.float64) * 4
    la[:, 0] += 2.0  # class 0 more often confident: unequal counts
    lb = torch.randn(N, K, generator=g, dtype=torch.float64) * 2
    y_a = torch.softmax(la, dim=1).float()
    y_b = torch.softmax(lb, dim=1).float()
    yb = y_b.double().requires_grad_(True)
    loss = R.self_label_loss(y_a.double(), yb, threshold)
    (grad,) = torch.autograd.grad(loss, [yb])
    prob, target = y_a.double().max(dim=1)
    mask = prob > threshold
    counts = torch.bincount(target[mask], minlength=K)
    assert 0 < int(mask.sum()) < N and len(set(counts[counts > 0].tolist())) > 1, counts
    w = torch.ones(K, dtype=torch.float64)
    w[counts > 0] = float(mask.sum()) / counts[counts > 0].double()
    via_logits = torch.nn.functional.cross_entropy(torch.log(y_b.double())[mask], target[mask], weight=w)
    assert abs(float(via_logits) - float(loss)) < 1e-6  # y_b rounded to float32 sums to 1 only within 1e-7
    T = OrderedDict(y_a=y_a, y_b=y_b, loss=loss.detach().reshape(1), d_y_b=grad,
                    confident=torch.tensor([float(mask.sum())]))
    meta = common_meta(N=N, K=K, threshold=threshold, seed="torch.Generator seed 3",
                       compute="float64 from the stored float32 inputs, stored as float32",
                       counts=",".join(str(int(c)) for c in counts))
    path = os.path.join(outdir, "self_label.safetensors")
    R.save_safetensors(path, T, meta)
    print("wrote %s: loss %.9g, %d of %d confident, counts %s" % (path, float(loss), int(mask.sum()), N,
                                                                 counts.tolist()))
    return path


def make_adam_fixture(outdir, width=16, S=32):
    model = build_model(width)
    x_a, x_b = model_inputs(S)
    opt = torch.optim.Adam(
        model.parameters(), lr=ADAM["lr"], betas=(ADAM["beta1"], ADAM["beta2"]),
        eps=ADAM["eps"], weight_decay=ADAM["weight_decay"],
    )
    hist = {k: [] for k in ("total", "ins", "clu_nce", "entropy", "unif")}
    for _ in range(ADAM["steps"]):
        opt.zero_grad()
        out = model(x_a, x_b)
        losses = R.total_loss(out, CFG["lam"], CFG["tau_i"], CFG["tau_c"], CFG["t"])
        losses["total"].backward()
        opt.step()
        for k in hist:
            hist[k].append(float(losses[k]))
    T = OrderedDict()
    T["adam.loss"] = np.array(hist["total"])
    for k in ("ins", "clu_nce", "entropy", "unif"):
        T["adam." + k] = np.array(hist[k])
    for name, p in model.named_parameters():
        T["final." + name] = p.detach()
    for name, m in bn_modules(model):
        T["final.running.%s.running_mean" % name] = m.running_mean
        T["final.running.%s.running_var" % name] = m.running_var
    meta = common_meta(
        width=width, S=S, num_batches_tracked=2 * ADAM["steps"],
        init="deterministic_init (hash, see README)",
        **{k: v for k, v in CFG.items()},
        **{k: v for k, v in ADAM.items()},
    )
    path = os.path.join(outdir, "adam_w%d_s%d.safetensors" % (width, S))
    R.save_safetensors(path, T, meta)
    print("wrote %s (%d bytes)" % (path, os.path.getsize(path)))
    print("  adam.loss: " + ", ".join("%.9g" % x for x in hist["total"]))
    return path


def verify_roundtrip(path):
    meta, tensors = R.load_safetensors(path)
    assert len(tensors) > 0 and isinstance(meta, dict)
    with open(path, "rb") as f:
        hlen = int.from_bytes(f.read(8), "little")
    assert hlen % 8 == 0


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("outdir", nargs="?", default=os.path.join(os.path.dirname(HERE), "fixtures"))
    ap.add_argument("--check", action="store_true", help="also compare with float64 runs")
    ap.add_argument("--only", default="", help="write only the fixtures whose file name contains this")
    args = ap.parse_args()

    torch.set_num_threads(1)
    torch.manual_seed(0)
    os.makedirs(args.outdir, exist_ok=True)
    paths = []
    want = lambda name: args.only in name  # noqa: E731
    for width, S in MODEL_CONFIGS:
        if want(model_fixture_name(width, S)):
            paths.append(make_model_fixture(args.outdir, width, S, check=args.check))
    for width, S, C in SMALL_CONFIGS:
        if want(model_fixture_name(width, S, C, True)):
            paths.append(make_model_fixture(args.outdir, width, S, args.check, C, True))
    for name, make in (("losses", make_losses_fixture), ("self_label", make_self_label_fixture),
                       ("adam_w16_s32", make_adam_fixture)):
        if want(name + ".safetensors"):
            paths.append(make(args.outdir))
    total = 0
    for p in paths:
        verify_roundtrip(p)
        total += os.path.getsize(p)
    print("total fixture size: %d bytes (%.2f MB)" % (total, total / 1e6))


if __name__ == "__main__":
    main()
