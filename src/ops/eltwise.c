/* eltwise.c — element-wise kernels on buffers that share one layout (residual add, ReLU). */
#include "ops.h"

/* y = relu?(y + x) : the residual sum and the block's final ReLU in one pass. */
void rcc_add_relu_forward(float *y, const float *x, size_t n, bool relu)
{
    if (relu) {
#pragma omp parallel for simd schedule(static)
        for (size_t i = 0; i < n; i++) {
            float v = y[i] + x[i];
            y[i] = v > 0.0f ? v : 0.0f;
        }
    } else {
#pragma omp parallel for simd schedule(static)
        for (size_t i = 0; i < n; i++)
            y[i] += x[i];
    }
}

/* dy *= (y > 0), y being the ReLU's output. */
void rcc_relu_backward(float *dy, const float *y, size_t n)
{
#pragma omp parallel for simd schedule(static)
    for (size_t i = 0; i < n; i++)
        dy[i] = y[i] > 0.0f ? dy[i] : 0.0f;
}

void rcc_add_inplace(float *y, const float *x, size_t n)
{
#pragma omp parallel for simd schedule(static)
    for (size_t i = 0; i < n; i++)
        y[i] += x[i];
}
