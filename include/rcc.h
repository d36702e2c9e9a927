/* rcc.h — public API of librcc: Robust Contrastive Clustering in C.
 * The library never prints and never exits: every call returns an rcc_status,
 * and rcc_last_error() gives a sentence on what went wrong. */
#ifndef RCC_H
#define RCC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define RCC_VERSION_MAJOR 0
#define RCC_VERSION_MINOR 1
#define RCC_VERSION_PATCH 0
#define RCC_VERSION_STRING "0.1.0"

typedef enum {
    RCC_OK = 0,
    RCC_ERR_NOMEM,        /* an allocation failed */
    RCC_ERR_IO,           /* a file could not be opened, read or written */
    RCC_ERR_FORMAT,       /* a file is not in the expected format */
    RCC_ERR_ARG,          /* an argument is out of range or inconsistent */
    RCC_ERR_BACKEND,      /* oneDNN refused or failed an operation */
    RCC_ERR_NUMERIC,      /* a NaN or infinity appeared */
    RCC_ERR_INTERRUPTED   /* stopped on request (signal) */
} rcc_status;

/* A constant string naming the status. */
const char *rcc_strerror(rcc_status status);
/* The detail of the last error on this thread ("" if none). */
const char *rcc_last_error(void);
/* "0.1.0" */
const char *rcc_version(void);

/* Threads. Every call that computes (a training run or step, a network's passes, scoring, k-means,
 * the benchmarks) sets its thread count and floating-point mode on the threads it runs on, only
 * while it runs, and restores them before it returns: the calling thread's OpenMP thread count
 * (omp_get_max_threads) and its MXCSR, and the MXCSR of the OpenMP workers it used, which flush
 * denormal floats to zero meanwhile (denormals slow training down tenfold). A host's own threads,
 * OpenMP settings and numerics are as it left them. Training and rcc_training_* use
 * rcc_config.threads; networks, scoring, k-means, the probe and the benchmarks a count of their
 * own (rcc_net_set_threads, rcc_bench_config.threads) or else this library default. */

/* The library default thread count of later contexts (<= 0: back to rcc_threads_available()).
 * A setting of librcc only: it changes neither OpenMP's settings nor the process's. */
void rcc_set_threads(int threads);
/* The library default: rcc_set_threads' count, or rcc_threads_available() (found once). The
 * presets' rcc_config.threads is this. */
int rcc_get_threads(void);
/* The CPUs this process may use: those of its affinity mask (sched_getaffinity), at most its
 * cgroup v2 CPU quota (cpu.max: ceil(quota / period)) where one is set; at least 1. */
int rcc_threads_available(void);
/* The thread count rcc computes with when asked for `threads`: at most rcc_threads_available(),
 * since OpenMP threads past the CPUs wait for each other at every barrier (a step 5-20x slower,
 * measured in docs/performance.md); the environment variable RCC_OVERSUBSCRIBE=1 lifts the cap. */
int rcc_compute_cap(int threads);
/* Whether oneDNN has Winograd convolution kernels on this CPU (fp32: AVX-512); without them,
 * conv "winograd" computes every convolution directly. */
bool rcc_conv_winograd_available(void);
/* Whether this CPU computes bf16 convolutions (AVX512-BF16, and oneDNN has kernels for it), which
 * rcc_config.precision bf16 needs. oneDNN's emulation on other AVX-512 CPUs is slower than f32
 * and not counted, unless the environment has RCC_BF16_EMULATED=1 (to check bf16 numerics there). */
bool rcc_conv_bf16_available(void);
/* Seconds on a monotonic clock (for timing). */
double rcc_now(void);
/* Room for a path: Linux's PATH_MAX (the kernel refuses longer ones with ENAMETOOLONG). */
#define RCC_PATH_MAX 4096
/* The longest output folder (--out) rcc takes: the files it names there (checkpoint.safetensors.tmp.<pid>,
 * metrics.jsonl, report.json, runs/...) leave room to spare within RCC_PATH_MAX. */
#define RCC_DIR_MAX (RCC_PATH_MAX - 96)

/* dst = "dir/name"; RCC_ERR_ARG naming the path if that does not fit in size bytes (dst is then ""). */
rcc_status rcc_path_join(char *dst, size_t size, const char *dir, const char *name);

/* Records a formatted detail for rcc_last_error() on this thread and returns status: for programs
 * built on librcc that report their own errors the same way. */
#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
rcc_status rcc_fail(rcc_status status, const char *fmt, ...);

/* ------------------------------------------------------------------ configuration */

/* The choices of a configuration that have names. Each has one table of them: rcc_X_name gives a
 * value's name (NULL when out of range), rcc_X_parse the value of a name (RCC_ERR_ARG naming the
 * known ones otherwise). Checkpoints, flags and JSON use the names. */
typedef enum {
    RCC_BACKBONE_RESNET18,       /* "resnet18" (docs/method.md §1): 7×7 stride-2 stem and a max-pool */
    RCC_BACKBONE_RESNET18_SMALL, /* "resnet18-small": 3×3 stride-1 stem, no max-pool (small images) */
} rcc_backbone;
typedef enum {
    RCC_AUGMENT_PAPER, /* "paper": docs/method.md §3 exactly */
    RCC_AUGMENT_CPU,   /* "cpu": gray digits (larger crops, lighter blur, small rotations) */
    RCC_AUGMENT_PHOTO, /* "photo": colour photos (CC's CIFAR-10 ones: flips, no blur) */
    RCC_AUGMENT_NONE,  /* "none": every view is the evaluation view */
} rcc_augment_preset;
typedef enum {
    RCC_CONV_DIRECT,   /* "direct": oneDNN's direct kernels (the reference numbers) */
    RCC_CONV_WINOGRAD, /* "winograd": training's 3×3 stride-1 convolutions by Winograd F(4×4,3×3) where
                        * oneDNN has it (faster, rounding differs; docs/performance.md); direct elsewhere */
} rcc_conv_kind;
typedef enum {
    RCC_PRECISION_F32,  /* "f32" */
    RCC_PRECISION_BF16, /* "bf16": the backbone's activations and convolution weights */
} rcc_precision;

const char *rcc_backbone_name(rcc_backbone b);
rcc_status rcc_backbone_parse(const char *name, rcc_backbone *b);
const char *rcc_augment_preset_name(rcc_augment_preset a);
rcc_status rcc_augment_preset_parse(const char *name, rcc_augment_preset *a);
const char *rcc_conv_kind_name(rcc_conv_kind k);
rcc_status rcc_conv_kind_parse(const char *name, rcc_conv_kind *k);
const char *rcc_precision_name(rcc_precision p);
rcc_status rcc_precision_parse(const char *name, rcc_precision *p);

/* Every hyper-parameter of a run (docs/method.md §1–4 and the engineering around them). */
typedef struct {
    /* model */
    rcc_backbone backbone;
    int in_channels;   /* 0: taken from the data */
    int image_size;    /* S: images are resized to S×S */
    int width;         /* channels of the first stage (64 for ResNet-18) */
    int rep_dim;       /* backbone output on the unit sphere (paper: 3) */
    int feature_dim;   /* instance head output (paper: 128) */
    int clusters;      /* K */
    int hidden;        /* heads' hidden width (512) */
    /* loss */
    float lambda, tau_i, tau_c, t;
    float entropy_weight; /* of the batch-entropy term (1, the paper's; 0: no size prior; docs/imbalance.md) */
    /* optimisation */
    float lr, beta1, beta2, adam_eps, weight_decay;
    int warmup_epochs;  /* linear learning-rate warm-up */
    int cosine;         /* 1: cosine decay of the learning rate to 0 over the run; 0: constant */
    int batch;          /* images per view per step */
    int epochs;
    uint64_t seed;
    rcc_augment_preset augment; /* the augmentations (rcc_aug_preset) */
    float crop_area_min;  /* overrides of the preset when >= 0: smallest crop area fraction, */
    float jitter_prob;    /*   colour-jitter probability, */
    float blur_prob;      /*   blur probability, */
    float rotate_deg;     /*   largest rotation in degrees (negative: the preset's value) */
    /* self-labelling (SCAN's second stage) after the contrastive epochs: the clusters the network
     * gives an image's evaluation view with more than the threshold's confidence become targets of
     * a class-balanced cross-entropy on its augmented view (docs/training.md) */
    int self_label_epochs;      /* 0: no such stage */
    float self_label_threshold; /* confidence over which a cluster becomes a target (0.99) */
    float self_label_lr;        /* the stage's constant Adam learning rate (1e-4) */
    /* running */
    int threads;        /* compute threads (the presets': rcc_get_threads()) */
    int loader_threads; /* data threads */
    int eval_every;     /* epochs between evaluations (when labels exist); 0 = only at the end */
    int save_every;     /* epochs between checkpoints; 0 = only at the end */
    rcc_conv_kind conv; /* convolution kernels (default direct) */
    rcc_precision precision; /* the backbone's activations and convolution weights (default f32); bf16:
                              * f32 master weights, Adam, batch-norm statistics, heads and losses; faster
                              * where the CPU has AVX512-BF16, and only there (rcc_conv_bf16_available);
                              * one process only; not with conv winograd */
} rcc_config;

/* Fills c with a named preset: "paper" (docs/method.md exactly), "cpu" (the default for gray images:
 * fast on a CPU) or "photo" (the default for colour photos); the README's table says what each is. */
rcc_status rcc_config_preset(rcc_config *c, const char *name);
/* Checks ranges; the error names the field. */
rcc_status rcc_config_check(const rcc_config *c);
/* The configuration as JSON text, as checkpoints store it (free it with free(); NULL when out of
 * memory). */
char *rcc_config_to_json(const rcc_config *c);
/* Parses what rcc_config_to_json wrote; unknown keys are an error, missing keys keep c's values. */
rcc_status rcc_config_from_json(rcc_config *c, const char *json);

/* ------------------------------------------------------------------ training */

/* A whole run, as `rcc train` does it: loads the data sources (IDX, .npy, folders of PNG/JPEG),
 * trains, evaluates when labels are given, and writes out_dir/checkpoint.safetensors and
 * out_dir/metrics.jsonl (the training log, RCC_METRICS_FILE: see rcc_metrics_log_load). labels
 * may be NULL (else one IDX label file per source, or NULL entries); resume_from, a checkpoint to
 * continue, may be NULL. */
rcc_status rcc_train(const rcc_config *c, const char *const *sources, int nsources, const char *const *labels,
                     const char *out_dir, const char *resume_from);

/* Step by step, for programs that bring their own images. */
typedef struct rcc_training rcc_training;

/* A fresh model and optimizer for `channels`-channel images (c->in_channels is ignored). */
rcc_status rcc_training_create(rcc_training **t, const rcc_config *c, int channels);
/* One step on two augmented views of c->batch images: views is 2·batch images of C×S×S
 * (all first views, then all second views), values in [0, 1]. losses (may be NULL) receives
 * L_ins, NT-Xent of the clusters, H^a + H^b, L_unif, and the total. */
rcc_status rcc_training_step(rcc_training *t, const float *views, double losses[5]);
/* A checkpoint rcc_net_load (and `rcc predict`) can read. */
rcc_status rcc_training_save(rcc_training *t, const char *path);
void rcc_training_free(rcc_training *t);

/* ------------------------------------------------------------------ the training log */

/* The log rcc_train writes in its output folder: one JSON object a line (docs/training.md). */
#define RCC_METRICS_FILE "metrics.jsonl"

typedef enum {
    RCC_METRICS_STEP,  /* "kind":"step": one optimizer step (epoch, batch, step, lr, the loss terms) */
    RCC_METRICS_EPOCH, /* "kind":"epoch": the epoch's mean loss terms, seconds, empty, largest */
    RCC_METRICS_EVAL,  /* "kind":"eval": acc, nmi, ari after an epoch, and the seconds it took */
    RCC_METRICS_DRIFT, /* "kind":"drift": a streaming run's checkpoint (rcc_run_stream, docs/online.md) */
    RCC_METRICS_OTHER  /* no "kind", or another one (a file written by another program) */
} rcc_metrics_kind;

/* The loss terms, in the order of rcc_training_step's losses. */
enum { RCC_LOSS_INS, RCC_LOSS_CLU_NCE, RCC_LOSS_ENTROPY, RCC_LOSS_UNIF, RCC_LOSS_TOTAL, RCC_LOSS_TERMS };

/* One line of the log. Every number is NaN when the line does not hold it as a number. */
typedef struct {
    rcc_metrics_kind kind;
    int line;                     /* 1-based line of the file */
    double epoch, batch, step;    /* epoch and batch are 1-based, step counts the steps taken */
    double lr;                    /* learning rate of the step */
    double terms[RCC_LOSS_TERMS]; /* "ins", "clu_nce", "entropy", "unif", "total" */
    double seconds;               /* duration of the epoch (its evaluation included); of an eval line, of
                                   * the evaluation alone (so training time is the difference) */
    double empty, largest;        /* clusters that received nothing, fraction in the largest */
    double acc, nmi, ari;
    double acc_predict;           /* eval line of a training's last epoch: ACC of `rcc predict`'s default
                                   * clusters (the head's refined by the neighbour vote, rcc_vote) */
    /* drift: images seen, held in the pool, skipped; mean confidence of the recent images; the
     * share of the probe sample that changed cluster since the previous checkpoint and the ARI
     * between the two assignments */
    double seen, pool, skipped, recent_confidence, probe_moved, probe_ari;
} rcc_metrics_record;

typedef struct {
    rcc_metrics_record *records; /* n, in file order */
    size_t n;
    int lines;     /* lines read */
    int bad_lines; /* lines that are neither blank nor a JSON object: skipped */
} rcc_metrics_log;

/* Reads a log (the epoch's cluster sizes are not kept). Blank lines and lines that are not JSON
 * objects are skipped, but the file is refused (RCC_ERR_FORMAT, naming the line) as soon as more
 * than three lines, and more than half of those read, are not JSON objects. */
rcc_status rcc_metrics_log_load(const char *path, rcc_metrics_log *log);
void rcc_metrics_log_free(rcc_metrics_log *log);
/* The key of loss term t (RCC_LOSS_INS ...) in the file: "ins", "clu_nce", ...; NULL if out of range. */
const char *rcc_metrics_term_key(int t);

/* ------------------------------------------------------------------ inference */

/* A trained network loaded from a checkpoint, ready to embed images and assign clusters. Loading
 * plans its forward passes for one image and for rcc_net_batch images; a pass over n images in
 * between runs on plans for powers of two near n (each made on its first use, so that first pass
 * takes longer), costing about n images, not a full batch. A network computes with
 * rcc_get_threads() threads as of its loading, or rcc_net_set_threads' (the training run's count
 * is rcc_net_config(net)->threads). rcc_net_assign_data (rcc_data.h) runs it over a data set. */
typedef struct rcc_net rcc_net;

rcc_status rcc_net_load(rcc_net **net, const char *checkpoint_path);
/* rcc_net_load with the precision of the passes: "f32", "bf16" (RCC_ERR_ARG where
 * !rcc_conv_bf16_available()), or NULL / "" for the training's, f32 where the CPU has no bf16
 * convolutions (rcc_net_load's choice). Either precision runs
 * any checkpoint (the parameters are stored in f32); rcc_net_config(net)->precision names the one
 * in use. bf16 is faster on CPUs with AVX512-BF16 (docs/performance.md). */
rcc_status rcc_net_load_precision(rcc_net **net, const char *checkpoint_path, const char *precision);
void rcc_net_free(rcc_net *net);
/* The configuration the network was trained with, but for its precision and conv: the ones its
 * passes use (rcc_net_load_precision; rcc_checkpoint_info reads the training's). */
const rcc_config *rcc_net_config(const rcc_net *net);
/* The images of the largest forward pass (more are done in several). */
int rcc_net_batch(const rcc_net *net);
/* The threads of its passes (<= 0: rcc_get_threads()). oneDNN fits its kernels to the count when
 * they are planned, so a change plans the passes again (the cost of a load without the reading):
 * set it right after loading. When planning fails, the old count's plans are made again (the
 * error says whether that worked; if not, the network must not be used). */
rcc_status rcc_net_set_threads(rcc_net *net, int threads);
int rcc_net_threads(const rcc_net *net);
/* n images, C×S×S each (C, S of the configuration), values in [0, 1]. Any output may be NULL:
 * cluster[n] (argmax of the cluster head), confidence[n] (its probability), h[n×rep_dim]
 * (the unit-sphere features), probs[n×K]. Thread-compatible: one call at a time per net. */
rcc_status rcc_net_assign(rcc_net *net, const float *images, int n, int *cluster, float *confidence, float *h,
                          float *probs);

#ifdef __cplusplus
}
#endif
#endif
