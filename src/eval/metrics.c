/* metrics.c — scores of a clustering against labels (Hungarian ACC, NMI, ARI on the contingency
 * table) and statistics of an assignment without labels. Formulas and edge cases follow
 * scikit-learn 1.2 so the numbers agree with what Python users report. */
#include "rcc_eval.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "util.h"

int rcc_label_range(const int *x, size_t n)
{
    int m = -1;
    for (size_t i = 0; i < n; i++) {
        if (x[i] < 0)
            return -1;
        if (x[i] > m)
            m = x[i];
    }
    return m + 1;
}

rcc_status rcc_contingency(const int *pred, const int *labels, size_t n, int k, int c, int64_t *table)
{
    if (k < 1 || c < 1)
        return rcc_fail(RCC_ERR_ARG, "contingency: need k >= 1 and c >= 1 (got %d, %d)", k, c);
    memset(table, 0, (size_t)k * (size_t)c * sizeof *table);
    for (size_t t = 0; t < n; t++) {
        if (pred[t] < 0 || pred[t] >= k)
            return rcc_fail(RCC_ERR_ARG, "contingency: cluster id %d at %zu is outside [0, %d)", pred[t], t, k);
        if (labels[t] < 0 || labels[t] >= c)
            return rcc_fail(RCC_ERR_ARG, "contingency: label %d at %zu is outside [0, %d)", labels[t], t, c);
        table[(size_t)pred[t] * c + labels[t]]++;
    }
    return RCC_OK;
}

/* Shortest-augmenting-path Hungarian algorithm with potentials (Kuhn–Munkres) for an n×m cost
 * matrix with n ≤ m, minimising; O(n²m). row_to_col[i] receives the column of row i. */
static rcc_status hungarian_min(const double *cost, int n, int m, bool transposed, int ld, int *row_to_col)
{
    size_t n1 = (size_t)n + 1, m1 = (size_t)m + 1;
    double *u = calloc(n1, sizeof *u), *v = calloc(m1, sizeof *v), *minv = malloc(m1 * sizeof *minv);
    int *p = calloc(m1, sizeof *p), *way = calloc(m1, sizeof *way);
    char *used = malloc(m1);
    if (!u || !v || !minv || !p || !way || !used) {
        free(u), free(v), free(minv), free(p), free(way), free(used);
        return rcc_fail(RCC_ERR_NOMEM, "hungarian: %d x %d", n, m);
    }
    /* cost of (row i, column j), 1-based */
#define COST(i, j) (transposed ? cost[(size_t)((j)-1) * ld + ((i)-1)] : cost[(size_t)((i)-1) * ld + ((j)-1)])
    for (int i = 1; i <= n; i++) {
        p[0] = i;
        int j0 = 0;
        for (int j = 0; j <= m; j++) {
            minv[j] = INFINITY;
            used[j] = 0;
        }
        do {
            used[j0] = 1;
            int i0 = p[j0], j1 = 0;
            double delta = INFINITY;
            for (int j = 1; j <= m; j++) {
                if (used[j])
                    continue;
                double cur = COST(i0, j) - u[i0] - v[j];
                if (cur < minv[j]) {
                    minv[j] = cur;
                    way[j] = j0;
                }
                if (minv[j] < delta) {
                    delta = minv[j];
                    j1 = j;
                }
            }
            for (int j = 0; j <= m; j++) {
                if (used[j]) {
                    u[p[j]] += delta;
                    v[j] -= delta;
                } else {
                    minv[j] -= delta;
                }
            }
            j0 = j1;
        } while (p[j0] != 0);
        do {
            int j1 = way[j0];
            p[j0] = p[j1];
            j0 = j1;
        } while (j0);
    }
#undef COST
    for (int i = 0; i < n; i++)
        row_to_col[i] = -1;
    for (int j = 1; j <= m; j++)
        if (p[j] >= 1)
            row_to_col[p[j] - 1] = j - 1;
    free(u), free(v), free(minv), free(p), free(way), free(used);
    return RCC_OK;
}

rcc_status rcc_hungarian_max(const double *w, int rows, int cols, int *row_to_col)
{
    if (rows < 1 || cols < 1)
        return rcc_fail(RCC_ERR_ARG, "hungarian: empty matrix (%d x %d)", rows, cols);
    size_t nm = (size_t)rows * cols;
    double *cost = malloc(nm * sizeof *cost);
    if (!cost)
        return rcc_fail(RCC_ERR_NOMEM, "hungarian: %d x %d", rows, cols);
    for (size_t q = 0; q < nm; q++)
        cost[q] = -w[q];
    rcc_status st;
    if (rows <= cols) {
        st = hungarian_min(cost, rows, cols, false, cols, row_to_col);
    } else { /* match the columns (the smaller side) to rows, then invert */
        int *col_to_row = malloc((size_t)cols * sizeof *col_to_row);
        st = col_to_row ? hungarian_min(cost, cols, rows, true, cols, col_to_row)
                        : rcc_fail(RCC_ERR_NOMEM, "hungarian: %d x %d", rows, cols);
        if (st == RCC_OK) {
            for (int i = 0; i < rows; i++)
                row_to_col[i] = -1;
            for (int j = 0; j < cols; j++)
                if (col_to_row[j] >= 0)
                    row_to_col[col_to_row[j]] = j;
        }
        free(col_to_row);
    }
    free(cost);
    return st;
}

rcc_status rcc_cluster_acc(const int64_t *table, int k, int c, double *acc, int *cluster_to_class)
{
    size_t kc = (size_t)k * (size_t)c;
    double *w = malloc(kc * sizeof *w);
    int *map = malloc((size_t)k * sizeof *map);
    if (!w || !map) {
        free(w), free(map);
        return rcc_fail(RCC_ERR_NOMEM, "cluster acc: %d x %d", k, c);
    }
    int64_t total = 0;
    for (size_t i = 0; i < kc; i++) {
        w[i] = (double)table[i];
        total += table[i];
    }
    rcc_status s = rcc_hungarian_max(w, k, c, map);
    if (s == RCC_OK) {
        int64_t hit = 0;
        for (int i = 0; i < k; i++)
            if (map[i] >= 0)
                hit += table[(size_t)i * c + map[i]];
        *acc = total ? (double)hit / (double)total : 0.0;
        if (cluster_to_class)
            memcpy(cluster_to_class, map, (size_t)k * sizeof *map);
    }
    free(w), free(map);
    return s;
}

/* Row sums (clusters) and column sums (classes) of the table. */
static void margins(const int64_t *table, int k, int c, int64_t *rs, int64_t *cs, int64_t *total)
{
    memset(rs, 0, (size_t)k * sizeof *rs);
    memset(cs, 0, (size_t)c * sizeof *cs);
    *total = 0;
    for (int i = 0; i < k; i++)
        for (int j = 0; j < c; j++) {
            int64_t v = table[(size_t)i * c + j];
            rs[i] += v;
            cs[j] += v;
            *total += v;
        }
}

static double entropy_of(const int64_t *counts, int m, int64_t total)
{
    double h = 0, lt = log((double)total);
    for (int i = 0; i < m; i++)
        if (counts[i] > 0)
            h -= (double)counts[i] / (double)total * (log((double)counts[i]) - lt);
    return h;
}

static int count_nonzero(const int64_t *x, int m)
{
    int nz = 0;
    for (int i = 0; i < m; i++)
        nz += x[i] > 0;
    return nz;
}

double rcc_nmi(const int64_t *table, int k, int c)
{
    int64_t *rs = malloc((size_t)k * sizeof *rs), *cs = malloc((size_t)c * sizeof *cs), n;
    if (!rs || !cs) {
        free(rs), free(cs);
        return NAN;
    }
    margins(table, k, c, rs, cs, &n);
    int ku = count_nonzero(rs, k), cu = count_nonzero(cs, c);
    double nmi;
    if ((ku == 1 && cu == 1) || n == 0) {
        nmi = 1.0; /* both labellings trivial: a perfect match by convention */
    } else {
        double mi = 0;
        if (ku > 1 && cu > 1) {
            double ln = log((double)n);
            for (int i = 0; i < k; i++)
                for (int j = 0; j < c; j++) {
                    int64_t v = table[(size_t)i * c + j];
                    if (v == 0)
                        continue;
                    double pv = (double)v / (double)n;
                    double term = pv * (log((double)v) - ln) +
                                  pv * (-log((double)rs[i] * (double)cs[j]) + 2 * ln);
                    if (fabs(term) >= DBL_EPSILON)
                        mi += term;
                }
            if (mi < 0)
                mi = 0;
        }
        double norm = 0.5 * (entropy_of(rs, k, n) + entropy_of(cs, c, n));
        if (norm < DBL_EPSILON)
            norm = DBL_EPSILON;
        nmi = mi / norm;
    }
    free(rs), free(cs);
    return nmi;
}

double rcc_ari(const int64_t *table, int k, int c)
{
    int64_t *rs = malloc((size_t)k * sizeof *rs), *cs = malloc((size_t)c * sizeof *cs), n;
    if (!rs || !cs) {
        free(rs), free(cs);
        return NAN;
    }
    margins(table, k, c, rs, cs, &n);
    /* Ordered pair counts, as scikit-learn's pair_confusion_matrix. */
    double sum_sq = 0, rdot = 0, cdot = 0;
    for (int i = 0; i < k; i++)
        for (int j = 0; j < c; j++) {
            double v = (double)table[(size_t)i * c + j];
            sum_sq += v * v;
            rdot += v * (double)rs[i];
            cdot += v * (double)cs[j];
        }
    double nn = (double)n;
    double tp = sum_sq - nn, fp = rdot - sum_sq, fn = cdot - sum_sq;
    double tn = nn * nn - fp - fn - sum_sq;
    free(rs), free(cs);
    if (fn == 0 && fp == 0)
        return 1.0;
    return 2.0 * (tp * tn - fn * fp) / ((tp + fn) * (fn + tn) + (tp + fp) * (fp + tn));
}

static int cmp_int(const void *a, const void *b)
{
    int x = *(const int *)a, y = *(const int *)b;
    return (x > y) - (x < y);
}

/* dense[i] = rank of x[i] among the distinct values of x; returns how many distinct, or −1. */
static int densify(const int *x, size_t n, int *dense)
{
    int *u = malloc(n * sizeof *u);
    if (!u)
        return -1;
    memcpy(u, x, n * sizeof *u);
    qsort(u, n, sizeof *u, cmp_int);
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        if (i == 0 || u[i] != u[m - 1])
            u[m++] = u[i];
    for (size_t i = 0; i < n; i++) {
        size_t lo = 0, hi = m;
        while (hi - lo > 1) {
            size_t mid = (lo + hi) / 2;
            if (u[mid] <= x[i])
                lo = mid;
            else
                hi = mid;
        }
        dense[i] = (int)lo;
    }
    free(u);
    return (int)m;
}

rcc_status rcc_scores_compute(const int *pred, const int *labels, size_t n, rcc_scores *s)
{
    memset(s, 0, sizeof *s);
    if (n == 0)
        return rcc_fail(RCC_ERR_ARG, "scores: no points");
    /* only the ids that occur matter (the scores ignore empty rows and columns and names), so any
     * integers work, however large or sparse */
    int *dp = malloc(n * sizeof *dp), *dl = malloc(n * sizeof *dl);
    int k = dp ? densify(pred, n, dp) : -1, c = dl ? densify(labels, n, dl) : -1;
    int64_t *table = k > 0 && c > 0 ? malloc((size_t)k * (size_t)c * sizeof *table) : NULL;
    rcc_status st = table ? rcc_contingency(dp, dl, n, k, c, table) : rcc_fail(RCC_ERR_NOMEM, "scores: %zu points", n);
    if (st == RCC_OK)
        st = rcc_cluster_acc(table, k, c, &s->acc, NULL);
    if (st == RCC_OK) {
        s->n = n;
        s->k = k;
        s->c = c;
        s->nmi = rcc_nmi(table, k, c);
        s->ari = rcc_ari(table, k, c);
    }
    free(table), free(dp), free(dl);
    return st;
}

rcc_status rcc_assign_stats_compute(const int *pred, size_t n, int k, const float *soft, const float *confidence,
                                    int64_t *sizes, rcc_assign_stats *st)
{
    memset(st, 0, sizeof *st);
    if (k < 1 || n == 0)
        return rcc_fail(RCC_ERR_ARG, "assignment stats: need n >= 1 and k >= 1 (got %zu, %d)", n, k);
    memset(sizes, 0, (size_t)k * sizeof *sizes);
    for (size_t i = 0; i < n; i++) {
        if (pred[i] < 0 || pred[i] >= k)
            return rcc_fail(RCC_ERR_ARG, "assignment stats: cluster id %d at %zu is outside [0, %d)", pred[i], i, k);
        sizes[pred[i]]++;
    }
    st->n = n;
    st->k = k;
    st->nonempty = count_nonzero(sizes, k);
    st->size_entropy = entropy_of(sizes, k, (int64_t)n);
    st->size_entropy_norm = k > 1 ? st->size_entropy / log((double)k) : 0.0;
    st->mean_confidence = NAN;
    st->mean_soft_entropy = NAN;
    if (soft) {
        double conf = 0, ent = 0;
        for (size_t i = 0; i < n; i++) {
            const float *y = soft + i * (size_t)k;
            double mx = 0, h = 0;
            for (int j = 0; j < k; j++) {
                if (y[j] > mx)
                    mx = y[j];
                if (y[j] > 0)
                    h -= (double)y[j] * log((double)y[j]);
            }
            conf += mx;
            ent += h;
        }
        st->mean_confidence = conf / (double)n;
        st->mean_soft_entropy = ent / (double)n;
    } else if (confidence) {
        double conf = 0;
        for (size_t i = 0; i < n; i++)
            conf += confidence[i];
        st->mean_confidence = conf / (double)n;
    }
    return RCC_OK;
}

static int cmp_desc_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x < y) - (x > y);
}

/* Largest over smallest non-zero entry of a sorted (largest first) profile; NaN when all are 0. */
static double profile_ratio(const int64_t *sorted, int m)
{
    int last = m - 1;
    while (last >= 0 && sorted[last] == 0)
        last--;
    return last < 0 ? NAN : (double)sorted[0] / (double)sorted[last];
}

rcc_status rcc_size_profile_compare(const int64_t *pred_sizes, int k, const int64_t *true_sizes, int c,
                                    rcc_size_profile *out, int64_t *sorted_pred, int64_t *sorted_true)
{
    memset(out, 0, sizeof *out);
    if (k < 1 || c < 1)
        return rcc_fail(RCC_ERR_ARG, "size profile: need k >= 1 and c >= 1 (got %d, %d)", k, c);
    int m = k > c ? k : c;
    int64_t *p = calloc((size_t)m, sizeof *p), *q = calloc((size_t)m, sizeof *q);
    if (!p || !q) {
        free(p), free(q);
        return rcc_fail(RCC_ERR_NOMEM, "size profile");
    }
    int64_t np = 0, nq = 0;
    for (int i = 0; i < k; i++) {
        if (pred_sizes[i] < 0) {
            free(p), free(q);
            return rcc_fail(RCC_ERR_ARG, "size profile: negative cluster size at %d", i);
        }
        p[i] = pred_sizes[i], np += p[i];
    }
    for (int i = 0; i < c; i++) {
        if (true_sizes[i] < 0) {
            free(p), free(q);
            return rcc_fail(RCC_ERR_ARG, "size profile: negative class size at %d", i);
        }
        q[i] = true_sizes[i], nq += q[i];
    }
    if (np == 0 || nq == 0) {
        free(p), free(q);
        return rcc_fail(RCC_ERR_ARG, "size profile: no points");
    }
    qsort(p, (size_t)m, sizeof *p, cmp_desc_i64);
    qsort(q, (size_t)m, sizeof *q, cmp_desc_i64);
    out->parts = m;
    out->ratio_pred = profile_ratio(p, m);
    out->ratio_true = profile_ratio(q, m);
    double tv = 0, kl = 0, smooth = (double)np + 0.5 * m;
    for (int r = 0; r < m; r++) {
        double ps = (double)p[r] / (double)np, qs = (double)q[r] / (double)nq;
        tv += fabs(ps - qs);
        if (q[r] > 0)
            kl += qs * log(qs / (((double)p[r] + 0.5) / smooth));
    }
    out->tv = 0.5 * tv;
    out->kl = kl;
    if (sorted_pred)
        memcpy(sorted_pred, p, (size_t)m * sizeof *p);
    if (sorted_true)
        memcpy(sorted_true, q, (size_t)m * sizeof *q);
    free(p), free(q);
    return RCC_OK;
}
