/* optim.c — Adam as torch.optim.Adam computes it (non-amsgrad, L2 weight decay added to the
 * gradient): m ← β1 m + (1−β1) g; v ← β2 v + (1−β2) g²;
 * p ← p − (lr / (1−β1ᵗ)) · m / (√v / √(1−β2ᵗ) + ε). */
#include "optim.h"

#include <math.h>
#include "util.h"

void rcc_adam_config_default(rcc_adam_config *c)
{
    c->lr = 3e-4f;
    c->beta1 = 0.9f;
    c->beta2 = 0.999f;
    c->eps = 1e-8f;
    c->weight_decay = 0.0f;
}

void rcc_adam_step(rcc_params *ps, const rcc_adam_config *c, long step)
{
    float *p = rcc_pdata(ps), *g = rcc_pgrad(ps), *m = (float *)ps->m, *v = (float *)ps->v;
    const float b1 = c->beta1, b2 = c->beta2, eps = c->eps, wd = c->weight_decay;
    const float step_size = (float)(c->lr / (1.0 - pow(b1, (double)step)));
    const float inv_sqrt_bc2 = (float)(1.0 / sqrt(1.0 - pow(b2, (double)step)));
    const size_t n = ps->total;
#pragma omp parallel for simd schedule(static)
    for (size_t i = 0; i < n; i++) {
        float gi = g[i] + wd * p[i];
        m[i] = b1 * m[i] + (1.0f - b1) * gi;
        v[i] = b2 * v[i] + (1.0f - b2) * gi * gi;
        p[i] -= step_size * m[i] / (sqrtf(v[i]) * inv_sqrt_bc2 + eps);
    }
}

rcc_status rcc_grads_check(const rcc_params *ps)
{
    const float *g = rcc_pgrad(ps);
    const size_t n = ps->total;
    float acc = 0; /* 0·x is 0 for every finite x and NaN for NaN and ±inf */
#pragma omp parallel for simd reduction(+ : acc) schedule(static)
    for (size_t i = 0; i < n; i++)
        acc += 0.0f * g[i];
    if (acc == 0)
        return RCC_OK;
    for (int i = 0; i < ps->n; i++)
        for (size_t k = 0; k < ps->p[i].numel; k++)
            if (!isfinite(g[ps->p[i].off + k]))
                return rcc_fail(RCC_ERR_NUMERIC, "the gradient of %s is not finite (%g at %zu)", ps->p[i].name,
                                (double)g[ps->p[i].off + k], k);
    return rcc_fail(RCC_ERR_NUMERIC, "a gradient is not finite");
}
