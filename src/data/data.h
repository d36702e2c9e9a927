/* data.h — the data module's internal side: bilinear resize, the random choices of an
 * augmentation, and the prefetching loader; the public side (data sets, augmentation presets,
 * views) is include/rcc_data.h. Contract between the data module and the training loop; see
 * docs/data.md. */
#ifndef RCC_DATA_H
#define RCC_DATA_H

#include <stdbool.h>
#include <stdint.h>
#include "rcc.h"
#include "rcc_data.h"

/* Bilinear resize of one C×H×W image to C×S×S, as PyTorch's interpolate(mode="bilinear",
 * align_corners=False, antialias=False). */
void rcc_resize_bilinear(const float *src, int c, int h, int w, float *dst, int s);

/* ---------------------------------------------------------------- augmentation */

/* The random choices of one view, drawn by rcc_aug_sample and applied by rcc_aug_apply
 * (rcc_augment is the two in a row). Exposed so tests can check their statistics. */
typedef enum { RCC_JIT_BRIGHTNESS, RCC_JIT_CONTRAST, RCC_JIT_SATURATION, RCC_JIT_HUE } rcc_jitter_op;
typedef struct {
    int crop_y, crop_x, crop_h, crop_w; /* region of the source image resampled to S×S */
    bool flip;
    bool jitter;
    int jitter_order[4]; /* a permutation of rcc_jitter_op */
    float brightness, contrast, saturation, hue;
    bool gray;
    bool blur;
    float blur_sigma;
    int blur_kernel; /* odd; 1 means no blur */
    float rotate;    /* degrees, counter-clockwise; 0 means none */
} rcc_aug_params;

/* Draws the choices for a c×h×w source image and output side s; deterministic in
 * (seed, epoch, index, view). */
void rcc_aug_sample(const rcc_aug_config *a, int c, int h, int w, int s, uint64_t seed, uint64_t epoch, int index,
                    int view, rcc_aug_params *p);
/* Applies them to one c×h×w image in [0, 1], writing c×s×s in [0, 1]. */
void rcc_aug_apply(const rcc_aug_params *p, const float *img, int c, int h, int w, int s, float *out);
/* RCC_ERR_ARG (with the reason) unless every probability is in [0, 1] and every range is sane. */
rcc_status rcc_aug_check(const rcc_aug_config *a);
/* ---------------------------------------------------------------- loader */

typedef struct rcc_loader rcc_loader;

typedef enum {
    RCC_LOADER_TRAIN, /* shuffled each epoch (by seed, epoch), last partial batch dropped, two views */
    RCC_LOADER_EVAL,  /* in order, every image once, last batch may be short, one evaluation view */
    RCC_LOADER_SELF_LABEL /* as TRAIN, but view a is the evaluation view (self-labelling's targets) */
} rcc_loader_mode;

/* Prepares batches on `threads` worker threads while the caller trains. */
rcc_status rcc_loader_create(rcc_loader **l, const rcc_dataset *d, const rcc_aug_config *aug, rcc_loader_mode mode,
                             int batch, int s, uint64_t seed, int threads);
/* Data-parallel training: this process takes rows rank·b/size .. (rank+1)·b/size − 1 of every
 * global batch of b images (same order and views as one process would have). Call before the
 * first epoch; rcc_loader_next then gives b/size images per view. */
rcc_status rcc_loader_set_shard(rcc_loader *l, int rank, int size);
/* Starts epoch `epoch` (0-based) at batch `start_batch` (for resuming mid-epoch). */
rcc_status rcc_loader_start_epoch(rcc_loader *l, uint64_t epoch, int start_batch);
/* Fills out with the next batch: TRAIN: 2·batch images (views a of all, then views b of all);
 * EVAL: up to batch images. indices (may be NULL) gets the data-set index of each image (batch
 * entries). *count = images per view in this batch; 0 at the end of the epoch. */
rcc_status rcc_loader_next(rcc_loader *l, float *out, int *indices, int *count);
int rcc_loader_batches_per_epoch(const rcc_loader *l);
void rcc_loader_free(rcc_loader *l);

#endif
