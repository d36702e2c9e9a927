/* run.h — the RCC training loop around the step: data loading, learning-rate schedule, logging,
 * evaluation, checkpoints, resume, interruption. The CLI's `rcc train` is a thin shell over it. */
#ifndef RCC_RUN_H
#define RCC_RUN_H

#include <signal.h>
#include "../data/data.h"
#include "../loss.h"
#include "checkpoint.h"

struct rcc_dist; /* dist.h */

typedef struct {
    int epoch, epochs;      /* 0-based epoch in progress, total */
    int batch, batches;     /* 1-based batch within the epoch, batches per epoch */
    long step;              /* optimizer steps taken so far (including this one) */
    rcc_loss_terms loss;
    double lr;
    double step_seconds;    /* duration of this step, data wait included */
    int pairs;              /* image pairs per step */
    double elapsed;         /* seconds since this process started training */
} rcc_step_event;

typedef struct {
    int epoch, epochs;      /* the epoch just finished (0-based) */
    long step;
    rcc_loss_terms mean;    /* mean of each term over the epoch */
    const long *sizes;      /* K cluster sizes: argmax of the cluster head on the epoch's first views */
    int clusters;
    int empty;              /* clusters that received nothing */
    double largest;         /* fraction of the epoch's images in the largest cluster */
    bool evaluated;         /* acc, nmi, ari valid: evaluation views, labels present */
    double acc, nmi, ari;
    double seconds;         /* duration of the epoch */
    bool saved;             /* a checkpoint was written after this epoch */
} rcc_epoch_event;

typedef struct {
    void (*on_step)(const rcc_step_event *e, void *user);
    void (*on_epoch)(const rcc_epoch_event *e, void *user);
    void *user;
    volatile sig_atomic_t *stop; /* when it becomes non-zero: save and return RCC_ERR_INTERRUPTED */
    /* Data-parallel training (dist.h; NULL or one process: none): cfg->batch is the global batch,
     * split evenly over the processes; rank 0 alone writes the checkpoint and metrics and
     * evaluates; every process must be given the same data, configuration and resume_from. */
    struct rcc_dist *dist;
} rcc_run_hooks;

/* Trains on `data` and writes out_dir/checkpoint.safetensors and out_dir/metrics.jsonl.
 * With resume_from (a checkpoint), continues that run exactly where it stopped: cfg must then
 * be the checkpoint's configuration (only epochs, threads, loader_threads, eval_every and
 * save_every may differ). */
rcc_status rcc_run_train(const rcc_config *cfg, const rcc_dataset *data, const char *out_dir, const char *resume_from,
                         const rcc_run_hooks *hooks);

/* Assigns every image of `data` with the network of a parameter table planned for cfg:
 * cluster[n], confidence[n], h[n×rep_dim] (each may be NULL). */
rcc_status rcc_run_assign_all(const rcc_config *cfg, rcc_params *ps, const rcc_dataset *data, int *cluster,
                              float *confidence, float *h);

/* The learning rate at `step` (0-based) of a run with `batches` steps per epoch. */
double rcc_run_lr(const rcc_config *cfg, long step, int batches);

#endif
