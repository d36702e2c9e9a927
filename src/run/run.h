/* run.h — the training loop's internal side; the run itself (rcc_run_train, its events and hooks)
 * is public in include/rcc_run.h. */
#ifndef RCC_RUN_H
#define RCC_RUN_H

#include "../data/data.h"
#include "../loss.h"
#include "checkpoint.h"

#include "rcc_run.h"

/* The learning rate at `step` (0-based) of a run with `batches` steps per epoch. */
double rcc_run_lr(const rcc_config *cfg, long step, int batches);

#endif
