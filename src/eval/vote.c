/* vote.c — a clustering refined by its neighbours' votes (rcc_vote, include/rcc_eval.h).
 *
 * The cluster head reads rep_dim numbers that stage 4 squeezed out of stage 3's richer features;
 * where it draws a border through a group those features hold together, an image's neighbours in
 * stage 3 mostly sit on one side. A few rounds of majority votes over the k-nearest-neighbour graph
 * move the images to that side, and leave alone the clusters themselves (docs/imbalance.md §6). */
#include <stdlib.h>
#include <string.h>
#include "compute.h"
#include "partition.h"
#include "util.h"

int rcc_vote_rounds(const int *nn, int n, int knn, int k, int rounds, int *cluster, int *votes, int *next)
{
    int r = 0;
    for (; r < rounds; r++) {
        int now = 0;
        for (int i = 0; i < n; i++) {
            memset(votes, 0, sizeof(int) * (size_t)k);
            votes[cluster[i]]++;
            for (int j = 0; j < knn; j++)
                votes[cluster[nn[(size_t)i * knn + j]]]++;
            int best = cluster[i];
            for (int c = 0; c < k; c++)
                if (votes[c] > votes[best])
                    best = c; /* strictly more: the own cluster wins a tie, then the lowest number */
            next[i] = best;
            now += best != cluster[i];
        }
        if (now == 0)
            break;
        memcpy(cluster, next, sizeof(int) * (size_t)n);
    }
    return r;
}

void rcc_vote_config_default(rcc_vote_config *c)
{
    c->knn = 30;
    c->rounds = 10;
    c->max_moved = 0.2;
    c->threads = 0;
}

rcc_status rcc_vote(const float *x, int n, int d, int k, const rcc_vote_config *c, int *cluster, float *share,
                    rcc_vote_result *res)
{
    if (!x || !cluster || !c || n < 0 || d < 1 || k < 1 || c->knn < 1 || c->rounds < 0 || !(c->max_moved >= 0) ||
        c->threads < 0)
        return rcc_fail(RCC_ERR_ARG, "vote: %d points of %d values, %d clusters, %d neighbours, %d rounds, max moved "
                                     "%g", n, d, k, c ? c->knn : 0, c ? c->rounds : 0, c ? c->max_moved : 0.0);
    for (int i = 0; i < n; i++)
        if (cluster[i] < 0 || cluster[i] >= k)
            return rcc_fail(RCC_ERR_ARG, "vote: point %d is in cluster %d, not in [0, %d)", i, cluster[i], k);
    rcc_vote_result r = {0, 0, true};
    if (n < 2) {
        for (int i = 0; share && i < n; i++)
            share[i] = 1.0f;
        if (res)
            *res = r;
        return RCC_OK;
    }
    int knn = c->knn < n - 1 ? c->knn : n - 1;
    float *u = malloc(sizeof(float) * (size_t)n * (size_t)d);
    int *nn = malloc(sizeof(int) * (size_t)n * (size_t)knn), *votes = malloc(sizeof(int) * (size_t)k);
    int *next = malloc(sizeof(int) * (size_t)n), *start = malloc(sizeof(int) * (size_t)n);
    rcc_status st = u && nn && votes && next && start ? RCC_OK : rcc_fail(RCC_ERR_NOMEM, "vote over %d points", n);
    rcc_compute_saved saved;
    rcc_compute_enter(c->threads, &saved);
    if (st == RCC_OK)
        st = rcc_centre_normalise(x, n, d, u);
    if (st == RCC_OK)
        st = rcc_knn_cosine(u, n, d, knn, nn);
    rcc_compute_leave(&saved);
    if (st == RCC_OK) {
        memcpy(start, cluster, sizeof(int) * (size_t)n);
        r.rounds = rcc_vote_rounds(nn, n, knn, k, c->rounds, cluster, votes, next);
        for (int i = 0; i < n; i++)
            r.moved += cluster[i] != start[i];
        if ((double)r.moved > c->max_moved * n) { /* not a refinement: another clustering */
            memcpy(cluster, start, sizeof(int) * (size_t)n);
            r.applied = false;
        }
        for (int i = 0; share && i < n; i++) {
            int same = 0;
            for (int j = 0; j < knn; j++)
                same += cluster[nn[(size_t)i * knn + j]] == cluster[i];
            share[i] = (float)same / (float)knn;
        }
        if (res)
            *res = r;
    }
    free(u), free(nn), free(votes), free(next), free(start);
    return st;
}
