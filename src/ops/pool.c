/* pool.c — max pooling 3×3 stride 2 pad 1 (the ResNet stem) and global average pooling,
 * through oneDNN. Global pooling also hands its N×C result over as a plain row-major matrix. */
#include <string.h>
#include "ops.h"

rcc_status rcc_pool_plan(rcc_arena *a, rcc_pool *p, rcc_act *src, bool global, bool train)
{
    memset(p, 0, sizeof *p);
    p->src = src;
    p->global = global;
    p->train = train;
    const dnnl_memory_desc_t *smd = &src->md;
    int64_t n = smd->dims[0], c = smd->dims[1], h = smd->dims[2], w = smd->dims[3];
    int64_t oh = global ? 1 : (h + 2 - 3) / 2 + 1, ow = global ? 1 : (w + 2 - 3) / 2 + 1;
    int64_t dd[4] = {n, c, oh, ow};
    dnnl_memory_desc_t dany = rcc_md_any_dt(4, dd, smd->data_type);
    dnnl_dims_t st = {global ? 1 : 2, global ? 1 : 2}, k = {global ? h : 3, global ? w : 3}, dil = {0, 0},
                pad = {global ? 0 : 1, global ? 0 : 1};
    dnnl_pooling_v2_desc_t d;
    DNN_TRY(dnnl_pooling_v2_forward_desc_init(&d, train ? dnnl_forward_training : dnnl_forward_inference,
                                              global ? dnnl_pooling_avg_exclude_padding : dnnl_pooling_max, smd,
                                              &dany, st, k, dil, pad, pad),
            "pooling forward descriptor");
    RCC_TRY(rcc_pd_create(&p->pd_fwd, &d, NULL, "pooling forward"));
    RCC_TRY(rcc_act_plan(a, &p->dst, dnnl_primitive_desc_query_md(p->pd_fwd, dnnl_query_dst_md, 0)));
    RCC_TRY(rcc_prim_create(a, &p->fwd, p->pd_fwd, global ? "global avg pool fwd" : "max pool fwd"));
    rcc_prims_set_layer(global ? "avgpool" : "maxpool", (rcc_prim *const[]){&p->fwd, NULL});
    rcc_prim_arg(&p->fwd, DNNL_ARG_SRC, src);
    rcc_prim_arg(&p->fwd, DNNL_ARG_DST, &p->dst);
    const dnnl_memory_desc_t *wsmd = dnnl_primitive_desc_query_md(p->pd_fwd, dnnl_query_workspace_md, 0);
    if (train && wsmd && wsmd->ndims > 0) {
        RCC_TRY(rcc_act_plan(a, &p->ws, wsmd));
        rcc_prim_arg(&p->fwd, DNNL_ARG_WORKSPACE, &p->ws);
    }
    if (global) { /* f32 rows for the heads, whatever the backbone computes in */
        dnnl_memory_desc_t pmd = rcc_md_plain(4, dd, dnnl_nchw);
        RCC_TRY(rcc_act_plan(a, &p->plain, &pmd));
        RCC_TRY(rcc_reorder_create(a, &p->to_plain, &p->dst, &p->plain, false, "reorder (pooled to rows)"));
    }
    return RCC_OK;
}

rcc_status rcc_pool_plan_bwd(rcc_arena *a, rcc_pool *p, rcc_act *diff_dst, rcc_act *diff_src)
{
    if (!p->train)
        return rcc_fail(RCC_ERR_ARG, "pooling planned for inference has no backward");
    if (!dnnl_memory_desc_equal(&diff_src->md, &p->src->md))
        return rcc_fail(RCC_ERR_ARG, "pooling backward: gradient layout differs from the input's");
    rcc_act *dd = diff_dst;
    if (p->global) {
        RCC_TRY(rcc_act_plan(a, &p->dplain_r, &p->dst.md));
        RCC_TRY(rcc_reorder_create(a, &p->from_plain, diff_dst, &p->dplain_r, false, "reorder (rows to pooled)"));
        dd = &p->dplain_r;
    } else if (!dnnl_memory_desc_equal(&diff_dst->md, &p->dst.md)) {
        return rcc_fail(RCC_ERR_ARG, "pooling backward: gradient layout differs from the output's");
    }
    const dnnl_memory_desc_t *smd = &p->src->md;
    int64_t h = smd->dims[2], w = smd->dims[3];
    dnnl_dims_t st = {p->global ? 1 : 2, p->global ? 1 : 2}, k = {p->global ? h : 3, p->global ? w : 3},
                dil = {0, 0}, pad = {p->global ? 0 : 1, p->global ? 0 : 1};
    dnnl_pooling_v2_desc_t d;
    DNN_TRY(dnnl_pooling_v2_backward_desc_init(&d, p->global ? dnnl_pooling_avg_exclude_padding : dnnl_pooling_max,
                                               &diff_src->md, &dd->md, st, k, dil, pad, pad),
            "pooling backward descriptor");
    dnnl_primitive_desc_t pd;
    RCC_TRY(rcc_pd_create(&pd, &d, p->pd_fwd, "pooling backward"));
    rcc_status s = rcc_prim_create(a, &p->bwd, pd, p->global ? "global avg pool bwd" : "max pool bwd");
    dnnl_primitive_desc_destroy(pd);
    RCC_TRY(s);
    rcc_prims_set_layer(p->fwd.layer, (rcc_prim *const[]){&p->bwd, &p->from_plain, &p->to_plain, NULL});
    rcc_prim_arg(&p->bwd, DNNL_ARG_DIFF_DST, dd);
    rcc_prim_arg(&p->bwd, DNNL_ARG_DIFF_SRC, diff_src);
    if (p->ws.bytes)
        rcc_prim_arg(&p->bwd, DNNL_ARG_WORKSPACE, &p->ws);
    p->has_bwd = true;
    return RCC_OK;
}

rcc_status rcc_pool_forward(rcc_pool *p)
{
    RCC_TRY(rcc_prim_exec(&p->fwd));
    if (p->global)
        RCC_TRY(rcc_prim_exec(&p->to_plain));
    return RCC_OK;
}

rcc_status rcc_pool_backward(rcc_pool *p)
{
    if (p->global)
        RCC_TRY(rcc_prim_exec(&p->from_plain));
    return rcc_prim_exec(&p->bwd);
}

void rcc_pool_free(rcc_pool *p)
{
    rcc_prim *ps[] = {&p->fwd, &p->bwd, &p->to_plain, &p->from_plain};
    for (size_t i = 0; i < sizeof ps / sizeof *ps; i++)
        rcc_prim_free(ps[i]);
    if (p->pd_fwd)
        dnnl_primitive_desc_destroy(p->pd_fwd);
    p->pd_fwd = NULL;
}
