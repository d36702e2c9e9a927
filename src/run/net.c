/* net.c — a trained network for inference (the public rcc_net API): loads a checkpoint and
 * assigns images to clusters with the evaluation-mode model (running batch-norm statistics,
 * so every image is treated independently). Two plans share the parameters: one for single
 * images (lowest latency) and one for batches. */
#include <stdlib.h>
#include <string.h>
#include "checkpoint.h"
#include "config.h"
#include "../model.h"

#define NET_BATCH 64

struct rcc_net {
    rcc_config cfg;
    rcc_model_config mc;
    rcc_params ps;
    rcc_model one, many;
    bool have_one, have_many;
};

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
    rcc_set_threads(n->cfg.threads);
    /* register the table through a single-image plan, then allocate and fill it */
    st = rcc_model_plan(&n->one, &n->mc, &n->ps, 1, 1, false);
    n->have_one = st == RCC_OK;
    if (st == RCC_OK)
        st = rcc_params_alloc(&n->ps);
    if (st == RCC_OK)
        st = rcc_model_commit(&n->one);
    if (st == RCC_OK)
        st = rcc_checkpoint_load_params(&f, path, &n->ps, false);
    rcc_st_close(&f);
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
    rcc_params_free(&n->ps);
    free(n);
}

const rcc_config *rcc_net_config(const rcc_net *n) { return &n->cfg; }

rcc_status rcc_net_assign(rcc_net *n, const float *images, int count, int *cluster, float *confidence, float *h,
                          float *probs)
{
    if (count < 0 || (count > 0 && !images))
        return rcc_fail(RCC_ERR_ARG, "rcc_net_assign: no images");
    if (count > 1 && !n->have_many) {
        rcc_status st = rcc_model_plan(&n->many, &n->mc, &n->ps, NET_BATCH, 1, false);
        if (st == RCC_OK)
            st = rcc_model_commit(&n->many);
        if (st != RCC_OK) {
            rcc_model_free(&n->many);
            return st;
        }
        n->have_many = true;
    }
    int K = n->mc.clusters, R = n->mc.rep_dim;
    size_t per = (size_t)n->mc.in_channels * n->mc.image_size * n->mc.image_size;
    for (int i0 = 0; i0 < count;) {
        rcc_model *m = count - i0 == 1 ? &n->one : &n->many;
        int b = count - i0 < m->batch ? count - i0 : m->batch;
        memcpy(m->input.ptr, images + (size_t)i0 * per, sizeof(float) * per * (size_t)b);
        if (b < m->batch) /* rows are independent in evaluation mode: pad with zeros */
            memset(m->input.ptr + per * (size_t)b, 0, sizeof(float) * per * (size_t)(m->batch - b));
        RCC_TRY(rcc_model_forward(m));
        for (int i = 0; i < b; i++) {
            const float *y = m->y.ptr + (size_t)i * K;
            int best = rcc_argmax(y, K);
            if (cluster)
                cluster[i0 + i] = best;
            if (confidence)
                confidence[i0 + i] = y[best];
            if (h)
                memcpy(h + (size_t)(i0 + i) * R, m->h.ptr + (size_t)i * R, sizeof(float) * (size_t)R);
            if (probs)
                memcpy(probs + (size_t)(i0 + i) * K, y, sizeof(float) * (size_t)K);
        }
        i0 += b;
    }
    return RCC_OK;
}
