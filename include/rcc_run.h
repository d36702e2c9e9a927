/* rcc_run.h — public API of librcc: a whole training run over a data set, as `rcc train` does it
 * (learning-rate schedule, evaluation, checkpoints, resume, interruption, progress events, several
 * processes under MPI), and what a checkpoint says about itself. Like rcc.h: no call prints or
 * exits; what a run has to say reaches the caller through its hooks. */
#ifndef RCC_RUN_PUBLIC_H
#define RCC_RUN_PUBLIC_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "rcc.h"
#include "rcc_data.h"
#include "rcc_eval.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------ choosing a configuration */

/* Images (pairs of views) a `cpu` run sees at least: its 18 epochs of MNIST-test's 10 000. */
#define RCC_CPU_PAIRS 180000L

/* The preset `rcc train` uses for d when none is named, into c: "photo" for colour images, at 64×64
 * when they are larger than 48 pixels, else 32×32; "cpu" for gray ones, with more epochs for fewer
 * than 10 000 images (at least RCC_CPU_PAIRS images seen; docs/training.md). *preset (may be NULL)
 * gets the preset's name. */
rcc_status rcc_config_for_data(const rcc_dataset *d, rcc_config *c, const char **preset);

/* ------------------------------------------------------------------ progress and events */

/* The terms of the loss of one step (docs/method.md §2). */
typedef struct {
    double ins;      /* L_ins */
    double clu_nce;  /* NT-Xent over cluster columns */
    double entropy;  /* H^a + H^b */
    double unif;     /* L_unif(H^a) + L_unif(H^b) */
    double total;    /* λ (ins + clu_nce + entropy) + (1 − λ) unif */
} rcc_loss_terms;

/* Where a run stands. */
typedef struct {
    int epoch;          /* epochs completed */
    int batch_in_epoch; /* batches of the current epoch completed (0 at an epoch boundary) */
    long step;          /* optimizer steps taken */
} rcc_progress;

/* The configuration and progress stored in a checkpoint, read without loading its tensors. */
rcc_status rcc_checkpoint_info(const char *path, rcc_config *cfg, rcc_progress *progress);

typedef struct {
    int epoch, epochs;      /* 0-based epoch in progress, total */
    int batch, batches;     /* 1-based batch within the epoch, batches per epoch */
    long step;              /* optimizer steps taken so far (including this one) */
    rcc_loss_terms loss;
    double lr;
    double step_seconds;    /* duration of this step, data wait included */
    int pairs;              /* image pairs per step */
    double elapsed;         /* seconds since this process started training */
    bool self_label;        /* a self-labelling step: loss.total is its loss, the other terms NaN */
    double confident;       /* ... and the share of the batch over the threshold */
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
    double acc_predict;     /* the last epoch, evaluated: ACC of `rcc predict`'s default clusters (the
                             * head's refined by the neighbour vote, rcc_vote; the head's ACC when the
                             * vote is not applied); NaN otherwise */
    double seconds;         /* duration of the epoch */
    bool saved;             /* a checkpoint was written after this epoch */
    bool self_label;        /* a self-labelling epoch (mean.total is its loss, the other terms NaN) */
    double confident;       /* ... and the mean share of confident images per batch */
    bool assigned;          /* the data's evaluation views were assigned (the last epoch of a stage,
                             * and every evaluated one): mean_confidence and size_spread valid */
    double mean_confidence; /* mean of each image's largest cluster probability */
    double size_spread;     /* rcc_size_spread of the assigned sizes */
    const int *assignment;  /* when assigned: the cluster of each of the data's images, in its order (valid
                             * during the call); after the last epoch, what the saved checkpoint assigns */
} rcc_epoch_event;

/* The largest relative distance of a cluster's size from n/k (0: all equal; 1: one cluster empty
 * or twice its share). */
double rcc_size_spread(const long *sizes, int k);
/* Sizes that look forced by the cluster head's equal-size prior rather than found in the data:
 * every cluster within RCC_FORCED_SPREAD of n/k while the model is unsure of its answers (mean
 * confidence under RCC_FORCED_CONFIDENCE). Measured on MNIST-test, 40 epochs of the cpu preset:
 * balanced data ends at mean confidence 0.894, a long tail (ratio 10) forced into equal sizes at
 * 0.815 (docs/imbalance.md). A hint, not a proof: hard balanced data is unsure too. */
#define RCC_FORCED_SPREAD 0.15
#define RCC_FORCED_CONFIDENCE 0.85
bool rcc_sizes_look_forced(double size_spread, double mean_confidence);

/* ------------------------------------------------------------------ processes (MPI) */

/* The processes of a data-parallel run. Built without MPI, or started without mpirun: one. */
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
/* With several processes, ends every process of the job at once with exit code `code` (MPI_Abort:
 * a failure on one would leave the others waiting) and does not return; with one, returns, and
 * the caller exits as it would. */
void rcc_dist_abort(const rcc_dist *d, int code);

/* ------------------------------------------------------------------ the run */

struct rcc_drift_event;

typedef struct {
    void (*on_step)(const rcc_step_event *e, void *user);
    void (*on_epoch)(const rcc_epoch_event *e, void *user);
    void *user;
    volatile sig_atomic_t *stop; /* when it becomes non-zero: save and return RCC_ERR_INTERRUPTED */
    /* Data-parallel training (NULL or one process: none): cfg->batch is the global batch, split
     * evenly over the processes; rank 0 alone writes the checkpoint and metrics and evaluates;
     * every process must be given the same data, configuration and resume_from. */
    rcc_dist *dist;
    /* Something the run did quietly that its user should hear of (a stale temporary file removed
     * from the output folder): a sentence, for the caller to show or log (may be NULL). */
    void (*on_note)(const char *message, void *user);
    /* A streaming run's checkpoint and its drift record (rcc_run_stream; may be NULL). */
    void (*on_drift)(const struct rcc_drift_event *e, void *user);
    /* Share the CPUs with the other rcc processes computing on this host (one process only): before
     * each step the run takes its share of cfg->threads (cfg->threads / busy processes; planned
     * again when it changes, and said through on_note), so two trainings, or a training and `rcc
     * serve`, split the cores instead of oversubscribing them (docs/performance.md, "Sharing the
     * machine"). A run's numbers then depend on its neighbours, as they do on the thread count:
     * what `rcc train` does unless --threads is given. Without it the run still tells its
     * neighbours that it is busy (RCC_SHARE=0: neither). */
    bool share;
} rcc_run_hooks;

/* Trains on `data` and writes out_dir/checkpoint.safetensors and out_dir/metrics.jsonl.
 * With resume_from (a checkpoint), continues that run exactly where it stopped: cfg must then
 * be the checkpoint's configuration (only epochs, threads, loader_threads, eval_every, save_every,
 * conv and the self-labelling settings may differ). hooks may be NULL. */
rcc_status rcc_run_train(const rcc_config *cfg, const rcc_dataset *data, const char *out_dir, const char *resume_from,
                         const rcc_run_hooks *hooks);

/* ------------------------------------------------------------------ learning from a stream */

/* A training run that never has to stop (docs/online.md): image files arrive from a followed
 * folder or as paths on a descriptor, enter a bounded pool (a reservoir sample over everything
 * seen plus the newest images), and every step draws its batch from the pool. */
typedef struct {
    const char *follow_dir; /* new PNG/JPEG files in this folder and below it (inotify, after a scan) */
    int lines_fd;           /* >= 0 (and no follow_dir): image paths, one per line, from this descriptor */
    int pool;               /* reservoir images (default 5000) */
    int recent;             /* the newest images, held besides (default 1000) */
    int probe;              /* the first images seen: the fixed sample of the drift records (default 500) */
    long max_steps;         /* stop (saving) once the run has taken this many steps (0: never) */
    int save_steps;         /* a checkpoint and drift record every this many steps (default 100) ... */
    double save_seconds;    /* ... or this many seconds, whichever comes first (default 60) */
    int retries;            /* attempts at a file that does not read or decode (default 5) ... */
    double retry_seconds;   /* ... this far apart (default 2); then it is skipped and counted */
    int warmup_steps;       /* linear learning-rate warm-up, then cfg->lr constant (default 100) */
} rcc_stream_options;

typedef struct rcc_drift_event {
    long step;
    long seen, skipped;        /* images taken in, files given up on (since the run began) */
    int pool;                  /* images held */
    const long *recent_sizes;  /* K: cluster sizes of the recent images (their evaluation views) */
    int clusters;
    double recent_confidence;  /* their mean confidence */
    int probe;                 /* probe images */
    double probe_moved;        /* share of the probe that changed cluster since the last record (NaN: first) */
    double probe_ari;          /* ARI between the two assignments (NaN: first) */
    bool saved;                /* the checkpoint was written */
} rcc_drift_event;

void rcc_stream_defaults(rcc_stream_options *o);

/* Trains from a stream into out_dir (checkpoint.safetensors, metrics.jsonl with step and drift
 * lines, stream.json, seen.txt, skipped.txt) until hooks->stop (saves; RCC_ERR_INTERRUPTED) or
 * o->max_steps (saves; RCC_OK). cfg->in_channels 0: taken from the first image (gray when its
 * three planes are equal). With resume_from (the run's checkpoint; cfg must be its configuration)
 * the run continues at its step: files seen before refill the pool without counting again. One
 * process only. */
rcc_status rcc_run_stream(const rcc_config *cfg, const rcc_stream_options *o, const char *out_dir,
                          const char *resume_from, const rcc_run_hooks *hooks);

/* ------------------------------------------------------------------ scoring a trained network */

typedef struct {
    int classes;       /* label classes (max label + 1), for the probes */
    int probe_epochs;  /* the second, converging probe's schedule (the first is the paper's) */
    float probe_lr;
    int sphere_sample; /* points sampled for the sphere statistics */
    int kmax;          /* k selection on h over k = 1..kmax (at most n − 1) */
    uint64_t seed;     /* of the probes' splits, the sphere sample and k-means */
} rcc_score_config;

/* probe 50 epochs at 1e-2, 5 000 sphere points, kmax 30, seed 1; classes must be set. */
void rcc_score_config_default(rcc_score_config *c);

typedef struct {
    int n, rep_dim, clusters;
    int *cluster;             /* n: the assignment */
    float *h;                 /* n × rep_dim: the unit-sphere features */
    rcc_scores sc;            /* ACC, NMI, ARI against the labels */
    rcc_scores sc_vote;       /* the same of `rcc predict`'s default clusters: the assignment refined by
                               * rcc_vote (rcc_vote_config_default) on the stage-3 features; sc when the
                               * vote is not applied (too many moves, or more than RCC_VOTE_MAX_POINTS) */
    bool vote_applied;
    int vote_moved;           /* images the vote moved (or would have, when not applied); −1: not run (fewer
                               * than 2 images, or more than RCC_VOTE_MAX_POINTS) */
    int nonempty;             /* clusters that received an image */
    double largest;           /* share of the images in the largest cluster */
    double probe_paper;       /* linear probe on h, the paper's schedule (Adam 1e-4, 5 epochs) */
    double probe_conv;        /* linear probe on h, the converging schedule of the configuration */
    double probe_majority;    /* the majority class's share of the probe's test split */
    rcc_sphere_stats sphere;  /* use of the sphere */
    int *cells;               /* RCC_SPHERE_BANDS × RCC_SPHERE_SECTORS counts when rep_dim is 3 or more (of h's
                               * top 3 principal components when more; sphere.occupancy then too), else NULL */
    double cells_explained;   /* rep_dim > 3: the share of h's variance those components hold */
    rcc_kselect_result kselect; /* k-means on h, k = 1..kmax: elbow, silhouette, CH, the chosen k */
} rcc_net_scores;

/* Every measure of net on the labelled data set d, as `rcc reproduce` reports them. */
rcc_status rcc_net_score(rcc_net *net, const rcc_dataset *d, const rcc_score_config *c, rcc_net_scores *s);
void rcc_net_scores_free(rcc_net_scores *s);

#ifdef __cplusplus
}
#endif

#endif
