/* data.h — images in, batches of augmented views out: readers (IDX, image folders, .npy),
 * bilinear resize, the augmentation family of SPEC.md §3, and a prefetching loader.
 * Contract between the data module and the training loop; see docs/data.md. */
#ifndef RCC_DATA_H
#define RCC_DATA_H

#include <stdbool.h>
#include <stdint.h>
#include "rcc.h"

/* ---------------------------------------------------------------- data sets */

/* N images of C×H×W, float32 in [0, 1], NCHW, all of one size; optional integer labels. */
typedef struct {
    int n, c, h, w;
    float *pix;      /* n·c·h·w */
    int *labels;     /* n, or NULL when unlabelled */
    int num_classes; /* max label + 1, or 0 */
    char **names;    /* n source names (file paths for folders), or NULL (then the index names it) */
} rcc_dataset;

/* Loads and concatenates one or more sources. A source is an IDX image file (.gz or raw), a
 * .npy file, or a folder of PNG/JPEG images (flat, or one subfolder per class, which gives labels).
 * label_paths (may be NULL or hold NULLs) gives an IDX label file per source; for IDX image
 * files whose name contains "images-idx3", the matching "labels-idx1" file beside it is used
 * when present. Errors name the file and the problem. */
rcc_status rcc_dataset_load(rcc_dataset *d, const char *const *paths, int npaths, const char *const *label_paths);
void rcc_dataset_free(rcc_dataset *d);

/* What loading did quietly, for the caller to report (the library does not print). */
typedef struct {
    int skipped_files;       /* files in folders without a .png/.jpg/.jpeg name, and nested folders: ignored */
    char first_skipped[256]; /* the first of them ("" if none) */
    int resized;             /* images resized to the first image's H×W (mixed sizes) */
    int gray_to_rgb;         /* gray images replicated to 3 channels because other images are colour */
    bool labels_dropped;     /* some sources had labels and others not: the data set is unlabelled */
} rcc_data_report;

/* rcc_dataset_load, also filling *report (may be NULL). */
rcc_status rcc_dataset_load_report(rcc_dataset *d, const char *const *paths, int npaths,
                                   const char *const *label_paths, rcc_data_report *report);

/* Bilinear resize of one C×H×W image to C×S×S, as PyTorch's interpolate(mode="bilinear",
 * align_corners=False, antialias=False). */
void rcc_resize_bilinear(const float *src, int c, int h, int w, float *dst, int s);

/* ---------------------------------------------------------------- augmentation */

typedef struct {
    float crop_prob;               /* probability of a random resized crop (else the whole image) */
    float crop_area_min, crop_area_max;
    float crop_ratio_min, crop_ratio_max; /* aspect ratio range, sampled log-uniformly */
    float jitter_prob;
    float brightness, contrast, saturation, hue; /* factors U(1−x, 1+x); hue shift U(−hue, hue) */
    float gray_prob;
    float blur_prob, blur_sigma_min, blur_sigma_max;
    float blur_kernel_frac;        /* kernel ≈ frac·S, made odd */
    float flip_prob;               /* horizontal flip (0 in the paper preset) */
    float rotate_deg;              /* rotation by U(−x, x) degrees about the crop's centre (0: none) */
} rcc_aug_config;

/* "paper" (SPEC.md §3 exactly) or any other preset the module documents; RCC_ERR_ARG if unknown. */
rcc_status rcc_aug_preset(rcc_aug_config *a, const char *name);

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
/* The Gaussian blur kernel side for output side s: int(blur_kernel_frac·s), made odd (7 at S = 64). */
int rcc_aug_blur_kernel(const rcc_aug_config *a, int s);
/* Writes one augmented S×S view of image `index` of d into out (C×S×S). Deterministic in
 * (seed, epoch, index, view) only: the same arguments give the same view on any thread. */
void rcc_augment(const rcc_aug_config *a, const rcc_dataset *d, int index, int s, uint64_t seed, uint64_t epoch,
                 int view, float *out);
/* The evaluation view: the image resized to S×S. */
void rcc_eval_view(const rcc_dataset *d, int index, int s, float *out);

/* ---------------------------------------------------------------- loader */

typedef struct rcc_loader rcc_loader;

typedef enum {
    RCC_LOADER_TRAIN, /* shuffled each epoch (by seed, epoch), last partial batch dropped, two views */
    RCC_LOADER_EVAL   /* in order, every image once, last batch may be short, one evaluation view */
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
