/* dist.h — data-parallel training over MPI: the few collective operations the training step
 * needs (gather rows of every process, sum gradients, agree on a flag). Built without MPI (or
 * run as one process), every call works on one process and costs nothing. */
#ifndef RCC_DIST_H
#define RCC_DIST_H

#include <stdbool.h>
#include <stddef.h>
#include "rcc.h"

typedef struct rcc_dist {
    int rank, size;
    bool sync_bn; /* batch-norm statistics over all processes (default: per process) */
    void *comm;   /* the MPI communicator (MPI_Comm *) when built with MPI and size > 1 */
    double comm_seconds; /* time spent in collectives (for profiles) */
    double comm_bytes;   /* bytes sent per process, summed */
} rcc_dist;

/* True when this build has MPI. */
bool rcc_dist_available(void);
/* One process: rank 0 of 1. */
void rcc_dist_single(rcc_dist *d);
/* Joins MPI_COMM_WORLD if the process was started by mpirun (or MPI is already initialised);
 * else one process. Call once, early (it may consume MPI's own arguments). */
rcc_status rcc_dist_init(rcc_dist *d, int *argc, char ***argv);
/* Leaves MPI if rcc_dist_init entered it. */
void rcc_dist_finalize(rcc_dist *d);
/* Ends every process of the job at once (a failure on one would leave the others waiting). */
void rcc_dist_abort(const rcc_dist *d, int code);

/* global = the `count` floats of every process, in rank order (size × count). */
rcc_status rcc_dist_allgather_f32(rcc_dist *d, const float *local, size_t count, float *global);
/* x = the sum of x over processes, in place. */
rcc_status rcc_dist_allreduce_f32(rcc_dist *d, float *x, size_t count);
rcc_status rcc_dist_allreduce_f64(rcc_dist *d, double *x, size_t count);
/* Rank 0's x on every process. */
rcc_status rcc_dist_bcast_f32(rcc_dist *d, float *x, size_t count);
/* True on every process if it is true on some process. */
rcc_status rcc_dist_any(rcc_dist *d, bool *flag);
/* Waits for every process. */
rcc_status rcc_dist_barrier(rcc_dist *d);

#endif
