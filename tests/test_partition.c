/* test_partition.c — rcc_partition (clusters of any size) and its steps against plain references:
 * the k-nearest-neighbour graph against a double-precision scan, the greedy merge against a
 * recomputation from member lists (the definition), and the whole on blobs of very unequal sizes. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "eval/partition.h"
#include "rcc_eval.h"
#include "rng.h"
#include "testutil.h"

static rcc_rng rng;

/* Unit rows: n×d, rows of norm 1. */
static void unit_rows(float *x, int n, int d)
{
    for (int i = 0; i < n; i++) {
        double s = 0;
        for (int j = 0; j < d; j++) {
            x[(size_t)i * d + j] = (float)rcc_rng_normal(&rng);
            s += (double)x[(size_t)i * d + j] * x[(size_t)i * d + j];
        }
        for (int j = 0; j < d; j++)
            x[(size_t)i * d + j] = (float)(x[(size_t)i * d + j] / sqrt(s));
    }
}

static void knn_case(int n, int d, int k)
{
    float *x = malloc(sizeof(float) * (size_t)n * d);
    int *nn = malloc(sizeof(int) * (size_t)n * k);
    unit_rows(x, n, d);
    CHECK_OK(rcc_knn_cosine(x, n, d, k, nn));
    int bad = 0;
    for (int i = 0; i < n; i++) {
        /* the reference: every point ranked by its dot product in double */
        double *s = malloc(sizeof(double) * (size_t)n);
        for (int j = 0; j < n; j++) {
            s[j] = 0;
            for (int c = 0; c < d; c++)
                s[j] += (double)x[(size_t)i * d + c] * x[(size_t)j * d + c];
        }
        s[i] = -INFINITY;
        for (int r = 0; r < k; r++) { /* the r-th best by selection */
            int best = -1;
            for (int j = 0; j < n; j++)
                if (s[j] > -INFINITY && (best < 0 || s[j] > s[best]))
                    best = j;
            if (nn[(size_t)i * k + r] != best && fabs(s[nn[(size_t)i * k + r]] - s[best]) > 1e-6)
                bad++;
            s[best] = -INFINITY;
        }
        free(s);
    }
    CHECK(bad == 0, "knn %d of %d points in %d-d: %d neighbours differ from the double-precision scan", k, n, d, bad);
    int st = rcc_knn_cosine(x, n, d, n, nn) != RCC_OK;
    CHECK(st, "knn: as many neighbours as points is refused");
    free(x), free(nn);
}

/* The definition of the merge: groups as member lists, every sum recomputed. */
static void naive_merge(const double *S, int fine, int k, int *group)
{
    int *mem = malloc(sizeof(int) * (size_t)fine * fine), *len = malloc(sizeof(int) * (size_t)fine);
    int m = fine;
    for (int i = 0; i < fine; i++)
        mem[(size_t)i * fine] = i, len[i] = 1;
    while (m > k) {
        double best = -1;
        int bi = 0, bj = 1;
        for (int i = 0; i < m; i++)
            for (int j = i + 1; j < m; j++) {
                double sij = 0, sii = 0, sjj = 0;
                for (int a = 0; a < len[i]; a++)
                    for (int b = 0; b < len[j]; b++)
                        sij += S[(size_t)mem[(size_t)i * fine + a] * fine + mem[(size_t)j * fine + b]];
                for (int a = 0; a < len[i]; a++)
                    for (int b = 0; b < len[i]; b++)
                        sii += S[(size_t)mem[(size_t)i * fine + a] * fine + mem[(size_t)i * fine + b]];
                for (int a = 0; a < len[j]; a++)
                    for (int b = 0; b < len[j]; b++)
                        sjj += S[(size_t)mem[(size_t)j * fine + a] * fine + mem[(size_t)j * fine + b]];
                double den = sqrt(sii * sjj), v = sij / (den > 1e-9 ? den : 1e-9);
                if (v > best)
                    best = v, bi = i, bj = j;
            }
        for (int b = 0; b < len[bj]; b++)
            mem[(size_t)bi * fine + len[bi]++] = mem[(size_t)bj * fine + b];
        for (int j = bj; j + 1 < m; j++) {
            memcpy(mem + (size_t)j * fine, mem + (size_t)(j + 1) * fine, sizeof(int) * (size_t)len[j + 1]);
            len[j] = len[j + 1];
        }
        m--;
    }
    for (int i = 0; i < m; i++)
        for (int a = 0; a < len[i]; a++)
            group[mem[(size_t)i * fine + a]] = i;
    free(mem), free(len);
}

static void merge_case(int fine, int k, bool sparse)
{
    double *S = calloc((size_t)fine * fine, sizeof *S);
    for (int a = 0; a < fine; a++)
        for (int b = a; b < fine; b++) {
            double v = sparse && rcc_rng_uniform(&rng) < 0.7 ? 0 : floor(rcc_rng_uniform(&rng) * 50);
            if (a == b)
                v = sparse && a % 5 == 0 ? 0 : 2 * v + 40; /* some fine clusters without inner edges */
            S[(size_t)a * fine + b] = S[(size_t)b * fine + a] = v;
        }
    int *g = malloc(sizeof(int) * (size_t)fine), *want = malloc(sizeof(int) * (size_t)fine);
    CHECK_OK(rcc_partition_merge(S, fine, k, g));
    naive_merge(S, fine, k, want);
    int diff = 0, used[64] = {0};
    for (int f = 0; f < fine; f++) {
        diff += g[f] != want[f];
        if (g[f] >= 0 && g[f] < k)
            used[g[f]] = 1;
    }
    int groups = 0;
    for (int i = 0; i < k; i++)
        groups += used[i];
    CHECK(diff == 0 && groups == k, "merge %d into %d%s: %d fine clusters differ from the definition, %d groups",
          fine, k, sparse ? " (sparse)" : "", diff, groups);
    CHECK(rcc_partition_merge(S, 3, 4, g) != RCC_OK, "merging 3 into 4 is refused");
    free(S), free(g), free(want);
}

/* Blobs of very unequal sizes on the sphere: the partition finds them exactly, where equal shares
 * could not; the confidence of a point inside a blob is 1. */
static void blobs_case(void)
{
    enum { D = 24, K = 4 };
    const int sizes[K] = {900, 240, 60, 16};
    int n = 0;
    for (int c = 0; c < K; c++)
        n += sizes[c];
    float centre[K][D], *x = malloc(sizeof(float) * (size_t)n * D);
    int *truth = malloc(sizeof(int) * (size_t)n), *cl = malloc(sizeof(int) * (size_t)n);
    float *conf = malloc(sizeof(float) * (size_t)n);
    unit_rows(&centre[0][0], K, D);
    for (int c = 0, i = 0; c < K; c++)
        for (int s = 0; s < sizes[c]; s++, i++) {
            double norm = 0;
            for (int j = 0; j < D; j++) {
                x[(size_t)i * D + j] = centre[c][j] + 0.08f * (float)rcc_rng_normal(&rng);
                norm += (double)x[(size_t)i * D + j] * x[(size_t)i * D + j];
            }
            for (int j = 0; j < D; j++)
                x[(size_t)i * D + j] = (float)(x[(size_t)i * D + j] / sqrt(norm) * 3.0); /* any scale */
            truth[i] = c;
        }
    rcc_partition_config pc;
    rcc_partition_config_default(&pc);
    pc.fine = 40;
    CHECK_OK(rcc_partition(x, n, D, K, &pc, cl, conf));
    int map[K] = {-1, -1, -1, -1}, wrong = 0, low = 0;
    for (int i = 0; i < n; i++) {
        if (map[truth[i]] < 0)
            map[truth[i]] = cl[i];
        wrong += cl[i] != map[truth[i]];
        low += conf[i] < 1.0f;
    }
    bool distinct = true;
    for (int a = 0; a < K; a++)
        for (int b = a + 1; b < K; b++)
            distinct &= map[a] != map[b];
    CHECK(wrong == 0 && distinct, "blobs of 900/240/60/16: %d points off their blob's cluster", wrong);
    CHECK(low == 0, "blobs: %d points with neighbours outside their cluster", low);
    /* bad arguments */
    pc.fine = 3;
    CHECK(rcc_partition(x, n, D, K, &pc, cl, NULL) != RCC_OK, "fewer fine clusters than K is refused");
    rcc_partition_config_default(&pc);
    pc.knn = 0;
    CHECK(rcc_partition(x, n, D, K, &pc, cl, NULL) != RCC_OK, "knn 0 is refused");
    free(x), free(truth), free(cl), free(conf);
}

/* runs > 1: the result is the candidate (runs = 1 with each seed) whose summed ARI with the others
 * is the largest (first on ties). Blurred blobs, so that the candidates differ. */
static void consensus_case(void)
{
    enum { D = 8, K = 5, N = 600, R = 5 };
    float centre[K][D], *x = malloc(sizeof(float) * N * D);
    unit_rows(&centre[0][0], K, D);
    for (int i = 0; i < N; i++)
        for (int j = 0; j < D; j++)
            x[i * D + j] = centre[i % K][j] + 0.45f * (float)rcc_rng_normal(&rng);
    int *cand = malloc(sizeof(int) * N * R), *got = malloc(sizeof(int) * N);
    rcc_partition_config pc;
    rcc_partition_config_default(&pc);
    pc.fine = 30;
    pc.seed = 7;
    pc.runs = 1;
    for (int r = 0; r < R; r++) {
        pc.seed = 7 + (uint64_t)r;
        CHECK_OK(rcc_partition(x, N, D, K, &pc, cand + r * N, NULL));
    }
    pc.seed = 7;
    pc.runs = R;
    CHECK_OK(rcc_partition(x, N, D, K, &pc, got, NULL));
    int best = -1, distinct = 0;
    double best_sum = -1e300;
    for (int r = 0; r < R; r++) {
        double sum = 0;
        for (int q = 0; q < R; q++) {
            if (q == r)
                continue;
            int64_t t[K * K] = {0};
            for (int i = 0; i < N; i++)
                t[cand[r * N + i] * K + cand[q * N + i]]++;
            sum += rcc_ari(t, K, K);
        }
        if (sum > best_sum)
            best_sum = sum, best = r;
        distinct += r > 0 && memcmp(cand + r * N, cand, sizeof(int) * N) != 0;
    }
    CHECK(distinct > 0, "consensus: the %d candidates should differ (they do not: the case tests nothing)", R);
    CHECK(memcmp(got, cand + best * N, sizeof(int) * N) == 0, "consensus: the result is not candidate %d, the one "
          "that agrees best with the others", best);
    free(x), free(cand), free(got);
}

int main(void)
{
    rcc_rng_init(&rng, 2026, 0);
    knn_case(300, 16, 10);
    knn_case(1100, 8, 5); /* more rows than one block of the similarity matrix */
    merge_case(12, 3, false);
    merge_case(30, 10, false);
    merge_case(25, 4, true);
    blobs_case();
    consensus_case();
    return test_finish("test_partition");
}
