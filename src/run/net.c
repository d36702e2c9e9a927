/* net.c — the one inference path of librcc (the public rcc_net API): a network in evaluation
 * mode (running batch-norm statistics, so every image is treated independently), loaded from a
 * checkpoint or wrapped around a training run's parameters. Two plans share the parameters, both
 * made when the network is: one for single images (lowest latency) and one for batches of
 * RCC_NET_BATCH. Everything that assigns images — evaluation during training, `rcc predict`,
 * `rcc embed`, `rcc reproduce`, a C program — goes through rcc_net_assign or rcc_net_assign_data. */
#include <stdlib.h>
#include <string.h>
#include "checkpoint.h"
#include "config.h"
#include "net.h"
#include "../model.h"

struct rcc_net {
    rcc_config cfg;
    rcc_model_config mc;
    rcc_params own;     /* the table of a loaded network */
    rcc_params *ps;     /* the table in use: &own, or a training run's */
    rcc_model one, many;
    bool have_one, have_many;
};

/* Plans the single-image network and, when batch > 1, the batch network over n->ps; a table not
 * yet allocated is registered by the first plan and allocated (zeroed) before committing. */
static rcc_status net_plan(rcc_net *n, int batch, bool allocate)
{
    rcc_status st = rcc_model_plan(&n->one, &n->mc, n->ps, 1, 1, false);
    n->have_one = st == RCC_OK;
    if (st == RCC_OK && allocate)
        st = rcc_params_alloc(n->ps);
    if (st == RCC_OK)
        st = rcc_model_commit(&n->one);
    if (st == RCC_OK && batch > 1) {
        st = rcc_model_plan(&n->many, &n->mc, n->ps, batch, 1, false);
        n->have_many = st == RCC_OK;
        if (st == RCC_OK)
            st = rcc_model_commit(&n->many);
    }
    return st;
}

rcc_status rcc_net_load(rcc_net **out, const char *path)
{
    *out = NULL;
    rcc_net *n = calloc(1, sizeof *n);
    if (!n)
        return rcc_fail(RCC_ERR_NOMEM, "network");
    rcc_st_file f;
    rcc_progress pr;
    rcc_status st = rcc_checkpoint_open(path, &f, &n->cfg, &pr);
    if (st != RCC_OK) {
        free(n);
        return st;
    }
    rcc_config_model(&n->cfg, &n->mc);
    n->ps = &n->own;
    st = net_plan(n, RCC_NET_BATCH, true);
    if (st == RCC_OK)
        st = rcc_checkpoint_load_params(&f, path, n->ps, false);
    rcc_st_close(&f);
    if (st != RCC_OK) {
        rcc_net_free(n);
        return st;
    }
    *out = n;
    return RCC_OK;
}

rcc_status rcc_net_wrap(rcc_net **out, const rcc_config *cfg, rcc_params *ps, int max_images)
{
    *out = NULL;
    rcc_net *n = calloc(1, sizeof *n);
    if (!n)
        return rcc_fail(RCC_ERR_NOMEM, "network");
    n->cfg = *cfg;
    rcc_config_model(&n->cfg, &n->mc);
    n->ps = ps;
    int batch = max_images < RCC_NET_BATCH ? max_images : RCC_NET_BATCH;
    rcc_status st = net_plan(n, batch, false);
    if (st != RCC_OK) {
        rcc_net_free(n);
        return st;
    }
    *out = n;
    return RCC_OK;
}

void rcc_net_free(rcc_net *n)
{
    if (!n)
        return;
    if (n->have_one)
        rcc_model_free(&n->one);
    if (n->have_many)
        rcc_model_free(&n->many);
    if (n->ps == &n->own)
        rcc_params_free(&n->own);
    free(n);
}

const rcc_config *rcc_net_config(const rcc_net *n) { return &n->cfg; }

int rcc_net_batch(const rcc_net *n) { return n->have_many ? n->many.batch : 1; }

/* The plan for `remaining` images: the single-image one for the last image, else the batch one. */
static rcc_model *plan_for(rcc_net *n, int remaining)
{
    return remaining == 1 || !n->have_many ? &n->one : &n->many;
}

/* Copies the answers for rows [0, b) of m's last forward pass to the images index[0..b). */
static void collect(const rcc_net *n, const rcc_model *m, int b, const int *index, int *cluster, float *confidence,
                    float *h, float *probs)
{
    int K = n->mc.clusters, R = n->mc.rep_dim;
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
    }
}

rcc_status rcc_net_assign(rcc_net *n, const float *images, int count, int *cluster, float *confidence, float *h,
                          float *probs)
{
    if (count < 0 || (count > 0 && !images))
        return rcc_fail(RCC_ERR_ARG, "rcc_net_assign: no images");
    size_t per = (size_t)n->mc.in_channels * n->mc.image_size * n->mc.image_size;
    int index[RCC_NET_BATCH];
    for (int i0 = 0; i0 < count;) {
        rcc_model *m = plan_for(n, count - i0);
        int b = count - i0 < m->batch ? count - i0 : m->batch;
        memcpy(m->input.ptr, images + (size_t)i0 * per, sizeof(float) * per * (size_t)b);
        if (b < m->batch) /* rows are independent in evaluation mode: pad with zeros */
            memset(m->input.ptr + per * (size_t)b, 0, sizeof(float) * per * (size_t)(m->batch - b));
        RCC_TRY(rcc_model_forward(m));
        for (int i = 0; i < b; i++)
            index[i] = i0 + i;
        collect(n, m, b, index, cluster, confidence, h, probs);
        i0 += b;
    }
    return RCC_OK;
}

rcc_status rcc_net_assign_data(rcc_net *n, const rcc_dataset *d, int *cluster, float *confidence, float *h,
                               float *probs, rcc_net_emit emit, void *user)
{
    if (d->c != n->mc.in_channels)
        return rcc_fail(RCC_ERR_ARG, "the model takes %d-channel images, the data has %d", n->mc.in_channels, d->c);
    if (d->n <= 0)
        return RCC_OK;
    rcc_model *m = plan_for(n, d->n);
    int batch = d->n < m->batch ? d->n : m->batch;
    int K = n->mc.clusters, R = n->mc.rep_dim;
    int idx[RCC_NET_BATCH];
    rcc_aug_config aug;
    rcc_loader *l = NULL;
    rcc_status st = rcc_aug_preset(&aug, "paper"); /* unused in evaluation mode */
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
        st = rcc_model_forward(m);
        if (st != RCC_OK)
            break;
        collect(n, m, count, idx, cluster, confidence, h, probs);
        for (int i = 0; emit && i < count; i++) {
            const float *y = m->y.ptr + (size_t)i * K;
            int best = rcc_argmax(y, K);
            emit(idx[i], best, y[best], m->h.ptr + (size_t)i * R, user);
        }
    }
    rcc_loader_free(l);
    return st;
}
