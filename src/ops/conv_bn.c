/* conv_bn.c — inference: a convolution and the batch-norm after it as one oneDNN convolution, with
 * the block's residual sum and ReLU as its post-ops (ops.h). What it saves is the batch-norm's and
 * the residual add's passes over the activations: at the `cpu` preset's shape (32×32, bf16, batch
 * 256) they were 28 % of an inference pass (docs/performance.md). */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "ops.h"

bool rcc_conv_bn_enabled(void)
{
    const char *e = getenv("RCC_CONV_FUSE");
    return !(e && strcmp(e, "0") == 0);
}

rcc_status rcc_conv_bn_register(rcc_params *ps, const char *wname, const char *bn_name, int in_c, int out_c, int k,
                                rcc_conv_bn_offsets *off)
{
    int64_t wd[4] = {out_c, in_c, k, k};
    RCC_TRY(rcc_params_add(ps, wname, RCC_P_CONV_W, 4, wd, &off->w));
    return rcc_bn_add_params(ps, bn_name, out_c, off->bn);
}

/* The convolution's descriptor: inference, direct, with a bias; src as given, the rest any layout. */
static rcc_status make_pd(const rcc_conv *c, const dnnl_memory_desc_t *src_md, const_dnnl_post_ops_t po,
                          dnnl_primitive_desc_t *pd)
{
    int64_t wd[4] = {c->out_c, c->in_c, c->k, c->k}, dd[4] = {c->n, c->out_c, c->oh, c->ow}, bd[1] = {c->out_c};
    dnnl_memory_desc_t w_any = rcc_md_any_dt(4, wd, c->dt), d_any = rcc_md_any_dt(4, dd, c->dt),
                       b_md = rcc_md_plain(1, bd, dnnl_a);
    dnnl_dims_t st = {c->stride, c->stride}, pl = {c->pad, c->pad};
    dnnl_convolution_desc_t d;
    DNN_TRY(dnnl_convolution_forward_desc_init(&d, dnnl_forward_inference, dnnl_convolution_direct, src_md, &w_any,
                                               &b_md, &d_any, st, pl, pl),
            "convolution forward descriptor (batch-norm folded)");
    return rcc_pd_create_po(pd, &d, NULL, po, "convolution forward (batch-norm folded)");
}

static bool is_ref(const_dnnl_primitive_desc_t pd) { return strncmp(rcc_pd_impl(pd), "ref", 3) == 0; }

static rcc_status plan(rcc_arena *a, rcc_conv *c, const_dnnl_post_ops_t po, rcc_act *sum_into)
{
    /* the input's own layout unless that means a reference kernel (as rcc_conv_plan) */
    int64_t sd[4] = {c->n, c->in_c, c->ih, c->iw};
    dnnl_memory_desc_t s_any = rcc_md_any_dt(4, sd, c->dt);
    dnnl_primitive_desc_t pd;
    if (c->src->md.data_type != c->dt) {
        RCC_TRY(make_pd(c, &s_any, po, &pd));
    } else {
        RCC_TRY(make_pd(c, &c->src->md, po, &pd));
        dnnl_primitive_desc_t pd2;
        if (is_ref(pd) && make_pd(c, &s_any, po, &pd2) == RCC_OK) {
            dnnl_primitive_desc_destroy(pd);
            pd = pd2;
        }
    }
    c->pd_fwd = pd;
    const dnnl_memory_desc_t *want_src = dnnl_primitive_desc_query_md(pd, dnnl_query_src_md, 0);
    rcc_act *csrc = c->src;
    if (!dnnl_memory_desc_equal(want_src, &c->src->md)) {
        RCC_TRY(rcc_act_plan(a, &c->src_r, want_src));
        RCC_TRY(rcc_reorder_create(a, &c->p_src_reorder, c->src, &c->src_r, false, "reorder (conv input)"));
        c->src_reorder = true;
        csrc = &c->src_r;
    }
    int64_t wd[4] = {c->out_c, c->in_c, c->k, c->k}, vd[1] = {c->out_c};
    dnnl_memory_desc_t wplain = rcc_md_plain(4, wd, dnnl_oihw), vec = rcc_md_plain(1, vd, dnnl_a);
    RCC_TRY(rcc_act_view(a, &c->w_plain, &wplain, &c->ps->data, c->w_off * sizeof(float)));
    RCC_TRY(rcc_act_plan(a, &c->w, dnnl_primitive_desc_query_md(pd, dnnl_query_weights_md, 0)));
    RCC_TRY(rcc_act_plan(a, &c->bn.scale, &vec));
    RCC_TRY(rcc_act_plan(a, &c->bn.bias, &vec));
    RCC_TRY(rcc_reorder_create_scaled(a, &c->p_w, &c->w_plain, &c->w, &c->bn.scale, "reorder (weights, scaled)"));
    const dnnl_memory_desc_t *dmd = dnnl_primitive_desc_query_md(pd, dnnl_query_dst_md, 0);
    if (sum_into && dnnl_memory_desc_equal(dmd, &sum_into->md)) {
        RCC_TRY(rcc_act_alias(a, &c->dst, dmd, sum_into, 0));
    } else {
        RCC_TRY(rcc_act_plan(a, &c->dst, dmd));
        if (sum_into) { /* oneDNN wants another layout here than the shortcut has (tiny channel counts) */
            RCC_TRY(rcc_reorder_create(a, &c->bn.p_sum_in, sum_into, &c->dst, false, "reorder (shortcut)"));
            c->bn.sum_reorder = true;
        }
    }
    RCC_TRY(rcc_prim_create(a, &c->p_fwd, pd, "conv+bn fwd"));
    c->p_fwd.flops = 2.0 * rcc_conv_macs(c);
    rcc_prims_set_layer(c->layer, (rcc_prim *const[]){&c->p_src_reorder, &c->bn.p_sum_in, &c->p_w, &c->p_fwd, NULL});
    rcc_prim_arg(&c->p_fwd, DNNL_ARG_SRC, csrc);
    rcc_prim_arg(&c->p_fwd, DNNL_ARG_WEIGHTS, &c->w);
    rcc_prim_arg(&c->p_fwd, DNNL_ARG_BIAS, &c->bn.bias);
    rcc_prim_arg(&c->p_fwd, DNNL_ARG_DST, &c->dst);
    return RCC_OK;
}

rcc_status rcc_conv_bn_plan(rcc_arena *a, rcc_params *ps, rcc_conv *c, const char *wname,
                            const rcc_conv_bn_offsets *off, rcc_act *src, int out_c, int k, int stride, int pad,
                            dnnl_data_type_t dt, bool relu, rcc_act *sum_into)
{
    memset(c, 0, sizeof *c);
    if (dt != dnnl_f32 && dt != dnnl_bf16)
        return rcc_fail(RCC_ERR_ARG, "%s: convolutions compute in f32 or bf16", wname);
    const dnnl_memory_desc_t *smd = &src->md;
    c->algo = RCC_CONV_DIRECT;
    c->dt = dt;
    c->src = src;
    c->ps = ps;
    c->n = smd->dims[0];
    c->in_c = (int)smd->dims[1];
    c->ih = smd->dims[2];
    c->iw = smd->dims[3];
    c->out_c = out_c;
    c->k = k;
    c->stride = stride;
    c->pad = pad;
    c->oh = (c->ih + 2 * pad - k) / stride + 1;
    c->ow = (c->iw + 2 * pad - k) / stride + 1;
    if (c->oh < 1 || c->ow < 1)
        return rcc_fail(RCC_ERR_ARG, "%s: input %lldx%lld too small for kernel %d stride %d", wname,
                        (long long)c->ih, (long long)c->iw, k, stride);
    c->w_off = off->w;
    c->bn.on = true;
    c->bn.sum = sum_into != NULL;
    c->bn.relu = relu;
    c->bn.gamma_off = off->bn[0], c->bn.beta_off = off->bn[1], c->bn.mean_off = off->bn[2], c->bn.var_off = off->bn[3];
    rcc_conv_set_layer(c, wname);

    dnnl_post_ops_t po;
    DNN_TRY(dnnl_post_ops_create(&po), "post-ops");
    dnnl_status_t ds = dnnl_success;
    if (sum_into)
        ds = dnnl_post_ops_append_sum(po, 1.0f);
    if (ds == dnnl_success && relu)
        ds = dnnl_post_ops_append_eltwise(po, 1.0f, dnnl_eltwise_relu, 0.0f, 0.0f);
    rcc_status s = rcc_dnn_check(ds, "post-ops");
    if (s == RCC_OK)
        s = plan(a, c, po, sum_into);
    dnnl_post_ops_destroy(po);
    return s;
}

void rcc_conv_bn_fold(rcc_conv *c)
{
    const float *P = rcc_pdata(c->ps), *B = rcc_pbufs(c->ps);
    const float *gamma = P + c->bn.gamma_off, *beta = P + c->bn.beta_off;
    const float *mean = B + c->bn.mean_off, *var = B + c->bn.var_off;
    float *s = c->bn.scale.ptr, *b = c->bn.bias.ptr;
    for (int o = 0; o < c->out_c; o++) {
        s[o] = gamma[o] / sqrtf(var[o] + RCC_BN_EPS);
        b[o] = beta[o] - mean[o] * s[o];
    }
}
