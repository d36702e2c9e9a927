/* rcc_bench.h — public API of librcc: timing the engine, as `rcc bench` reports it. One full
 * training step of the model (two views, forward, all losses, backward, Adam) or inference (one
 * image, and a batch) on random images; medians over repetitions, optionally with a profile by
 * operation and by layer. */
#ifndef RCC_BENCH_PUBLIC_H
#define RCC_BENCH_PUBLIC_H

#include <stdbool.h>
#include "rcc.h"
#include "rcc_data.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
    int batch;     /* images per view (a training step sees twice this); inference: the batch */
    int size;      /* image side S */
    int steps;     /* timed repetitions (inference: the batch; the single image runs 20× this) */
    int warmup;    /* untimed repetitions first */
    int width, rep_dim, channels, clusters;
    rcc_conv_kind conv;
    bool profile;  /* time every primitive (each then waits for completion): the training step, or
                    * inference's batch pass */
    rcc_backbone backbone;
    rcc_precision precision;
    int threads;   /* compute threads (0: rcc_get_threads()) */
} rcc_bench_config;

/* The paper's step: batch 256, 64×64, 10 steps after 3, width 64, rep_dim 3, 1 channel, K 10, direct,
 * resnet18, f32, the default threads. */
void rcc_bench_config_default(rcc_bench_config *b);

/* Time spent by one kind of operation, or by one layer, over the timed steps. */
typedef struct {
    const char *name;
    double seconds, flops;
    long calls;
} rcc_prof_entry;

typedef struct {
    double *times;          /* the timed steps' seconds, ascending (steps of them) */
    int steps;
    double median, min;     /* seconds */
    double step_flops;      /* one step, counting every convolution as direct */
    double backbone_macs;   /* multiply-adds of one image through the backbone */
    double loss;            /* the last step's total loss */
    rcc_prof_entry *ops;    /* with profile: by kind of operation, most time first */
    int nops;
    rcc_prof_entry *layers; /* with profile: by layer, in the order the layers first ran */
    int nlayers;
} rcc_bench_result;

rcc_status rcc_bench_train(const rcc_bench_config *b, rcc_bench_result *r);
void rcc_bench_result_free(rcc_bench_result *r);

typedef struct {
    double latency;   /* one image: median seconds */
    int latency_runs; /* over this many runs */
    double batch;     /* b->batch images in one forward pass: median seconds */
    int steps;        /* timed batch passes */
    rcc_prof_entry *ops;    /* with profile: the batch passes by kind of operation, most time first */
    int nops;
    rcc_prof_entry *layers; /* with profile: by layer, in the order the layers first ran */
    int nlayers;
} rcc_bench_infer_result;

/* Inference as rcc_net runs it: evaluation mode, a single-image pass and a batch pass (with
 * b->profile, the batch passes are profiled; free with rcc_bench_infer_result_free). */
rcc_status rcc_bench_infer(const rcc_bench_config *b, rcc_bench_infer_result *r);
void rcc_bench_infer_result_free(rcc_bench_infer_result *r);

/* ---------------------------------------------------------------- the fastest mode */

/* A training mode rcc offers: convolution kernels and precision. */
typedef struct {
    rcc_conv_kind conv;
    rcc_precision precision;
} rcc_mode;
#define RCC_MODES_MAX 3

/* The modes this CPU runs, in m: direct f32 always; winograd f32 where oneDNN has Winograd kernels
 * here; direct bf16 where it has bf16 ones (and !f32_only). Returns how many (1 to RCC_MODES_MAX). */
int rcc_modes(rcc_mode m[RCC_MODES_MAX], bool f32_only);

/* One timing of b's step (rcc_bench_modes): its image pairs per second in *rate. */
typedef rcc_status (*rcc_mode_timer)(const rcc_bench_config *b, double *rate, void *user);
/* Times the n modes of m on b's step, setting b->conv and b->precision to each in turn: rate[i] in
 * pairs/s, by timer (NULL: rcc_bench_train, quietly). *fastest gets the fastest one's index. Stops
 * at a timing that fails, with its status. */
rcc_status rcc_bench_modes(rcc_bench_config *b, const rcc_mode *m, int n, rcc_mode_timer timer, void *user,
                           double *rate, int *fastest);

/* What rcc_config_pick_mode measured. */
typedef struct {
    int n;                      /* modes this CPU offers for the choice; 1: nothing was timed */
    rcc_mode mode[RCC_MODES_MAX];
    double rate[RCC_MODES_MAX]; /* pairs/s of each on the configuration's step, when n > 1 */
    int chosen;                 /* the index of the one kept */
    bool bf16_direct;           /* !all at precision bf16: direct, bf16's only kernels, nothing timed */
    bool bf16_unsafe;           /* bf16 left out: !rcc_config_bf16_safe(c) */
} rcc_mode_choice;

/* Whether bf16 trains c's shape: oneDNN 2.6's bf16 backward-weights kernel of stage 4's stride-2
 * convolution on a 1x1 input (16x16 images with the resnet18 stem) writes NaN into the weight
 * gradient now and then, natively (AVX512-BF16 with AMX, measured: step 94 of a tiny run) as under
 * emulation; from 2x2 (32x32 images) on, 3 seeds x 40 epochs trained clean. rcc_config_pick_mode
 * leaves bf16 out where this is false. */
bool rcc_config_bf16_safe(const rcc_config *c);

/* The fastest mode for c's own step (`rcc train --best` and `--conv best`): all, every convolution
 * kernel and precision this CPU runs; !all, the kernels at c's precision. Times a short run of each
 * (rcc_bench_train on random `channels`-channel images, 2 steps after 1, c->threads threads; a few
 * seconds) and keeps the fastest in c->conv and c->precision; *choice (may be NULL) says what was
 * measured. */
rcc_status rcc_config_pick_mode(rcc_config *c, int channels, bool all, rcc_mode_choice *choice);

/* The training loader alone (the data path of a step, without the step): `batches` batches of
 * `batch` pairs of augmented s×s views of d made with augmentation a on `threads` loader threads,
 * the consumer only taking them; pairs per second over the whole run (the loader's start-up
 * included). */
rcc_status rcc_bench_loader(const rcc_dataset *d, const rcc_aug_config *a, int batch, int s, int threads,
                            int batches, double *pairs_per_s);

#ifdef __cplusplus
}
#endif

#endif
