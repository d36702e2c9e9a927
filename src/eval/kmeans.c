/* kmeans.c — k-means with greedy k-means++ seeding and seeded restarts, Euclidean or spherical.
 *
 * The iterations are Lloyd's, made cheap by Hamerly's bounds (Hamerly 2010: an upper bound on the
 * distance to the assigned centre and a lower bound on the distance to every other centre; a point
 * is only rescanned when the bounds overlap). The assignments are those of plain Lloyd's; the
 * centre sums are kept incrementally (only points that change cluster touch them), so a point
 * whose bounds hold costs one comparison per iteration. That matters for 70 000 points × 30 values
 * of k × 10 restarts. The spherical variant runs the same code on row-normalised data with centres
 * renormalised after each update: for unit vectors ‖x − c‖² = 2(1 − x·c), so the nearest centre is
 * the one with the largest dot product.
 *
 * Restarts run in parallel (one workspace per thread); a single start is parallel over points.
 * Points are processed in fixed chunks of CHUNK; every sum is formed per chunk in double and the
 * chunks are combined in order, so the result does not depend on the number of threads. */
#include "rcc_eval.h"

#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>
#include "compute.h"
#include "rng.h"
#include "util.h"
#include "vec.h"

#define CHUNK 4096
#define MAX_TRIALS 16

typedef struct {
    const float *x;  /* n×d (normalised copy for spherical) */
    const float *xt; /* d×n: the same, transposed, for the vectorised seeding passes */
    size_t n;
    int d, k, kp;    /* kp: k rounded up to 8 for the transposed centre copy */
    bool spherical, par;
    size_t nchunks;
    double *c, *cnew;  /* k×d centres */
    double *ct;        /* d×kp: centres transposed, for the full scan */
    double *s;         /* k: half the distance to the nearest other centre */
    double *delta;     /* k: how far each centre moved in the last update */
    double dmax, dsecond; /* largest and second largest delta */
    int jmax;
    int *a;            /* n: assigned centre */
    double *u, *l;     /* n: Hamerly's upper and lower bounds (distances, not squared) */
    double *sum;       /* k×d: Σ x over each cluster */
    int64_t *cnt;      /* k: cluster sizes */
    double *csum;      /* nchunks×k×d: per-chunk change of sum in a pass */
    int64_t *ccnt;     /* nchunks×k */
    int64_t *cchanged; /* nchunks */
    double *scratch;   /* nchunks×kp: distances of a full scan */
    float *closest;    /* n: k-means++ squared distance to the nearest chosen centre */
    float *tmp;        /* n: k-means++ distances to a candidate */
    double *cpart;     /* nchunks×MAX_TRIALS partial sums */
    int empty_fixed;
} km_ws;

static void km_free(km_ws *w)
{
    free(w->c), free(w->cnew), free(w->ct), free(w->s), free(w->delta), free(w->a), free(w->u), free(w->l);
    free(w->sum), free(w->cnt), free(w->csum), free(w->ccnt), free(w->cchanged), free(w->scratch);
    free(w->closest), free(w->tmp), free(w->cpart);
    memset(w, 0, sizeof *w);
}

static rcc_status km_alloc(km_ws *w, const float *x, const float *xt, size_t n, int d, int k, bool spherical)
{
    memset(w, 0, sizeof *w);
    w->x = x, w->xt = xt, w->n = n, w->d = d, w->k = k, w->spherical = spherical;
    w->kp = (k + 7) & ~7;
    w->nchunks = (n + CHUNK - 1) / CHUNK;
    size_t kd = (size_t)k * d, nc = w->nchunks;
    w->c = malloc(kd * sizeof(double));
    w->cnew = malloc(kd * sizeof(double));
    w->ct = calloc((size_t)d * w->kp, sizeof(double));
    w->s = malloc((size_t)k * sizeof(double));
    w->delta = calloc((size_t)k, sizeof(double));
    w->a = malloc(n * sizeof(int));
    w->u = malloc(n * sizeof(double));
    w->l = malloc(n * sizeof(double));
    w->sum = malloc(kd * sizeof(double));
    w->cnt = malloc((size_t)k * sizeof(int64_t));
    w->csum = malloc(nc * kd * sizeof(double));
    w->ccnt = malloc(nc * k * sizeof(int64_t));
    w->cchanged = malloc(nc * sizeof(int64_t));
    w->scratch = malloc(nc * w->kp * sizeof(double));
    w->closest = malloc(n * sizeof(float));
    w->tmp = malloc(n * sizeof(float));
    w->cpart = malloc(nc * MAX_TRIALS * sizeof(double));
    if (!w->c || !w->cnew || !w->ct || !w->s || !w->delta || !w->a || !w->u || !w->l || !w->sum || !w->cnt ||
        !w->csum || !w->ccnt || !w->cchanged || !w->scratch || !w->closest || !w->tmp || !w->cpart) {
        km_free(w);
        return rcc_fail(RCC_ERR_NOMEM, "k-means: workspace for %zu points, k = %d", n, k);
    }
    return RCC_OK;
}

static inline double dist2_xc(const float *xi, const double *c, int d)
{
    if (d == 3) { /* the paper's rep_dim */
        double e0 = (double)xi[0] - c[0], e1 = (double)xi[1] - c[1], e2 = (double)xi[2] - c[2];
        return e0 * e0 + e1 * e1 + e2 * e2;
    }
    double s = 0;
    for (int t = 0; t < d; t++) {
        double e = (double)xi[t] - c[t];
        s += e * e;
    }
    return s;
}

/* Refreshes the transposed centre copy and s[j] = ½ min_{j'≠j} ‖c_j − c_j'‖. */
static void km_centres_changed(km_ws *w)
{
    int k = w->k, d = w->d, kp = w->kp;
    for (int j = 0; j < k; j++)
        for (int t = 0; t < d; t++)
            w->ct[(size_t)t * kp + j] = w->c[(size_t)j * d + t];
    for (int j = 0; j < k; j++)
        w->s[j] = INFINITY;
    for (int j = 0; j < k; j++)
        for (int q = j + 1; q < k; q++) {
            double e = 0;
            for (int t = 0; t < d; t++) {
                double v = w->c[(size_t)j * d + t] - w->c[(size_t)q * d + t];
                e += v * v;
            }
            e = 0.5 * sqrt(e);
            if (e < w->s[j])
                w->s[j] = e;
            if (e < w->s[q])
                w->s[q] = e;
        }
}

/* ---------------------------------------------------------------- seeding */

/* out[i] = ‖x_i − c‖² in float for i in [lo, hi), from the transposed data (vectorises). */
static void dist_block(const km_ws *w, size_t lo, size_t hi, const float *c, float *out)
{
    for (size_t i = lo; i < hi; i++)
        out[i] = 0;
    for (int t = 0; t < w->d; t++) {
        const float *xr = w->xt + (size_t)t * w->n;
        float ct = c[t];
        for (size_t i = lo; i < hi; i++) {
            float v = xr[i] - ct;
            out[i] += v * v;
        }
    }
}

/* Σ min(a[i], b[i]) (b may be NULL: Σ a[i]) over [lo, hi) in double, in 16 fixed lanes so the
 * compiler can vectorise it without reordering any sum. */
static double sum_min(const float *a, const float *b, size_t lo, size_t hi)
{
    double acc[16] = {0}, s = 0;
    size_t i = lo;
    if (b) {
        for (; i + 16 <= hi; i += 16)
            for (int q = 0; q < 16; q++)
                acc[q] += a[i + q] < b[i + q] ? a[i + q] : b[i + q];
        for (; i < hi; i++)
            s += a[i] < b[i] ? a[i] : b[i];
    } else {
        for (; i + 16 <= hi; i += 16)
            for (int q = 0; q < 16; q++)
                acc[q] += a[i + q];
        for (; i < hi; i++)
            s += a[i];
    }
    for (int q = 0; q < 16; q++)
        s += acc[q];
    return s;
}

/* Samples an index with probability closest[i] / Σ closest, using the per-chunk sums in cpart
 * (stride MAX_TRIALS). Uniform when everything is 0. */
static size_t km_sample(const km_ws *w, double pot, rcc_rng *rng)
{
    if (!(pot > 0)) {
        size_t i = (size_t)(rcc_rng_uniform(rng) * (double)w->n);
        return i < w->n ? i : w->n - 1;
    }
    double r = rcc_rng_uniform(rng) * pot, acc = 0;
    for (size_t ch = 0; ch < w->nchunks; ch++) {
        double cs = w->cpart[ch * MAX_TRIALS];
        if (acc + cs > r || ch + 1 == w->nchunks) {
            size_t lo = ch * CHUNK, hi = lo + CHUNK < w->n ? lo + CHUNK : w->n, last = lo;
            for (size_t i = lo; i < hi; i++) {
                if (w->closest[i] > 0)
                    last = i;
                acc += w->closest[i];
                if (acc > r)
                    return i;
            }
            return last; /* rounding ran past the end: the last point with weight */
        }
        acc += cs;
    }
    return w->n - 1;
}

/* closest = min(closest, ‖x − c‖²) (or = when first), and the per-chunk sums of closest. */
static double km_seed_update(km_ws *w, const float *c, bool first)
{
    size_t n = w->n, nc = w->nchunks;
#pragma omp parallel for schedule(static) if (w->par)
    for (size_t ch = 0; ch < nc; ch++) {
        size_t lo = ch * CHUNK, hi = lo + CHUNK < n ? lo + CHUNK : n;
        dist_block(w, lo, hi, c, first ? w->closest : w->tmp);
        if (!first)
            for (size_t i = lo; i < hi; i++)
                w->closest[i] = w->tmp[i] < w->closest[i] ? w->tmp[i] : w->closest[i];
        w->cpart[ch * MAX_TRIALS] = sum_min(w->closest, NULL, lo, hi);
    }
    double pot = 0;
    for (size_t ch = 0; ch < nc; ch++)
        pot += w->cpart[ch * MAX_TRIALS];
    return pot;
}

/* Greedy k-means++ (Arthur & Vassilvitskii 2007, with 2 + ⌊ln k⌋ candidates per step, keeping the
 * one that lowers the potential most). Writes w->c. */
static void km_seed(km_ws *w, rcc_rng *rng)
{
    const float *x = w->x;
    size_t n = w->n, nc = w->nchunks;
    int d = w->d, k = w->k;
    int trials = 2 + (int)log((double)k);
    if (trials > MAX_TRIALS)
        trials = MAX_TRIALS;
    float *cf = malloc((size_t)(MAX_TRIALS + 1) * d * sizeof *cf);
    if (!cf) { /* cannot happen in practice; fall back to the first k points */
        for (int j = 0; j < k; j++)
            for (int t = 0; t < d; t++)
                w->c[(size_t)j * d + t] = x[(size_t)j * d + t];
        return;
    }
    size_t first = (size_t)(rcc_rng_uniform(rng) * (double)n);
    first = first < n ? first : n - 1;
    for (int t = 0; t < d; t++) {
        cf[t] = x[first * d + t];
        w->c[t] = cf[t];
    }
    double pot = km_seed_update(w, cf, true);
    for (int j = 1; j < k; j++) {
        size_t cand[MAX_TRIALS];
        for (int r = 0; r < trials; r++) {
            cand[r] = km_sample(w, pot, rng);
            for (int t = 0; t < d; t++)
                cf[(size_t)(r + 1) * d + t] = x[cand[r] * d + t];
        }
#pragma omp parallel for schedule(static) if (w->par)
        for (size_t ch = 0; ch < nc; ch++) {
            size_t lo = ch * CHUNK, hi = lo + CHUNK < n ? lo + CHUNK : n;
            for (int r = 0; r < trials; r++) {
                dist_block(w, lo, hi, cf + (size_t)(r + 1) * d, w->tmp);
                w->cpart[ch * MAX_TRIALS + r] = sum_min(w->tmp, w->closest, lo, hi);
            }
        }
        int best = 0;
        double best_pot = INFINITY;
        for (int r = 0; r < trials; r++) {
            double p = 0;
            for (size_t ch = 0; ch < nc; ch++)
                p += w->cpart[ch * MAX_TRIALS + r];
            if (p < best_pot) {
                best_pot = p;
                best = r;
            }
        }
        for (int t = 0; t < d; t++)
            w->c[(size_t)j * d + t] = x[cand[best] * d + t];
        pot = km_seed_update(w, cf + (size_t)(best + 1) * d, false);
    }
    free(cf);
    if (w->spherical)
        rcc_unit_rows_f64(w->c, (size_t)k, d);
}

/* ---------------------------------------------------------------- Lloyd with Hamerly's bounds */

/* Nearest and second-nearest centre of x_i (squared distances); dist: kp scratch. The minima are
 * taken in 8 fixed lanes (vectorised, exact), then the first index attaining the minimum. */
static inline int km_scan(const km_ws *w, const float *xi, double *dist, double *d1out, double *d2out)
{
    int d = w->d, k = w->k, kp = w->kp;
    for (int j = 0; j < kp; j++)
        dist[j] = 0;
    for (int t = 0; t < d; t++) {
        double xt = xi[t];
        const double *ctt = w->ct + (size_t)t * kp;
        for (int j = 0; j < kp; j++) {
            double e = xt - ctt[j];
            dist[j] += e * e;
        }
    }
    for (int j = k; j < kp; j++)
        dist[j] = INFINITY;
    double m[8];
    for (int q = 0; q < 8; q++)
        m[q] = dist[q];
    for (int j = 8; j < kp; j += 8)
        for (int q = 0; q < 8; q++)
            m[q] = dist[j + q] < m[q] ? dist[j + q] : m[q];
    double d1 = m[0];
    for (int q = 1; q < 8; q++)
        d1 = m[q] < d1 ? m[q] : d1;
    int b1 = 0;
    while (dist[b1] != d1)
        b1++;
    dist[b1] = INFINITY;
    for (int q = 0; q < 8; q++)
        m[q] = dist[q];
    for (int j = 8; j < kp; j += 8)
        for (int q = 0; q < 8; q++)
            m[q] = dist[j + q] < m[q] ? dist[j + q] : m[q];
    double d2 = m[0];
    for (int q = 1; q < 8; q++)
        d2 = m[q] < d2 ? m[q] : d2;
    *d1out = d1;
    *d2out = d2;
    return b1;
}

/* E-step. full: the first pass after seeding (every point scanned, sums formed from scratch).
 * Otherwise the bounds are first moved by the last update's centre shifts, and only points whose
 * bounds overlap are looked at; a point that changes cluster moves its coordinates between the
 * cluster sums (via per-chunk changes). Returns how many points changed cluster. */
static int64_t km_assign(km_ws *w, bool full)
{
    const float *x = w->x;
    size_t n = w->n, nc = w->nchunks;
    int d = w->d, k = w->k, kp = w->kp;
    size_t kd = (size_t)k * d;
    /* locals, so that stores to the bounds cannot be taken to alias the struct's fields */
    int *restrict A = w->a;
    double *restrict U = w->u, *restrict L = w->l;
    const double *restrict delta = w->delta, *restrict S = w->s, *restrict C = w->c;
    const double dmax = w->dmax, dsecond = w->dsecond;
    const int jmax = w->jmax;
#pragma omp parallel for schedule(static) if (w->par)
    for (size_t ch = 0; ch < nc; ch++) {
        size_t lo = ch * CHUNK, hi = lo + CHUNK < n ? lo + CHUNK : n;
        double *dist = w->scratch + ch * kp, *cs = w->csum + ch * kd;
        int64_t *cn = w->ccnt + ch * k, changed = 0;
        memset(cs, 0, kd * sizeof *cs);
        memset(cn, 0, (size_t)k * sizeof *cn);
        for (size_t i = lo; i < hi; i++) {
            const float *xi = x + i * d;
            double d1, d2;
            if (full) {
                int b = km_scan(w, xi, dist, &d1, &d2);
                A[i] = b;
                U[i] = sqrt(d1);
                L[i] = sqrt(d2);
                cn[b]++;
                for (int t = 0; t < d; t++)
                    cs[(size_t)b * d + t] += xi[t];
                changed++;
                continue;
            }
            int ai = A[i];
            double ui = U[i] + delta[ai], li = L[i] - (ai == jmax ? dsecond : dmax);
            double z = li > S[ai] ? li : S[ai];
            if (ui > z) {
                ui = sqrt(dist2_xc(xi, C + (size_t)ai * d, d));
                if (ui > z) {
                    int b = km_scan(w, xi, dist, &d1, &d2);
                    ui = sqrt(d1);
                    li = sqrt(d2);
                    if (b != ai) {
                        cn[ai]--;
                        cn[b]++;
                        for (int t = 0; t < d; t++) {
                            cs[(size_t)ai * d + t] -= xi[t];
                            cs[(size_t)b * d + t] += xi[t];
                        }
                        A[i] = b;
                        changed++;
                    }
                }
            }
            U[i] = ui;
            L[i] = li;
        }
        w->cchanged[ch] = changed;
    }
    if (full) {
        memset(w->sum, 0, kd * sizeof *w->sum);
        memset(w->cnt, 0, (size_t)k * sizeof *w->cnt);
    }
    int64_t changed = 0;
    for (size_t ch = 0; ch < nc; ch++) {
        const double *cs = w->csum + ch * kd;
        const int64_t *cn = w->ccnt + ch * k;
        for (size_t q = 0; q < kd; q++)
            w->sum[q] += cs[q];
        for (int j = 0; j < k; j++)
            w->cnt[j] += cn[j];
        changed += w->cchanged[ch];
    }
    /* the shifts are now folded into the bounds */
    memset(w->delta, 0, (size_t)k * sizeof *w->delta);
    w->dmax = w->dsecond = 0;
    return changed;
}

/* Empty clusters take the points farthest from their centres (one each), as scikit-learn does,
 * but only from clusters that keep at least one point. Returns how many were re-seeded. */
static int km_fix_empty(km_ws *w)
{
    size_t n = w->n;
    int k = w->k, d = w->d, empty = 0;
    for (int j = 0; j < k; j++)
        empty += w->cnt[j] == 0;
    if (!empty)
        return 0;
    /* exact squared distances to the assigned centres, into u (rebuilt below) */
    for (size_t i = 0; i < n; i++)
        w->u[i] = dist2_xc(w->x + i * d, w->c + (size_t)w->a[i] * d, d);
    for (int j = 0; j < k; j++) {
        if (w->cnt[j])
            continue;
        size_t far = n;
        double fd = -1;
        for (size_t i = 0; i < n; i++)
            if (w->u[i] > fd && w->cnt[w->a[i]] > 1) {
                fd = w->u[i];
                far = i;
            }
        if (far == n)
            break; /* cannot happen while n ≥ k */
        int from = w->a[far];
        w->cnt[from]--;
        w->cnt[j]++;
        for (int t = 0; t < d; t++) {
            w->sum[(size_t)from * d + t] -= w->x[far * d + t];
            w->sum[(size_t)j * d + t] += w->x[far * d + t];
        }
        w->a[far] = j;
        w->u[far] = -1; /* not picked again */
    }
    for (size_t i = 0; i < n; i++) {
        w->u[i] = w->u[i] < 0 ? 0 : sqrt(w->u[i]); /* a moved point sits on its new centre */
        w->l[i] = 0;                               /* force a rescan of everything */
    }
    return empty;
}

/* M-step: centres from the sums, how far each moved (applied to the bounds in the next E-step).
 * Returns Σ‖Δc‖². */
static double km_update(km_ws *w)
{
    int d = w->d, k = w->k;
    double shift = 0;
    w->dmax = w->dsecond = 0;
    w->jmax = 0;
    for (int j = 0; j < k; j++) {
        double *cn = w->cnew + (size_t)j * d, *co = w->c + (size_t)j * d;
        const double *sj = w->sum + (size_t)j * d;
        double scale = 0;
        if (w->spherical) {
            double s2 = 0;
            for (int t = 0; t < d; t++)
                s2 += sj[t] * sj[t];
            scale = w->cnt[j] && s2 > 1e-300 ? 1 / sqrt(s2) : 0;
        } else if (w->cnt[j]) {
            scale = 1.0 / (double)w->cnt[j];
        }
        for (int t = 0; t < d; t++)
            cn[t] = scale == 0 ? co[t] : sj[t] * scale; /* no members (or a zero sum on the sphere): stay */
        double e = 0;
        for (int t = 0; t < d; t++)
            e += (cn[t] - co[t]) * (cn[t] - co[t]);
        shift += e;
        w->delta[j] = sqrt(e);
        if (w->delta[j] > w->dmax) {
            w->dsecond = w->dmax;
            w->dmax = w->delta[j];
            w->jmax = j;
        } else if (w->delta[j] > w->dsecond) {
            w->dsecond = w->delta[j];
        }
    }
    double *tmp = w->c;
    w->c = w->cnew;
    w->cnew = tmp;
    km_centres_changed(w);
    return shift;
}

/* Σ‖x − c_a‖² (Euclidean) or Σ(1 − x·c_a) (spherical, unit rows and centres), chunked in double. */
static double km_objective(km_ws *w)
{
    size_t n = w->n, nc = w->nchunks;
    int d = w->d;
#pragma omp parallel for schedule(static) if (w->par)
    for (size_t ch = 0; ch < nc; ch++) {
        size_t lo = ch * CHUNK, hi = lo + CHUNK < n ? lo + CHUNK : n;
        double acc = 0;
        for (size_t i = lo; i < hi; i++) {
            const float *xi = w->x + i * d;
            const double *c = w->c + (size_t)w->a[i] * d;
            if (w->spherical) {
                double dot = 0;
                for (int t = 0; t < d; t++)
                    dot += xi[t] * c[t];
                acc += 1 - dot;
            } else {
                acc += dist2_xc(xi, c, d);
            }
        }
        w->cpart[ch * MAX_TRIALS] = acc;
    }
    double s = 0;
    for (size_t ch = 0; ch < nc; ch++)
        s += w->cpart[ch * MAX_TRIALS];
    return s;
}

/* Mean over features of the variance (scikit-learn's scale for tol). */
static double mean_variance(const float *x, size_t n, int d)
{
    double v = 0;
    for (int t = 0; t < d; t++) {
        double m = 0, q = 0;
        for (size_t i = 0; i < n; i++)
            m += x[i * d + t];
        m /= (double)n;
        for (size_t i = 0; i < n; i++) {
            double e = x[i * d + t] - m;
            q += e * e;
        }
        v += q / (double)n;
    }
    return v / d;
}

void rcc_kmeans_config_default(rcc_kmeans_config *c, int k)
{
    memset(c, 0, sizeof *c);
    c->k = k;
    c->restarts = 10;
    c->max_iter = 300;
    c->tol = 1e-4;
    c->seed = 0;
    c->metric = RCC_KMEANS_EUCLIDEAN;
}

/* Rows scaled to unit norm (zero rows stay zero). */
static float *normalised_copy(const float *x, size_t n, int d)
{
    float *y = malloc(n * (size_t)d * sizeof *y);
    if (y)
        rcc_unit_rows(x, NULL, n, d, y);
    return y;
}

/* One seeded start: k-means++ then Lloyd to convergence. Returns the objective; *iters set. */
static double km_run(km_ws *w, const rcc_kmeans_config *cfg, int rs, double tol_abs, int *iters)
{
    rcc_rng rng;
    rcc_rng_init(&rng, cfg->seed, ((uint64_t)w->k << 20) | (uint64_t)rs);
    km_seed(w, &rng);
    km_centres_changed(w);
    int it = 0;
    bool strict = false;
    while (it < cfg->max_iter) {
        int64_t changed = km_assign(w, it == 0);
        w->empty_fixed += km_fix_empty(w);
        double shift = km_update(w);
        it++;
        if (it > 1 && changed == 0) {
            strict = true; /* same assignment, so the update left the centres where they were */
            break;
        }
        if (shift <= tol_abs)
            break;
    }
    if (!strict)
        km_assign(w, false); /* labels consistent with the final centres */
    *iters = it;
    return km_objective(w);
}

static rcc_status kmeans(const float *x, size_t n, int d, const rcc_kmeans_config *cfg, float *centers, int *assign,
                         rcc_kmeans_result *res);

rcc_status rcc_kmeans(const float *x, size_t n, int d, const rcc_kmeans_config *cfg, float *centers, int *assign,
                      rcc_kmeans_result *res)
{
    rcc_compute_saved saved;
    rcc_compute_enter(0, &saved);
    rcc_status st = kmeans(x, n, d, cfg, centers, assign, res);
    rcc_compute_leave(&saved);
    return st;
}

static rcc_status kmeans(const float *x, size_t n, int d, const rcc_kmeans_config *cfg, float *centers, int *assign,
                         rcc_kmeans_result *res)
{
    int k = cfg->k;
    if (k < 1 || d < 1 || n < (size_t)k)
        return rcc_fail(RCC_ERR_ARG, "k-means: need k >= 1, d >= 1 and at least k points (k = %d, d = %d, n = %zu)", k,
                        d, n);
    if (cfg->restarts < 1 || cfg->max_iter < 1 || !(cfg->tol >= 0))
        return rcc_fail(RCC_ERR_ARG, "k-means: need restarts >= 1, max_iter >= 1, tol >= 0");
    for (size_t i = 0; i < n * (size_t)d; i++)
        if (!isfinite(x[i]))
            return rcc_fail(RCC_ERR_NUMERIC, "k-means: feature %zu of point %zu is not finite", i % d, i / d);
    bool sph = cfg->metric == RCC_KMEANS_SPHERICAL;
    float *xs = sph ? normalised_copy(x, n, d) : NULL, *xt = malloc(n * (size_t)d * sizeof *xt);
    if ((sph && !xs) || !xt) {
        free(xs), free(xt);
        return rcc_fail(RCC_ERR_NOMEM, "k-means: copies of %zu x %d", n, d);
    }
    const float *data = sph ? xs : x;
    for (size_t i = 0; i < n; i++)
        for (int t = 0; t < d; t++)
            xt[(size_t)t * n + i] = data[i * d + t];
    /* Restarts run in parallel, one workspace per thread, when there are several; a single start
     * is parallel over chunks of points instead. Either way the arithmetic is the same. */
    int teams = omp_in_parallel() ? 1 : rcc_compute_threads();
    teams = teams > cfg->restarts ? cfg->restarts : teams < 1 ? 1 : teams;
    km_ws *w = calloc((size_t)teams, sizeof *w);
    double *best_c = calloc((size_t)teams * k * d, sizeof *best_c), *best_obj = malloc((size_t)teams * sizeof(double));
    int *best_rs = malloc((size_t)teams * sizeof(int)), *best_it = malloc((size_t)teams * sizeof(int));
    int *best_a = assign ? malloc((size_t)teams * n * sizeof *best_a) : NULL;
    rcc_status st = RCC_OK;
    if (!w || !best_c || !best_obj || !best_rs || !best_it || (assign && !best_a))
        st = rcc_fail(RCC_ERR_NOMEM, "k-means: result buffers");
    int made = 0;
    while (st == RCC_OK && made < teams) {
        st = km_alloc(&w[made], data, xt, n, d, k, sph);
        if (st != RCC_OK)
            break;
        w[made].par = teams == 1;
        best_obj[made] = INFINITY;
        best_rs[made] = -1;
        made++;
    }
    double tol_abs = cfg->tol * mean_variance(data, n, d);
    if (st == RCC_OK) {
#pragma omp parallel for schedule(dynamic, 1) num_threads(teams) if (teams > 1)
        for (int rs = 0; rs < cfg->restarts; rs++) {
            int tm = teams > 1 ? omp_get_thread_num() : 0, it;
            km_ws *wt = &w[tm];
            double obj = km_run(wt, cfg, rs, tol_abs, &it);
            /* lowest objective, then lowest restart index: independent of who ran what */
            if (obj < best_obj[tm] || (obj == best_obj[tm] && rs < best_rs[tm])) {
                best_obj[tm] = obj;
                best_rs[tm] = rs;
                best_it[tm] = it;
                memcpy(best_c + (size_t)tm * k * d, wt->c, (size_t)k * d * sizeof *best_c);
                if (assign)
                    memcpy(best_a + (size_t)tm * n, wt->a, n * sizeof *best_a);
            }
        }
        int b = -1;
        rcc_kmeans_result r = {0};
        for (int tm = 0; tm < teams; tm++) {
            r.empty_fixed += w[tm].empty_fixed;
            if (best_rs[tm] >= 0 &&
                (b < 0 || best_obj[tm] < best_obj[b] || (best_obj[tm] == best_obj[b] && best_rs[tm] < best_rs[b])))
                b = tm;
        }
        if (b < 0 || !isfinite(best_obj[b])) {
            st = rcc_fail(RCC_ERR_NUMERIC, "k-means: objective is not finite");
        } else {
            r.objective = best_obj[b];
            r.iters = best_it[b];
            r.best_restart = best_rs[b];
            for (size_t q = 0; q < (size_t)k * d; q++)
                centers[q] = (float)best_c[(size_t)b * k * d + q];
            if (assign)
                memcpy(assign, best_a + (size_t)b * n, n * sizeof *assign);
            if (res)
                *res = r;
        }
    }
    for (int tm = 0; tm < made; tm++)
        km_free(&w[tm]);
    free(w), free(best_c), free(best_obj), free(best_rs), free(best_it), free(best_a), free(xs), free(xt);
    return st;
}
