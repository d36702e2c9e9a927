/* head.c — the projection heads' ops on row-major matrices: linear (oneDNN sgemm), ReLU,
 * softmax over rows, and row L2-normalisation. */
#include <math.h>
#include <string.h>
#include "ops.h"
#include "../vec.h"

/* y[n×out] = x[n×in] · Wᵀ + b */
rcc_status rcc_linear_forward(const float *x, const float *w, const float *b, float *y, int n, int in, int out)
{
    DNN_TRY(dnnl_sgemm('N', 'T', n, out, in, 1.0f, x, in, w, in, 0.0f, y, out), "linear forward (sgemm)");
    if (b)
        for (int i = 0; i < n; i++)
            for (int j = 0; j < out; j++)
                y[(size_t)i * out + j] += b[j];
    return RCC_OK;
}

/* dW[out×in] += dyᵀ·x ; db[out] += Σ_rows dy ; dx[n×in] = dy·W */
rcc_status rcc_linear_backward(const float *x, const float *w, const float *dy, float *dw, float *db, float *dx, int n,
                               int in, int out)
{
    DNN_TRY(dnnl_sgemm('T', 'N', out, in, n, 1.0f, dy, out, x, in, 1.0f, dw, in), "linear backward (weights)");
    if (db)
        for (int i = 0; i < n; i++)
            for (int j = 0; j < out; j++)
                db[j] += dy[(size_t)i * out + j];
    if (dx)
        DNN_TRY(dnnl_sgemm('N', 'N', n, in, out, 1.0f, dy, out, w, in, 0.0f, dx, in), "linear backward (data)");
    return RCC_OK;
}

void rcc_relu_rows_forward(float *y, const float *x, size_t n)
{
    for (size_t i = 0; i < n; i++)
        y[i] = x[i] > 0.0f ? x[i] : 0.0f;
}

void rcc_relu_rows_backward(float *dx, const float *y, const float *dy, size_t n)
{
    for (size_t i = 0; i < n; i++)
        dx[i] = y[i] > 0.0f ? dy[i] : 0.0f;
}

void rcc_softmax_forward(const float *x, float *y, int n, int k)
{
    for (int i = 0; i < n; i++) {
        const float *xi = x + (size_t)i * k;
        float *yi = y + (size_t)i * k;
        float m = xi[0];
        for (int j = 1; j < k; j++)
            m = xi[j] > m ? xi[j] : m;
        double s = 0;
        for (int j = 0; j < k; j++) {
            yi[j] = expf(xi[j] - m);
            s += yi[j];
        }
        float inv = (float)(1.0 / s);
        for (int j = 0; j < k; j++)
            yi[j] *= inv;
    }
}

/* dx = y ⊙ (dy − Σ_j dy_j y_j) */
void rcc_softmax_backward(const float *y, const float *dy, float *dx, int n, int k)
{
    for (int i = 0; i < n; i++) {
        const float *yi = y + (size_t)i * k, *dyi = dy + (size_t)i * k;
        double dot = 0;
        for (int j = 0; j < k; j++)
            dot += (double)dyi[j] * yi[j];
        for (int j = 0; j < k; j++)
            dx[(size_t)i * k + j] = yi[j] * (dyi[j] - (float)dot);
    }
}

/* A zero row stays zero (norm floored at eps) instead of becoming NaN. */
void rcc_l2norm_forward(const float *x, float *y, float *norms, int n, int d, double eps)
{
    for (int i = 0; i < n; i++) {
        const float *xi = x + (size_t)i * d;
        double nr = sqrt(rcc_sum_sq(xi, d));
        if (nr < eps)
            nr = eps;
        norms[i] = (float)nr;
        for (int j = 0; j < d; j++)
            y[(size_t)i * d + j] = (float)(xi[j] / nr);
    }
}

/* dx = (dy − y (y·dy)) / ‖x‖ */
void rcc_l2norm_backward(const float *y, const float *norms, const float *dy, float *dx, int n, int d)
{
    for (int i = 0; i < n; i++) {
        const float *yi = y + (size_t)i * d, *dyi = dy + (size_t)i * d;
        double dot = 0;
        for (int j = 0; j < d; j++)
            dot += (double)yi[j] * dyi[j];
        float inv = 1.0f / norms[i];
        for (int j = 0; j < d; j++)
            dx[(size_t)i * d + j] = (dyi[j] - yi[j] * (float)dot) * inv;
    }
}
