/* optim.c — Adam as torch.optim.Adam computes it (non-amsgrad, L2 weight decay added to the
 * gradient): m ← β1 m + (1−β1) g; v ← β2 v + (1−β2) g²;
 * p ← p − (lr / (1−β1ᵗ)) · m / (√v / √(1−β2ᵗ) + ε). */
#include "optim.h"

#include <math.h>
#include "util.h"

/* The update of one value, written once for both precisions (T, with SQRT of that type):
 *   g ← g + wd·p;  m ← β1 m + (1−β1) g;  v ← β2 v + (1−β2) g²;  p ← p − a · (m / c1) / (√v · r / c2 + ε).
 * The bias corrections come either as factors (a = lr/(1−β1ᵗ), r = 1/√(1−β2ᵗ), c1 = c2 = 1: the
 * training step) or as divisors (a = lr, c1 = 1−β1ᵗ, c2 = √(1−β2ᵗ), r = 1: the probe), each the
 * way its results were first computed; x/1 and x·1 are exact, so neither changes by a bit. */
#define ADAM_UPDATE(T, SQRT, p, g, m, v, b1, b2, eps, wd, a, c1, r, c2) \
    do {                                                                  \
        T g_ = (g) + (wd) * (p);                                          \
        (m) = (b1) * (m) + (1 - (b1)) * g_;                               \
        (v) = (b2) * (v) + (1 - (b2)) * g_ * g_;                          \
        (p) -= (a) * ((m) / (c1)) / (SQRT(v) * (r) / (c2) + (eps));       \
    } while (0)

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
    rcc_params_touch(ps);
#pragma omp parallel for simd schedule(static)
    for (size_t i = 0; i < n; i++)
        ADAM_UPDATE(float, sqrtf, p[i], g[i], m[i], v[i], b1, b2, eps, wd, step_size, 1, inv_sqrt_bc2, 1);
    rcc_params_touch(ps); /* before and after: no prepared weights can hold a half-written state */
}

void rcc_adam_f64_init(rcc_adam_f64 *a, double lr, double weight_decay)
{
    a->lr = lr;
    a->beta1 = 0.9;
    a->beta2 = 0.999;
    a->eps = 1e-8;
    a->weight_decay = weight_decay;
    a->beta1_t = a->beta2_t = 1;
}

void rcc_adam_f64_step(rcc_adam_f64 *a, double *p, const double *g, double *m, double *v, size_t n)
{
    const double b1 = a->beta1, b2 = a->beta2, eps = a->eps, wd = a->weight_decay, lr = a->lr;
    a->beta1_t *= b1;
    a->beta2_t *= b2;
    const double c1 = 1 - a->beta1_t, c2 = sqrt(1 - a->beta2_t);
    for (size_t i = 0; i < n; i++)
        ADAM_UPDATE(double, sqrt, p[i], g[i], m[i], v[i], b1, b2, eps, wd, lr, c1, 1, c2);
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
