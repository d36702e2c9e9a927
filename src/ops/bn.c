/* bn.c — 2-d batch normalisation (optionally fused with the following ReLU) through oneDNN.
 * Training computes statistics per group of the batch (the two augmented views are one batch of
 * 2N images, but each view is normalised with its own statistics, as two separate PyTorch calls
 * would) and updates the running statistics once per group, in order, as PyTorch does. */
#include <stdio.h>
#include <string.h>
#include "ops.h"

static unsigned bn_flags(const rcc_bn *b, bool global_stats)
{
    return dnnl_use_scale | dnnl_use_shift | (b->relu ? dnnl_fuse_norm_relu : 0U) |
           (global_stats ? dnnl_use_global_stats : 0U);
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
    b->eps = 1e-5f;
    b->momentum = 0.1f;
    if (b->groups < 1 || b->groups > RCC_MAX_GROUPS || b->n % b->groups)
        return rcc_fail(RCC_ERR_ARG, "%s: batch %lld cannot be split in %d groups", name, (long long)b->n, groups);
    if (train && (b->n / b->groups) * b->h * b->w < 2)
        return rcc_fail(RCC_ERR_ARG, "%s: batch-norm needs more than one value per channel in training", name);

    char full[RCC_NAME_MAX];
    int64_t cd[1] = {b->c};
    RCC_TRY(rcc_name(full, sizeof full, "%s.weight", name));
    RCC_TRY(rcc_params_add(ps, full, RCC_P_BN_GAMMA, 1, cd, &b->gamma_off));
    RCC_TRY(rcc_name(full, sizeof full, "%s.bias", name));
    RCC_TRY(rcc_params_add(ps, full, RCC_P_BN_BETA, 1, cd, &b->beta_off));
    RCC_TRY(rcc_name(full, sizeof full, "%s.running_mean", name));
    RCC_TRY(rcc_params_add(ps, full, RCC_B_BN_MEAN, 1, cd, &b->mean_off));
    RCC_TRY(rcc_name(full, sizeof full, "%s.running_var", name));
    RCC_TRY(rcc_params_add(ps, full, RCC_B_BN_VAR, 1, cd, &b->var_off));

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

rcc_status rcc_bn_plan_bwd(rcc_arena *a, rcc_bn *b, rcc_act *diff_dst, rcc_act *diff_src)
{
    if (!b->train)
        return rcc_fail(RCC_ERR_ARG, "batch-norm planned for inference has no backward");
    if (!dnnl_memory_desc_equal(&diff_dst->md, &b->dst.md) || !dnnl_memory_desc_equal(&diff_src->md, &b->src->md))
        return rcc_fail(RCC_ERR_ARG, "batch-norm backward: gradient layout differs from the data's");
    dnnl_memory_desc_t gmd;
    RCC_TRY(rcc_md_with_batch(&b->src->md, b->n / b->groups, &gmd));
    dnnl_batch_normalization_desc_t d;
    DNN_TRY(dnnl_batch_normalization_backward_desc_init(&d, dnnl_backward, &gmd, &gmd, b->eps, bn_flags(b, false)),
            "batch-norm backward descriptor");
    dnnl_primitive_desc_t pd;
    RCC_TRY(rcc_pd_create(&pd, &d, b->pd_fwd, "batch-norm backward"));
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
        rcc_prim_arg(p, DNNL_ARG_MEAN, &b->mean_g[g]);
        rcc_prim_arg(p, DNNL_ARG_VARIANCE, &b->var_g[g]);
        rcc_prim_arg(p, DNNL_ARG_DIFF_DST, &b->dd_g[g]);
        rcc_prim_arg(p, DNNL_ARG_SCALE, &b->gamma);
        rcc_prim_arg(p, DNNL_ARG_SHIFT, &b->beta);
        if (b->ws_g[g].bytes)
            rcc_prim_arg(p, DNNL_ARG_WORKSPACE, &b->ws_g[g]);
        rcc_prim_arg(p, DNNL_ARG_DIFF_SRC, &b->ds_g[g]);
        rcc_prim_arg(p, DNNL_ARG_DIFF_SCALE, &b->dgamma);
        rcc_prim_arg(p, DNNL_ARG_DIFF_SHIFT, &b->dbeta);
    }
    dnnl_primitive_desc_destroy(pd);
    b->has_bwd = s == RCC_OK;
    return s;
}

rcc_status rcc_bn_forward(rcc_bn *b, rcc_params *ps)
{
    float *rm = rcc_pbufs(ps) + b->mean_off, *rv = rcc_pbufs(ps) + b->var_off;
    double count = (double)(b->n / b->groups) * (double)(b->h * b->w);
    float unbias = (float)(count / (count > 1 ? count - 1 : 1));
    for (int g = 0; g < b->groups; g++) {
        RCC_TRY(rcc_prim_exec(&b->fwd[g]));
        if (!b->train)
            continue;
        const float *mean = b->mean_g[g].ptr, *var = b->var_g[g].ptr;
        for (int c = 0; c < b->c; c++) {
            rm[c] = (1 - b->momentum) * rm[c] + b->momentum * mean[c];
            rv[c] = (1 - b->momentum) * rv[c] + b->momentum * var[c] * unbias;
        }
    }
    return RCC_OK;
}

rcc_status rcc_bn_backward(rcc_bn *b, rcc_params *ps)
{
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
}
