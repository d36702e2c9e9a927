/* fuzz_tiny.h — the smallest model rcc can build, shared by the checkpoint harness (its parameter
 * table is what fuzzed checkpoints are loaded into) and the corpus generator (whose seed
 * checkpoints are of this model, so the fuzzer starts from files that load). */
#ifndef RCC_FUZZ_TINY_H
#define RCC_FUZZ_TINY_H

#include "run/config.h"

static inline void fuzz_tiny_config(rcc_config *c)
{
    rcc_config_preset(c, "cpu");
    c->in_channels = 1;
    c->image_size = 16;
    c->width = 1;
    c->rep_dim = 2;
    c->feature_dim = 1;
    c->hidden = 1;
    c->clusters = 2;
    c->batch = 2;
    c->epochs = 1;
}

#endif
