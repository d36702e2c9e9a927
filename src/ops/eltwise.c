/* eltwise.c — element-wise kernels on buffers that share one layout (residual add, ReLU), in f32
 * and in bf16. */
#include <string.h>
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

/* ---- bf16: the upper half of an IEEE float ---- */

float rcc_bf16_to_f32(uint16_t b)
{
    uint32_t u = (uint32_t)b << 16;
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}

/* Round to nearest, ties to even (as oneDNN and PyTorch convert); NaN stays a quiet NaN. */
uint16_t rcc_f32_to_bf16(float f)
{
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    if ((u & 0x7fffffffu) > 0x7f800000u)
        return (uint16_t)((u >> 16) | 0x40u);
    u += 0x7fffu + ((u >> 16) & 1u);
    return (uint16_t)(u >> 16);
}

void rcc_add_relu_forward_bf16(uint16_t *y, const uint16_t *x, size_t n, bool relu)
{
#pragma omp parallel for simd schedule(static)
    for (size_t i = 0; i < n; i++) {
        float v = rcc_bf16_to_f32(y[i]) + rcc_bf16_to_f32(x[i]);
        y[i] = rcc_f32_to_bf16(relu && !(v > 0.0f) ? 0.0f : v);
    }
}

/* dy where y > 0, else 0: y's sign bit clear and y not zero (exact, no conversion). */
void rcc_relu_backward_bf16(uint16_t *dy, const uint16_t *y, size_t n)
{
#pragma omp parallel for simd schedule(static)
    for (size_t i = 0; i < n; i++)
        dy[i] = (int16_t)y[i] > 0 ? dy[i] : 0;
}

void rcc_add_inplace_bf16(uint16_t *y, const uint16_t *x, size_t n)
{
#pragma omp parallel for simd schedule(static)
    for (size_t i = 0; i < n; i++)
        y[i] = rcc_f32_to_bf16(rcc_bf16_to_f32(y[i]) + rcc_bf16_to_f32(x[i]));
}

static bool is_bf16(const rcc_act *t) { return t->md.data_type == dnnl_bf16; }

void rcc_act_add_relu(rcc_act *y, const rcc_act *x, bool relu)
{
    if (is_bf16(y))
        rcc_add_relu_forward_bf16((uint16_t *)y->ptr, (const uint16_t *)x->ptr, rcc_act_elems(y), relu);
    else
        rcc_add_relu_forward(y->ptr, x->ptr, rcc_act_elems(y), relu);
}

void rcc_act_relu_backward(rcc_act *dy, const rcc_act *y)
{
    if (is_bf16(dy))
        rcc_relu_backward_bf16((uint16_t *)dy->ptr, (const uint16_t *)y->ptr, rcc_act_elems(dy));
    else
        rcc_relu_backward(dy->ptr, y->ptr, rcc_act_elems(dy));
}

void rcc_act_add(rcc_act *y, const rcc_act *x)
{
    if (is_bf16(y))
        rcc_add_inplace_bf16((uint16_t *)y->ptr, (const uint16_t *)x->ptr, rcc_act_elems(y));
    else
        rcc_add_inplace(y->ptr, x->ptr, rcc_act_elems(y));
}
