/* vec.c — unit-norm rows (vec.h). */
#include "vec.h"

#include <math.h>

/* 1/√s, or 0 for a zero row */
static double inv_norm(double sum_sq) { return sum_sq > 0 ? 1 / sqrt(sum_sq) : 0; }

void rcc_unit_rows(const float *x, const size_t *rows, size_t n, int d, float *y)
{
    for (size_t i = 0; i < n; i++) {
        const float *xi = x + (rows ? rows[i] : i) * (size_t)d;
        float *yi = y + i * (size_t)d;
        double s = inv_norm(rcc_sum_sq(xi, d));
        for (int t = 0; t < d; t++)
            yi[t] = (float)(xi[t] * s);
    }
}

void rcc_unit_rows_f64(double *x, size_t n, int d)
{
    for (size_t i = 0; i < n; i++) {
        double *xi = x + i * (size_t)d, s = 0;
        for (int t = 0; t < d; t++)
            s += xi[t] * xi[t];
        s = inv_norm(s);
        for (int t = 0; t < d; t++)
            xi[t] *= s;
    }
}
