/* dist.h — data-parallel training over MPI: the few collective operations the training step
 * needs (gather rows of every process, sum gradients, agree on a flag). Built without MPI (or
 * run as one process), every call works on one process and costs nothing. */
#ifndef RCC_DIST_H
#define RCC_DIST_H

#include <stdbool.h>
#include <stddef.h>
#include "rcc.h"
#include "rcc_run.h"

/* rcc_dist and starting, ending and aborting the processes: include/rcc_run.h. */

/* global = the `count` floats of every process, in rank order (size × count). */
rcc_status rcc_dist_allgather_f32(rcc_dist *d, const float *local, size_t count, float *global);
/* x = the sum of x over processes, in place. */
rcc_status rcc_dist_allreduce_f32(rcc_dist *d, float *x, size_t count);
rcc_status rcc_dist_allreduce_f64(rcc_dist *d, double *x, size_t count);
/* Rank 0's x on every process. */
rcc_status rcc_dist_bcast_f32(rcc_dist *d, float *x, size_t count);
/* True on every process if it is true on some process. */
rcc_status rcc_dist_any(rcc_dist *d, bool *flag);

#endif
