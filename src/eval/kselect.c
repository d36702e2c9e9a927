/* kselect.c — choosing the number of clusters: a k-means sweep k = 1..kmax, the kneedle elbow of
 * the WCSS curve, the silhouette (on a seeded subsample), Calinski–Harabasz, and the rule that
 * combines them (docs/evaluation.md gives the evidence for the rule). */
#include "rcc_eval.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "compute.h"
#include "dnn.h"
#include "rng.h"
#include "util.h"
#include "vec.h"

/* ---------------------------------------------------------------- silhouette */

static bool rows_unit_norm(const float *x, size_t n, int d)
{
    for (size_t i = 0; i < n; i++)
        if (fabs(sqrt(rcc_sum_sq(x + i * d, d)) - 1) > 1e-3)
            return false;
    return true;
}

/* m distinct indices in increasing order, chosen by a seeded partial Fisher–Yates shuffle. */
static size_t *sample_indices(size_t n, size_t m, uint64_t seed)
{
    size_t *idx = malloc(n * sizeof *idx);
    if (!idx)
        return NULL;
    rcc_rng_sample_prefix(idx, n, m, seed, 0x5111);
    if (m < n) {
        /* sort the chosen m (counting pass over a mark array) */
        char *mark = calloc(n, 1);
        if (!mark) {
            free(idx);
            return NULL;
        }
        for (size_t i = 0; i < m; i++)
            mark[idx[i]] = 1;
        size_t q = 0;
        for (size_t i = 0; i < n; i++)
            if (mark[i])
                idx[q++] = i;
        free(mark);
    }
    return idx;
}

/* Silhouette over the points idx[0..m): y holds those points (m×d, unit rows when cosine). */
static double silhouette_rows(const float *y, size_t m, int d, const int *lab, int k, bool cosine)
{
    int64_t *cnt = calloc((size_t)k, sizeof *cnt);
    double *s = malloc(m * sizeof *s);
    if (!cnt || !s) {
        free(cnt), free(s);
        return NAN;
    }
    for (size_t i = 0; i < m; i++)
        cnt[lab[i]]++;
    int present = 0;
    for (int j = 0; j < k; j++)
        present += cnt[j] > 0;
    if (present < 2) {
        free(cnt), free(s);
        return NAN;
    }
    bool fail = false;
#pragma omp parallel num_threads(rcc_compute_threads())
    {
        double *acc = malloc((size_t)k * sizeof *acc);
        if (!acc) {
#pragma omp atomic write
            fail = true;
        }
#pragma omp for schedule(dynamic, 16)
        for (size_t i = 0; i < m; i++) {
            if (!acc)
                continue;
            memset(acc, 0, (size_t)k * sizeof *acc);
            const float *yi = y + i * d;
            for (size_t j = 0; j < m; j++) {
                if (j == i)
                    continue; /* self-distance 0 (also for cosine, as scikit-learn sets it) */
                const float *yj = y + j * d;
                double e = 0;
                if (cosine) {
                    for (int t = 0; t < d; t++)
                        e += (double)yi[t] * yj[t];
                    e = 1 - e;
                    e = e < 0 ? 0 : e > 2 ? 2 : e;
                } else {
                    for (int t = 0; t < d; t++) {
                        double v = (double)yi[t] - yj[t];
                        e += v * v;
                    }
                    e = sqrt(e);
                }
                acc[lab[j]] += e;
            }
            int own = lab[i];
            if (cnt[own] <= 1) {
                s[i] = 0;
                continue;
            }
            double a = acc[own] / (double)(cnt[own] - 1), b = INFINITY;
            for (int c = 0; c < k; c++)
                if (c != own && cnt[c] > 0 && acc[c] / (double)cnt[c] < b)
                    b = acc[c] / (double)cnt[c];
            double mx = a > b ? a : b;
            s[i] = mx > 0 ? (b - a) / mx : 0;
        }
        free(acc);
    }
    double tot = 0;
    for (size_t i = 0; i < m; i++)
        tot += s[i];
    free(cnt), free(s);
    return fail ? NAN : tot / (double)m;
}

static rcc_status silhouette_prepare(const float *x, int d, const size_t *idx, size_t m, bool cosine, float **out)
{
    float *y = malloc(m * (size_t)d * sizeof *y);
    if (!y)
        return rcc_fail(RCC_ERR_NOMEM, "silhouette: %zu x %d", m, d);
    if (cosine)
        rcc_unit_rows(x, idx, m, d, y);
    else
        for (size_t i = 0; i < m; i++)
            memcpy(y + i * d, x + idx[i] * d, (size_t)d * sizeof *y);
    *out = y;
    return RCC_OK;
}

rcc_status rcc_silhouette(const float *x, size_t n, int d, const int *labels, int k, rcc_distance dist,
                          size_t sample, uint64_t seed, double *score)
{
    *score = NAN;
    if (n < 2 || k < 1 || d < 1)
        return rcc_fail(RCC_ERR_ARG, "silhouette: need n >= 2, k >= 1, d >= 1");
    for (size_t i = 0; i < n; i++)
        if (labels[i] < 0 || labels[i] >= k)
            return rcc_fail(RCC_ERR_ARG, "silhouette: label %d at %zu is outside [0, %d)", labels[i], i, k);
    bool cosine = dist == RCC_DIST_COSINE || (dist == RCC_DIST_AUTO && rows_unit_norm(x, n, d));
    size_t m = sample == 0 || sample >= n ? n : sample;
    size_t *idx = sample_indices(n, m, seed);
    int *lab = malloc(m * sizeof *lab);
    float *y = NULL;
    rcc_status st = idx && lab ? silhouette_prepare(x, d, idx, m, cosine, &y)
                               : rcc_fail(RCC_ERR_NOMEM, "silhouette: sample of %zu", m);
    if (st == RCC_OK) {
        for (size_t i = 0; i < m; i++)
            lab[i] = labels[idx[i]];
        rcc_compute_saved saved;
        rcc_compute_enter(0, &saved);
        *score = silhouette_rows(y, m, d, lab, k, cosine);
        rcc_compute_leave(&saved);
    }
    free(idx), free(lab), free(y);
    return st;
}

rcc_status rcc_calinski_harabasz(const float *x, size_t n, int d, const int *labels, int k, double *score)
{
    *score = NAN;
    if (n < 1 || k < 1 || d < 1)
        return rcc_fail(RCC_ERR_ARG, "calinski-harabasz: need n, k, d >= 1");
    double *mean = calloc((size_t)d, sizeof *mean), *cm = calloc((size_t)k * d, sizeof *cm);
    int64_t *cnt = calloc((size_t)k, sizeof *cnt);
    if (!mean || !cm || !cnt) {
        free(mean), free(cm), free(cnt);
        return rcc_fail(RCC_ERR_NOMEM, "calinski-harabasz: k = %d", k);
    }
    rcc_status st = RCC_OK;
    for (size_t i = 0; i < n && st == RCC_OK; i++) {
        int c = labels[i];
        if (c < 0 || c >= k) {
            st = rcc_fail(RCC_ERR_ARG, "calinski-harabasz: label %d at %zu is outside [0, %d)", c, i, k);
            break;
        }
        cnt[c]++;
        for (int t = 0; t < d; t++) {
            mean[t] += x[i * d + t];
            cm[(size_t)c * d + t] += x[i * d + t];
        }
    }
    if (st == RCC_OK) {
        int present = 0;
        for (int t = 0; t < d; t++)
            mean[t] /= (double)n;
        for (int c = 0; c < k; c++)
            if (cnt[c]) {
                present++;
                for (int t = 0; t < d; t++)
                    cm[(size_t)c * d + t] /= (double)cnt[c];
            }
        double extra = 0, intra = 0;
        for (int c = 0; c < k; c++)
            for (int t = 0; t < d && cnt[c]; t++) {
                double e = cm[(size_t)c * d + t] - mean[t];
                extra += (double)cnt[c] * e * e;
            }
        for (size_t i = 0; i < n; i++)
            for (int t = 0; t < d; t++) {
                double e = x[i * d + t] - cm[(size_t)labels[i] * d + t];
                intra += e * e;
            }
        if (present >= 2)
            *score = intra == 0 ? 1.0 : extra * (double)(n - (size_t)present) / (intra * (double)(present - 1));
    }
    free(mean), free(cm), free(cnt);
    return st;
}

/* ---------------------------------------------------------------- kneedle */

int rcc_kneedle(const double *y, int m, int first, double *strength)
{
    if (strength)
        *strength = 0;
    if (m < 3)
        return first;
    double lo = y[0], hi = y[0];
    for (int i = 1; i < m; i++) {
        lo = y[i] < lo ? y[i] : lo;
        hi = y[i] > hi ? y[i] : hi;
    }
    if (!(hi > lo))
        return first;
    int best = 0;
    double bd = 0;
    for (int i = 0; i < m; i++) {
        double xn = (double)i / (m - 1), yn = (y[i] - lo) / (hi - lo);
        double diff = (1 - xn) - yn; /* chord of a decreasing curve minus the curve */
        if (diff > bd + 1e-9) { /* ignore rounding on a straight line */
            bd = diff;
            best = i;
        }
    }
    if (strength)
        *strength = bd;
    return first + best;
}

/* ---------------------------------------------------------------- the sweep */

void rcc_kselect_config_default(rcc_kselect_config *c)
{
    memset(c, 0, sizeof *c);
    c->kmax = 30;
    c->restarts = 10;
    c->max_iter = 300;
    c->tol = 1e-4;
    c->seed = 0;
    c->metric = RCC_KMEANS_EUCLIDEAN;
    c->silhouette_dist = RCC_DIST_AUTO;
    c->silhouette_sample = 2000;
}

void rcc_kselect_result_free(rcc_kselect_result *res)
{
    free(res->wcss), free(res->silhouette), free(res->ch), free(res->iters);
    res->wcss = res->silhouette = res->ch = NULL;
    res->iters = NULL;
}

/* The choice rule; see rcc_kselect in rcc_eval.h and docs/evaluation.md. */
static void choose(rcc_kselect_result *r)
{
    int kmax = r->kmax;
    r->best_silhouette = r->best_ch = 0;
    double smax = -INFINITY, cmax = -INFINITY;
    for (int k = 2; k <= kmax; k++) {
        if (isfinite(r->silhouette[k]) && r->silhouette[k] > smax) {
            smax = r->silhouette[k];
            r->best_silhouette = k;
        }
        if (isfinite(r->ch[k]) && r->ch[k] > cmax) {
            cmax = r->ch[k];
            r->best_ch = k;
        }
    }
    int e = r->elbow, s = r->best_silhouette, c = r->best_ch, len;
    if (!s) { /* kmax = 1, or no silhouette defined */
        r->chosen = e;
        r->weak = true;
        snprintf(r->rule, sizeof r->rule, "kneedle elbow (no silhouette available)");
        return;
    }
    r->weak = smax < 0.5;
    /* the median of the three picks: with two in agreement, their k */
    int lo = e < s ? e : s, hi = e < s ? s : e;
    r->chosen = c < lo ? lo : c > hi ? hi : c;
    if (e == s && e == c)
        len = snprintf(r->rule, sizeof r->rule, "elbow, silhouette and Calinski-Harabasz all give k=%d", e);
    else if (e == s || e == c || s == c)
        len = snprintf(r->rule, sizeof r->rule, "median of the three picks: %s agree on k=%d (elbow %d, silhouette %d, "
                       "Calinski-Harabasz %d)",
                       e == s ? "elbow and silhouette" : e == c ? "elbow and Calinski-Harabasz"
                                                               : "silhouette and Calinski-Harabasz",
                       r->chosen, e, s, c);
    else
        len = snprintf(r->rule, sizeof r->rule,
                       "median of the three picks, which all differ (elbow %d, silhouette %d, Calinski-Harabasz %d)", e,
                       s, c);
    if (r->weak && len > 0 && (size_t)len < sizeof r->rule)
        snprintf(r->rule + len, sizeof r->rule - (size_t)len, "; weak structure (best silhouette %.2f < 0.5)", smax);
}

static rcc_status kselect(const float *x, size_t n, int d, const rcc_kselect_config *cfg, rcc_kselect_result *res);

rcc_status rcc_kselect(const float *x, size_t n, int d, const rcc_kselect_config *cfg, rcc_kselect_result *res)
{
    rcc_compute_saved saved;
    rcc_compute_enter(0, &saved);
    rcc_status st = kselect(x, n, d, cfg, res);
    rcc_compute_leave(&saved);
    return st;
}

static rcc_status kselect(const float *x, size_t n, int d, const rcc_kselect_config *cfg, rcc_kselect_result *res)
{
    memset(res, 0, sizeof *res);
    if (cfg->kmax < 1 || d < 1 || n < 2)
        return rcc_fail(RCC_ERR_ARG, "kselect: need kmax >= 1, d >= 1 and n >= 2 (kmax = %d, d = %d, n = %zu)",
                        cfg->kmax, d, n);
    if (cfg->silhouette_sample < 0)
        return rcc_fail(RCC_ERR_ARG, "kselect: need silhouette_sample >= 0");
    double t0 = rcc_now();
    int kmax = (size_t)cfg->kmax > n ? (int)n : cfg->kmax;
    res->kmax = kmax;
    res->metric = cfg->metric;
    size_t kk = (size_t)kmax + 1;
    res->wcss = malloc(kk * sizeof(double));
    res->silhouette = malloc(kk * sizeof(double));
    res->ch = malloc(kk * sizeof(double));
    res->iters = calloc(kk, sizeof(int));
    bool cosine = cfg->silhouette_dist == RCC_DIST_COSINE ||
                  (cfg->silhouette_dist == RCC_DIST_AUTO &&
                   (cfg->metric == RCC_KMEANS_SPHERICAL || rows_unit_norm(x, n, d)));
    res->silhouette_dist = cosine ? RCC_DIST_COSINE : RCC_DIST_EUCLIDEAN;
    size_t m = cfg->silhouette_sample == 0 || (size_t)cfg->silhouette_sample >= n ? n : (size_t)cfg->silhouette_sample;
    size_t *idx = sample_indices(n, m, cfg->seed);
    int *assign = malloc(n * sizeof *assign), *lab = malloc(m * sizeof *lab);
    float *centers = malloc((size_t)kmax * d * sizeof *centers), *y = NULL;
    rcc_status st = RCC_OK;
    if (!res->wcss || !res->silhouette || !res->ch || !res->iters || !idx || !assign || !lab || !centers)
        st = rcc_fail(RCC_ERR_NOMEM, "kselect: buffers for n = %zu, kmax = %d", n, kmax);
    if (st == RCC_OK)
        st = silhouette_prepare(x, d, idx, m, cosine, &y);
    for (int k = 1; k <= kmax && st == RCC_OK; k++) {
        rcc_kmeans_config kc;
        rcc_kmeans_config_default(&kc, k);
        kc.restarts = cfg->restarts;
        kc.max_iter = cfg->max_iter;
        kc.tol = cfg->tol;
        kc.seed = cfg->seed;
        kc.metric = cfg->metric;
        rcc_kmeans_result kr;
        st = rcc_kmeans(x, n, d, &kc, centers, assign, &kr);
        if (st != RCC_OK)
            break;
        res->wcss[k] = kr.objective;
        res->iters[k] = kr.iters;
        res->silhouette[k] = res->ch[k] = NAN;
        if (k >= 2) {
            for (size_t i = 0; i < m; i++)
                lab[i] = assign[idx[i]];
            res->silhouette[k] = silhouette_rows(y, m, d, lab, k, cosine);
            st = rcc_calinski_harabasz(x, n, d, assign, k, &res->ch[k]);
        }
    }
    if (st == RCC_OK) {
        res->wcss[0] = res->silhouette[0] = res->ch[0] = NAN;
        res->elbow = rcc_kneedle(res->wcss + 1, kmax, 1, &res->elbow_strength);
        choose(res);
        res->seconds = rcc_now() - t0;
    } else {
        rcc_kselect_result_free(res);
    }
    free(idx), free(assign), free(lab), free(centers), free(y);
    return st;
}
