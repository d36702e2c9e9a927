/* partition.h — the steps of rcc_partition and rcc_vote (include/rcc_eval.h), for their tests. */
#ifndef RCC_PARTITION_H
#define RCC_PARTITION_H

#include "rcc_eval.h"

/* Rows of x (n×d) centred on their mean and put on the unit sphere, into out (a zero row stays zero). */
rcc_status rcc_centre_normalise(const float *x, int n, int d, float *out);
/* The k nearest neighbours of every row of x (n×d, rows of norm 1 or 0) by dot product, the row
 * itself left out: nn[n×k], nearest first, ties to the lower index. */
rcc_status rcc_knn_cosine(const float *x, int n, int d, int k, int *nn);
/* Greedy merging of `fine` groups into k: S (fine×fine, symmetric) counts the edges between
 * groups; the pair with the largest S_ab / max(√(S_aa·S_bb), 1e-9) is joined (ties: the first pair
 * in the order of the groups that remain, a group keeping the place of its first member) until k
 * remain. group[f] (out): the final group of fine cluster f, numbered in that order. */
rcc_status rcc_partition_merge(const double *S, int fine, int k, int *group);

/* The rounds of rcc_vote on a given graph: nn[n×knn]; cluster[n] in/out in [0, k); votes[k] scratch,
 * next[n] scratch. Returns the number of rounds that moved a point (< rounds: it stopped early). */
int rcc_vote_rounds(const int *nn, int n, int knn, int k, int rounds, int *cluster, int *votes, int *next);

#endif
