/* optim.h — Adam (docs/method.md §4, PyTorch semantics): in float over the flat parameter block (training),
 * and in double over a small block of its own (the linear probe). */
#ifndef RCC_OPTIM_H
#define RCC_OPTIM_H

#include "params.h"

typedef struct {
    float lr, beta1, beta2, eps, weight_decay;
} rcc_adam_config;

void rcc_adam_config_default(rcc_adam_config *c); /* lr 3e-4, (0.9, 0.999), 1e-8, 0 */
/* One step; `step` is the 1-based step number after this update (bias correction). */
void rcc_adam_step(rcc_params *ps, const rcc_adam_config *c, long step);
/* Adam in double precision, serial, for a small model of the caller's (the linear probe): β1ᵗ and
 * β2ᵗ are running products, updated by each step. */
typedef struct {
    double lr, beta1, beta2, eps, weight_decay;
    double beta1_t, beta2_t; /* β1ᵗ, β2ᵗ after the steps taken */
} rcc_adam_f64;

/* lr and weight decay as given, β (0.9, 0.999), ε 1e-8, no step taken. */
void rcc_adam_f64_init(rcc_adam_f64 *a, double lr, double weight_decay);
/* One step over p, m, v (n values each) with the gradient g. */
void rcc_adam_f64_step(rcc_adam_f64 *a, double *p, const double *g, double *m, double *v, size_t n);

/* RCC_ERR_NUMERIC, naming the first parameter, if any gradient is NaN or infinite. A finite loss
 * does not imply finite gradients: e.g. NaN inputs become 0 after a ReLU in the forward pass, but
 * batch-norm's backward multiplies by their NaN statistics. */
rcc_status rcc_grads_check(const rcc_params *ps);

#endif
