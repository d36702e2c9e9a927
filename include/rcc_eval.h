/* rcc_eval.h — public API of librcc's evaluation: clusterings and representations measured on
 * plain arrays. Clustering accuracy (Hungarian), NMI and ARI against labels; statistics of an
 * assignment without labels; k-means (Euclidean and spherical) and the choice of k (WCSS elbow by
 * kneedle, silhouette, Calinski–Harabasz); use of the unit sphere; the linear probe of docs/method.md §5;
 * .npy / feature / label / prediction files. Numbers only: the pictures are in rcc_plot.h. See
 * docs/evaluation.md for definitions and the rules chosen.
 *
 * Conventions: x is N×D row-major float32; cluster ids and labels are ints in [0, K) / [0, C);
 * arrays returned through pointer-to-pointer arguments are malloc'ed and freed with free(). Like
 * the rest of librcc, nothing here prints or exits: calls return an rcc_status. */
#ifndef RCC_EVAL_H
#define RCC_EVAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "rcc.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ================================================================ scores against labels */

/* max(x)+1 (0 when n == 0), or −1 if some x[i] < 0. */
int rcc_label_range(const int *x, size_t n);

/* table[i·c + j] = #{ t : pred[t] = i, labels[t] = j }, K×C (rows: clusters, columns: classes).
 * RCC_ERR_ARG if an id is outside [0, k) or a label outside [0, c). */
rcc_status rcc_contingency(const int *pred, const int *labels, size_t n, int k, int c, int64_t *table);

/* Maximum-weight one-to-one assignment of rows to columns of a rows×cols matrix (rectangular
 * allowed: the smaller side is matched completely; O(min² · max)). row_to_col[i] = column of
 * row i, or −1. */
rcc_status rcc_hungarian_max(const double *w, int rows, int cols, int *row_to_col);

/* ACC: the best one-to-one map of clusters to classes, as a fraction of all n. cluster_to_class
 * (k entries, may be NULL) receives the map (−1 for clusters left unmatched when K > C). */
rcc_status rcc_cluster_acc(const int64_t *table, int k, int c, double *acc, int *cluster_to_class);
/* NMI with the arithmetic mean of the entropies (scikit-learn's default, same edge cases). */
double rcc_nmi(const int64_t *table, int k, int c);
/* Adjusted Rand index (scikit-learn's pair-counting form, same edge cases). */
double rcc_ari(const int64_t *table, int k, int c);

typedef struct {
    size_t n;
    int k, c; /* distinct cluster ids, distinct labels */
    double acc, nmi, ari;
} rcc_scores;

/* All three scores in one call (the training loop's entry point). Ids and labels may be any ints
 * (negative, sparse or large): only which points share a value matters. */
rcc_status rcc_scores_compute(const int *pred, const int *labels, size_t n, rcc_scores *s);

/* ================================================================ an assignment without labels */

typedef struct {
    size_t n;
    int k;                    /* clusters counted */
    int nonempty;             /* clusters with at least one member */
    double size_entropy;      /* −Σ_k p_k log p_k of the cluster sizes, nats */
    double size_entropy_norm; /* size_entropy / log k (1 = balanced; 0 when k = 1) */
    double mean_confidence;   /* mean max_k y_ik (or of the given confidences); NaN if unknown */
    double mean_soft_entropy; /* mean −Σ_k y_ik log y_ik over points, nats; NaN without soft */
} rcc_assign_stats;

/* sizes (k entries) receives the counts. soft (N×k rows of probabilities) and confidence (N)
 * are optional; soft wins when both are given. */
rcc_status rcc_assign_stats_compute(const int *pred, size_t n, int k, const float *soft, const float *confidence,
                                    int64_t *sizes, rcc_assign_stats *st);

/* How the sizes of a clustering compare with the sizes of the true classes, whatever the names:
 * both are sorted largest first and compared rank by rank (a profile of k sizes against one of c,
 * the shorter padded with empty parts). For data sets whose classes are not of equal size (a
 * long tail), a clustering that forces equal sizes shows here as a flat profile against a
 * falling one (docs/evaluation.md). */
typedef struct {
    int parts;            /* max(k, c): the length of both profiles */
    double ratio_pred;    /* largest / smallest non-empty cluster (1 when balanced) */
    double ratio_true;    /* the same of the classes */
    double tv;            /* total variation ½ Σ_r |p_(r) − q_(r)| of the sorted shares, in [0, 1] */
    double kl;            /* KL(classes ‖ clusters) of the sorted shares, nats; the cluster shares
                           * smoothed by half a point each so that an empty rank stays finite */
} rcc_size_profile;

/* sorted_pred / sorted_true (may be NULL; max(k, c) entries each) receive the sorted sizes. */
rcc_status rcc_size_profile_compare(const int64_t *pred_sizes, int k, const int64_t *true_sizes, int c,
                                    rcc_size_profile *out, int64_t *sorted_pred, int64_t *sorted_true);

/* ================================================================ k-means */

typedef enum {
    RCC_KMEANS_EUCLIDEAN, /* minimise Σ ‖x − c‖² */
    RCC_KMEANS_SPHERICAL  /* rows normalised; centres on the unit sphere; minimise Σ (1 − x·c) */
} rcc_kmeans_metric;

typedef struct {
    int k;
    int restarts;   /* seeded k-means++ starts; the best objective wins (default 10) */
    int max_iter;   /* Lloyd iterations per start (default 300) */
    double tol;     /* stop when Σ‖Δc‖² ≤ tol · mean feature variance (default 1e-4, as scikit-learn) */
    uint64_t seed;  /* default 0 */
    rcc_kmeans_metric metric;
} rcc_kmeans_config;

typedef struct {
    double objective; /* WCSS (Euclidean) or Σ(1 − cos) (spherical) of the best start */
    int iters;        /* Lloyd iterations of the best start */
    int best_restart;
    int empty_fixed;  /* empty clusters re-seeded, all starts */
} rcc_kmeans_result;

void rcc_kmeans_config_default(rcc_kmeans_config *c, int k);
/* centers: k×d (out); assign: n (out, may be NULL). Deterministic in the seed, independent of the
 * number of threads. RCC_ERR_ARG if n < k or k < 1. */
rcc_status rcc_kmeans(const float *x, size_t n, int d, const rcc_kmeans_config *cfg, float *centers, int *assign,
                      rcc_kmeans_result *res);

/* ================================================ clusters of any size (docs/imbalance.md §5) */

typedef struct {
    int fine;       /* fine clusters of the k-means (100; at least K, at most the points) */
    int knn;        /* neighbours per point in the graph (10) */
    int runs;       /* candidate partitions, k-means seeds seed … seed+runs−1; the one that agrees best
                       (summed ARI) with the others is kept (5) */
    int restarts;   /* k-means starts per candidate (1) */
    int max_iter;   /* Lloyd iterations per start (100) */
    uint64_t seed;  /* the k-means seeding's (0) */
    int threads;    /* of the graph and the k-means (0: the enclosing computation's, else rcc_get_threads()) */
} rcc_partition_config;

void rcc_partition_config_default(rcc_partition_config *c);
/* Partitions n points (rows of x, n×d) into k clusters of whatever sizes the data has: rows centred
 * and put on the unit sphere, spherical k-means into `fine` clusters, the k-nearest-neighbour graph
 * (cosine), and fine clusters joined greedily by S_AB / √(S_AA·S_BB) (S: the graph's edges between
 * groups) until k remain. cluster[n] (out); confidence[n] (out, may be NULL): the share of each
 * point's neighbours in its own cluster. `runs` candidates (k-means seeds seed … seed+runs−1) are
 * made and the one with the largest summed ARI against the others kept. Deterministic in the seed;
 * the similarities come from oneDNN's sgemm, whose last bits may depend on the thread count, so a
 * near-tie between two neighbours may too. */
rcc_status rcc_partition(const float *x, int n, int d, int k, const rcc_partition_config *c, int *cluster,
                         float *confidence);

typedef struct {
    int knn;          /* neighbours of each point (30) */
    int rounds;       /* at most this many rounds (10) */
    double max_moved; /* the share of the points the vote may move; above, the clustering is left as it
                         was (0.2; 1: no limit) */
    int threads;      /* of the graph's similarities (0: the enclosing computation's, else rcc_get_threads()) */
} rcc_vote_config;

typedef struct {
    int moved;        /* points whose cluster the vote changed (or would have, when not applied) */
    int rounds;       /* rounds that moved a point */
    bool applied;     /* false: it would have moved more than max_moved of the points */
} rcc_vote_result;

/* The defaults above: what `rcc predict --data`, `rcc report` and the Python package apply to the
 * head's clusters, on the stage-3 features (chosen on the dev halves, docs/imbalance.md §6). */
void rcc_vote_config_default(rcc_vote_config *c);
/* Refines a clustering by its neighbours: rows of x (n×d) centred and put on the unit sphere, each
 * point's knn nearest neighbours (cosine), then up to `rounds` times every point takes the cluster
 * most common among itself and its neighbours (all points at once; a tie keeps the point's own
 * cluster if it is among the most common, else goes to the lowest number), stopping early when
 * nothing changes. The clusters keep their numbers and roughly their sizes: a head's clustering
 * loses the images it put across a border its features do not have. When the vote would move more
 * than max_moved of the points, the features and the clustering disagree about more than borders
 * (CIFAR-10's photographs: a quarter) and cluster[] is left as it was. cluster[n] in/out, values in
 * [0, k); share[n] (out, may be NULL): the share of each point's neighbours in its final cluster;
 * res (may be NULL). knn is capped at n − 1; n < 2 leaves the clustering as it is. Deterministic for
 * a given thread count: the similarities come from oneDNN's sgemm, whose last bits may depend on it,
 * so a near-tie between two neighbours may too (as rcc_partition's graph). */
rcc_status rcc_vote(const float *x, int n, int d, int k, const rcc_vote_config *c, int *cluster, float *share,
                    rcc_vote_result *res);
/* Data sets above this many images are left to the head by those callers: the graph costs n². */
#define RCC_VOTE_MAX_POINTS 200000
/* ... and refuse more neighbours than this (the graph's memory and time grow with them). */
#define RCC_VOTE_MAX_KNN 1000

/* ================================================================ choosing k */

typedef enum { RCC_DIST_AUTO, RCC_DIST_EUCLIDEAN, RCC_DIST_COSINE } rcc_distance;

/* Mean silhouette (scikit-learn's definition: s = 0 for singletons) of labels on x, on a seeded
 * subsample of `sample` points (0 or ≥ n: all points). NaN when fewer than 2 clusters are present. */
rcc_status rcc_silhouette(const float *x, size_t n, int d, const int *labels, int k, rcc_distance dist,
                          size_t sample, uint64_t seed, double *score);
/* Calinski–Harabasz index (between/within dispersion, scikit-learn's definition). NaN if < 2 clusters. */
rcc_status rcc_calinski_harabasz(const float *x, size_t n, int d, const int *labels, int k, double *score);
/* Kneedle on a decreasing convex curve y[0..m−1] at x = first..first+m−1: both axes normalised to
 * [0, 1], knee = argmax of (chord − curve) = (1 − x̂) − ŷ. Returns the knee's x, or first if m < 3
 * or the curve never falls below its chord. *strength (may be NULL) gets the maximum difference. */
int rcc_kneedle(const double *y, int m, int first, double *strength);

typedef struct {
    int kmax;                  /* sweep k = 1..kmax (default 30) */
    int restarts, max_iter;    /* per k, as in rcc_kmeans_config (10, 300) */
    double tol;
    uint64_t seed;
    rcc_kmeans_metric metric;  /* default Euclidean (the paper's elbow) */
    rcc_distance silhouette_dist; /* AUTO: cosine if spherical or every row has unit norm, else Euclidean */
    int silhouette_sample;     /* points used for the silhouette (default 2000) */
} rcc_kselect_config;

typedef struct {
    int kmax;
    double *wcss;       /* [kmax+1], index k (entry 0 unused): k-means objective */
    double *silhouette; /* [kmax+1], NaN for k = 1 */
    double *ch;         /* [kmax+1], Calinski–Harabasz, NaN for k = 1 */
    int *iters;         /* [kmax+1], Lloyd iterations of the best start */
    int elbow;          /* kneedle on wcss */
    double elbow_strength;
    int best_silhouette, best_ch;
    int chosen;
    bool weak;          /* best silhouette < 0.5 (Kaufman & Rousseeuw: weak or no structure) */
    rcc_distance silhouette_dist; /* the one actually used */
    rcc_kmeans_metric metric;
    char rule[256];     /* one sentence: why `chosen` */
    double seconds;     /* wall time of the sweep */
} rcc_kselect_result;

void rcc_kselect_config_default(rcc_kselect_config *c);
/* The rule: chosen k = the median of three picks — the kneedle elbow of the WCSS curve, the
 * silhouette maximum and the Calinski–Harabasz maximum (k ≥ 2) — so two in agreement decide, and
 * when all differ the middle one does. See docs/evaluation.md for the evidence. */
rcc_status rcc_kselect(const float *x, size_t n, int d, const rcc_kselect_config *cfg, rcc_kselect_result *res);
void rcc_kselect_result_free(rcc_kselect_result *res);

/* ================================================================ use of the sphere */

/* An equal-area grid on S²: RCC_SPHERE_BANDS bands of equal height in z, each cut into
 * RCC_SPHERE_SECTORS sectors of longitude (all cells have the same area). */
#define RCC_SPHERE_BANDS 32
#define RCC_SPHERE_SECTORS 100

typedef struct {
    size_t n_used;             /* points in the seeded sample */
    float t;
    double uniformity;         /* log mean_{i<j} exp(−t‖h_i − h_j‖²) on the sample (lower = more uniform) */
    double uniformity_uniform; /* its value for points uniform on S² (d = 3; NaN otherwise) */
    int cells, occupied;       /* grid cells, cells holding at least one sample point (d = 3) */
    double occupancy;          /* occupied / cells (NaN unless d = 3) */
    double occupancy_uniform;  /* expected occupancy of n_used uniform points: 1 − (1 − 1/cells)^n_used */
} rcc_sphere_stats;

/* Cell (band · SECTORS + sector) of a point of R³ (normalised first). */
int rcc_sphere_cell(const float *p);
/* Rows are normalised; a seeded sample of `sample` points (0 or ≥ n: all; at most 50 000) is used
 * for both measures. cell_counts (cells entries, may be NULL; d = 3) receives the counts. */
rcc_status rcc_sphere_stats_compute(const float *h, size_t n, int d, size_t sample, uint64_t seed, float t,
                                    rcc_sphere_stats *s, int *cell_counts);

/* Features of d > 3 dimensions for the pictures of S²: the rows' coordinates on the top q principal
 * components of the centred rows, renormalised to unit length (out: n×q). *explained (may be
 * NULL) gets the share of the total variance those q components hold. Deterministic. */
rcc_status rcc_pca_project(const float *x, size_t n, int d, int q, float *out, double *explained);

/* ================================================================ linear probe */

typedef struct {
    float lr;          /* Adam learning rate (paper: 1e-4) */
    int epochs;        /* paper: 5 */
    int batch;         /* default 256 */
    float weight_decay;/* L2 added to the gradient (default 0) */
    float test_frac;   /* held-out fraction (default 0.2) */
    bool stratified;   /* per-class split (default true) */
    uint64_t seed;     /* split, initialisation and shuffling */
} rcc_probe_config;

typedef struct {
    double train_acc, test_acc;
    double train_loss, test_loss; /* mean cross-entropy after training */
    double majority_acc;          /* test accuracy of always predicting the commonest training class */
    size_t n_train, n_test;
    int classes, d;
} rcc_probe_result;

void rcc_probe_config_default(rcc_probe_config *c);
/* Test indices first in `perm`: perm[0..n_test) test, perm[n_test..n) train. Stratified: each
 * class contributes round(test_frac · its count) test points. */
rcc_status rcc_split(const int *labels, size_t n, int classes, float test_frac, bool stratified, uint64_t seed,
                     size_t *perm, size_t *n_test);
/* Softmax regression d → classes on x with cross-entropy, Adam (β 0.9/0.999, ε 1e-8), PyTorch
 * Linear initialisation. weights (may be NULL) receives classes×(d+1): row j = [w_j, b_j]. */
rcc_status rcc_probe_run(const float *x, const int *labels, size_t n, int d, int classes, const rcc_probe_config *cfg,
                         rcc_probe_result *res, float *weights);

/* ================================================================ files */

/* .npy (versions 1–3, C or Fortran order, little-endian or single-byte dtypes f4 f8 i1 i2 i4 i8 u1 u2
 * u4 u8 b1). rows×cols: a 1-D array is rows×1; 2-D as is. Converted to float32 / int. */
rcc_status rcc_npy_read_f32(const char *path, float **data, size_t *rows, size_t *cols);
/* Integer dtypes, or floats whose values are all integral. */
rcc_status rcc_npy_read_int(const char *path, int **data, size_t *rows, size_t *cols);
/* Writers (version 1, C order, little-endian): rows×cols float32 (cols == 0 writes a 1-D array),
 * and n int32 as a 1-D array. Written to path.tmp and renamed, so a crash never leaves half a file. */
rcc_status rcc_npy_write_f32(const char *path, const float *x, size_t rows, size_t cols);
rcc_status rcc_npy_write_i32(const char *path, const int *x, size_t n);

/* Features: .npy (float or integer, 1-D = one column) or a numeric CSV/text table, one row per
 * point; a header line is skipped, and columns that are not numbers (a path) or are named
 * index/path/name/cluster/label are ignored. */
rcc_status rcc_features_load(const char *path, float **x, size_t *n, int *d);

/* Labels: an IDX label file (magic 2049, gzip or raw), .npy of integers (1-D or N×1, in 0..65535:
 * the data sets' label reader), or text/CSV: one label a line, or several comma-separated columns with a header naming a "label" (or "class"/"target")
 * column; without a header the last column is the label. */
rcc_status rcc_labels_load(const char *path, int **labels, size_t *n);

typedef struct {
    size_t n;
    int *cluster;      /* n */
    float *confidence; /* n, or NULL */
    float *soft;       /* n×k_soft probabilities, or NULL */
    int k_soft;
} rcc_predictions;

/* Predictions: .npy 1-D integers (clusters), .npy 2-D float N×K (soft assignments: cluster =
 * argmax, confidence = max), or CSV (see docs/evaluation.md): rows "cluster", "index,cluster" or
 * "index,cluster,confidence"; a header line naming columns "cluster", "index", "confidence"
 * selects them by name (other columns, e.g. a path, are ignored). With an index column the rows may
 * come in any order but must cover 0..N−1 once each. */
rcc_status rcc_predictions_load(const char *path, rcc_predictions *p);
void rcc_predictions_free(rcc_predictions *p);

#ifdef __cplusplus
}
#endif
#endif
