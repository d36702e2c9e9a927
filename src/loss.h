/* loss.h — the losses of docs/method.md §2 with their gradients: instance NT-Xent, cluster NT-Xent
 * with the entropy regulariser, and the uniformity loss, combined with λ. */
#ifndef RCC_LOSS_H
#define RCC_LOSS_H

#include "rcc_run.h"
#include "util.h"

/* rcc_loss_terms: include/rcc_run.h. */

typedef struct {
    float lambda, tau_i, tau_c, t;
    float entropy_weight; /* weight of the batch-entropy term inside λ's share (1; 0: cluster sizes unprompted) */
} rcc_loss_config;

/* The valid range of each setting: X(field, lo, hi). The one list that both
 * rcc_loss_config_check (train.h) and the table of rcc_config's fields (run/config.c) are made from. */
#define RCC_LOSS_RANGES(X) \
    X(lambda, 0, 1)        \
    X(tau_i, 1e-3, 1e3)    \
    X(tau_c, 1e-3, 1e3)    \
    X(t, 1e-3, 1e3)        \
    X(entropy_weight, 0, 1e3)

/* Work space for n rows per view, feature dims up to d, K clusters. Allocated once. */
typedef struct {
    int n, d, k;
    float *x, *xh, *s, *g, *dxh, *norms, *cols, *dcols;
} rcc_loss_ws;

rcc_status rcc_loss_ws_init(rcc_loss_ws *w, int n, int d, int k);
void rcc_loss_ws_free(rcc_loss_ws *w);

/* NT-Xent between rows of a (n×d) and b (n×d): row i of a pairs with row i of b, all other
 * 2n−2 rows are negatives. cosine: normalise rows first (else they are used as given).
 * If da/db are non-NULL, ADDS scale·∂L/∂a, scale·∂L/∂b. */
double rcc_ntxent(rcc_loss_ws *w, const float *a, const float *b, int n, int d, float tau, bool cosine, float *da,
                  float *db, float scale);
/* H = log K + Σ p log p of y (n×k); adds scale·∂H/∂y into dy if non-NULL. */
double rcc_entropy(const float *y, int n, int k, float *dy, float scale);
/* log mean_{i<j} exp(−t‖h_i − h_j‖²); adds scale·∂/∂h into dh if non-NULL. n ≥ 2. */
double rcc_uniformity(const float *h, int n, int d, float t, float *dh, float scale);
/* Cluster loss NT-Xent over the K columns of ya, yb (n×k each). */
double rcc_cluster_nce(rcc_loss_ws *w, const float *ya, const float *yb, int n, int k, float tau, float *dya,
                       float *dyb, float scale);

/* Self-labelling (SCAN's second stage): each row i of ya (n×k: the evaluation views) whose largest
 * probability exceeds `threshold` gives the target c_i = argmax; the loss is the class-balanced
 * cross-entropy of yb's rows (the augmented views) with those targets,
 *   L = Σ_{i∈M} w_{c_i} (−log yb[i, c_i]) / Σ_{i∈M} w_{c_i},   w_c = |M| / |{i ∈ M : c_i = c}|
 * (torch.nn.functional.cross_entropy with weight=w, reduction "mean"). ADDS scale·∂L/∂yb into dyb
 * (if non-NULL); ya is a target and gets no gradient. Returns L, 0 when no row is confident;
 * *confident (if non-NULL) gets |M|. */
double rcc_self_label(const float *ya, const float *yb, int n, int k, float threshold, float *dyb, float scale,
                      int *confident);

/* Everything at once. Gradients (if non-NULL) are WRITTEN: dz (2n×dz_dim: view a rows then b),
 * dy (2n×k), dh (2n×h_dim). */
rcc_status rcc_loss_total(rcc_loss_ws *w, const rcc_loss_config *cfg, const float *z, const float *y, const float *h,
                          int n, int z_dim, int k, int h_dim, rcc_loss_terms *out, float *dz, float *dy, float *dh);

#endif
