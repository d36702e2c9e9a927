/* project.c — features of more than three dimensions shown on S²: their principal components.
 * The covariance (d×d, in double) of the centred rows, its top q eigenvectors by power iteration
 * with deflation from a fixed start (deterministic), and each row's coordinates on them,
 * renormalised to unit length. */
#include "rcc_eval.h"

#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define POWER_ITERS 500

/* e (d) made orthogonal to the c unit vectors in v (c×d) and of unit length; false if nothing is left. */
static bool orthonormalise(double *e, const double *v, int c, int d)
{
    for (int p = 0; p < c; p++) {
        double dot = 0;
        for (int a = 0; a < d; a++)
            dot += e[a] * v[(size_t)p * d + a];
        for (int a = 0; a < d; a++)
            e[a] -= dot * v[(size_t)p * d + a];
    }
    double norm = 0;
    for (int a = 0; a < d; a++)
        norm += e[a] * e[a];
    norm = sqrt(norm);
    if (!(norm > 1e-300))
        return false;
    for (int a = 0; a < d; a++)
        e[a] /= norm;
    return true;
}

rcc_status rcc_pca_project(const float *x, size_t n, int d, int q, float *out, double *explained)
{
    if (n < 2 || d < 1 || q < 1 || q > d || d > 4096)
        return rcc_fail(RCC_ERR_ARG, "projection: need n >= 2 rows and 1 <= q <= d <= 4096 (got %zu, q %d, d %d)", n,
                        q, d);
    size_t dd = (size_t)d * d;
    double *cov = calloc(dd, sizeof *cov), *mean = calloc((size_t)d, sizeof *mean);
    double *v = malloc((size_t)q * d * sizeof *v), *w = malloc((size_t)d * sizeof *w);
    if (!cov || !mean || !v || !w) {
        free(cov), free(mean), free(v), free(w);
        return rcc_fail(RCC_ERR_NOMEM, "projection of %zu x %d", n, d);
    }
    for (size_t i = 0; i < n; i++)
        for (int a = 0; a < d; a++)
            mean[a] += x[i * d + a];
    for (int a = 0; a < d; a++)
        mean[a] /= (double)n;
    for (size_t i = 0; i < n; i++)
        for (int a = 0; a < d; a++) {
            double xa = x[i * d + a] - mean[a];
            for (int b = a; b < d; b++)
                cov[(size_t)a * d + b] += xa * (x[i * d + b] - mean[b]);
        }
    double trace = 0;
    for (int a = 0; a < d; a++) {
        for (int b = a; b < d; b++)
            cov[(size_t)b * d + a] = cov[(size_t)a * d + b] /= (double)(n - 1);
        trace += cov[(size_t)a * d + a];
    }
    double captured = 0;
    for (int c = 0; c < q; c++) {
        double *e = v + (size_t)c * d;
        for (int a = 0; a < d; a++) /* a fixed start with a share of every direction */
            e[a] = 1.0 + 0.1 * a + (a == c ? d : 0);
        double lambda = 0;
        for (int it = 0; it < POWER_ITERS; it++) {
            if (!orthonormalise(e, v, c, d)) /* stay orthogonal to the components found */
                break;
            for (int a = 0; a < d; a++) {
                double s = 0;
                for (int b = 0; b < d; b++)
                    s += cov[(size_t)a * d + b] * e[b];
                w[a] = s;
            }
            double next = 0;
            for (int a = 0; a < d; a++)
                next += w[a] * e[a];
            memcpy(e, w, (size_t)d * sizeof *e);
            bool done = fabs(next - lambda) <= 1e-12 * fabs(next);
            lambda = next;
            if (done)
                break;
        }
        if (!orthonormalise(e, v, c, d)) /* the last product: orthogonal again, unit length */
            for (int a = 0; a < d; a++)
                e[a] = a == c;
        captured += lambda > 0 ? lambda : 0;
    }
    for (size_t i = 0; i < n; i++) {
        double r = 0, y[q];
        for (int c = 0; c < q; c++) {
            double s = 0;
            for (int a = 0; a < d; a++)
                s += (x[i * d + a] - mean[a]) * v[(size_t)c * d + a];
            y[c] = s, r += s * s;
        }
        r = sqrt(r);
        for (int c = 0; c < q; c++)
            out[i * q + c] = (float)(r > 0 ? y[c] / r : c == 0);
    }
    if (explained)
        *explained = trace > 0 ? captured / trace : 0;
    free(cov), free(mean), free(v), free(w);
    return RCC_OK;
}
