#!/usr/bin/python3
"""Diagnostic (a tried idea, not part of rcc; docs/imbalance.md §6): the head's clusters, then swaps
that merge the two clusters most bound together in the stage-3 kNN graph and split the cluster
least bound within, while the merge's bond exceeds MARGIN times the split's.
usage: head_swap.py RUN LABELS HALF [MARGINS]
RUN holds s3.npy (rcc embed --features stage3), head.csv (rcc predict --vote 0), vote.csv (rcc predict)
and part.csv (rcc predict --partition); LABELS: an IDX label file, or folder:<dir> for class folders;
HALF: a selection.csv of rcc subset, mnist (dev = index < 5000), fashion (dev = the first 500 of each
class) or cifar (dev = files 0000-0499). Prints dev / holdout / all ACC."""
import sys, gzip, numpy as np
from scipy.optimize import linear_sum_assignment

def load_idx_labels(p):
    b = gzip.open(p).read() if p.endswith('.gz') else open(p, 'rb').read()
    return np.frombuffer(b[8:], dtype=np.uint8).astype(int)

def load_csv(p):
    return np.array([int(l.split(',')[1]) for l in open(p) if l.strip() and l.split(',')[1].strip().lstrip('-').isdigit()])

def acc(y, c):
    K = max(y.max(), c.max()) + 1
    t = np.zeros((K, K), int)
    np.add.at(t, (c, y), 1)
    r, cc = linear_sum_assignment(-t)
    return t[r, cc].sum() / len(y)

def knn(u, k):
    n = len(u); nn = np.zeros((n, k), int)
    for s in range(0, n, 1024):
        sim = u[s:s+1024] @ u.T
        for i in range(sim.shape[0]): sim[i, s+i] = -np.inf
        nn[s:s+1024] = np.argpartition(-sim, k, axis=1)[:, :k]
    return nn

def skmeans(u, K, seed, iters=30):
    rng = np.random.default_rng(seed); n = len(u)
    c = [u[rng.integers(n)]]
    d = 1 - u @ c[0]
    for _ in range(1, K):
        p = np.maximum(d, 0) ** 2; p /= p.sum()
        c.append(u[rng.choice(n, p=p)]); d = np.minimum(d, 1 - u @ c[-1])
    c = np.array(c)
    for _ in range(iters):
        a = np.argmax(u @ c.T, 1)
        for j in range(K):
            m = u[a == j]
            if len(m): v = m.sum(0); c[j] = v / (np.linalg.norm(v) + 1e-12)
    return np.argmax(u @ c.T, 1)

def edge_matrix(lab, nn, m):
    S = np.zeros((m, m))
    a = np.repeat(lab, nn.shape[1]); b = lab[nn.ravel()]
    np.add.at(S, (a, b), 1); np.add.at(S, (b, a), 1)
    return S

def geo(S, a, b):
    return S[a, b] / max(np.sqrt(S[a, a] * S[b, b]), 1e-9)

def greedy_merge(S, k):
    """geo-linkage greedy merge of S's groups down to k; returns group of each row."""
    S = S.copy(); m = len(S); alive = np.ones(m, bool); grp = np.arange(m)
    while alive.sum() > k:
        d = np.sqrt(np.maximum(np.outer(np.diag(S), np.diag(S)), 1e-18))
        G = S / d
        G[~alive, :] = -1; G[:, ~alive] = -1; np.fill_diagonal(G, -1)
        a, b = np.unravel_index(np.argmax(G), G.shape)
        dd = S[a, a] + S[b, b] + 2 * S[a, b]
        S[a, :] += S[b, :]; S[:, a] += S[:, b]; S[a, a] = dd
        S[b, :] = 0; S[:, b] = 0
        grp[grp == b] = a; alive[b] = False
    ids = np.where(alive)[0]; lab = {g: i for i, g in enumerate(ids)}
    return np.array([lab[g] for g in grp])

def bisect(members, fine, nn_lab_edges, u, how):
    """split a cluster (indices `members`) in two; returns (mask of side 1 over members, connectivity)."""
    if how == 'fine':
        f = fine[members]; ids, loc = np.unique(f, return_inverse=True)
        if len(ids) < 2: return None, 1.0
        S = nn_lab_edges(members, loc, len(ids))
        g = greedy_merge(S, 2)
        side = g[loc] == 1
    else:  # spherical 2-means
        side = skmeans(u[members], 2, 0, 20) == 1
    if side.all() or not side.any(): return None, 1.0
    S2 = nn_lab_edges(members, side.astype(int), 2)
    return side, geo(S2, 0, 1)

def refine(head, u, nn, fine, K, margin, how='fine', min_frac=0.0, log=None):
    lab = head.copy(); n = len(lab)
    pos = -np.ones(n, int)
    def sub_edges(members, loc, m):
        pos[:] = -1; pos[members] = loc
        a = np.repeat(loc, nn.shape[1]); b = pos[nn[members].ravel()]
        ok = b >= 0
        S = np.zeros((m, m)); np.add.at(S, (a[ok], b[ok]), 1); np.add.at(S, (b[ok], a[ok]), 1)
        return S
    swaps = 0
    cache = {}
    for _ in range(K):
        S = edge_matrix(lab, nn, K)
        best, A, B = -1, -1, -1
        for a in range(K):
            for b in range(a + 1, K):
                v = geo(S, a, b)
                if v > best: best, A, B = v, a, b
        low, C, side = np.inf, -1, None
        for c in range(K):
            if c in (A, B): continue
            mem = np.where(lab == c)[0]
            key = (c, mem.tobytes().__hash__())
            if key not in cache: cache[key] = bisect(mem, fine, sub_edges, u, how)
            sd, v = cache[key]
            if sd is None: continue
            small = min(sd.sum(), (~sd).sum())
            if small < min_frac * n / K: continue
            if v < low: low, C, side = v, c, (mem, sd)
        if log is not None: log.append((best, low))
        if C < 0 or best < margin * low: break
        lab[lab == B] = A
        mem, sd = side
        lab[mem[sd]] = B
        swaps += 1
    return lab, swaps

def vote(lab, nn, K, rounds=10, N=None):
    lab = lab.copy()
    for _ in range(rounds):
        cnt = np.zeros((len(lab), K)); 
        np.add.at(cnt, (np.repeat(np.arange(len(lab)), nn.shape[1]), lab[nn.ravel()]), 1)
        cnt[np.arange(len(lab)), lab] += 1
        new = np.argmax(cnt, 1)
        keep = cnt[np.arange(len(lab)), lab] >= cnt.max(1)
        new[keep] = lab[keep]
        if (new == lab).all(): break
        lab = new
    return lab

def main():
    run, labels, half = sys.argv[1:4]
    margins = [float(x) for x in sys.argv[4].split(',')] if len(sys.argv) > 4 else [1.0, 1.5, 2.0, 3.0]
    x = np.load(run + '/s3.npy').astype(np.float64)
    u = x - x.mean(0); u /= np.linalg.norm(u, axis=1, keepdims=True) + 1e-12
    head = load_csv(run + '/head.csv'); n = len(head); K = 10
    if labels.startswith('folder:'):
        names = [l.split(',')[0] for l in open(run + '/head.csv')]
        classes = sorted({nm.split('/')[-2] for nm in names})
        y = np.array([classes.index(nm.split('/')[-2]) for nm in names])
        fileno = np.array([int(nm.split('/')[-1].split('.')[0]) for nm in names])
    else:
        y = load_idx_labels(labels)
    if half == 'mnist': dev = np.arange(n) < 5000
    elif half == 'fashion':
        dev = np.zeros(n, bool); seen = {}
        for i in range(n):
            seen[y[i]] = seen.get(y[i], 0) + 1; dev[i] = seen[y[i]] <= 500
    elif half == 'cifar': dev = fileno < 500
    else:
        sel = [l.strip().split(',') for l in open(half)][1:]
        dev = np.array([s[3] == 'dev' for s in sel])
    ho = ~dev
    def score(c): return '%.3f / %.3f / %.3f' % (acc(y[dev], c[dev]), acc(y[ho], c[ho]), acc(y, c))
    print(run, 'n', n, 'dev', dev.sum())
    print('  head       ', score(head))
    for nm in ('vote', 'part'):
        try: print('  %-11s' % nm, score(load_csv(run + '/' + nm + '.csv')))
        except Exception as e: print('  ', nm, e)
    nn = knn(u, 10); nn30 = knn(u, 30)
    fine = skmeans(u, 100, 1)
    for how in ('fine', '2means'):
        for mf in (0.0, 0.1):
            log = []
            lab, sw = refine(head, u, nn, fine, K, 0.0, how, mf, log)  # margin 0: record the sequence
            print('  %s min_frac %.1f: (best merge, weakest split) per round:' % (how, mf),
                  ' '.join('%.3f/%.3f' % t for t in log[:6]))
            for m in margins:
                lab, sw = refine(head, u, nn, fine, K, m, how, mf)
                print('    margin %.2f swaps %d  %s   +vote30 %s' % (m, sw, score(lab), score(vote(lab, nn30, K))))

main()
