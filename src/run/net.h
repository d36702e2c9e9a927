/* net.h — the inference network's internal side: wrapping a training run's parameters, so that
 * evaluation during training goes through the same path as rcc_net_load's networks. */
#ifndef RCC_RUN_NET_H
#define RCC_RUN_NET_H

#include "rcc.h"
#include "rcc_data.h"
#include "../params.h"

/* The batch plan's size: the largest forward pass of an inference network. */
#define RCC_NET_BATCH 64
/* Plans of a loaded network at most: 1, 2, 4, ..., RCC_NET_BATCH. */
#define RCC_NET_PLANS 8

/* A network over ps (planned for cfg; not copied, not freed by rcc_net_free), for data sets of up
 * to max_images images at a time (its batch plan is min(max_images, RCC_NET_BATCH)). */
rcc_status rcc_net_wrap(rcc_net **net, const rcc_config *cfg, rcc_params *ps, int max_images);

#endif
