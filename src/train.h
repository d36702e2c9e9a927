/* train.h — one RCC training step: both views through the network as one batch of 2N images
 * (batch-norm statistics per view), all losses, backward, Adam. */
#ifndef RCC_TRAIN_H
#define RCC_TRAIN_H

#include "loss.h"
#include "model.h"
#include "optim.h"

struct rcc_dist; /* dist.h */

typedef struct {
    rcc_model_config mcfg;
    rcc_loss_config lcfg;
    rcc_adam_config acfg;
    int n; /* images per view */
    rcc_params ps;
    rcc_model model;
    rcc_loss_ws lws;
    float *dz, *dy, *dh;
    long step;
    long adam_offset; /* steps before the Adam moments were last reset (the self-labelling stage's start) */
    /* data-parallel training (NULL: one process): n is this process's share of the batch */
    struct rcc_dist *dist;
    float *gz, *gy, *gh, *gdz, *gdy, *gdh; /* the global batch's outputs and their gradients */
} rcc_trainer;

typedef enum { RCC_INIT_DEFAULT, RCC_INIT_HASH } rcc_init_kind;

void rcc_loss_config_default(rcc_loss_config *c); /* λ 0.95, τ_I 0.5, τ_C 1, t 2 */
/* RCC_ERR_ARG naming the first setting out of its range (RCC_LOSS_RANGES). */
rcc_status rcc_loss_config_check(const rcc_loss_config *c);
rcc_status rcc_trainer_create(rcc_trainer *t, const rcc_model_config *mcfg, const rcc_loss_config *lcfg,
                              const rcc_adam_config *acfg, int n, rcc_init_kind init, uint64_t seed);
/* The same over the processes of dist (see dist.h): n images per view on each process, losses over
 * all n · size of them, gradients summed over processes, parameters equal everywhere (rank 0's at
 * the start). dist->sync_bn selects batch-norm statistics over all processes. */
rcc_status rcc_trainer_create_dist(rcc_trainer *t, const rcc_model_config *mcfg, const rcc_loss_config *lcfg,
                                   const rcc_adam_config *acfg, int n, rcc_init_kind init, uint64_t seed,
                                   struct rcc_dist *dist);
/* Views in t->model.input.ptr: rows 0..n−1 view a, n..2n−1 view b (NCHW, values in [0,1]).
 * Computes losses and gradients; with `update`, takes an Adam step. */
rcc_status rcc_trainer_step(rcc_trainer *t, rcc_loss_terms *out, bool update);
/* Starts Adam afresh (moments zero, bias correction from step 1) from step `at` on: a new
 * objective's gradients have another scale than the old moments (rcc_run_train's self-labelling
 * stage; SCAN builds a new optimizer for it). Only the offset when !reset (a resumed stage). */
void rcc_trainer_adam_restart(rcc_trainer *t, long at, bool reset);
/* Self-labelling (rcc_self_label): view a holds evaluation views, whose confident rows give the
 * targets, view b augmented views of the same images, trained towards them. *loss gets L over the
 * (global) batch, *confident the rows over the threshold; with `update` and at least one confident
 * row, an Adam step (none without: the moments would move the weights with no gradient). */
rcc_status rcc_trainer_step_self_label(rcc_trainer *t, float threshold, double *loss, int *confident, bool update);
/* Plans the model again for the calling context's thread count, over the same parameters,
 * gradients, moments and batch-norm statistics (rcc_compute_set_threads; one process only): the
 * input buffer moves, the numbers stay. */
rcc_status rcc_trainer_replan(rcc_trainer *t);
void rcc_trainer_free(rcc_trainer *t);
/* Direct-equivalent floating-point operations of one step (forward, backward-data, backward-weights). */
double rcc_trainer_step_flops(const rcc_trainer *t);

#endif
