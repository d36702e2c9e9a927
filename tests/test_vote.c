/* test_vote.c — rcc_vote (a clustering refined by its neighbours' votes) against its definition:
 * the rounds against a per-cluster recount on random graphs, the tie rule on a hand-made graph, and
 * the whole on blobs whose labels were partly scrambled. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "eval/partition.h"
#include "rcc_eval.h"
#include "rng.h"
#include "testutil.h"

static rcc_rng rng;

/* One synchronous round by the definition: for every cluster c, the votes of the point and of its
 * neighbours for c; the point's own cluster if no cluster has more, else the lowest with the most. */
static int naive_round(const int *nn, int n, int knn, int k, const int *cur, int *next)
{
    int moved = 0;
    for (int i = 0; i < n; i++) {
        int most = -1;
        for (int c = 0; c < k; c++) {
            int v = cur[i] == c;
            for (int j = 0; j < knn; j++)
                v += cur[nn[i * knn + j]] == c;
            most = v > most ? v : most;
        }
        int own = 1;
        for (int j = 0; j < knn; j++)
            own += cur[nn[i * knn + j]] == cur[i];
        next[i] = cur[i];
        if (own < most)
            for (int c = 0; c < k; c++) {
                int v = cur[i] == c;
                for (int j = 0; j < knn; j++)
                    v += cur[nn[i * knn + j]] == c;
                if (v == most) {
                    next[i] = c;
                    break;
                }
            }
        moved += next[i] != cur[i];
    }
    return moved;
}

static void rounds_case(int n, int knn, int k, int rounds)
{
    int *nn = malloc(sizeof(int) * (size_t)n * knn), *cl = malloc(sizeof(int) * n), *ref = malloc(sizeof(int) * n);
    int *next = malloc(sizeof(int) * n), *votes = malloc(sizeof(int) * k);
    for (int i = 0; i < n; i++) {
        for (int j = 0; j < knn; j++) {
            int v = (int)(rcc_rng_uniform(&rng) * (n - 1));
            nn[i * knn + j] = v >= i ? v + 1 : v; /* anyone but i */
        }
        cl[i] = ref[i] = (int)(rcc_rng_uniform(&rng) * k);
    }
    int ref_rounds = 0;
    for (int r = 0; r < rounds; r++) {
        if (naive_round(nn, n, knn, k, ref, next) == 0)
            break;
        memcpy(ref, next, sizeof(int) * n);
        ref_rounds++;
    }
    int got = rcc_vote_rounds(nn, n, knn, k, rounds, cl, votes, next);
    int diff = 0;
    for (int i = 0; i < n; i++)
        diff += cl[i] != ref[i];
    CHECK(diff == 0, "vote rounds (%d points, %d neighbours, %d clusters, %d rounds): %d points differ from the "
                     "definition", n, knn, k, rounds, diff);
    CHECK(got == ref_rounds, "vote rounds: %d rounds moved points, the definition says %d", got, ref_rounds);
    free(nn), free(cl), free(ref), free(next), free(votes);
}

/* Ties, by hand (4 neighbours each; point 0 lists point 4 twice). */
static void tie_case(void)
{
    const int nn[6 * 4] = {2, 3, 4, 4, 2, 3, 4, 5, 0, 1, 3, 4, 0, 1, 2, 4, 0, 1, 2, 3, 0, 1, 2, 3};
    int votes[3], next[6];
    /* points 0 and 1 (cluster 1) hear 0, 0, 2, 2: clusters 0 and 2 tie above their own: the lower, 0 */
    int a[6] = {1, 1, 0, 0, 2, 2};
    rcc_vote_rounds(nn, 6, 4, 3, 1, a, votes, next);
    CHECK(a[0] == 0 && a[1] == 0, "a tie above the own cluster goes to the lowest number (got %d, %d)", a[0], a[1]);
    /* point 0 (cluster 2) hears 0, 0, 2, 2: its own has 3 votes, cluster 0 two: it stays */
    int b[6] = {2, 1, 0, 0, 2, 2};
    rcc_vote_rounds(nn, 6, 4, 3, 1, b, votes, next);
    CHECK(b[0] == 2, "a point whose own cluster has the most votes stays (got %d)", b[0]);
    /* point 2 (cluster 2) hears 0, 1, 2, 0: its own and cluster 0 tie at 2: it stays, the lower number loses */
    int c[6] = {0, 1, 2, 2, 0, 0};
    rcc_vote_rounds(nn, 6, 4, 3, 1, c, votes, next);
    CHECK(c[2] == 2, "a tie with the own cluster keeps it (got %d)", c[2]);
}

/* Blobs of 400 and 60 points, labels of 12 % of them scrambled: the votes give every point its
 * blob's cluster back, under the same numbers, and every point's neighbours share it. The blobs are
 * tight because rcc_vote centres the rows: the large blob then lies only 0.13 of the way from the mean. */
static void blobs_case(void)
{
    enum { D = 16, K = 3 };
    const int sizes[2] = {400, 60};
    int n = sizes[0] + sizes[1];
    float centre[2][D], *x = malloc(sizeof(float) * (size_t)n * D), *share = malloc(sizeof(float) * n);
    int *truth = malloc(sizeof(int) * n), *cl = malloc(sizeof(int) * n), scrambled = 0;
    for (int c = 0; c < 2; c++) {
        double s = 0;
        for (int j = 0; j < D; j++) {
            centre[c][j] = (float)rcc_rng_normal(&rng);
            s += (double)centre[c][j] * centre[c][j];
        }
        for (int j = 0; j < D; j++)
            centre[c][j] = (float)(centre[c][j] / sqrt(s));
    }
    for (int c = 0, i = 0; c < 2; c++)
        for (int s = 0; s < sizes[c]; s++, i++) {
            for (int j = 0; j < D; j++)
                x[(size_t)i * D + j] = 5.0f * (centre[c][j] + 0.02f * (float)rcc_rng_normal(&rng)); /* any scale */
            truth[i] = c == 0 ? 2 : 0; /* the clusters' numbers need not follow the blobs' order */
            cl[i] = truth[i];
            if (rcc_rng_uniform(&rng) < 0.12) {
                cl[i] = (int)(rcc_rng_uniform(&rng) * K);
                scrambled += cl[i] != truth[i];
            }
        }
    rcc_vote_config vc;
    rcc_vote_config_default(&vc);
    vc.knn = 10;
    rcc_vote_result vr;
    CHECK_OK(rcc_vote(x, n, D, K, &vc, cl, share, &vr));
    int changed = vr.moved;
    int wrong = 0, low = 0;
    for (int i = 0; i < n; i++)
        wrong += cl[i] != truth[i], low += share[i] < 1.0f;
    CHECK(scrambled > 20, "blobs: only %d labels scrambled (the case tests little)", scrambled);
    CHECK(wrong == 0, "blobs of 400/60 with %d scrambled labels: %d points left off their blob's cluster", scrambled,
          wrong);
    CHECK(changed == scrambled && vr.applied, "blobs: %d points reported moved, %d were scrambled", changed, scrambled);
    CHECK(low == 0, "blobs: %d points with neighbours outside their cluster", low);
    /* more neighbours than points: capped */
    int *cl2 = malloc(sizeof(int) * n);
    memcpy(cl2, truth, sizeof(int) * n);
    vc.knn = 50;
    CHECK_OK(rcc_vote(x, 5, D, K, &vc, cl2, NULL, NULL));
    /* a vote that would move more than max_moved of the points leaves the clustering as it was */
    int *before = malloc(sizeof(int) * n);
    for (int i = 0; i < n; i++)
        cl2[i] = before[i] = (int)(rcc_rng_uniform(&rng) * K); /* a clustering the features do not have */
    vc.knn = 10;
    CHECK_OK(rcc_vote(x, n, D, K, &vc, cl2, NULL, &vr));
    CHECK(!vr.applied && vr.moved > vc.max_moved * n && memcmp(cl2, before, sizeof(int) * n) == 0,
          "a vote moving %d of %d points (more than %g) is not applied", vr.moved, n, vc.max_moved);
    int refused_moved = vr.moved;
    float *share2 = malloc(sizeof(float) * n);
    vc.rounds = 0; /* the shares of the clustering as it is */
    CHECK_OK(rcc_vote(x, n, D, K, &vc, cl2, share2, NULL));
    vc.rounds = 10;
    CHECK_OK(rcc_vote(x, n, D, K, &vc, cl2, share, &vr));
    CHECK(memcmp(share, share2, sizeof(float) * n) == 0, "a refused vote's shares are those of the clustering kept");
    /* the limit is on the count: just above it the vote is applied, just below refused */
    vc.max_moved = (refused_moved - 0.5) / n;
    CHECK_OK(rcc_vote(x, n, D, K, &vc, cl2, NULL, &vr));
    CHECK(!vr.applied && memcmp(cl2, before, sizeof(int) * n) == 0, "max_moved just under the moves: refused");
    vc.max_moved = (refused_moved + 0.5) / n;
    CHECK_OK(rcc_vote(x, n, D, K, &vc, cl2, NULL, &vr));
    CHECK(vr.applied && vr.moved == refused_moved && memcmp(cl2, before, sizeof(int) * n) != 0,
          "max_moved just over the moves (%d): applied", refused_moved);
    free(share2);
    /* bad arguments */
    rcc_vote_config_default(&vc);
    memcpy(cl2, truth, sizeof(int) * n);
    cl2[7] = K;
    CHECK(rcc_vote(x, n, D, K, &vc, cl2, NULL, NULL) != RCC_OK, "a cluster number >= K is refused");
    cl2[7] = 0;
    vc.knn = 0;
    CHECK(rcc_vote(x, n, D, K, &vc, cl2, NULL, NULL) != RCC_OK, "0 neighbours is refused");
    vc.knn = 10, vc.rounds = -1;
    CHECK(rcc_vote(x, n, D, K, &vc, cl2, NULL, NULL) != RCC_OK, "negative rounds are refused");
    vc.rounds = 10, vc.max_moved = -0.5;
    CHECK(rcc_vote(x, n, D, K, &vc, cl2, NULL, NULL) != RCC_OK, "a negative max_moved is refused");
    vc.max_moved = 0.2, vc.threads = -1;
    CHECK(rcc_vote(x, n, D, K, &vc, cl2, NULL, NULL) != RCC_OK, "negative threads are refused");
    rcc_vote_config_default(&vc);
    vc.rounds = 0;
    memcpy(cl2, cl, sizeof(int) * n);
    CHECK_OK(rcc_vote(x, n, D, K, &vc, cl2, share, &vr));
    CHECK(vr.moved == 0 && memcmp(cl2, cl, sizeof(int) * n) == 0, "0 rounds leaves the clustering as it is");
    CHECK_OK(rcc_vote(x, 1, D, K, &vc, cl2, share, NULL));
    CHECK(share[0] == 1.0f, "one point: its own cluster, share 1");
    free(before);
    free(x), free(share), free(truth), free(cl), free(cl2);
}

int main(void)
{
    rcc_rng_init(&rng, 2026, 7);
    rounds_case(200, 5, 3, 1);
    rounds_case(500, 10, 7, 10);
    rounds_case(300, 4, 2, 50); /* small k: ties; many rounds: stops when nothing moves */
    tie_case();
    blobs_case();
    return test_finish("test_vote");
}
