/* conv_bn.c — inference: a convolution and the batch-norm after it as one oneDNN convolution, with
 * the block's residual sum and ReLU as its post-ops (ops.h). What it saves is the batch-norm's and
 * the residual add's passes over the activations: at the `cpu` preset's shape (32×32, bf16, batch
 * 256) they were 28 % of an inference pass (docs/performance.md). On maps smaller than the kernel
 * the same layer is one oneDNN matmul by W_big instead (conv_dense.c's form; plan_dense, make_dense). */
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>
#include "ops.h"

/* Weights × taps below which W_big is made on one thread. */
#define DENSE_PARALLEL_MIN (1 << 16)
/* Batches below this keep oneDNN's convolutions on small maps: reading W_big (16/9 the weights on
 * 2×2 maps) costs more than it saves there. The cpu preset's network, rcc bench --infer --batch N,
 * images/s with the matmul / without (bf16; f32): N 4: 7 298 / 7 851 (3 380 / 3 991); N 8: 12 417 /
 * 9 000 (5 302 / 4 451); N 64: 21 569 / 13 934 (5 455 / 4 496); one image 0.38-0.46 / 0.29-0.46 ms. */
#define DENSE_MIN_BATCH 8

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

/* The convolution's descriptor: inference, with a bias; src as given, the rest any layout. Winograd
 * F(4×4,3×3) where the model asks for it and it can exist (f32, 3×3, stride 1, outputs of at least
 * 4×4: conv.c's rules; its weights are transformed once per change of the parameters here, not per
 * pass), direct elsewhere or where oneDNN has only a reference kernel. Sets c->wino_fwd. */
static rcc_status make_pd(rcc_conv *c, const dnnl_memory_desc_t *src_md, const_dnnl_post_ops_t po,
                          dnnl_primitive_desc_t *pd)
{
    int64_t wd[4] = {c->out_c, c->in_c, c->k, c->k}, dd[4] = {c->n, c->out_c, c->oh, c->ow}, bd[1] = {c->out_c};
    dnnl_memory_desc_t w_any = rcc_md_any_dt(4, wd, c->dt), d_any = rcc_md_any_dt(4, dd, c->dt),
                       b_md = rcc_md_plain(1, bd, dnnl_a);
    dnnl_dims_t st = {c->stride, c->stride}, pl = {c->pad, c->pad};
    dnnl_convolution_desc_t d;
    c->wino_fwd = false;
    if (rcc_conv_wino_shape(c) &&
        dnnl_convolution_forward_desc_init(&d, dnnl_forward_inference, dnnl_convolution_winograd, src_md, &w_any,
                                           &b_md, &d_any, st, pl, pl) == dnnl_success &&
        rcc_pd_create_po(pd, &d, NULL, po, "convolution forward (batch-norm folded, winograd)") == RCC_OK) {
        if (!rcc_pd_is_ref(*pd)) {
            c->wino_fwd = true;
            return RCC_OK;
        }
        dnnl_primitive_desc_destroy(*pd);
    }
    DNN_TRY(dnnl_convolution_forward_desc_init(&d, dnnl_forward_inference, dnnl_convolution_direct, src_md, &w_any,
                                               &b_md, &d_any, st, pl, pl),
            "convolution forward descriptor (batch-norm folded)");
    return rcc_pd_create_po(pd, &d, NULL, po, "convolution forward (batch-norm folded)");
}

/* The kernel's weights c->w reordered from an f32 source `md` (c->bn.big) that lives only while
 * prepare makes it and the reorder reads it: on the arena's scratchpad, after the reorder's own. */
static rcc_status plan_weights_from_scratch(rcc_arena *a, rcc_conv *c, const dnnl_memory_desc_t *md, const char *name)
{
    RCC_TRY(rcc_act_view(a, &c->bn.big, md, &a->scratch, 0));
    RCC_TRY(rcc_reorder_create(a, &c->p_w, &c->bn.big, &c->w, false, name));
    if (c->p_w.has_scratch)
        c->bn.big.off = rcc_align_up(c->p_w.scratch.bytes);
    if (c->bn.big.off + c->bn.big.bytes > a->scratch_bytes)
        a->scratch_bytes = c->bn.big.off + c->bn.big.bytes;
    return RCC_OK;
}

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
        if (rcc_pd_is_ref(pd) && make_pd(c, &s_any, po, &pd2) == RCC_OK) {
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
    if (c->wino_fwd) { /* oneDNN 2.6 cannot scale while reordering into Winograd's format: the weights
                        * are scaled into a plain copy on the scratchpad first (after the reorder's own) */
        c->bn.prescale = true;
        RCC_TRY(plan_weights_from_scratch(a, c, &wplain, "reorder (weights, winograd)"));
    } else {
        RCC_TRY(rcc_reorder_create_scaled(a, &c->p_w, &c->w_plain, &c->w, &c->bn.scale, "reorder (weights, scaled)"));
    }
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
    RCC_TRY(rcc_prim_create(a, &c->p_fwd, pd, c->wino_fwd ? "conv+bn fwd (winograd)" : "conv+bn fwd"));
    c->p_fwd.flops = 2.0 * rcc_conv_macs(c);
    rcc_prims_set_layer(c->layer, (rcc_prim *const[]){&c->p_src_reorder, &c->bn.p_sum_in, &c->p_w, &c->p_fwd, NULL});
    rcc_prim_arg(&c->p_fwd, DNNL_ARG_SRC, csrc);
    rcc_prim_arg(&c->p_fwd, DNNL_ARG_WEIGHTS, &c->w);
    rcc_prim_arg(&c->p_fwd, DNNL_ARG_BIAS, &c->bn.bias);
    rcc_prim_arg(&c->p_fwd, DNNL_ARG_DST, &c->dst);
    return RCC_OK;
}

/* The matmul of the dense form: N × kin by kin × kout, a bias row, the post-ops. */
static rcc_status dense_pd(const rcc_conv *c, int64_t kin, int64_t kout, const_dnnl_post_ops_t po,
                           dnnl_primitive_desc_t *pd)
{
    int64_t sd[2] = {c->n, kin}, wd[2] = {kin, kout}, bd[2] = {1, kout}, dd[2] = {c->n, kout};
    dnnl_memory_desc_t s_md = rcc_md_plain_dt(2, sd, c->dt, dnnl_ab), w_md = rcc_md_plain_dt(2, wd, c->dt, dnnl_format_tag_any),
                       b_md = rcc_md_plain_dt(2, bd, dnnl_f32, dnnl_ab), d_md = rcc_md_plain_dt(2, dd, c->dt, dnnl_ab);
    dnnl_matmul_desc_t d;
    DNN_TRY(dnnl_matmul_desc_init(&d, &s_md, &w_md, &b_md, &d_md), "matmul descriptor (dense convolution)");
    return rcc_pd_create_po(pd, &d, NULL, po, "matmul (dense convolution)");
}

/* The dense form where it applies: the input map has fewer positions than the kernel has taps, the
 * input is in the compute type with the batch outermost, and oneDNN has a real matmul for it. The
 * output takes the shortcut's storage when that is batch-outermost too, else the input's layout. */
static bool dense_fits(const rcc_conv *c, const_dnnl_post_ops_t po, const rcc_act *sum_into, dnnl_memory_desc_t *dmd,
                       dnnl_primitive_desc_t *pd)
{
    const char *e = getenv("RCC_CONV_DENSE");
    const dnnl_memory_desc_t *smd = &c->src->md;
    dnnl_format_tag_t tag = rcc_batch_outer_tag(smd);
    if ((e && strcmp(e, "0") == 0) || c->n < DENSE_MIN_BATCH || c->ih * c->iw >= (int64_t)c->k * c->k || !tag ||
        smd->data_type != c->dt)
        return false;
    int64_t dd[4] = {c->n, c->out_c, c->oh, c->ow};
    if (sum_into && sum_into->md.data_type == c->dt && rcc_batch_outer_tag(&sum_into->md))
        *dmd = sum_into->md;
    else
        *dmd = rcc_md_plain_dt(4, dd, c->dt, tag);
    if (dense_pd(c, smd->format_desc.blocking.strides[0], dmd->format_desc.blocking.strides[0], po, pd) != RCC_OK)
        return false;
    if (rcc_pd_is_ref(*pd)) {
        dnnl_primitive_desc_destroy(*pd);
        return false;
    }
    return true;
}

static rcc_status plan_dense(rcc_arena *a, rcc_conv *c, dnnl_primitive_desc_t pd, const dnnl_memory_desc_t *dmd,
                             rcc_act *sum_into)
{
    c->bn.dense = true;
    c->pd_fwd = pd;
    if (sum_into && dnnl_memory_desc_equal(dmd, &sum_into->md)) {
        RCC_TRY(rcc_act_alias(a, &c->dst, dmd, sum_into, 0));
    } else {
        RCC_TRY(rcc_act_plan(a, &c->dst, dmd));
        if (sum_into) {
            RCC_TRY(rcc_reorder_create(a, &c->bn.p_sum_in, sum_into, &c->dst, false, "reorder (shortcut)"));
            c->bn.sum_reorder = true;
        }
    }
    RCC_TRY(rcc_conv_dense_tables(c, &c->src->md, dmd));
    const int64_t kin = c->dense.kin, kout = c->dense.kout;
    int64_t sd[2] = {c->n, kin}, dd[2] = {c->n, kout}, bd[2] = {1, kout}, wd[2] = {kin, kout}, vd[1] = {c->out_c};
    dnnl_memory_desc_t s2 = rcc_md_plain_dt(2, sd, c->dt, dnnl_ab), d2 = rcc_md_plain_dt(2, dd, c->dt, dnnl_ab),
                       b2 = rcc_md_plain_dt(2, bd, dnnl_f32, dnnl_ab), big = rcc_md_plain_dt(2, wd, dnnl_f32, dnnl_ab),
                       vec = rcc_md_plain(1, vd, dnnl_a);
    RCC_TRY(rcc_act_alias(a, &c->bn.src2, &s2, c->src, 0));
    RCC_TRY(rcc_act_alias(a, &c->bn.dst2, &d2, &c->dst, 0));
    RCC_TRY(rcc_act_plan(a, &c->bn.bias_big, &b2));
    RCC_TRY(rcc_act_plan(a, &c->bn.scale, &vec));
    RCC_TRY(rcc_act_plan(a, &c->bn.bias, &vec));
    RCC_TRY(rcc_act_plan(a, &c->w, dnnl_primitive_desc_query_md(pd, dnnl_query_weights_md, 0)));
    RCC_TRY(plan_weights_from_scratch(a, c, &big, "reorder (dense weights)"));
    RCC_TRY(rcc_prim_create(a, &c->p_fwd, pd, "conv+bn fwd (dense)"));
    c->p_fwd.flops = 2.0 * rcc_conv_macs(c); /* direct-equivalent, as every convolution's in profiles */
    rcc_prims_set_layer(c->layer, (rcc_prim *const[]){&c->bn.p_sum_in, &c->p_w, &c->p_fwd, NULL});
    rcc_prim_arg(&c->p_fwd, DNNL_ARG_SRC, &c->bn.src2);
    rcc_prim_arg(&c->p_fwd, DNNL_ARG_WEIGHTS, &c->w);
    rcc_prim_arg(&c->p_fwd, DNNL_ARG_BIAS, &c->bn.bias_big);
    rcc_prim_arg(&c->p_fwd, DNNL_ARG_DST, &c->bn.dst2);
    return RCC_OK;
}

/* W_big (kin × kout: row = an input element, column = an output element, as they lie in memory) and
 * its bias row from the folded scale and bias; channel padding stays 0. */
static void make_dense(rcc_conv *c)
{
    float *big = c->bn.big.ptr, *bias = c->bn.bias_big.ptr;
    const float *w = rcc_pdata(c->ps) + c->w_off, *s = c->bn.scale.ptr, *b = c->bn.bias.ptr;
    const int64_t kout = c->dense.kout, opos = c->oh * c->ow, kk = (int64_t)c->k * c->k;
    const int in_c = c->in_c, npairs = c->dense.npairs;
    const rcc_dense_pair *pairs = c->dense.pairs;
    const int64_t *so = c->dense.src_off, *dof = c->dense.dst_off;
    memset(big, 0, c->bn.big.bytes);
    memset(bias, 0, c->bn.bias_big.bytes);
    for (int o = 0; o < c->out_c; o++)
        for (int64_t p = 0; p < opos; p++)
            bias[dof[o * opos + p]] = b[o];
#pragma omp parallel for schedule(static) if ((int64_t)c->out_c * in_c * npairs >= DENSE_PARALLEL_MIN)
    for (int o = 0; o < c->out_c; o++) /* each o writes its own columns */
        for (int j = 0; j < npairs; j++) {
            const int64_t col = dof[(int64_t)o * opos + pairs[j].p];
            const float *wo = w + (int64_t)o * in_c * kk + pairs[j].tap;
            const int64_t *sq = so + (int64_t)pairs[j].q * in_c;
            for (int i = 0; i < in_c; i++)
                big[sq[i] * kout + col] = wo[i * kk] * s[o];
        }
}

rcc_status rcc_conv_bn_plan(rcc_arena *a, rcc_params *ps, rcc_conv *c, const char *wname,
                            const rcc_conv_bn_offsets *off, rcc_act *src, int out_c, int k, int stride, int pad,
                            dnnl_data_type_t dt, rcc_conv_algo algo, bool relu, rcc_act *sum_into)
{
    memset(c, 0, sizeof *c);
    c->algo = algo;
    RCC_TRY(rcc_conv_set_shape(c, ps, wname, src, out_c, k, stride, pad, dt));
    c->w_off = off->w;
    c->bn.on = true;
    c->bn.sum = sum_into != NULL;
    c->bn.relu = relu;
    c->bn.gamma_off = off->bn[0], c->bn.beta_off = off->bn[1], c->bn.mean_off = off->bn[2], c->bn.var_off = off->bn[3];

    dnnl_post_ops_t po;
    DNN_TRY(dnnl_post_ops_create(&po), "post-ops");
    dnnl_status_t ds = dnnl_success;
    if (sum_into)
        ds = dnnl_post_ops_append_sum(po, 1.0f);
    if (ds == dnnl_success && relu)
        ds = dnnl_post_ops_append_eltwise(po, 1.0f, dnnl_eltwise_relu, 0.0f, 0.0f);
    rcc_status s = rcc_dnn_check(ds, "post-ops");
    dnnl_memory_desc_t dmd;
    dnnl_primitive_desc_t dpd;
    if (s == RCC_OK)
        s = dense_fits(c, po, sum_into, &dmd, &dpd) ? plan_dense(a, c, dpd, &dmd, sum_into) : plan(a, c, po, sum_into);
    dnnl_post_ops_destroy(po);
    return s;
}

rcc_status rcc_conv_bn_prepare(rcc_conv *c)
{
    const float *P = rcc_pdata(c->ps), *B = rcc_pbufs(c->ps);
    const float *gamma = P + c->bn.gamma_off, *beta = P + c->bn.beta_off;
    const float *mean = B + c->bn.mean_off, *var = B + c->bn.var_off;
    float *s = c->bn.scale.ptr, *b = c->bn.bias.ptr;
    for (int o = 0; o < c->out_c; o++) {
        s[o] = gamma[o] / sqrtf(var[o] + RCC_BN_EPS);
        b[o] = beta[o] - mean[o] * s[o];
    }
    if (c->bn.dense) {
        make_dense(c);
    } else if (c->bn.prescale) {
        const float *w = rcc_pdata(c->ps) + c->w_off;
        float *ws = c->bn.big.ptr;
        const size_t per = (size_t)c->in_c * (size_t)c->k * (size_t)c->k;
        for (int o = 0; o < c->out_c; o++)
            for (size_t j = 0; j < per; j++)
                ws[(size_t)o * per + j] = w[(size_t)o * per + j] * s[o];
    }
    return rcc_prim_exec(&c->p_w);
}
