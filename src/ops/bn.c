/* bn.c — 2-d batch normalisation (optionally fused with the following ReLU) through oneDNN.
 * Training computes statistics per group of the batch (the two augmented views are one batch of
 * 2N images, but each view is normalised with its own statistics, as two separate PyTorch calls
 * would) and updates the running statistics once per group, in order, as PyTorch does. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "../dist.h"
#include "ops.h"

static unsigned bn_flags(const rcc_bn *b, bool global_stats)
{
    return dnnl_use_scale | dnnl_use_shift | (b->relu ? dnnl_fuse_norm_relu : 0U) |
           (global_stats ? dnnl_use_global_stats : 0U);
}

rcc_status rcc_bn_add_params(rcc_params *ps, const char *name, int c, size_t off[4])
{
    static const char *const suffix[4] = {"%s.weight", "%s.bias", "%s.running_mean", "%s.running_var"};
    static const rcc_param_kind kind[4] = {RCC_P_BN_GAMMA, RCC_P_BN_BETA, RCC_B_BN_MEAN, RCC_B_BN_VAR};
    int64_t cd[1] = {c};
    for (int i = 0; i < 4; i++) {
        char full[RCC_NAME_MAX];
        RCC_TRY(rcc_name(full, sizeof full, suffix[i], name));
        RCC_TRY(rcc_params_add(ps, full, kind[i], 1, cd, &off[i]));
    }
    return RCC_OK;
}

rcc_status rcc_bn_plan(rcc_arena *a, rcc_params *ps, rcc_bn *b, const char *name, rcc_act *src, bool relu, bool train,
                       int groups)
{
    memset(b, 0, sizeof *b);
    const dnnl_memory_desc_t *smd = &src->md;
    b->src = src;
    b->c = (int)smd->dims[1];
    b->n = smd->dims[0];
    b->h = smd->dims[2];
    b->w = smd->dims[3];
    b->relu = relu;
    b->train = train;
    b->groups = train ? groups : 1;
    b->eps = RCC_BN_EPS;
    b->momentum = 0.1f;
    if (b->groups < 1 || b->groups > RCC_MAX_GROUPS || b->n % b->groups)
        return rcc_fail(RCC_ERR_ARG, "%s: batch %lld cannot be split in %d groups", name, (long long)b->n, groups);
    if (train && (b->n / b->groups) * b->h * b->w < 2)
        return rcc_fail(RCC_ERR_ARG, "%s: batch-norm needs more than one value per channel in training", name);

    int64_t cd[1] = {b->c};
    size_t off[4];
    RCC_TRY(rcc_bn_add_params(ps, name, b->c, off));
    b->gamma_off = off[0], b->beta_off = off[1], b->mean_off = off[2], b->var_off = off[3];

    dnnl_memory_desc_t vec = rcc_md_plain(1, cd, dnnl_a);
    RCC_TRY(rcc_act_view(a, &b->gamma, &vec, &ps->data, b->gamma_off * sizeof(float)));
    RCC_TRY(rcc_act_view(a, &b->beta, &vec, &ps->data, b->beta_off * sizeof(float)));
    RCC_TRY(rcc_act_view(a, &b->rmean, &vec, &ps->bufs, b->mean_off * sizeof(float)));
    RCC_TRY(rcc_act_view(a, &b->rvar, &vec, &ps->bufs, b->var_off * sizeof(float)));

    dnnl_memory_desc_t gmd;
    RCC_TRY(rcc_md_with_batch(smd, b->n / b->groups, &gmd));
    dnnl_batch_normalization_desc_t d;
    DNN_TRY(dnnl_batch_normalization_forward_desc_init(&d, train ? dnnl_forward_training : dnnl_forward_inference,
                                                       &gmd, b->eps, bn_flags(b, !train)),
            "batch-norm forward descriptor");
    RCC_TRY(rcc_pd_create(&b->pd_fwd, &d, NULL, "batch-norm forward"));
    RCC_TRY(rcc_act_plan(a, &b->dst, smd));
    size_t gbytes = rcc_md_bytes(&gmd);
    const dnnl_memory_desc_t *wsmd = dnnl_primitive_desc_query_md(b->pd_fwd, dnnl_query_workspace_md, 0);
    bool has_ws = train && relu && wsmd && wsmd->ndims > 0;
    for (int g = 0; g < b->groups; g++) {
        RCC_TRY(rcc_act_alias(a, &b->src_g[g], &gmd, src, g * gbytes));
        RCC_TRY(rcc_act_alias(a, &b->dst_g[g], &gmd, &b->dst, g * gbytes));
        rcc_prim *p = &b->fwd[g];
        if (g == 0) {
            RCC_TRY(rcc_prim_create(a, p, b->pd_fwd, "batch-norm fwd"));
            rcc_prims_set_layer(strncmp(name, "backbone.", 9) == 0 ? name + 9 : name, (rcc_prim *const[]){p, NULL});
        } else
            rcc_prim_share(p, &b->fwd[0]);
        rcc_prim_arg(p, DNNL_ARG_SRC, &b->src_g[g]);
        rcc_prim_arg(p, DNNL_ARG_DST, &b->dst_g[g]);
        rcc_prim_arg(p, DNNL_ARG_SCALE, &b->gamma);
        rcc_prim_arg(p, DNNL_ARG_SHIFT, &b->beta);
        if (train) {
            RCC_TRY(rcc_act_plan(a, &b->mean_g[g], &vec));
            RCC_TRY(rcc_act_plan(a, &b->var_g[g], &vec));
            rcc_prim_arg(p, DNNL_ARG_MEAN, &b->mean_g[g]);
            rcc_prim_arg(p, DNNL_ARG_VARIANCE, &b->var_g[g]);
            if (has_ws) {
                RCC_TRY(rcc_act_plan(a, &b->ws_g[g], wsmd));
                rcc_prim_arg(p, DNNL_ARG_WORKSPACE, &b->ws_g[g]);
            }
        } else {
            rcc_prim_arg(p, DNNL_ARG_MEAN, &b->rmean);
            rcc_prim_arg(p, DNNL_ARG_VARIANCE, &b->rvar);
        }
        b->fwd[g].flops = 0;
    }
    return RCC_OK;
}

rcc_status rcc_bn_plan_sync(rcc_arena *a, rcc_bn *b, rcc_dist *d)
{
    if (!b->train || !d || d->size <= 1)
        return RCC_OK;
    const dnnl_memory_desc_t *smd = &b->src->md;
    if (smd->data_type != dnnl_f32)
        return rcc_fail(RCC_ERR_ARG, "synchronised batch-norm statistics are computed for f32 activations only "
                                     "(train bf16 in one process, or f32 with mpirun)");
    if (smd->format_kind != dnnl_blocked || smd->ndims != 4 || smd->format_desc.blocking.inner_nblks > 1 ||
        (smd->format_desc.blocking.inner_nblks == 1 && smd->format_desc.blocking.inner_idxs[0] != 1))
        return rcc_fail(RCC_ERR_ARG, "synchronised batch-norm: unsupported activation layout");
    b->sync = d;
    dnnl_memory_desc_t gmd;
    RCC_TRY(rcc_md_with_batch(smd, b->n / b->groups, &gmd));
    dnnl_batch_normalization_desc_t desc;
    DNN_TRY(dnnl_batch_normalization_forward_desc_init(&desc, dnnl_forward_training, &gmd, b->eps, bn_flags(b, true)),
            "batch-norm forward descriptor (global statistics)");
    RCC_TRY(rcc_pd_create(&b->pd_fwd_sync, &desc, NULL, "batch-norm forward (global statistics)"));
    int64_t cd[1] = {b->c};
    dnnl_memory_desc_t vec = rcc_md_plain(1, cd, dnnl_a);
    const dnnl_memory_desc_t *wsmd = dnnl_primitive_desc_query_md(b->pd_fwd_sync, dnnl_query_workspace_md, 0);
    bool has_ws = b->relu && wsmd && wsmd->ndims > 0;
    for (int g = 0; g < b->groups; g++) {
        rcc_prim *p = &b->fwd_sync[g];
        if (g == 0) {
            RCC_TRY(rcc_prim_create(a, p, b->pd_fwd_sync, "batch-norm fwd (sync)"));
            memcpy(p->layer, b->fwd[0].layer, sizeof p->layer);
        } else
            rcc_prim_share(p, &b->fwd_sync[0]);
        RCC_TRY(rcc_act_plan(a, &b->gmean_g[g], &vec));
        RCC_TRY(rcc_act_plan(a, &b->gvar_g[g], &vec));
        rcc_prim_arg(p, DNNL_ARG_SRC, &b->src_g[g]);
        rcc_prim_arg(p, DNNL_ARG_DST, &b->dst_g[g]);
        rcc_prim_arg(p, DNNL_ARG_SCALE, &b->gamma);
        rcc_prim_arg(p, DNNL_ARG_SHIFT, &b->beta);
        rcc_prim_arg(p, DNNL_ARG_MEAN, &b->gmean_g[g]);
        rcc_prim_arg(p, DNNL_ARG_VARIANCE, &b->gvar_g[g]);
        if (has_ws) {
            RCC_TRY(rcc_act_plan(a, &b->wss_g[g], wsmd));
            rcc_prim_arg(p, DNNL_ARG_WORKSPACE, &b->wss_g[g]);
        }
        p->flops = 0;
    }
    b->red = malloc(sizeof(double) * 2 * (size_t)b->groups * (size_t)b->c);
    b->coef = malloc(sizeof(float) * 2 * (size_t)b->c);
    if (!b->red || !b->coef)
        return rcc_fail(RCC_ERR_NOMEM, "synchronised batch-norm buffers");
    return RCC_OK;
}

rcc_status rcc_bn_plan_bwd(rcc_arena *a, rcc_bn *b, rcc_act *diff_dst, rcc_act *diff_src)
{
    if (!b->train)
        return rcc_fail(RCC_ERR_ARG, "batch-norm planned for inference has no backward");
    if (!dnnl_memory_desc_equal(&diff_dst->md, &b->dst.md) || !dnnl_memory_desc_equal(&diff_src->md, &b->src->md))
        return rcc_fail(RCC_ERR_ARG, "batch-norm backward: gradient layout differs from the data's");
    dnnl_memory_desc_t gmd;
    RCC_TRY(rcc_md_with_batch(&b->src->md, b->n / b->groups, &gmd));
    dnnl_batch_normalization_desc_t d;
    DNN_TRY(dnnl_batch_normalization_backward_desc_init(&d, dnnl_backward, &gmd, &gmd, b->eps,
                                                        bn_flags(b, b->sync != NULL)),
            "batch-norm backward descriptor");
    dnnl_primitive_desc_t pd;
    RCC_TRY(rcc_pd_create(&pd, &d, b->sync ? b->pd_fwd_sync : b->pd_fwd, "batch-norm backward"));
    int64_t cd[1] = {b->c};
    dnnl_memory_desc_t vec = rcc_md_plain(1, cd, dnnl_a);
    rcc_status s = rcc_act_plan(a, &b->dgamma, &vec);
    if (s == RCC_OK)
        s = rcc_act_plan(a, &b->dbeta, &vec);
    size_t gbytes = rcc_md_bytes(&gmd);
    for (int g = 0; g < b->groups && s == RCC_OK; g++) {
        s = rcc_act_alias(a, &b->dd_g[g], &gmd, diff_dst, g * gbytes);
        if (s == RCC_OK)
            s = rcc_act_alias(a, &b->ds_g[g], &gmd, diff_src, g * gbytes);
        if (s != RCC_OK)
            break;
        rcc_prim *p = &b->bwd[g];
        if (g == 0) {
            s = rcc_prim_create(a, p, pd, "batch-norm bwd");
            memcpy(p->layer, b->fwd[0].layer, sizeof p->layer);
        } else
            rcc_prim_share(p, &b->bwd[0]);
        rcc_prim_arg(p, DNNL_ARG_SRC, &b->src_g[g]);
        rcc_prim_arg(p, DNNL_ARG_MEAN, b->sync ? &b->gmean_g[g] : &b->mean_g[g]);
        rcc_prim_arg(p, DNNL_ARG_VARIANCE, b->sync ? &b->gvar_g[g] : &b->var_g[g]);
        rcc_prim_arg(p, DNNL_ARG_DIFF_DST, &b->dd_g[g]);
        rcc_prim_arg(p, DNNL_ARG_SCALE, &b->gamma);
        rcc_prim_arg(p, DNNL_ARG_SHIFT, &b->beta);
        rcc_act *ws = b->sync ? &b->wss_g[g] : &b->ws_g[g];
        if (ws->bytes)
            rcc_prim_arg(p, DNNL_ARG_WORKSPACE, ws);
        rcc_prim_arg(p, DNNL_ARG_DIFF_SRC, &b->ds_g[g]);
        rcc_prim_arg(p, DNNL_ARG_DIFF_SCALE, &b->dgamma);
        rcc_prim_arg(p, DNNL_ARG_DIFF_SHIFT, &b->dbeta);
    }
    dnnl_primitive_desc_destroy(pd);
    b->has_bwd = s == RCC_OK;
    return s;
}

/* PyTorch's running statistics: an exponential average of the batch mean and the unbiased variance. */
static void update_running(const rcc_bn *b, float *rm, float *rv, const float *mean, const float *var, float unbias)
{
    for (int c = 0; c < b->c; c++) {
        rm[c] = (1 - b->momentum) * rm[c] + b->momentum * mean[c];
        rv[c] = (1 - b->momentum) * rv[c] + b->momentum * var[c] * unbias;
    }
}

/* Synchronised forward: local statistics of every group (the first primitive), summed over the
 * processes as (mean, variance + mean²) — every process holds the same number of images — then
 * the normalisation with the global statistics. */
static rcc_status bn_forward_sync(rcc_bn *b, rcc_params *ps)
{
    int C = b->c, G = b->groups, P = b->sync->size;
    for (int g = 0; g < G; g++)
        RCC_TRY(rcc_prim_exec(&b->fwd[g]));
    double *r = b->red;
    for (int g = 0; g < G; g++)
        for (int c = 0; c < C; c++) {
            double m = b->mean_g[g].ptr[c], v = b->var_g[g].ptr[c];
            r[(2 * g) * C + c] = m;
            r[(2 * g + 1) * C + c] = v + m * m;
        }
    RCC_TRY(rcc_dist_allreduce_f64(b->sync, r, 2 * (size_t)G * C));
    float *rm = rcc_pbufs(ps) + b->mean_off, *rv = rcc_pbufs(ps) + b->var_off;
    double count = (double)(b->n / G) * (double)(b->h * b->w) * P;
    float unbias = (float)(count / (count > 1 ? count - 1 : 1));
    for (int g = 0; g < G; g++) {
        float *gm = b->gmean_g[g].ptr, *gv = b->gvar_g[g].ptr;
        for (int c = 0; c < C; c++) {
            double m = r[(2 * g) * C + c] / P, v = r[(2 * g + 1) * C + c] / P - m * m;
            gm[c] = (float)m;
            gv[c] = (float)(v > 0 ? v : 0);
        }
        RCC_TRY(rcc_prim_exec(&b->fwd_sync[g]));
        update_running(b, rm, rv, gm, gv, unbias);
    }
    rcc_params_touch(ps);
    return RCC_OK;
}

/* Offsets of a 4-d activation with at most one inner block, on the channel axis. */
typedef struct {
    int64_t s[4], blk, off0;
} bn_layout;

static bn_layout layout_of(const dnnl_memory_desc_t *md)
{
    bn_layout l;
    for (int i = 0; i < 4; i++)
        l.s[i] = md->format_desc.blocking.strides[i];
    l.blk = md->format_desc.blocking.inner_nblks == 1 ? md->format_desc.blocking.inner_blks[0] : 1;
    l.off0 = md->offset0;
    return l;
}

/* Synchronised backward. With global statistics μ, σ the primitive gives γ/σ · dy (statistics
 * held constant) and the local sums Σ dy, Σ dy·x̂. The full gradient of batch statistics is
 *   dx = γ/σ · (dy − Σdy / M − x̂ · Σ(dy·x̂) / M),  M = images · H · W over all processes,
 * so the sums are added over processes and the two terms subtracted here: dx += α_c + β_c · x. */
static rcc_status bn_backward_sync(rcc_bn *b, rcc_params *ps)
{
    int C = b->c, G = b->groups, P = b->sync->size;
    float *dg = rcc_pgrad(ps) + b->gamma_off, *db = rcc_pgrad(ps) + b->beta_off;
    double *r = b->red;
    for (int g = 0; g < G; g++) {
        RCC_TRY(rcc_prim_exec(&b->bwd[g]));
        const float *tg = b->dgamma.ptr, *tb = b->dbeta.ptr;
        for (int c = 0; c < C; c++) {
            dg[c] += tg[c]; /* local: the gradients themselves are summed over processes later */
            db[c] += tb[c];
            r[(2 * g) * C + c] = tb[c];
            r[(2 * g + 1) * C + c] = tg[c];
        }
    }
    RCC_TRY(rcc_dist_allreduce_f64(b->sync, r, 2 * (size_t)G * C));
    double t0 = rcc_now();
    const float *gamma = b->gamma.ptr;
    int64_t nper = b->n / G, H = b->h, W = b->w;
    double M = (double)nper * (double)(H * W) * P;
    bn_layout L = layout_of(&b->src_g[0].md), LD = layout_of(&b->ds_g[0].md);
    for (int g = 0; g < G; g++) {
        const float *gm = b->gmean_g[g].ptr, *gv = b->gvar_g[g].ptr;
        float *alpha = b->coef, *beta = b->coef + C;
        for (int c = 0; c < C; c++) {
            double inv = 1.0 / sqrt((double)gv[c] + b->eps), k = gamma[c] * inv;
            double A = r[(2 * g) * C + c] / M, B = r[(2 * g + 1) * C + c] / M;
            /* dx −= k (A + (x − μ) inv B)  ⇒  α = −k (A − μ inv B), β = −k inv B */
            alpha[c] = (float)(-k * (A - gm[c] * inv * B));
            beta[c] = (float)(-k * inv * B);
        }
        const float *x = b->src_g[g].ptr;
        float *dx = b->ds_g[g].ptr;
        int64_t cblocks = (C + L.blk - 1) / L.blk;
#pragma omp parallel for collapse(2) schedule(static)
        for (int64_t n = 0; n < nper; n++)
            for (int64_t cb = 0; cb < cblocks; cb++)
                for (int64_t h = 0; h < H; h++)
                    for (int64_t w = 0; w < W; w++) {
                        const float *xp = x + L.off0 + n * L.s[0] + cb * L.s[1] + h * L.s[2] + w * L.s[3];
                        float *dp = dx + LD.off0 + n * LD.s[0] + cb * LD.s[1] + h * LD.s[2] + w * LD.s[3];
                        int64_t c0 = cb * L.blk, cn = C - c0 < L.blk ? C - c0 : L.blk;
                        if (L.blk == 1) { /* plain layout: channel stride s[1] */
                            dp[0] += alpha[c0] + beta[c0] * xp[0];
                            continue;
                        }
                        for (int64_t j = 0; j < cn; j++)
                            dp[j] += alpha[c0 + j] + beta[c0 + j] * xp[j];
                    }
    }
    rcc_prof_add("batch-norm sync correction", rcc_now() - t0, 0);
    return RCC_OK;
}

rcc_status rcc_bn_forward(rcc_bn *b, rcc_params *ps)
{
    if (b->train) /* the running statistics change */
        rcc_params_touch(ps);
    if (b->sync)
        return bn_forward_sync(b, ps);
    float *rm = rcc_pbufs(ps) + b->mean_off, *rv = rcc_pbufs(ps) + b->var_off;
    double count = (double)(b->n / b->groups) * (double)(b->h * b->w);
    float unbias = (float)(count / (count > 1 ? count - 1 : 1));
    for (int g = 0; g < b->groups; g++) {
        RCC_TRY(rcc_prim_exec(&b->fwd[g]));
        if (!b->train)
            continue;
        update_running(b, rm, rv, b->mean_g[g].ptr, b->var_g[g].ptr, unbias);
    }
    if (b->train)
        rcc_params_touch(ps);
    return RCC_OK;
}

rcc_status rcc_bn_backward(rcc_bn *b, rcc_params *ps)
{
    if (b->sync)
        return bn_backward_sync(b, ps);
    float *dg = rcc_pgrad(ps) + b->gamma_off, *db = rcc_pgrad(ps) + b->beta_off;
    for (int g = 0; g < b->groups; g++) {
        RCC_TRY(rcc_prim_exec(&b->bwd[g]));
        const float *tg = b->dgamma.ptr, *tb = b->dbeta.ptr;
        for (int c = 0; c < b->c; c++) {
            dg[c] += tg[c];
            db[c] += tb[c];
        }
    }
    return RCC_OK;
}

void rcc_bn_free(rcc_bn *b)
{
    rcc_prim_free(&b->fwd[0]);
    rcc_prim_free(&b->bwd[0]);
    if (b->pd_fwd)
        dnnl_primitive_desc_destroy(b->pd_fwd);
    b->pd_fwd = NULL;
    if (b->sync) {
        rcc_prim_free(&b->fwd_sync[0]);
        if (b->pd_fwd_sync)
            dnnl_primitive_desc_destroy(b->pd_fwd_sync);
        b->pd_fwd_sync = NULL;
    }
    free(b->red);
    free(b->coef);
    b->red = NULL, b->coef = NULL;
}
