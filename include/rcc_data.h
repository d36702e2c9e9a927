/* rcc_data.h — public API of librcc: images in. Data sets read from IDX files, .npy files and
 * folders of PNG/JPEG; the augmentation presets and the views they make; and the inference
 * network (rcc.h) run over a whole data set. Like rcc.h: no call prints or exits. */
#ifndef RCC_DATA_PUBLIC_H
#define RCC_DATA_PUBLIC_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include "rcc.h"
#include "rcc_eval.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---------------------------------------------------------------- data sets */

/* N images of C×H×W in [0, 1], NCHW, all of one size; optional integer labels. The pixels are held
 * one of two ways, exactly one pointer set: as bytes in u8 (pixel value b / 255.0f) when every
 * source had 8-bit samples (PNG, JPEG, IDX; a quarter of the memory of floats), or as float32 in pix
 * (.npy float sources, and what callers build themselves). rcc_dataset_px reads either. */
typedef struct {
    int n, c, h, w;
    float *pix;          /* n·c·h·w floats, or NULL when u8 holds the pixels */
    int *labels;         /* n, or NULL when unlabelled */
    int num_classes;     /* max label + 1, or 0 */
    char **names;        /* n source names (file paths for folders), or NULL (then the index names it) */
    unsigned char *u8;   /* n·c·h·w bytes, or NULL when pix holds the pixels */
} rcc_dataset;

/* Pixel i (0 <= i < n·c·h·w, NCHW order) as a float in [0, 1], whichever way d holds it. */
static inline float rcc_dataset_px(const rcc_dataset *d, size_t i)
{
    return d->u8 ? d->u8[i] / 255.0f : d->pix[i];
}

/* Turns a data set held as bytes into floats in place (pix set, u8 freed; four times the memory),
 * for callers that want to read or change d->pix; nothing when it holds floats already. */
rcc_status rcc_dataset_to_float(rcc_dataset *d);

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
    int broken_files;        /* image files in folders that did not decode (rcc_load_options.skip_broken) */
    char first_broken[256];  /* the first of them ("" if none) */
} rcc_data_report;

/* rcc_dataset_load, also filling *report (may be NULL). A broken image file is an error. */
rcc_status rcc_dataset_load_report(rcc_dataset *d, const char *const *paths, int npaths,
                                   const char *const *label_paths, rcc_data_report *report);

/* How a load treats the messiness of real folders. */
typedef struct {
    /* Image files inside folders that cannot be read or decoded (truncated, corrupt, unreadable)
     * are skipped instead of failing the load, each one passed to on_broken. An image file named
     * as a source itself is always an error. */
    bool skip_broken;
    /* ... but the load fails when more than this share of the image files found are broken (a
     * folder of something else, a failing disk): 0.05 by default; 1 never refuses. */
    double max_broken;
    void (*on_broken)(const char *path, const char *why, void *user);
    /* Called every few hundred image files decoded, in folders or named as sources, with the folder
     * (or file) being read, and once at the end with NULL (may be NULL). */
    void (*on_progress)(long decoded, const char *folder, void *user);
    void *user;
    /* When it becomes non-zero (a signal handler, another thread, on_progress), the load stops before
     * its next image file or source and returns RCC_ERR_INTERRUPTED (may be NULL). */
    volatile sig_atomic_t *stop;
} rcc_load_options;

/* Turns d's images into `channels` (1 or 3) in place: colour to gray by the luma weights of the
 * augmentations' grayscale (docs/method.md §3; the result is held as floats, since luma is not a byte),
 * gray to colour by replication (bytes stay bytes); nothing when equal. */
rcc_status rcc_dataset_convert_channels(rcc_dataset *d, int channels);

/* skip_broken on, max_broken 0.05, no callbacks. */
rcc_load_options rcc_load_defaults(void);
/* rcc_dataset_load_report with options (NULL: as rcc_dataset_load_report, broken files fail). */
rcc_status rcc_dataset_load_opts(rcc_dataset *d, const char *const *paths, int npaths,
                                 const char *const *label_paths, const rcc_load_options *opt,
                                 rcc_data_report *report);

/* ---------------------------------------------------------------- subsets (the long-tail benchmark) */

/* The class sizes of a long tail (docs/data.md): the C classes are put in an order drawn from seed
 * (order[r] = the class at rank r; may be NULL), and the class at rank r keeps
 *   n_r = floor(n_max · ratio^(−r/(C−1)))   (at least 1),
 * so the largest keeps n_max and the smallest n_max / ratio. n_max <= 0 means the smallest class's
 * size (counts[c] images in class c); RCC_ERR_ARG when a class cannot give its share, ratio < 1, or
 * a class is empty. sizes[c] receives class c's share. */
rcc_status rcc_long_tail_sizes(const int *counts, int classes, double ratio, int n_max, uint64_t seed, int *order,
                               int *sizes);
/* Which images of a labelled set (labels[n] in 0..classes−1) a long-tailed subset keeps: each class
 * its share (rcc_long_tail_sizes), drawn at random from seed without replacement. *index (malloc'ed,
 * *count entries) lists them in the data set's order. The same arguments give the same subset. */
rcc_status rcc_long_tail_select(const int *labels, int n, int classes, double ratio, int n_max, uint64_t seed,
                                int **index, int *count);
/* A new data set of images index[0..count) of d (pixels as d holds them, labels and names kept). */
rcc_status rcc_dataset_subset(const rcc_dataset *d, const int *index, int count, rcc_dataset *out);
/* A gray data set held as bytes, as gzip-compressed IDX files: images (magic 0x803, N×H×W) and,
 * unless labels_path is NULL, its labels (0x801; labels must be 0..255). */
rcc_status rcc_dataset_write_idx(const rcc_dataset *d, const char *images_path, const char *labels_path);

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

/* The augmentations of a preset (rcc.h's rcc_augment_preset; RCC_AUGMENT_PAPER is docs/method.md
 * §3 exactly); RCC_ERR_ARG for a value out of range. */
rcc_status rcc_aug_preset(rcc_aug_config *a, rcc_augment_preset preset);

/* The Gaussian blur kernel side for output side s: int(blur_kernel_frac·s), made odd (7 at S = 64). */
int rcc_aug_blur_kernel(const rcc_aug_config *a, int s);
/* Writes one augmented S×S view of image `index` of d into out (C×S×S). Deterministic in
 * (seed, epoch, index, view) only: the same arguments give the same view on any thread. */
void rcc_augment(const rcc_aug_config *a, const rcc_dataset *d, int index, int s, uint64_t seed, uint64_t epoch,
                 int view, float *out);
/* The evaluation view: the image resized to S×S. */
void rcc_eval_view(const rcc_dataset *d, int index, int s, float *out);

/* One PNG or JPEG held in memory (bytes[len]) as a network's input: `channels` (1 or 3) planes of
 * size×size floats in [0, 1] at out — the evaluation view of the image, the same floats that
 * rcc_net_assign_data gives the same file loaded alone with rcc_dataset_load. Gray is replicated
 * to 3 channels; colour becomes gray by luma (ITU-R BT.601, as the grayscale augmentation). An
 * image with a side above max_side (<= 0: the data module's limit, 16384) is refused from its
 * header, before its pixels are decoded. Errors (RCC_ERR_FORMAT: empty, not PNG/JPEG, corrupt,
 * truncated, too large) start with `name`. Thread-safe. */
rcc_status rcc_image_view_decode(const void *bytes, size_t len, int channels, int size, int max_side,
                                 const char *name, float *out);

/* ---------------------------------------------------------------- images out */

/* Image `index` of d as an 8-bit PNG (gray or RGB, as d) in memory (*png malloc'ed, *len bytes),
 * scaled down with the antialiased load-time resize to fit max_side pixels (never enlarged;
 * <= 0: at its size). For thumbnails (`rcc report`) and for images without a file of their own
 * (`rcc predict --sort-into` of IDX or .npy data). */
rcc_status rcc_dataset_image_png(const rcc_dataset *d, int index, int max_side, unsigned char **png, size_t *len);

/* A PNG or JPEG held in memory as a PNG thumbnail fitting max_side (as above), in its own channels.
 * An image with a side above max_decode_side (<= 0: the data module's limit) is refused from its
 * header (RCC_ERR_FORMAT, as for anything that does not decode). Thread-safe. */
rcc_status rcc_image_thumbnail_png(const void *bytes, size_t len, int max_decode_side, int max_side,
                                   unsigned char **png, size_t *png_len);

/* ---------------------------------------------------------------- inference over a data set */

/* Called for each image, in data-set order, as soon as its answer is known: its index, cluster,
 * confidence and h (rep_dim floats, valid during the call). */
typedef void (*rcc_net_emit)(int index, int cluster, float confidence, const float *h, void *user);

/* Assigns every image of d, each resized to the network's size (its evaluation view), in
 * batches of rcc_net_batch(net) prepared on the configuration's loader threads. Any output may be
 * NULL: cluster[n], confidence[n], h[n×rep_dim], probs[n×K]; emit (may be NULL) gets each answer
 * in order. RCC_ERR_ARG when d's channels are not the network's. */
rcc_status rcc_net_assign_data(rcc_net *net, const rcc_dataset *d, int *cluster, float *confidence, float *h,
                               float *probs, rcc_net_emit emit, void *user);
/* Channels of stage 3's output: 4·width (256 in the cpu preset), the features rcc_net_stage3_data gives. */
int rcc_net_stage3_dim(const rcc_net *net);
/* Every image's evaluation view through the backbone up to stage 3, its output averaged over
 * positions: features[n × rcc_net_stage3_dim(net)], row-major. Richer than h (which stage 4 squeezes
 * into rep_dim channels): docs/imbalance.md §5 clusters them. */
rcc_status rcc_net_stage3_data(rcc_net *net, const rcc_dataset *d, float *features);
/* rcc_net_assign_data and rcc_net_stage3_data in one pass over the images (what `rcc predict` needs
 * to refine the head's clusters by their neighbours, rcc_vote): every output may be NULL. */
rcc_status rcc_net_assign_stage3_data(rcc_net *net, const rcc_dataset *d, int *cluster, float *confidence,
                                      float *h, float *probs, float *features);
/* The clusters `rcc predict` gives by default (and `rcc report`, Python's RCC.predict, the training's
 * acc_predict): the head's, refined by the votes of each image's `knn` nearest neighbours in the
 * stage-3 features (rcc_vote with rcc_vote_config_default's rounds and limit, on the network's
 * threads); knn 0, or fewer than 2 images: the head's alone. cluster[n]: the final clusters; head[n]
 * (or NULL): the head's; confidence[n] (or NULL): the head's probability of the final cluster;
 * h[n × rep_dim] (or NULL); vr (or NULL): what the vote did ({0, 0, false} when it did not run).
 * RCC_ERR_ARG for knn outside 0..RCC_VOTE_MAX_KNN, or above 0 with more than RCC_VOTE_MAX_POINTS
 * images. */
rcc_status rcc_net_assign_voted(rcc_net *net, const rcc_dataset *d, int knn, int *cluster, int *head,
                                float *confidence, float *h, rcc_vote_result *vr);

#ifdef __cplusplus
}
#endif

#endif
