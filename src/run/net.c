/* net.c — the one inference path of librcc (the public rcc_net API): a network in evaluation
 * mode (running batch-norm statistics, so every image is treated independently), loaded from a
 * checkpoint or wrapped around a training run's parameters. Its plans share the parameters: the
 * single-image and the batch plan (RCC_NET_BATCH) are made with the network; a loaded network
 * also makes one per power of two between when a pass first needs it, so that a pass over n
 * images runs on plans near n (a server's batches vary in size; padding 5 images to 64 cost the
 * time of 64). A wrapped one, which always sees whole data sets, has the first two only. Everything that assigns images — evaluation during training, `rcc predict`,
 * `rcc embed`, `rcc reproduce`, a C program — goes through rcc_net_assign or rcc_net_assign_data. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "checkpoint.h"
#include "config.h"
#include "net.h"
#include "../compute.h"
#include "../model.h"

struct rcc_net {
    rcc_config cfg;
    int threads;        /* of its passes, and of the plans they run on */
    bool ladder;        /* a loaded network's plans: every power of two up to the batch */
    rcc_model_config mc;
    rcc_params own;     /* the table of a loaded network */
    rcc_params *ps;     /* the table in use: &own, or a training run's */
    int nsizes;         /* the plans it may have, by batch size ascending; size[0] is 1 */
    int size[RCC_NET_PLANS];
    rcc_model plan[RCC_NET_PLANS];
    bool planned[RCC_NET_PLANS];
};

static rcc_status plan_size(rcc_net *n, int i)
{
    if (n->planned[i])
        return RCC_OK;
    rcc_status st = rcc_model_plan(&n->plan[i], &n->mc, n->ps, n->size[i], 1, false);
    if (st != RCC_OK)
        return st;
    n->planned[i] = true;
    return rcc_model_commit(&n->plan[i]);
}

/* The sizes: 1 and batch, and with ladder every power of two between; plans the single image and
 * the batch now (a table not yet allocated is registered by the first plan and allocated, zeroed,
 * before committing), the others when first used. */
static rcc_status net_plan(rcc_net *n, int batch, bool ladder, bool allocate)
{
    n->size[0] = 1;
    n->nsizes = 1;
    for (int b = ladder ? 2 : batch; b < batch && n->nsizes < RCC_NET_PLANS - 1; b *= 2)
        n->size[n->nsizes++] = b;
    if (batch > 1)
        n->size[n->nsizes++] = batch;
    rcc_status st = rcc_model_plan(&n->plan[0], &n->mc, n->ps, 1, 1, false);
    n->planned[0] = st == RCC_OK;
    if (st == RCC_OK && allocate)
        st = rcc_params_alloc(n->ps);
    if (st == RCC_OK)
        st = rcc_model_commit(&n->plan[0]);
    if (st == RCC_OK && n->nsizes > 1)
        st = plan_size(n, n->nsizes - 1);
    return st;
}

/* The precision of a loaded network's passes into n->cfg (what rcc_net_config names): the one
 * asked for, or with none the training's where this CPU has bf16 convolutions and f32 elsewhere. bf16
 * computes every convolution directly (oneDNN has no bf16 Winograd). */
static rcc_status net_precision(rcc_net *n, const char *precision)
{
    bool asked = precision && precision[0];
    if (asked)
        RCC_TRY(rcc_precision_parse(precision, &n->cfg.precision));
    else if (n->cfg.precision == RCC_PRECISION_BF16 && !rcc_conv_bf16_available())
        n->cfg.precision = RCC_PRECISION_F32; /* asked for, bf16 there is refused by rcc_model_plan */
    if (n->cfg.precision == RCC_PRECISION_BF16)
        n->cfg.conv = RCC_CONV_DIRECT;
    return RCC_OK;
}

rcc_status rcc_net_load(rcc_net **out, const char *path) { return rcc_net_load_precision(out, path, NULL); }

static rcc_status net_load(rcc_net *n, const char *path, const char *precision);

rcc_status rcc_net_load_precision(rcc_net **out, const char *path, const char *precision)
{
    *out = NULL;
    rcc_net *n = calloc(1, sizeof *n);
    if (!n)
        return rcc_fail(RCC_ERR_NOMEM, "network");
    n->threads = rcc_get_threads();
    rcc_compute_saved saved;
    rcc_compute_enter(n->threads, &saved);
    rcc_status st = net_load(n, path, precision);
    rcc_compute_leave(&saved);
    if (st == RCC_OK)
        *out = n;
    return st;
}

/* Reads the checkpoint into n and plans its passes; frees n on failure. */
static rcc_status net_load(rcc_net *n, const char *path, const char *precision)
{
    rcc_st_file f;
    rcc_progress pr;
    rcc_status st = rcc_checkpoint_open(path, &f, &n->cfg, &pr);
    if (st != RCC_OK) {
        free(n);
        return st;
    }
    st = net_precision(n, precision);
    if (st != RCC_OK) {
        rcc_st_close(&f);
        free(n);
        return st;
    }
    rcc_config_model(&n->cfg, &n->mc);
    n->ps = &n->own;
    n->ladder = true;
    st = net_plan(n, RCC_NET_BATCH, true, true);
    if (st == RCC_OK)
        st = rcc_checkpoint_load_params(&f, path, n->ps, false);
    rcc_st_close(&f);
    if (st != RCC_OK)
        rcc_net_free(n);
    return st;
}

rcc_status rcc_net_wrap(rcc_net **out, const rcc_config *cfg, rcc_params *ps, int max_images)
{
    *out = NULL;
    rcc_net *n = calloc(1, sizeof *n);
    if (!n)
        return rcc_fail(RCC_ERR_NOMEM, "network");
    n->cfg = *cfg;
    n->threads = cfg->threads;
    rcc_config_model(&n->cfg, &n->mc);
    n->ps = ps;
    int batch = max_images < RCC_NET_BATCH ? max_images : RCC_NET_BATCH;
    rcc_compute_saved saved;
    rcc_compute_enter(n->threads, &saved);
    rcc_status st = net_plan(n, batch, false, false);
    rcc_compute_leave(&saved);
    if (st != RCC_OK) {
        rcc_net_free(n);
        return st;
    }
    *out = n;
    return RCC_OK;
}

static void free_plans(rcc_net *n)
{
    for (int i = 0; i < n->nsizes; i++)
        if (n->planned[i])
            rcc_model_free(&n->plan[i]);
    memset(n->planned, 0, sizeof n->planned);
}

void rcc_net_free(rcc_net *n)
{
    if (!n)
        return;
    free_plans(n);
    if (n->ps == &n->own)
        rcc_params_free(&n->own);
    free(n);
}

rcc_status rcc_net_set_threads(rcc_net *n, int threads)
{
    int t = threads > 0 ? threads : rcc_get_threads();
    t = t < RCC_THREADS_MAX ? t : RCC_THREADS_MAX;
    if (t == n->threads)
        return RCC_OK;
    /* the same sizes planned again over the same (allocated) parameters */
    int batch = n->size[n->nsizes - 1], old = n->threads;
    free_plans(n);
    n->threads = t;
    rcc_compute_saved saved;
    rcc_compute_enter(n->threads, &saved);
    rcc_status st = net_plan(n, batch, n->ladder, false);
    rcc_compute_leave(&saved);
    if (st != RCC_OK) { /* the old count's plans again, so that the network still works */
        char why[512];
        snprintf(why, sizeof why, "%s", rcc_last_error());
        free_plans(n);
        n->threads = old;
        rcc_compute_enter(n->threads, &saved);
        rcc_status back = net_plan(n, batch, n->ladder, false);
        rcc_compute_leave(&saved);
        st = rcc_fail(st, "planning for %d threads: %s%s", t, why,
                      back == RCC_OK ? " (kept the old count)" : "; the network is unusable");
    }
    return st;
}

int rcc_net_threads(const rcc_net *n) { return n->threads; }

const rcc_config *rcc_net_config(const rcc_net *n) { return &n->cfg; }

int rcc_net_batch(const rcc_net *n) { return n->size[n->nsizes - 1]; }

/* The plan for the next pass over `remaining` images (planned now if it is the first use of its
 * size): the smallest that holds them all if it pads by at most a quarter of them, else the
 * largest that they fill. */
static rcc_status plan_for(rcc_net *n, int remaining, rcc_model **m)
{
    int fill = 0;
    while (fill + 1 < n->nsizes && n->size[fill + 1] <= remaining)
        fill++;
    int i = fill;
    if (n->size[fill] != remaining && fill + 1 < n->nsizes && 4 * (n->size[fill + 1] - remaining) <= remaining)
        i = fill + 1;
    *m = &n->plan[i];
    return plan_size(n, i);
}

/* Copies the answers for rows [0, b) of m's last forward pass to the images index[0..b). */
static void collect(const rcc_net *n, const rcc_model *m, int b, const int *index, int *cluster, float *confidence,
                    float *h, float *probs, float *stage3)
{
    int K = n->mc.clusters, R = n->mc.rep_dim, F = rcc_model_stage3_dim(&n->mc);
    for (int i = 0; i < b; i++) {
        const float *y = m->y.ptr + (size_t)i * K;
        size_t j = (size_t)index[i];
        int best = rcc_argmax(y, K);
        if (cluster)
            cluster[j] = best;
        if (confidence)
            confidence[j] = y[best];
        if (h)
            memcpy(h + j * R, m->h.ptr + (size_t)i * R, sizeof(float) * (size_t)R);
        if (probs)
            memcpy(probs + j * K, y, sizeof(float) * (size_t)K);
        if (stage3)
            memcpy(stage3 + j * F, m->gap3.plain.ptr + (size_t)i * F, sizeof(float) * (size_t)F);
    }
}

static rcc_status assign(rcc_net *n, const float *images, int count, int *cluster, float *confidence, float *h,
                         float *probs)
{
    size_t per = (size_t)n->mc.in_channels * n->mc.image_size * n->mc.image_size;
    int index[RCC_NET_BATCH];
    for (int i0 = 0; i0 < count;) {
        rcc_model *m;
        RCC_TRY(plan_for(n, count - i0, &m));
        int b = count - i0 < m->batch ? count - i0 : m->batch;
        memcpy(m->input.ptr, images + (size_t)i0 * per, sizeof(float) * per * (size_t)b);
        if (b < m->batch) /* rows are independent in evaluation mode: pad with zeros */
            memset(m->input.ptr + per * (size_t)b, 0, sizeof(float) * per * (size_t)(m->batch - b));
        RCC_TRY(rcc_model_forward(m));
        for (int i = 0; i < b; i++)
            index[i] = i0 + i;
        collect(n, m, b, index, cluster, confidence, h, probs, NULL);
        i0 += b;
    }
    return RCC_OK;
}

rcc_status rcc_net_assign(rcc_net *n, const float *images, int count, int *cluster, float *confidence, float *h,
                          float *probs)
{
    if (count < 0 || (count > 0 && !images))
        return rcc_fail(RCC_ERR_ARG, "rcc_net_assign: no images");
    rcc_compute_saved saved;
    rcc_compute_enter(n->threads, &saved);
    rcc_status st = assign(n, images, count, cluster, confidence, h, probs);
    rcc_compute_leave(&saved);
    return st;
}

static rcc_status assign_data(rcc_net *n, const rcc_dataset *d, int *cluster, float *confidence, float *h,
                              float *probs, float *stage3, rcc_net_emit emit, void *user);

rcc_status rcc_net_assign_data(rcc_net *n, const rcc_dataset *d, int *cluster, float *confidence, float *h,
                               float *probs, rcc_net_emit emit, void *user)
{
    rcc_compute_saved saved;
    rcc_compute_enter(n->threads, &saved);
    rcc_status st = assign_data(n, d, cluster, confidence, h, probs, NULL, emit, user);
    rcc_compute_leave(&saved);
    return st;
}

int rcc_net_stage3_dim(const rcc_net *n) { return rcc_model_stage3_dim(&n->mc); }

rcc_status rcc_net_stage3_data(rcc_net *n, const rcc_dataset *d, float *features)
{
    if (!features)
        return rcc_fail(RCC_ERR_ARG, "rcc_net_stage3_data: no output");
    rcc_compute_saved saved;
    rcc_compute_enter(n->threads, &saved);
    rcc_status st = assign_data(n, d, NULL, NULL, NULL, NULL, features, NULL, NULL);
    rcc_compute_leave(&saved);
    return st;
}

rcc_status rcc_net_assign_stage3_data(rcc_net *n, const rcc_dataset *d, int *cluster, float *confidence,
                                      float *h, float *probs, float *features)
{
    rcc_compute_saved saved;
    rcc_compute_enter(n->threads, &saved);
    rcc_status st = assign_data(n, d, cluster, confidence, h, probs, features, NULL, NULL);
    rcc_compute_leave(&saved);
    return st;
}

rcc_status rcc_net_assign_voted(rcc_net *n, const rcc_dataset *d, int knn, int *cluster, int *head,
                                float *confidence, float *h, rcc_vote_result *vr)
{
    if (vr)
        *vr = (rcc_vote_result){0, 0, false};
    if (!cluster)
        return rcc_fail(RCC_ERR_ARG, "rcc_net_assign_voted: no output for the clusters");
    if (knn < 0 || knn > RCC_VOTE_MAX_KNN)
        return rcc_fail(RCC_ERR_ARG, "the vote's neighbours: %d, not in 0..%d", knn, RCC_VOTE_MAX_KNN);
    if (knn > 0 && d->n > RCC_VOTE_MAX_POINTS)
        return rcc_fail(RCC_ERR_ARG, "the vote takes at most %d images (%d given)", RCC_VOTE_MAX_POINTS, d->n);
    if (knn == 0 || d->n < 2) {
        RCC_TRY(rcc_net_assign_data(n, d, cluster, confidence, h, NULL, NULL, NULL));
        if (head && d->n > 0)
            memcpy(head, cluster, sizeof(int) * (size_t)d->n);
        return RCC_OK;
    }
    int F = rcc_net_stage3_dim(n), K = n->mc.clusters;
    float *f = malloc(sizeof(float) * (size_t)d->n * (size_t)F), *p = malloc(sizeof(float) * (size_t)d->n * (size_t)K);
    rcc_status st = f && p ? RCC_OK : rcc_fail(RCC_ERR_NOMEM, "stage-3 features of %d images", d->n);
    if (st == RCC_OK)
        st = rcc_net_assign_stage3_data(n, d, cluster, NULL, h, p, f);
    if (st == RCC_OK && head)
        memcpy(head, cluster, sizeof(int) * (size_t)d->n);
    rcc_vote_config vc;
    rcc_vote_config_default(&vc);
    vc.knn = knn;
    vc.threads = n->threads; /* the model's, as its passes: the same answers in the tool, the report and Python */
    if (st == RCC_OK)
        st = rcc_vote(f, d->n, F, K, &vc, cluster, NULL, vr);
    for (int i = 0; st == RCC_OK && confidence && i < d->n; i++)
        confidence[i] = p[(size_t)i * K + cluster[i]];
    free(f), free(p);
    return st;
}

static rcc_status assign_data(rcc_net *n, const rcc_dataset *d, int *cluster, float *confidence, float *h,
                              float *probs, float *stage3, rcc_net_emit emit, void *user)
{
    if (d->c != n->mc.in_channels)
        return rcc_fail(RCC_ERR_ARG, "the model takes %d-channel images, the data has %d", n->mc.in_channels, d->c);
    if (d->n <= 0)
        return RCC_OK;
    rcc_model *m;
    RCC_TRY(plan_for(n, d->n < rcc_net_batch(n) ? d->n : rcc_net_batch(n), &m));
    int batch = d->n < m->batch ? d->n : m->batch;
    int K = n->mc.clusters, R = n->mc.rep_dim;
    int idx[RCC_NET_BATCH];
    rcc_aug_config aug;
    rcc_loader *l = NULL;
    rcc_status st = rcc_aug_preset(&aug, RCC_AUGMENT_PAPER); /* unused in evaluation mode */
    if (st == RCC_OK)
        st = rcc_loader_create(&l, d, &aug, RCC_LOADER_EVAL, batch, n->cfg.image_size, n->cfg.seed,
                               n->cfg.loader_threads > 0 ? n->cfg.loader_threads : 1);
    if (st == RCC_OK)
        st = rcc_loader_start_epoch(l, 0, 0);
    while (st == RCC_OK) {
        int count = 0;
        st = rcc_loader_next(l, m->input.ptr, idx, &count);
        if (st != RCC_OK || count == 0)
            break;
        m->want_stage3 = stage3 != NULL;
        st = rcc_model_forward(m);
        m->want_stage3 = false;
        if (st != RCC_OK)
            break;
        collect(n, m, count, idx, cluster, confidence, h, probs, stage3);
        for (int i = 0; emit && i < count; i++) {
            const float *y = m->y.ptr + (size_t)i * K;
            int best = rcc_argmax(y, K);
            emit(idx[i], best, y[best], m->h.ptr + (size_t)i * R, user);
        }
    }
    rcc_loader_free(l);
    return st;
}
