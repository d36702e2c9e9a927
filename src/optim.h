/* optim.h — Adam (SPEC.md §4, PyTorch semantics) over the flat parameter block. */
#ifndef RCC_OPTIM_H
#define RCC_OPTIM_H

#include "params.h"

typedef struct {
    float lr, beta1, beta2, eps, weight_decay;
} rcc_adam_config;

void rcc_adam_config_default(rcc_adam_config *c); /* lr 3e-4, (0.9, 0.999), 1e-8, 0 */
/* One step; `step` is the 1-based step number after this update (bias correction). */
void rcc_adam_step(rcc_params *ps, const rcc_adam_config *c, long step);
/* RCC_ERR_NUMERIC, naming the first parameter, if any gradient is NaN or infinite. A finite loss
 * does not imply finite gradients: e.g. NaN inputs become 0 after a ReLU in the forward pass, but
 * batch-norm's backward multiplies by their NaN statistics. */
rcc_status rcc_grads_check(const rcc_params *ps);

#endif
