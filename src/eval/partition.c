/* partition.c — clusters of any size from features: spherical k-means into many fine clusters,
 * then merged along the k-nearest-neighbour graph (docs/imbalance.md §5).
 *
 * The cluster head hands out equal shares; the features it reads know better. k-means into
 * fine ≫ K clusters cuts every class into pieces small enough to be pure, whatever the class sizes;
 * the pieces of one class are then joined because their images are each other's neighbours:
 * S_AB counts the graph's edges between groups A and B, and the pair with the largest
 * S_AB / √(S_AA·S_BB) is joined until K groups remain. */
#include "partition.h"

#include <math.h>
#include <oneapi/dnnl/dnnl.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>
#include "compute.h"
#include "util.h"

#define KNN_ROWS 512 /* rows of the similarity block computed at once */

void rcc_partition_config_default(rcc_partition_config *c)
{
    c->fine = 100;
    c->knn = 10;
    c->runs = 5;
    c->restarts = 1;
    c->max_iter = 100;
    c->seed = 0;
    c->threads = 0;
}

rcc_status rcc_centre_normalise(const float *x, int n, int d, float *out)
{
    double *mean = calloc((size_t)d, sizeof *mean);
    if (!mean)
        return rcc_fail(RCC_ERR_NOMEM, "partition: the mean of %d values", d);
    for (int i = 0; i < n; i++)
        for (int j = 0; j < d; j++)
            mean[j] += x[(size_t)i * d + j];
    for (int j = 0; j < d; j++)
        mean[j] /= n;
    for (int i = 0; i < n; i++) {
        double s = 0;
        for (int j = 0; j < d; j++) {
            double v = x[(size_t)i * d + j] - mean[j];
            out[(size_t)i * d + j] = (float)v;
            s += v * v;
        }
        float inv = s > 0 ? (float)(1.0 / sqrt(s)) : 0.0f;
        for (int j = 0; j < d; j++)
            out[(size_t)i * d + j] *= inv;
    }
    free(mean);
    return RCC_OK;
}

rcc_status rcc_knn_cosine(const float *x, int n, int d, int k, int *nn)
{
    if (n < 2 || k < 1 || k >= n || d < 1)
        return rcc_fail(RCC_ERR_ARG, "knn: %d neighbours of %d points", k, n);
    float *sim = malloc(sizeof(float) * (size_t)KNN_ROWS * (size_t)n);
    if (!sim)
        return rcc_fail(RCC_ERR_NOMEM, "knn: %d x %d similarities", KNN_ROWS, n);
    rcc_status st = RCC_OK;
    for (int r0 = 0; r0 < n && st == RCC_OK; r0 += KNN_ROWS) {
        int rows = n - r0 < KNN_ROWS ? n - r0 : KNN_ROWS;
        if (dnnl_sgemm('N', 'T', rows, n, d, 1.0f, x + (size_t)r0 * d, d, x, d, 0.0f, sim, n) != dnnl_success) {
            st = rcc_fail(RCC_ERR_BACKEND, "knn: sgemm failed");
            break;
        }
#pragma omp parallel for schedule(static) num_threads(rcc_compute_threads())
        for (int r = 0; r < rows; r++) {
            const float *s = sim + (size_t)r * n;
            int *out = nn + (size_t)(r0 + r) * k, have = 0;
            for (int j = 0; j < n; j++) { /* insertion into the k best so far, best first; ties: lower index */
                if (j == r0 + r || (have == k && s[j] <= s[out[k - 1]]))
                    continue;
                int p = have < k ? have++ : k - 1;
                while (p > 0 && s[out[p - 1]] < s[j]) {
                    out[p] = out[p - 1];
                    p--;
                }
                out[p] = j;
            }
        }
    }
    free(sim);
    return st;
}

rcc_status rcc_partition_merge(const double *S, int fine, int k, int *group)
{
    if (k < 1 || fine < k)
        return rcc_fail(RCC_ERR_ARG, "merge: %d fine clusters into %d", fine, k);
    double *G = malloc(sizeof(double) * (size_t)fine * (size_t)fine);
    int *ord = malloc(sizeof(int) * (size_t)fine);
    if (!G || !ord) {
        free(G), free(ord);
        return rcc_fail(RCC_ERR_NOMEM, "merge: %d fine clusters", fine);
    }
    memcpy(G, S, sizeof(double) * (size_t)fine * (size_t)fine);
    int m = fine;
    for (int i = 0; i < fine; i++)
        ord[i] = i, group[i] = i;
    while (m > k) {
        int bi = 0, bj = 1;
        double best = -1;
        for (int i = 0; i < m; i++)
            for (int j = i + 1; j < m; j++) {
                int a = ord[i], b = ord[j];
                double den = sqrt(G[(size_t)a * fine + a] * G[(size_t)b * fine + b]);
                double v = G[(size_t)a * fine + b] / (den > 1e-9 ? den : 1e-9);
                if (v > best)
                    best = v, bi = i, bj = j;
            }
        int a = ord[bi], b = ord[bj];
        double diag = G[(size_t)a * fine + a] + G[(size_t)b * fine + b] + G[(size_t)a * fine + b] + G[(size_t)b * fine + a];
        for (int x = 0; x < fine; x++) {
            double v = G[(size_t)a * fine + x] + G[(size_t)b * fine + x];
            G[(size_t)a * fine + x] = G[(size_t)x * fine + a] = v;
        }
        G[(size_t)a * fine + a] = diag;
        for (int f = 0; f < fine; f++)
            if (group[f] == b)
                group[f] = a;
        memmove(ord + bj, ord + bj + 1, sizeof(int) * (size_t)(m - bj - 1));
        m--;
    }
    int *label = malloc(sizeof(int) * (size_t)fine);
    if (label) {
        for (int i = 0; i < m; i++)
            label[ord[i]] = i;
        for (int f = 0; f < fine; f++)
            group[f] = label[group[f]];
    }
    free(label), free(G), free(ord);
    return label ? RCC_OK : rcc_fail(RCC_ERR_NOMEM, "merge labels");
}

/* One candidate: k-means with `seed`, then the merge; labels[n] (out). */
static rcc_status candidate(const float *u, int n, int d, int k, int fine, const int *nn, int knn,
                            const rcc_partition_config *c, uint64_t seed, int *labels, int *fine_of, double *S,
                            int *group, float *centres)
{
    rcc_kmeans_config kc;
    rcc_kmeans_config_default(&kc, fine);
    kc.metric = RCC_KMEANS_SPHERICAL;
    kc.restarts = c->restarts;
    kc.max_iter = c->max_iter;
    kc.seed = seed;
    RCC_TRY(rcc_kmeans(u, (size_t)n, d, &kc, centres, fine_of, NULL));
    memset(S, 0, sizeof(double) * (size_t)fine * (size_t)fine);
    for (int i = 0; i < n; i++)
        for (int j = 0; j < knn; j++) {
            int a = fine_of[i], b = fine_of[nn[(size_t)i * knn + j]];
            S[(size_t)a * fine + b] += 1;
            S[(size_t)b * fine + a] += 1;
        }
    RCC_TRY(rcc_partition_merge(S, fine, k, group));
    for (int i = 0; i < n; i++)
        labels[i] = group[fine_of[i]];
    return RCC_OK;
}

/* ARI between two labellings of n points into k clusters. */
static double agreement(const int *a, const int *b, int n, int k, int64_t *table)
{
    memset(table, 0, sizeof(int64_t) * (size_t)k * (size_t)k);
    for (int i = 0; i < n; i++)
        table[(size_t)a[i] * k + b[i]]++;
    return rcc_ari(table, k, k);
}

static rcc_status partition(const float *x, int n, int d, int k, const rcc_partition_config *c, int *cluster,
                            float *confidence, float *u, int *nn, int *fine_of, double *S, int *group, float *centres,
                            int *labels, int64_t *table)
{
    int fine = c->fine < n ? c->fine : n, knn = c->knn < n - 1 ? c->knn : n - 1;
    RCC_TRY(rcc_centre_normalise(x, n, d, u));
    RCC_TRY(rcc_knn_cosine(u, n, d, knn, nn));
    for (int r = 0; r < c->runs; r++)
        RCC_TRY(candidate(u, n, d, k, fine, nn, knn, c, c->seed + (uint64_t)r, labels + (size_t)r * n, fine_of, S,
                          group, centres));
    /* the candidate that agrees best with the others: one unlucky merge is outvoted */
    int best = 0;
    double best_sum = -INFINITY;
    for (int r = 0; r < c->runs; r++) {
        double sum = 0;
        for (int q = 0; q < c->runs; q++)
            if (q != r)
                sum += agreement(labels + (size_t)r * n, labels + (size_t)q * n, n, k, table);
        if (sum > best_sum)
            best_sum = sum, best = r;
    }
    memcpy(cluster, labels + (size_t)best * n, sizeof(int) * (size_t)n);
    for (int i = 0; confidence && i < n; i++) {
        int same = 0;
        for (int j = 0; j < knn; j++)
            same += cluster[nn[(size_t)i * knn + j]] == cluster[i];
        confidence[i] = (float)same / (float)knn;
    }
    return RCC_OK;
}

rcc_status rcc_partition(const float *x, int n, int d, int k, const rcc_partition_config *c, int *cluster,
                         float *confidence)
{
    if (!x || !cluster || n < 2 || d < 1 || k < 1)
        return rcc_fail(RCC_ERR_ARG, "partition: %d points of %d values into %d clusters", n, d, k);
    if (c->knn < 1 || c->runs < 1 || c->restarts < 1 || c->max_iter < 1 || c->threads < 0)
        return rcc_fail(RCC_ERR_ARG, "partition: knn %d, runs %d, restarts %d, max_iter %d must be positive, "
                        "threads %d not negative", c->knn, c->runs, c->restarts, c->max_iter, c->threads);
    int fine = c->fine < n ? c->fine : n;
    if (fine < k)
        return rcc_fail(RCC_ERR_ARG, "partition: %d fine clusters cannot make %d (fine must be at least K, and at "
                                     "most the number of points)", fine, k);
    int knn = c->knn < n - 1 ? c->knn : n - 1;
    float *u = malloc(sizeof(float) * (size_t)n * (size_t)d);
    int *nn = malloc(sizeof(int) * (size_t)n * (size_t)knn), *fine_of = malloc(sizeof(int) * (size_t)n);
    double *S = malloc(sizeof(double) * (size_t)fine * (size_t)fine);
    int *group = malloc(sizeof(int) * (size_t)fine);
    float *centres = malloc(sizeof(float) * (size_t)fine * (size_t)d);
    int *labels = malloc(sizeof(int) * (size_t)n * (size_t)c->runs);
    int64_t *table = malloc(sizeof(int64_t) * (size_t)k * (size_t)k);
    rcc_compute_saved saved;
    rcc_compute_enter(c->threads, &saved);
    rcc_status st = u && nn && fine_of && S && group && centres && labels && table
                        ? partition(x, n, d, k, c, cluster, confidence, u, nn, fine_of, S, group, centres, labels, table)
                        : rcc_fail(RCC_ERR_NOMEM, "partition of %d points", n);
    rcc_compute_leave(&saved);
    free(u), free(nn), free(fine_of), free(S), free(group), free(centres), free(labels), free(table);
    return st;
}
