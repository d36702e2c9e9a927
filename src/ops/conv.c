/* conv.c — 2-d convolution without bias through oneDNN: forward, backward-data, backward-weights.
 * Weights live in the parameter block as O×I×kH×kW (PyTorch); each step reorders them once into
 * the layout the kernel wants, and reorders the weight gradient back, adding into the grad block.
 * With RCC_CONV_WINOGRAD each of the three passes asks oneDNN for its Winograd kernel (F(4×4,3×3):
 * 3×3, stride 1, outputs of at least 4×4, training plans) and falls back to the direct one, pass by pass, where
 * oneDNN has none for the shape (channel counts that are not multiples of 16, …). Input maps with
 * fewer positions than the kernel has taps compute as one dense product instead (conv_dense.c).
 * Inference plans may fold the batch-norm after the convolution into it instead (conv_bn.c). */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ops.h"

/* Winograd only where it can exist (3×3, stride 1) and pays:
 * - F(4×4,3×3) computes 4×4 output tiles, so an output smaller than 4×4 wastes most of every
 *   tile (measured at 2×2, ResNet-18's layer3 at 32×32 images: 1.4× slower than direct; at 4×4
 *   and larger 1.4–2.5× faster);
 * - training plans only here: the weights are transformed on every call, which a training step
 *   amortises over its batch but inference does not (one image: 13 ms instead of 1 ms). Inference
 *   plans (conv_bn.c) keep their transformed weights between passes and use Winograd there.
 * oneDNN may still refuse a shape. */
bool rcc_conv_wino_shape(const rcc_conv *c)
{
    return c->algo == RCC_CONV_WINOGRAD && c->dt == dnnl_f32 && c->k == 3 && c->stride == 1 && c->oh >= 4 &&
           c->ow >= 4;
}

static bool wino_shape(const rcc_conv *c) { return c->train && rcc_conv_wino_shape(c); }

/* The Winograd primitive for a descriptor, or NULL where oneDNN has none (or only a reference one). */
static dnnl_primitive_desc_t wino_pd(const void *op_desc, const_dnnl_primitive_desc_t hint)
{
    dnnl_primitive_desc_t pd = NULL;
    if (rcc_pd_create(&pd, op_desc, hint, "convolution (winograd)") != RCC_OK)
        return NULL;
    if (rcc_pd_is_ref(pd)) {
        dnnl_primitive_desc_destroy(pd);
        return NULL;
    }
    return pd;
}

static dnnl_status_t fwd_desc(const rcc_conv *c, const dnnl_memory_desc_t *src_md, dnnl_alg_kind_t alg,
                              dnnl_convolution_desc_t *d)
{
    int64_t wd[4] = {c->out_c, c->in_c, c->k, c->k}, dd[4] = {c->n, c->out_c, c->oh, c->ow};
    dnnl_memory_desc_t w_any = rcc_md_any_dt(4, wd, c->dt), d_any = rcc_md_any_dt(4, dd, c->dt);
    dnnl_dims_t st = {c->stride, c->stride}, pl = {c->pad, c->pad};
    return dnnl_convolution_forward_desc_init(d, c->train ? dnnl_forward_training : dnnl_forward_inference, alg,
                                              src_md, &w_any, NULL, &d_any, st, pl, pl);
}

static rcc_status make_fwd_pd(rcc_conv *c, const dnnl_memory_desc_t *src_md, dnnl_primitive_desc_t *pd)
{
    dnnl_convolution_desc_t d;
    *pd = NULL;
    if (wino_shape(c) && fwd_desc(c, src_md, dnnl_convolution_winograd, &d) == dnnl_success)
        *pd = wino_pd(&d, NULL);
    c->wino_fwd = *pd != NULL;
    if (*pd)
        return RCC_OK;
    DNN_TRY(fwd_desc(c, src_md, dnnl_convolution_direct, &d), "convolution forward descriptor");
    return rcc_pd_create(pd, &d, NULL, "convolution forward");
}

/* The layer's name for profiles, from its weight's ("backbone.layer1.0.conv1.weight" -> "layer1.0.conv1"). */
static void set_layer(rcc_conv *c, const char *wname)
{
    const char *ln = strncmp(wname, "backbone.", 9) == 0 ? wname + 9 : wname;
    size_t ll = strlen(ln) > 7 && strcmp(ln + strlen(ln) - 7, ".weight") == 0 ? strlen(ln) - 7 : strlen(ln);
    snprintf(c->layer, sizeof c->layer, "%.*s", (int)ll, ln);
}

rcc_status rcc_conv_set_shape(rcc_conv *c, rcc_params *ps, const char *wname, rcc_act *src, int out_c, int k,
                              int stride, int pad, dnnl_data_type_t dt)
{
    if (dt != dnnl_f32 && dt != dnnl_bf16)
        return rcc_fail(RCC_ERR_ARG, "%s: convolutions compute in f32 or bf16", wname);
    const dnnl_memory_desc_t *smd = &src->md;
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
    set_layer(c, wname);
    return RCC_OK;
}

rcc_status rcc_conv_plan(rcc_arena *a, rcc_params *ps, rcc_conv *c, const char *wname, rcc_act *src, int out_c,
                         int k, int stride, int pad, bool train, bool bwd_data, rcc_conv_algo algo,
                         dnnl_data_type_t dt)
{
    memset(c, 0, sizeof *c);
    c->algo = algo;
    RCC_TRY(rcc_conv_set_shape(c, ps, wname, src, out_c, k, stride, pad, dt));
    const dnnl_memory_desc_t *smd = &src->md;
    c->train = train;
    c->bwd_data = bwd_data;
    int64_t wd[4] = {out_c, c->in_c, k, k};
    RCC_TRY(rcc_params_add(ps, wname, RCC_P_CONV_W, 4, wd, &c->w_off));
    if (src->md.data_type == dt && rcc_conv_dense_shape(c, &src->md)) {
        RCC_TRY(rcc_conv_dense_plan(a, c));
        rcc_prims_set_layer(c->layer, (rcc_prim *const[]){&c->p_w, &c->p_fwd, NULL});
        return RCC_OK;
    }

    /* Prefer the layout the input already has; let oneDNN choose only if that would fall back
     * to a reference kernel (or the input has another data type), and then pay one reorder. */
    int64_t sd[4] = {c->n, c->in_c, c->ih, c->iw};
    dnnl_memory_desc_t s_any = rcc_md_any_dt(4, sd, dt);
    dnnl_primitive_desc_t pd;
    if (smd->data_type != dt) {
        RCC_TRY(make_fwd_pd(c, &s_any, &pd));
    } else {
        RCC_TRY(make_fwd_pd(c, smd, &pd));
        dnnl_primitive_desc_t pd2;
        if (rcc_pd_is_ref(pd) && make_fwd_pd(c, &s_any, &pd2) == RCC_OK) {
            dnnl_primitive_desc_destroy(pd);
            pd = pd2;
        }
    }
    c->pd_fwd = pd;
    const dnnl_memory_desc_t *want_src = dnnl_primitive_desc_query_md(pd, dnnl_query_src_md, 0);
    rcc_act *csrc = src;
    if (!dnnl_memory_desc_equal(want_src, smd)) {
        RCC_TRY(rcc_act_plan(a, &c->src_r, want_src));
        RCC_TRY(rcc_reorder_create(a, &c->p_src_reorder, src, &c->src_r, false, "reorder (conv input)"));
        c->src_reorder = true;
        csrc = &c->src_r;
    }
    dnnl_memory_desc_t wplain = rcc_md_plain(4, wd, dnnl_oihw);
    RCC_TRY(rcc_act_view(a, &c->w_plain, &wplain, &ps->data, c->w_off * sizeof(float)));
    RCC_TRY(rcc_act_plan(a, &c->w, dnnl_primitive_desc_query_md(pd, dnnl_query_weights_md, 0)));
    RCC_TRY(rcc_reorder_create(a, &c->p_w, &c->w_plain, &c->w, false, "reorder (weights)"));
    RCC_TRY(rcc_act_plan(a, &c->dst, dnnl_primitive_desc_query_md(pd, dnnl_query_dst_md, 0)));
    RCC_TRY(rcc_prim_create(a, &c->p_fwd, pd, c->wino_fwd ? "conv fwd (winograd)" : "conv fwd"));
    c->p_fwd.flops = 2.0 * rcc_conv_macs(c);
    rcc_prims_set_layer(c->layer, (rcc_prim *const[]){&c->p_src_reorder, &c->p_w, &c->p_fwd, NULL});
    rcc_prim_arg(&c->p_fwd, DNNL_ARG_SRC, csrc);
    rcc_prim_arg(&c->p_fwd, DNNL_ARG_WEIGHTS, &c->w);
    rcc_prim_arg(&c->p_fwd, DNNL_ARG_DST, &c->dst);
    return RCC_OK;
}

/* Where oneDNN has only its reference backward-weights kernel for the layouts the forward chose
 * (on AVX2 CPUs: the stem, one input channel, with a blocked output gradient — measured 3.5 s of a
 * 3.6 s step at batch 64), ask again with the output gradient in a plain layout (nchw, then nhwc),
 * which oneDNN's im2col + GEMM kernel takes, and reorder the gradient into it before each pass
 * (measured: 12.6 -> 274 pairs/s on an AMD EPYC, AVX2). *pd is replaced only by a kernel that is not
 * the reference one. RCC_CONV_BWD_PLAIN=1 makes every direct layer take this path (for the tests). */
static rcc_status bwd_weights_plain(rcc_arena *a, rcc_conv *c, rcc_act *csrc, rcc_act *diff_dst,
                                    dnnl_primitive_desc_t *pd)
{
    int64_t wd[4] = {c->out_c, c->in_c, c->k, c->k}, dd[4] = {c->n, c->out_c, c->oh, c->ow};
    dnnl_memory_desc_t dw_any = rcc_md_any_dt(4, wd, dnnl_f32);
    dnnl_dims_t st = {c->stride, c->stride}, pl = {c->pad, c->pad};
    const dnnl_format_tag_t tags[] = {dnnl_nchw, dnnl_nhwc};
    for (size_t t = 0; t < sizeof tags / sizeof *tags; t++) {
        dnnl_memory_desc_t plain = rcc_md_plain_dt(4, dd, diff_dst->md.data_type, tags[t]);
        dnnl_convolution_desc_t d;
        dnnl_primitive_desc_t pd2 = NULL;
        if (dnnl_convolution_backward_weights_desc_init(&d, dnnl_convolution_direct, &csrc->md, &dw_any, NULL, &plain,
                                                        st, pl, pl) != dnnl_success ||
            rcc_pd_create(&pd2, &d, c->pd_fwd, "convolution backward-weights (plain gradient)") != RCC_OK)
            continue;
        if (rcc_pd_is_ref(pd2)) {
            dnnl_primitive_desc_destroy(pd2);
            continue;
        }
        rcc_status s = rcc_act_plan(a, &c->ddst_r, &plain);
        if (s == RCC_OK)
            s = rcc_reorder_create(a, &c->p_ddst_reorder, diff_dst, &c->ddst_r, false, "reorder (conv output grad)");
        if (s != RCC_OK) {
            dnnl_primitive_desc_destroy(pd2);
            return s;
        }
        c->ddst_reorder = true;
        dnnl_primitive_desc_destroy(*pd);
        *pd = pd2;
        return RCC_OK;
    }
    return RCC_OK; /* the reference kernel it is */
}

rcc_status rcc_conv_plan_bwd(rcc_arena *a, rcc_conv *c, rcc_act *diff_dst, rcc_act *diff_src)
{
    if (!c->train)
        return rcc_fail(RCC_ERR_ARG, "convolution planned for inference has no backward");
    if (!dnnl_memory_desc_equal(&diff_dst->md, &c->dst.md))
        return rcc_fail(RCC_ERR_ARG, "convolution backward: gradient layout differs from the output's");
    if (c->dense.on) {
        if (c->bwd_data && (!diff_src || !dnnl_memory_desc_equal(&diff_src->md, &c->src->md)))
            return rcc_fail(RCC_ERR_ARG, "convolution backward-data: input gradient layout differs from the input's");
        RCC_TRY(rcc_conv_dense_plan_bwd(a, c, diff_dst, c->bwd_data ? diff_src : NULL));
        rcc_prims_set_layer(c->layer, (rcc_prim *const[]){&c->p_bwd_w, &c->p_dw, &c->p_bwd_d, NULL});
        return RCC_OK;
    }
    rcc_act *csrc = c->src_reorder ? &c->src_r : c->src;
    dnnl_dims_t st = {c->stride, c->stride}, pl = {c->pad, c->pad};
    int64_t wd[4] = {c->out_c, c->in_c, c->k, c->k};
    dnnl_memory_desc_t w_any = rcc_md_any_dt(4, wd, c->dt), dw_any = rcc_md_any_dt(4, wd, dnnl_f32);

    dnnl_convolution_desc_t d;
    dnnl_primitive_desc_t pd = NULL;
    if (wino_shape(c) &&
        dnnl_convolution_backward_weights_desc_init(&d, dnnl_convolution_winograd, &csrc->md, &dw_any, NULL,
                                                    &diff_dst->md, st, pl, pl) == dnnl_success)
        pd = wino_pd(&d, c->pd_fwd);
    c->wino_bwd_w = pd != NULL;
    if (!pd) {
        DNN_TRY(dnnl_convolution_backward_weights_desc_init(&d, dnnl_convolution_direct, &csrc->md, &dw_any, NULL,
                                                            &diff_dst->md, st, pl, pl),
                "convolution backward-weights descriptor");
        RCC_TRY(rcc_pd_create(&pd, &d, c->pd_fwd, "convolution backward-weights"));
        const char *e = getenv("RCC_CONV_BWD_PLAIN"); /* 1: every layer tries it (test_ops) */
        if (rcc_pd_is_ref(pd) || (e && strcmp(e, "1") == 0))
            RCC_TRY(bwd_weights_plain(a, c, csrc, diff_dst, &pd));
    }
    rcc_status s = rcc_act_plan(a, &c->dw, dnnl_primitive_desc_query_md(pd, dnnl_query_diff_weights_md, 0));
    if (s == RCC_OK)
        s = rcc_prim_create(a, &c->p_bwd_w, pd, c->wino_bwd_w ? "conv bwd-weights (winograd)" : "conv bwd-weights");
    dnnl_primitive_desc_destroy(pd);
    RCC_TRY(s);
    c->p_bwd_w.flops = 2.0 * rcc_conv_macs(c);
    rcc_prim_arg(&c->p_bwd_w, DNNL_ARG_SRC, csrc);
    rcc_prim_arg(&c->p_bwd_w, DNNL_ARG_DIFF_DST, c->ddst_reorder ? &c->ddst_r : diff_dst);
    rcc_prim_arg(&c->p_bwd_w, DNNL_ARG_DIFF_WEIGHTS, &c->dw);
    RCC_TRY(rcc_act_view(a, &c->dw_plain, &c->w_plain.md, &c->ps->grad, c->w_off * sizeof(float)));
    RCC_TRY(rcc_reorder_create(a, &c->p_dw, &c->dw, &c->dw_plain, true, "reorder (weight gradient)"));
    rcc_prims_set_layer(c->layer, (rcc_prim *const[]){&c->p_ddst_reorder, &c->p_bwd_w, &c->p_dw, NULL});

    if (!c->bwd_data)
        return RCC_OK;
    if (!diff_src || !dnnl_memory_desc_equal(&diff_src->md, &c->src->md))
        return rcc_fail(RCC_ERR_ARG, "convolution backward-data: input gradient layout differs from the input's");
    rcc_act *cdiff_src = diff_src;
    if (c->src_reorder) { /* the kernel works in its own layout: reorder its gradient back */
        RCC_TRY(rcc_act_plan(a, &c->dsrc_r, &c->src_r.md));
        RCC_TRY(rcc_reorder_create(a, &c->p_dsrc_reorder, &c->dsrc_r, diff_src, false, "reorder (conv input grad)"));
        cdiff_src = &c->dsrc_r;
    }
    pd = NULL;
    if (wino_shape(c) &&
        dnnl_convolution_backward_data_desc_init(&d, dnnl_convolution_winograd, &cdiff_src->md, &w_any,
                                                 &diff_dst->md, st, pl, pl) == dnnl_success)
        pd = wino_pd(&d, c->pd_fwd);
    c->wino_bwd_d = pd != NULL;
    if (!pd) {
        DNN_TRY(dnnl_convolution_backward_data_desc_init(&d, dnnl_convolution_direct, &cdiff_src->md, &w_any,
                                                         &diff_dst->md, st, pl, pl),
                "convolution backward-data descriptor");
        RCC_TRY(rcc_pd_create(&pd, &d, c->pd_fwd, "convolution backward-data"));
    }
    const dnnl_memory_desc_t *wmd = dnnl_primitive_desc_query_md(pd, dnnl_query_weights_md, 0);
    rcc_act *w = &c->w;
    s = RCC_OK;
    if (!dnnl_memory_desc_equal(wmd, &c->w.md)) {
        c->w_bd_separate = true;
        s = rcc_act_plan(a, &c->w_bd, wmd);
        if (s == RCC_OK)
            s = rcc_reorder_create(a, &c->p_w_bd, &c->w_plain, &c->w_bd, false, "reorder (weights, bwd-data)");
        w = &c->w_bd;
    }
    if (s == RCC_OK)
        s = rcc_prim_create(a, &c->p_bwd_d, pd, c->wino_bwd_d ? "conv bwd-data (winograd)" : "conv bwd-data");
    dnnl_primitive_desc_destroy(pd);
    RCC_TRY(s);
    c->p_bwd_d.flops = 2.0 * rcc_conv_macs(c);
    rcc_prims_set_layer(c->layer, (rcc_prim *const[]){&c->p_ddst_reorder, &c->p_bwd_w, &c->p_dw, &c->p_bwd_d,
                                                       &c->p_w_bd, &c->p_dsrc_reorder, NULL});
    rcc_prim_arg(&c->p_bwd_d, DNNL_ARG_DIFF_DST, diff_dst);
    rcc_prim_arg(&c->p_bwd_d, DNNL_ARG_WEIGHTS, w);
    rcc_prim_arg(&c->p_bwd_d, DNNL_ARG_DIFF_SRC, cdiff_src);
    return RCC_OK;
}

rcc_status rcc_conv_forward(rcc_conv *c)
{
    if (c->src_reorder)
        RCC_TRY(rcc_prim_exec(&c->p_src_reorder));
    if (c->bn.sum_reorder)
        RCC_TRY(rcc_prim_exec(&c->bn.p_sum_in));
    if (!c->bn.on) {
        RCC_TRY(rcc_prim_exec(&c->p_w));
    } else if (!c->bn.ready || c->bn.version != c->ps->version) { /* folded weights: kept while valid */
        c->bn.ready = false;
        RCC_TRY(rcc_conv_bn_prepare(c));
        c->bn.version = c->ps->version;
        c->bn.ready = true;
    }
    return rcc_prim_exec(&c->p_fwd);
}

rcc_status rcc_conv_backward(rcc_conv *c)
{
    if (c->ddst_reorder)
        RCC_TRY(rcc_prim_exec(&c->p_ddst_reorder));
    RCC_TRY(rcc_prim_exec(&c->p_bwd_w));
    RCC_TRY(rcc_prim_exec(&c->p_dw));
    if (!c->bwd_data)
        return RCC_OK;
    if (c->w_bd_separate)
        RCC_TRY(rcc_prim_exec(&c->p_w_bd));
    RCC_TRY(rcc_prim_exec(&c->p_bwd_d));
    return c->src_reorder ? rcc_prim_exec(&c->p_dsrc_reorder) : RCC_OK;
}

static bool g_wino_available;

static void probe_winograd(void)
{
    int64_t sd[4] = {2, 16, 8, 8}, wd[4] = {16, 16, 3, 3};
    dnnl_memory_desc_t s_md = rcc_md_plain(4, sd, dnnl_nChw16c), w_any = rcc_md_any(4, wd), d_any = rcc_md_any(4, sd);
    dnnl_dims_t st = {1, 1}, pl = {1, 1};
    dnnl_convolution_desc_t d;
    dnnl_primitive_desc_t pd = NULL;
    if (dnnl_convolution_forward_desc_init(&d, dnnl_forward_training, dnnl_convolution_winograd, &s_md, &w_any, NULL,
                                           &d_any, st, pl, pl) == dnnl_success &&
        (pd = wino_pd(&d, NULL)) != NULL) {
        g_wino_available = true;
        dnnl_primitive_desc_destroy(pd);
    }
}

static bool g_bf16_available;

/* bf16 where the CPU computes it: AVX512-BF16 (oneDNN's avx512_core_bf16, as ONEDNN_MAX_CPU_ISA
 * leaves it). On other AVX-512 CPUs oneDNN 2.6 emulates bf16: 1.7-2.1x slower than f32 there, and its
 * emulated backward-weights kernel writes NaN into the weight gradient of the stride-2 convolution of
 * stage 4 on a 1x1 input (16x16 images; docs/performance.md). Environment
 * RCC_BF16_EMULATED=1 allows the emulation anyway, to check bf16 numerics on such a CPU. */
static bool bf16_native_or_allowed(void)
{
    const char *e = getenv("RCC_BF16_EMULATED");
    if (e && strcmp(e, "1") == 0)
        return true;
    return (dnnl_get_effective_cpu_isa() & dnnl_cpu_isa_avx512_core_bf16) == dnnl_cpu_isa_avx512_core_bf16;
}

static void probe_bf16(void)
{
    if (!bf16_native_or_allowed())
        return;
    int64_t sd[4] = {2, 16, 8, 8}, wd[4] = {16, 16, 3, 3};
    dnnl_memory_desc_t s_any = rcc_md_any_dt(4, sd, dnnl_bf16), w_any = rcc_md_any_dt(4, wd, dnnl_bf16),
                       d_any = rcc_md_any_dt(4, sd, dnnl_bf16);
    dnnl_dims_t st = {1, 1}, pl = {1, 1};
    dnnl_convolution_desc_t d;
    dnnl_primitive_desc_t pd = NULL;
    if (dnnl_convolution_forward_desc_init(&d, dnnl_forward_training, dnnl_convolution_direct, &s_any, &w_any, NULL,
                                           &d_any, st, pl, pl) == dnnl_success &&
        rcc_pd_create(&pd, &d, NULL, "convolution (bf16 probe)") == RCC_OK) {
        g_bf16_available = !rcc_pd_is_ref(pd);
        dnnl_primitive_desc_destroy(pd);
    }
}

bool rcc_conv_bf16_available(void)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, probe_bf16);
    return g_bf16_available;
}

bool rcc_conv_winograd_available(void)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT; /* the CPU does not change */
    pthread_once(&once, probe_winograd);
    return g_wino_available;
}

double rcc_conv_macs(const rcc_conv *c)
{
    return (double)c->n * (double)c->oh * (double)c->ow * c->out_c * c->in_c * c->k * c->k;
}

void rcc_conv_free(rcc_conv *c)
{
    rcc_prim *ps[] = {&c->p_src_reorder, &c->p_w, &c->p_fwd, &c->p_bwd_w, &c->p_dw, &c->p_bwd_d, &c->p_w_bd,
                      &c->p_dsrc_reorder, &c->p_ddst_reorder, &c->bn.p_sum_in};
    for (size_t i = 0; i < sizeof ps / sizeof *ps; i++)
        rcc_prim_free(ps[i]);
    if (c->pd_fwd)
        dnnl_primitive_desc_destroy(c->pd_fwd);
    c->pd_fwd = NULL;
    rcc_conv_dense_free(c);
}
