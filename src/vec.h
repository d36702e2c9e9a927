/* vec.h — row norms: the sum of squares that every row L2 normalisation takes, and unit-norm rows
 * for the evaluation (k-means, silhouette, sphere statistics), the one recipe those share. The
 * network's own normalisation (h, z and the cosine NT-Xent) is rcc_l2norm_forward (ops.h): it
 * divides by a floored norm and keeps the norms for the backward, so its bits differ from these
 * (and each set is pinned by trained checkpoints and reports). */
#ifndef RCC_VEC_H
#define RCC_VEC_H

#include <stddef.h>

/* Σ x_t², accumulated in double in index order. */
static inline double rcc_sum_sq(const float *x, int d)
{
    double s = 0;
    for (int t = 0; t < d; t++)
        s += (double)x[t] * x[t];
    return s;
}

/* Row i of y (n×d) is row rows[i] of x (row i when rows is NULL) times 1/‖row‖, the norm taken
 * in double; a zero row stays zero. */
void rcc_unit_rows(const float *x, const size_t *rows, size_t n, int d, float *y);

/* The same for double rows, in place (k-means centres). */
void rcc_unit_rows_f64(double *x, size_t n, int d);

#endif
