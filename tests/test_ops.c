/* test_ops.c — every layer op against a naive reference (forward and backward) and a central
 * finite-difference check of its gradients, in the layouts the model uses (plain and blocked).
 * Each finite-difference check states its step and tolerance; the scalar probed is
 * L = Σ y ⊙ r for a fixed random r, so ∂L/∂y = r is the gradient fed to the backward. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ops/ops.h"
#include "compute.h"
#include "testutil.h"

static rcc_rng rng;

typedef double (*loss_fn)(void *ctx);

/* Central differences on `count` sampled entries of p[0..n): |fd − analytic| ≤ tol·max(scale, 1e-3),
 * scale = the largest |analytic| over all n. */
static void fd_check(const char *what, float *p, size_t n, const float *analytic, loss_fn L, void *ctx, float eps,
                     double tol, int count)
{
    double scale = 1e-3, worst = 0;
    for (size_t i = 0; i < n; i++)
        scale = fmax(scale, fabs(analytic[i]));
    size_t wi = 0;
    double wfd = 0;
    for (int s = 0; s < count; s++) {
        size_t i = (size_t)(rcc_rng_next(&rng) % n);
        float keep = p[i];
        p[i] = keep + eps;
        double lp = L(ctx);
        p[i] = keep - eps;
        double lm = L(ctx);
        p[i] = keep;
        double fd = (lp - lm) / (2.0 * eps), e = fabs(fd - analytic[i]);
        if (e > worst) {
            worst = e;
            wi = i;
            wfd = fd;
        }
    }
    CHECK(worst <= tol * scale, "%s: finite difference (step %g) vs backward: worst [%zu] fd %.6g vs %.6g, err %.3g > %.3g",
          what, (double)eps, wi, wfd, (double)analytic[wi], worst, tol * scale);
}

/* ------------------------------------------------------------------ convolution */

typedef struct {
    rcc_conv c;
    rcc_act x, dy, dx;
    rcc_params ps;
    float *xp, *r, *yp;
    size_t nx, ny;
} conv_ctx;

static double conv_loss(void *p)
{
    conv_ctx *k = p;
    plain_to_act(k->xp, &k->x);
    rcc_conv_forward(&k->c);
    dnnl_stream_wait(rcc_dnn_stream());
    act_to_plain(&k->c.dst, k->yp);
    return dot_d(k->yp, k->r, k->ny);
}

static void naive_conv(const float *x, const float *w, double *y, int n, int ic, int ih, int oc, int oh, int k, int s,
                       int pad)
{
    for (int b = 0; b < n; b++)
        for (int o = 0; o < oc; o++)
            for (int oy = 0; oy < oh; oy++)
                for (int ox = 0; ox < oh; ox++) {
                    double acc = 0;
                    for (int c = 0; c < ic; c++)
                        for (int ky = 0; ky < k; ky++)
                            for (int kx = 0; kx < k; kx++) {
                                int iy = oy * s - pad + ky, ix = ox * s - pad + kx;
                                if (iy < 0 || ix < 0 || iy >= ih || ix >= ih)
                                    continue;
                                acc += (double)x[((size_t)(b * ic + c) * ih + iy) * ih + ix] *
                                       w[((size_t)(o * ic + c) * k + ky) * k + kx];
                            }
                    y[((size_t)(b * oc + o) * oh + oy) * oh + ox] = acc;
                }
}

static void naive_conv_bwd(const float *x, const float *w, const float *dy, double *dx, double *dw, int n, int ic,
                           int ih, int oc, int oh, int k, int s, int pad)
{
    for (int b = 0; b < n; b++)
        for (int o = 0; o < oc; o++)
            for (int oy = 0; oy < oh; oy++)
                for (int ox = 0; ox < oh; ox++) {
                    double g = dy[((size_t)(b * oc + o) * oh + oy) * oh + ox];
                    for (int c = 0; c < ic; c++)
                        for (int ky = 0; ky < k; ky++)
                            for (int kx = 0; kx < k; kx++) {
                                int iy = oy * s - pad + ky, ix = ox * s - pad + kx;
                                if (iy < 0 || ix < 0 || iy >= ih || ix >= ih)
                                    continue;
                                size_t xi = ((size_t)(b * ic + c) * ih + iy) * ih + ix;
                                size_t wi = ((size_t)(o * ic + c) * k + ky) * k + kx;
                                dx[xi] += g * w[wi];
                                dw[wi] += g * x[xi];
                            }
                }
}

static void to_float(const double *d, float *f, size_t n)
{
    for (size_t i = 0; i < n; i++)
        f[i] = (float)d[i];
}

/* expect_wino: all three passes must have got a Winograd kernel; otherwise none may have. */
static void test_conv_algo(int n, int ic, int oc, int ih, int k, int s, int pad, dnnl_format_tag_t tag,
                           rcc_conv_algo algo, bool expect_wino)
{
    int failed_before = t_failed;
    char what[128];
    snprintf(what, sizeof what, "conv %dx%d s%d p%d %d->%d @%d (%s%s)", k, k, s, pad, ic, oc, ih,
             tag == dnnl_nchw ? "nchw" : "blocked", algo == RCC_CONV_WINOGRAD ? ", winograd" : "");
    /* Winograd's transforms round differently from a direct sum. Measured here: worst errors 2.5e-6
     * of the tensor's largest value (64 channels at 16x16; 1.3e-6 at 16-32 channels; direct 4e-7),
     * so one tolerance holds for both. */
    const double tol = 1e-5;
    conv_ctx K;
    memset(&K, 0, sizeof K);
    rcc_arena a = {0};
    int64_t xd[4] = {n, ic, ih, ih};
    dnnl_memory_desc_t xmd = rcc_md_plain(4, xd, tag);
    CHECK_OK(rcc_act_plan(&a, &K.x, &xmd));
    CHECK_OK(rcc_conv_plan(&a, &K.ps, &K.c, "w", &K.x, oc, k, s, pad, true, true, algo, dnnl_f32));
    CHECK_OK(rcc_act_plan(&a, &K.dy, &K.c.dst.md));
    CHECK_OK(rcc_act_plan(&a, &K.dx, &xmd));
    CHECK_OK(rcc_conv_plan_bwd(&a, &K.c, &K.dy, &K.dx));
    /* maps with fewer positions than the kernel has taps compute as one dense product (conv_dense.c) */
    const char *de = getenv("RCC_CONV_DENSE");
    bool want_dense = ih * ih < k * k && !(de && strcmp(de, "0") == 0);
    CHECK(K.c.dense.on == want_dense, "%s: dense product %s", what, want_dense ? "expected" : "where none was expected");
    if (!expect_wino)
        CHECK(!K.c.wino_fwd && !K.c.wino_bwd_d && !K.c.wino_bwd_w, "%s: Winograd used where direct was expected",
              what);
    if (expect_wino && !rcc_conv_winograd_available()) {
        printf("%s: skipped the Winograd check: oneDNN has no Winograd kernels for this CPU\n", what);
        expect_wino = false;
    } else if (expect_wino)
        CHECK(K.c.wino_fwd && K.c.wino_bwd_d && K.c.wino_bwd_w,
              "%s: Winograd expected in every pass (forward %d, backward-data %d, backward-weights %d)", what,
              K.c.wino_fwd, K.c.wino_bwd_d, K.c.wino_bwd_w);
    CHECK_OK(rcc_params_alloc(&K.ps));
    CHECK_OK(rcc_arena_commit(&a));
    if (t_failed > failed_before)
        return;
    int oh = (int)K.c.oh;
    K.nx = (size_t)n * ic * ih * ih;
    K.ny = (size_t)n * oc * oh * oh;
    size_t nw = (size_t)oc * ic * k * k;
    K.xp = malloc(K.nx * 4);
    K.r = malloc(K.ny * 4);
    K.yp = malloc(K.ny * 4);
    float *w = rcc_pdata(&K.ps) + K.c.w_off, *dw = rcc_pgrad(&K.ps) + K.c.w_off;
    float *dxp = malloc(K.nx * 4), *ref = malloc((K.nx > K.ny ? (K.nx > nw ? K.nx : nw) : (K.ny > nw ? K.ny : nw)) * 4);
    double *dref = calloc(K.nx + K.ny + nw, sizeof(double));
    fill_uniform(K.xp, K.nx, &rng, -1, 1);
    fill_uniform(w, nw, &rng, -0.5f, 0.5f);
    fill_uniform(K.r, K.ny, &rng, -1, 1);

    conv_loss(&K);
    naive_conv(K.xp, w, dref, n, ic, ih, oc, oh, k, s, pad);
    to_float(dref, ref, K.ny);
    snprintf(what + strlen(what), 16, " fwd");
    close_scaled(what, K.yp, ref, K.ny, tol, 1e-6);

    plain_to_act(K.r, &K.dy);
    CHECK_OK(rcc_conv_backward(&K.c));
    act_to_plain(&K.dx, dxp);
    memset(dref, 0, (K.nx + nw) * sizeof(double));
    naive_conv_bwd(K.xp, w, K.r, dref, dref + K.nx, n, ic, ih, oc, oh, k, s, pad);
    what[strlen(what) - 4] = 0;
    char w2[160];
    to_float(dref, ref, K.nx);
    snprintf(w2, sizeof w2, "%s bwd-data", what);
    close_scaled(w2, dxp, ref, K.nx, tol, 1e-6);
    to_float(dref + K.nx, ref, nw);
    snprintf(w2, sizeof w2, "%s bwd-weights", what);
    close_scaled(w2, dw, ref, nw, tol, 1e-6);
    /* backward adds into the weight gradient */
    CHECK_OK(rcc_conv_backward(&K.c));
    for (size_t i = 0; i < nw; i++)
        ref[i] *= 2;
    snprintf(w2, sizeof w2, "%s bwd-weights accumulates", what);
    close_scaled(w2, dw, ref, nw, tol, 1e-6);
    for (size_t i = 0; i < nw; i++)
        ref[i] /= 2;
    /* finite differences: the conv is linear, so a large step is exact up to rounding */
    snprintf(w2, sizeof w2, "%s d/dx", what);
    fd_check(w2, K.xp, K.nx, dxp, conv_loss, &K, 0.05f, 2e-3, 12);
    snprintf(w2, sizeof w2, "%s d/dw", what);
    fd_check(w2, w, nw, ref, conv_loss, &K, 0.05f, 2e-3, 12);

    rcc_conv_free(&K.c);
    rcc_arena_free(&a);
    rcc_params_free(&K.ps);
    free(K.xp), free(K.r), free(K.yp), free(dxp), free(ref), free(dref);
}

/* Inference plans compute directly even when Winograd is asked for (it would transform the
 * weights on every call: 13 ms instead of 1 ms for one image). */
static void test_conv_infer_direct(void)
{
    rcc_arena a = {0};
    rcc_params ps = {0};
    rcc_act x;
    rcc_conv c;
    int64_t xd[4] = {1, 16, 8, 8};
    dnnl_memory_desc_t xmd = rcc_md_plain(4, xd, dnnl_nChw16c);
    CHECK_OK(rcc_act_plan(&a, &x, &xmd));
    CHECK_OK(rcc_conv_plan(&a, &ps, &c, "w", &x, 16, 3, 1, 1, false, false, RCC_CONV_WINOGRAD, dnnl_f32));
    CHECK(!c.wino_fwd, "an inference plan asked for Winograd computes directly");
    rcc_conv_free(&c);
    rcc_arena_free(&a);
    rcc_params_free(&ps);
}

/* Inference plans compute small maps with oneDNN's kernels, whatever the batch (conv_dense.c says
 * why). */
static void test_conv_infer_dense(void)
{
    for (int n = 1; n <= 32; n += 31) {
        rcc_arena a = {0};
        rcc_params ps = {0};
        rcc_act x;
        rcc_conv c;
        int64_t xd[4] = {n, 16, 2, 2};
        dnnl_memory_desc_t xmd = rcc_md_plain(4, xd, dnnl_nChw16c);
        CHECK_OK(rcc_act_plan(&a, &x, &xmd));
        CHECK_OK(rcc_conv_plan(&a, &ps, &c, "w", &x, 16, 3, 1, 1, false, false, RCC_CONV_DIRECT, dnnl_f32));
        CHECK(!c.dense.on, "an inference plan of %d images on a 2x2 map is not dense", n);
        rcc_conv_free(&c);
        rcc_arena_free(&a);
        rcc_params_free(&ps);
    }
}

static void test_conv(int n, int ic, int oc, int ih, int k, int s, int pad, dnnl_format_tag_t tag)
{
    test_conv_algo(n, ic, oc, ih, k, s, pad, tag, RCC_CONV_DIRECT, false);
}

static void test_conv_bwd_plain(int n, int ic, int oc, int ih, int k, int s, int pad, dnnl_format_tag_t tag)
{
    rcc_arena a = {0};
    rcc_params ps = {0};
    rcc_conv c;
    rcc_act x, dy;
    int64_t xd[4] = {n, ic, ih, ih};
    dnnl_memory_desc_t xmd = rcc_md_plain(4, xd, tag);
    CHECK_OK(rcc_act_plan(&a, &x, &xmd));
    CHECK_OK(rcc_conv_plan(&a, &ps, &c, "w", &x, oc, k, s, pad, true, false, RCC_CONV_DIRECT, dnnl_f32));
    CHECK_OK(rcc_act_plan(&a, &dy, &c.dst.md));
    CHECK_OK(rcc_conv_plan_bwd(&a, &c, &dy, NULL));
    CHECK(c.ddst_reorder, "conv %dx%d %d->%d: RCC_CONV_BWD_PLAIN=1 did not give the plain-gradient kernel", k, k, ic,
          oc);
    rcc_conv_free(&c);
    rcc_arena_free(&a);
    rcc_params_free(&ps);
    test_conv(n, ic, oc, ih, k, s, pad, tag); /* and its numbers against the naive sums */
}

/* ---- bf16 convolution: against the naive sum of the bf16-rounded operands ---- */

static float bf16_round(float v) { return rcc_bf16_to_f32(rcc_f32_to_bf16(v)); }

/* in_dt: the input tensor's type (f32 is reordered into bf16 by the convolution, as the model's
 * stem does with its images). Tolerances, relative to each tensor's largest value: outputs and
 * input gradients are rounded to bf16 (half an ulp: 2^-9 of the value), 4e-3; the weight gradient
 * is accumulated and returned in f32 from bf16 operands, 1e-5. */
static void test_conv_bf16(int n, int ic, int oc, int ih, int k, int s, int pad, dnnl_format_tag_t tag,
                           dnnl_data_type_t in_dt)
{
    char what[128];
    snprintf(what, sizeof what, "bf16 conv %dx%d s%d p%d %d->%d @%d (%s input)", k, k, s, pad, ic, oc, ih,
             in_dt == dnnl_bf16 ? "bf16" : "f32");
    conv_ctx K;
    memset(&K, 0, sizeof K);
    rcc_arena a = {0};
    dnnl_dims_t xd = {n, ic, ih, ih};
    dnnl_memory_desc_t xmd;
    dnnl_memory_desc_init_by_tag(&xmd, 4, xd, in_dt, tag);
    CHECK_OK(rcc_act_plan(&a, &K.x, &xmd));
    CHECK_OK(rcc_conv_plan(&a, &K.ps, &K.c, "w", &K.x, oc, k, s, pad, true, in_dt == dnnl_bf16, RCC_CONV_DIRECT,
                           dnnl_bf16));
    CHECK(K.c.dst.md.data_type == dnnl_bf16 && K.c.w.md.data_type == dnnl_bf16 && K.c.src_reorder == (in_dt != dnnl_bf16),
          "%s: output and weights bf16, the f32 input reordered", what);
    CHECK_OK(rcc_act_plan(&a, &K.dy, &K.c.dst.md));
    CHECK_OK(rcc_act_plan(&a, &K.dx, &xmd));
    CHECK_OK(rcc_conv_plan_bwd(&a, &K.c, &K.dy, in_dt == dnnl_bf16 ? &K.dx : NULL));
    CHECK(K.c.dw.md.data_type == dnnl_f32, "%s: weight gradient in f32", what);
    CHECK_OK(rcc_params_alloc(&K.ps));
    CHECK_OK(rcc_arena_commit(&a));
    int oh = (int)K.c.oh;
    K.nx = (size_t)n * ic * ih * ih;
    K.ny = (size_t)n * oc * oh * oh;
    size_t nw = (size_t)oc * ic * k * k, most = K.nx > K.ny ? K.nx : K.ny;
    most = most > nw ? most : nw;
    K.xp = malloc(K.nx * 4), K.r = malloc(K.ny * 4), K.yp = malloc(K.ny * 4);
    float *w = rcc_pdata(&K.ps) + K.c.w_off, *dw = rcc_pgrad(&K.ps) + K.c.w_off;
    float *dxp = malloc(K.nx * 4), *ref = malloc(most * 4), *xr = malloc(K.nx * 4), *wr = malloc(nw * 4);
    float *rr = malloc(K.ny * 4);
    double *dref = calloc(K.nx + K.ny + nw, sizeof(double));
    fill_uniform(K.xp, K.nx, &rng, -1, 1);
    fill_uniform(w, nw, &rng, -0.5f, 0.5f);
    fill_uniform(K.r, K.ny, &rng, -1, 1);
    for (size_t i = 0; i < K.nx; i++)
        xr[i] = bf16_round(K.xp[i]);
    for (size_t i = 0; i < nw; i++)
        wr[i] = bf16_round(w[i]);
    for (size_t i = 0; i < K.ny; i++)
        rr[i] = bf16_round(K.r[i]);
    conv_loss(&K);
    naive_conv(xr, wr, dref, n, ic, ih, oc, oh, k, s, pad);
    to_float(dref, ref, K.ny);
    char w2[180];
    snprintf(w2, sizeof w2, "%s fwd", what);
    close_scaled(w2, K.yp, ref, K.ny, 4e-3, 1e-6);
    /* and it is bf16, not f32 by accident: the exact f32 result differs by more than f32 rounding */
    double off = 0;
    for (size_t i = 0; i < K.ny; i++)
        off = fmax(off, fabs(K.yp[i] - ref[i]));
    CHECK(off > 0, "%s: the output carries bf16 rounding", what);
    plain_to_act(K.r, &K.dy);
    CHECK_OK(rcc_conv_backward(&K.c));
    memset(dref, 0, (K.nx + nw) * sizeof(double));
    naive_conv_bwd(xr, wr, rr, dref, dref + K.nx, n, ic, ih, oc, oh, k, s, pad);
    if (in_dt == dnnl_bf16) {
        act_to_plain(&K.dx, dxp);
        to_float(dref, ref, K.nx);
        snprintf(w2, sizeof w2, "%s bwd-data", what);
        close_scaled(w2, dxp, ref, K.nx, 4e-3, 1e-6);
    }
    to_float(dref + K.nx, ref, nw);
    snprintf(w2, sizeof w2, "%s bwd-weights", what);
    close_scaled(w2, dw, ref, nw, 1e-5, 1e-6);
    rcc_conv_free(&K.c);
    rcc_arena_free(&a);
    rcc_params_free(&K.ps);
    free(K.xp), free(K.r), free(K.yp), free(dxp), free(ref), free(dref), free(xr), free(wr), free(rr);
}

/* The bf16 element-wise kernels against f32 arithmetic rounded once; the conversions. */
static void test_eltwise_bf16(void)
{
    CHECK(rcc_f32_to_bf16(1.0f) == 0x3f80 && rcc_bf16_to_f32(0x3f80) == 1.0f, "bf16 of 1");
    CHECK(rcc_f32_to_bf16(1.0f + 1.0f / 256) == 0x3f80, "a tie rounds to even (down)");
    CHECK(rcc_f32_to_bf16(1.0f + 3.0f / 256) == 0x3f82, "a tie rounds to even (up)");
    CHECK(rcc_f32_to_bf16(1.0f + 1.5f / 256) == 0x3f81, "above the tie rounds up");
    CHECK(isnan(rcc_bf16_to_f32(rcc_f32_to_bf16(NAN))), "NaN stays NaN");
    CHECK(rcc_f32_to_bf16(-0.0f) == 0x8000, "-0");
    enum { N = 1001 };
    uint16_t y[N], x[N], y0[N];
    float fy[N], fx[N];
    for (int i = 0; i < N; i++) {
        fy[i] = bf16_round((float)rcc_rng_uniform(&rng) * 4 - 2);
        fx[i] = bf16_round((float)rcc_rng_uniform(&rng) * 4 - 2);
        y0[i] = rcc_f32_to_bf16(fy[i]), x[i] = rcc_f32_to_bf16(fx[i]);
    }
    int bad = 0;
    for (int relu = 0; relu < 2; relu++) {
        memcpy(y, y0, sizeof y);
        rcc_add_relu_forward_bf16(y, x, N, relu);
        for (int i = 0; i < N; i++) {
            float v = fy[i] + fx[i];
            bad += y[i] != rcc_f32_to_bf16(relu && v <= 0 ? 0.0f : v);
        }
    }
    memcpy(y, y0, sizeof y);
    rcc_add_inplace_bf16(y, x, N);
    for (int i = 0; i < N; i++)
        bad += y[i] != rcc_f32_to_bf16(fy[i] + fx[i]);
    memcpy(y, y0, sizeof y);
    rcc_relu_backward_bf16(y, x, N); /* dy = y0, the ReLU output x */
    for (int i = 0; i < N; i++)
        bad += y[i] != (fx[i] > 0 ? y0[i] : 0);
    CHECK(bad == 0, "bf16 add+relu, add, relu backward: %d of %d values differ from f32 rounded once", bad, 4 * N);
}

/* ------------------------------------------------------------------ batch-norm */

typedef struct {
    rcc_bn b;
    rcc_act x, dy, dx;
    rcc_params ps;
    float *xp, *r, *yp;
    size_t nx;
} bn_ctx;

static double bn_loss(void *p)
{
    bn_ctx *k = p;
    plain_to_act(k->xp, &k->x);
    rcc_bn_forward(&k->b, &k->ps);
    dnnl_stream_wait(rcc_dnn_stream());
    act_to_plain(&k->b.dst, k->yp);
    return dot_d(k->yp, k->r, k->nx);
}

/* y = γ (x − μ_g)/√(σ²_g + ε) + β per group g of the batch, then ReLU; and its backward. */
static void naive_bn(const float *x, const float *gam, const float *bet, const float *dy, float *y, float *dx,
                     double *dg, double *db, double *mean_out, double *var_out, int n, int c, int hw, int groups,
                     bool relu)
{
    int ng = n / groups;
    double m = (double)ng * hw;
    for (int g = 0; g < groups; g++)
        for (int ch = 0; ch < c; ch++) {
            double mu = 0, var = 0;
            for (int b = g * ng; b < (g + 1) * ng; b++)
                for (int i = 0; i < hw; i++)
                    mu += x[((size_t)b * c + ch) * hw + i];
            mu /= m;
            for (int b = g * ng; b < (g + 1) * ng; b++)
                for (int i = 0; i < hw; i++) {
                    double d = x[((size_t)b * c + ch) * hw + i] - mu;
                    var += d * d;
                }
            var /= m;
            mean_out[g * c + ch] = mu;
            var_out[g * c + ch] = var;
            double inv = 1.0 / sqrt(var + 1e-5), sdxh = 0, sdxhx = 0, sdy = 0, sdyx = 0;
            for (int b = g * ng; b < (g + 1) * ng; b++)
                for (int i = 0; i < hw; i++) {
                    size_t j = ((size_t)b * c + ch) * hw + i;
                    double xh = (x[j] - mu) * inv, v = gam[ch] * xh + bet[ch];
                    double gy = dy ? dy[j] : 0;
                    if (relu && v <= 0)
                        gy = 0;
                    y[j] = (float)(relu && v < 0 ? 0 : v);
                    sdy += gy;
                    sdyx += gy * xh;
                    sdxh += gy * gam[ch];
                    sdxhx += gy * gam[ch] * xh;
                }
            dg[ch] += sdyx;
            db[ch] += sdy;
            if (!dx)
                continue;
            for (int b = g * ng; b < (g + 1) * ng; b++)
                for (int i = 0; i < hw; i++) {
                    size_t j = ((size_t)b * c + ch) * hw + i;
                    double xh = (x[j] - mu) * inv, v = gam[ch] * xh + bet[ch];
                    double gy = dy[j];
                    if (relu && v <= 0)
                        gy = 0;
                    dx[j] = (float)(inv / m * (m * gy * gam[ch] - sdxh - xh * sdxhx));
                }
        }
}

static void test_bn(int n, int c, int h, int groups, bool relu, dnnl_format_tag_t tag)
{
    int failed_before = t_failed;
    char what[128], w2[180];
    snprintf(what, sizeof what, "batch-norm C=%d %dx%d n=%d groups=%d%s (%s)", c, h, h, n, groups,
             relu ? " +relu" : "", tag == dnnl_nchw ? "nchw" : "blocked");
    bn_ctx K;
    memset(&K, 0, sizeof K);
    rcc_arena a = {0}, a2 = {0};
    int64_t xd[4] = {n, c, h, h};
    dnnl_memory_desc_t xmd = rcc_md_plain(4, xd, tag);
    CHECK_OK(rcc_act_plan(&a, &K.x, &xmd));
    CHECK_OK(rcc_bn_plan(&a, &K.ps, &K.b, "bn", &K.x, relu, true, groups));
    CHECK_OK(rcc_act_plan(&a, &K.dy, &K.b.dst.md));
    CHECK_OK(rcc_act_plan(&a, &K.dx, &xmd));
    CHECK_OK(rcc_bn_plan_bwd(&a, &K.b, &K.dy, &K.dx));
    CHECK_OK(rcc_params_alloc(&K.ps));
    CHECK_OK(rcc_arena_commit(&a));
    /* the same layer for inference, sharing the parameters */
    rcc_bn bi;
    rcc_act xi;
    CHECK_OK(rcc_act_plan(&a2, &xi, &xmd));
    CHECK_OK(rcc_bn_plan(&a2, &K.ps, &bi, "bn", &xi, relu, false, 1));
    CHECK_OK(rcc_arena_commit(&a2));
    if (t_failed > failed_before)
        return;
    K.nx = (size_t)n * c * h * h;
    int hw = h * h;
    K.xp = malloc(K.nx * 4);
    K.r = malloc(K.nx * 4);
    K.yp = malloc(K.nx * 4);
    float *yref = malloc(K.nx * 4), *dxp = malloc(K.nx * 4), *dxref = malloc(K.nx * 4);
    double *dg = calloc((size_t)c, 8), *db = calloc((size_t)c, 8), *mu = calloc((size_t)(groups * c), 8),
           *var = calloc((size_t)(groups * c), 8);
    float *P = rcc_pdata(&K.ps), *G = rcc_pgrad(&K.ps), *B = rcc_pbufs(&K.ps);
    float *gam = P + K.b.gamma_off, *bet = P + K.b.beta_off, *rm = B + K.b.mean_off, *rv = B + K.b.var_off;
    fill_uniform(K.xp, K.nx, &rng, -1, 2);
    for (int b = 0; b < n; b++) /* give each sample its own offset so group statistics differ */
        for (size_t i = 0; i < (size_t)c * hw; i++)
            K.xp[(size_t)b * c * hw + i] += 0.3f * b;
    fill_uniform(gam, (size_t)c, &rng, 0.5f, 1.5f);
    fill_uniform(bet, (size_t)c, &rng, -0.5f, 0.5f);
    fill_uniform(rm, (size_t)c, &rng, -0.2f, 0.2f);
    fill_uniform(rv, (size_t)c, &rng, 0.8f, 1.2f);
    fill_uniform(K.r, K.nx, &rng, -1, 1);
    float rm0[64], rv0[64];
    memcpy(rm0, rm, (size_t)c * 4);
    memcpy(rv0, rv, (size_t)c * 4);

    bn_loss(&K);
    naive_bn(K.xp, gam, bet, K.r, yref, dxref, dg, db, mu, var, n, c, hw, groups, relu);
    snprintf(w2, sizeof w2, "%s fwd", what);
    close_scaled(w2, K.yp, yref, K.nx, 2e-5, 1e-6);
    /* running statistics: one momentum-0.1 update per group, unbiased variance */
    double cnt = (double)(n / groups) * hw;
    float rmr[64], rvr[64];
    for (int ch = 0; ch < c; ch++) {
        double m = rm0[ch], v = rv0[ch];
        for (int g = 0; g < groups; g++) {
            m = 0.9 * m + 0.1 * mu[g * c + ch];
            v = 0.9 * v + 0.1 * var[g * c + ch] * cnt / (cnt - 1);
        }
        rmr[ch] = (float)m;
        rvr[ch] = (float)v;
    }
    snprintf(w2, sizeof w2, "%s running mean", what);
    close_scaled(w2, rm, rmr, (size_t)c, 1e-5, 1e-3);
    snprintf(w2, sizeof w2, "%s running var", what);
    close_scaled(w2, rv, rvr, (size_t)c, 1e-5, 1e-3);

    plain_to_act(K.r, &K.dy);
    CHECK_OK(rcc_bn_backward(&K.b, &K.ps));
    act_to_plain(&K.dx, dxp);
    snprintf(w2, sizeof w2, "%s bwd-data", what);
    close_scaled(w2, dxp, dxref, K.nx, 1e-4, 1e-6);
    float dgf[64], dbf[64];
    to_float(dg, dgf, (size_t)c);
    to_float(db, dbf, (size_t)c);
    snprintf(w2, sizeof w2, "%s d gamma", what);
    close_scaled(w2, G + K.b.gamma_off, dgf, (size_t)c, 1e-4, 1e-6);
    snprintf(w2, sizeof w2, "%s d beta", what);
    close_scaled(w2, G + K.b.beta_off, dbf, (size_t)c, 1e-4, 1e-6);

    if (!relu) { /* ReLU's kink would make differences meaningless at some points */
        snprintf(w2, sizeof w2, "%s d/dx", what);
        fd_check(w2, K.xp, K.nx, dxp, bn_loss, &K, 1e-2f, 1e-2, 12);
        snprintf(w2, sizeof w2, "%s d/dgamma", what);
        fd_check(w2, gam, (size_t)c, G + K.b.gamma_off, bn_loss, &K, 1e-2f, 1e-2, 6);
        snprintf(w2, sizeof w2, "%s d/dbeta", what);
        fd_check(w2, bet, (size_t)c, G + K.b.beta_off, bn_loss, &K, 1e-2f, 1e-2, 6);
    }

    /* inference: running statistics */
    plain_to_act(K.xp, &xi);
    CHECK_OK(rcc_bn_forward(&bi, &K.ps));
    dnnl_stream_wait(rcc_dnn_stream());
    act_to_plain(&bi.dst, K.yp);
    for (int b = 0; b < n; b++)
        for (int ch = 0; ch < c; ch++)
            for (int i = 0; i < hw; i++) {
                size_t j = ((size_t)b * c + ch) * hw + i;
                double v = gam[ch] * (K.xp[j] - rm[ch]) / sqrt(rv[ch] + 1e-5) + bet[ch];
                yref[j] = (float)(relu && v < 0 ? 0 : v);
            }
    snprintf(w2, sizeof w2, "%s inference", what);
    close_scaled(w2, K.yp, yref, K.nx, 2e-5, 1e-6);

    rcc_bn_free(&K.b);
    rcc_bn_free(&bi);
    rcc_arena_free(&a);
    rcc_arena_free(&a2);
    rcc_params_free(&K.ps);
    free(K.xp), free(K.r), free(K.yp), free(yref), free(dxp), free(dxref), free(dg), free(db), free(mu), free(var);
}

/* ------------------------------------------------------------------ pooling */

typedef struct {
    rcc_pool p;
    rcc_act x, dy, dx;
    float *xp, *r, *yp;
    size_t nx, ny;
} pool_ctx;

static double pool_loss(void *q)
{
    pool_ctx *k = q;
    plain_to_act(k->xp, &k->x);
    rcc_pool_forward(&k->p);
    dnnl_stream_wait(rcc_dnn_stream());
    if (k->p.global)
        memcpy(k->yp, k->p.plain.ptr, k->ny * 4);
    else
        act_to_plain(&k->p.dst, k->yp);
    return dot_d(k->yp, k->r, k->ny);
}

static void test_pool(int n, int c, int h, bool global, dnnl_format_tag_t tag)
{
    int failed_before = t_failed;
    char what[128], w2[180];
    snprintf(what, sizeof what, "%s C=%d %dx%d (%s)", global ? "global avg pool" : "max pool 3x3/2", c, h, h,
             tag == dnnl_nchw ? "nchw" : "blocked");
    pool_ctx K;
    memset(&K, 0, sizeof K);
    rcc_arena a = {0};
    int64_t xd[4] = {n, c, h, h};
    dnnl_memory_desc_t xmd = rcc_md_plain(4, xd, tag);
    CHECK_OK(rcc_act_plan(&a, &K.x, &xmd));
    CHECK_OK(rcc_pool_plan(&a, &K.p, &K.x, global, true));
    int oh = global ? 1 : (h - 1) / 2 + 1;
    int64_t yd[4] = {n, c, oh, oh};
    dnnl_memory_desc_t ymd = global ? rcc_md_plain(4, yd, dnnl_nchw) : K.p.dst.md;
    CHECK_OK(rcc_act_plan(&a, &K.dy, &ymd));
    CHECK_OK(rcc_act_plan(&a, &K.dx, &xmd));
    CHECK_OK(rcc_pool_plan_bwd(&a, &K.p, &K.dy, &K.dx));
    CHECK_OK(rcc_arena_commit(&a));
    if (t_failed > failed_before)
        return;
    K.nx = (size_t)n * c * h * h;
    K.ny = (size_t)n * c * oh * oh;
    K.xp = malloc(K.nx * 4);
    K.r = malloc(K.ny * 4);
    K.yp = malloc(K.ny * 4);
    float *yref = malloc(K.ny * 4), *dxp = malloc(K.nx * 4), *dxref = calloc(K.nx, 4);
    /* distinct values at least 1e-3 apart, so a small step never changes which one is the max */
    for (size_t i = 0; i < K.nx; i++)
        K.xp[i] = (float)i;
    for (size_t i = K.nx - 1; i > 0; i--) {
        size_t j = (size_t)(rcc_rng_next(&rng) % (i + 1));
        float t = K.xp[i];
        K.xp[i] = K.xp[j];
        K.xp[j] = t;
    }
    for (size_t i = 0; i < K.nx; i++)
        K.xp[i] = K.xp[i] * (2.0f / (float)K.nx) - 1.0f;
    fill_uniform(K.r, K.ny, &rng, -1, 1);
    pool_loss(&K);
    int hw = h * h;
    for (int b = 0; b < n * c; b++) {
        const float *xi = K.xp + (size_t)b * hw;
        for (int oy = 0; oy < oh; oy++)
            for (int ox = 0; ox < oh; ox++) {
                size_t o = ((size_t)b * oh + oy) * oh + ox;
                if (global) {
                    double s = 0;
                    for (int i = 0; i < hw; i++)
                        s += xi[i];
                    yref[o] = (float)(s / hw);
                    for (int i = 0; i < hw; i++)
                        dxref[(size_t)b * hw + i] += K.r[o] / hw;
                } else {
                    float m = -INFINITY;
                    int mi = -1;
                    for (int ky = 0; ky < 3; ky++)
                        for (int kx = 0; kx < 3; kx++) {
                            int iy = oy * 2 - 1 + ky, ix = ox * 2 - 1 + kx;
                            if (iy < 0 || ix < 0 || iy >= h || ix >= h)
                                continue;
                            if (xi[iy * h + ix] > m) {
                                m = xi[iy * h + ix];
                                mi = iy * h + ix;
                            }
                        }
                    yref[o] = m;
                    dxref[(size_t)b * hw + mi] += K.r[o];
                }
            }
    }
    snprintf(w2, sizeof w2, "%s fwd", what);
    close_scaled(w2, K.yp, yref, K.ny, 1e-6, 1e-6);
    plain_to_act(K.r, &K.dy);
    CHECK_OK(rcc_pool_backward(&K.p));
    act_to_plain(&K.dx, dxp);
    snprintf(w2, sizeof w2, "%s bwd", what);
    close_scaled(w2, dxp, dxref, K.nx, 1e-6, 1e-6);
    snprintf(w2, sizeof w2, "%s d/dx", what);
    fd_check(w2, K.xp, K.nx, dxp, pool_loss, &K, 1e-4f, 1e-2, 16);
    rcc_pool_free(&K.p);
    rcc_arena_free(&a);
    free(K.xp), free(K.r), free(K.yp), free(yref), free(dxp), free(dxref);
}

/* ------------------------------------------------------------------ head ops */

typedef struct {
    int kind; /* 0 linear, 1 softmax, 2 l2norm, 3 relu rows, 4 add+relu */
    int n, in, out;
    float *x, *w, *b, *y, *r, *aux;
} row_ctx;

static double row_loss(void *p)
{
    row_ctx *k = p;
    size_t ny = (size_t)k->n * k->out;
    switch (k->kind) {
    case 0:
        rcc_linear_forward(k->x, k->w, k->b, k->y, k->n, k->in, k->out);
        break;
    case 1:
        rcc_softmax_forward(k->x, k->y, k->n, k->out);
        break;
    case 2:
        rcc_l2norm_forward(k->x, k->y, k->aux, k->n, k->out, RCC_L2NORM_EPS);
        break;
    case 3:
        rcc_relu_rows_forward(k->y, k->x, ny);
        break;
    default:
        memcpy(k->y, k->x, ny * 4);
        rcc_add_relu_forward(k->y, k->w, ny, true);
        break;
    }
    return dot_d(k->y, k->r, ny);
}

static void test_linear(int n, int in, int out)
{
    row_ctx K = {0, n, in, out, NULL, NULL, NULL, NULL, NULL, NULL};
    size_t nx = (size_t)n * in, nw = (size_t)out * in, ny = (size_t)n * out;
    K.x = malloc(nx * 4), K.w = malloc(nw * 4), K.b = malloc((size_t)out * 4), K.y = malloc(ny * 4);
    K.r = malloc(ny * 4);
    float *dw = calloc(nw, 4), *db = calloc((size_t)out, 4), *dx = malloc(nx * 4), *ref = malloc((nx + nw + ny) * 4);
    fill_uniform(K.x, nx, &rng, -1, 1);
    fill_uniform(K.w, nw, &rng, -1, 1);
    fill_uniform(K.b, (size_t)out, &rng, -1, 1);
    fill_uniform(K.r, ny, &rng, -1, 1);
    row_loss(&K);
    for (int i = 0; i < n; i++)
        for (int j = 0; j < out; j++) {
            double s = K.b[j];
            for (int c = 0; c < in; c++)
                s += (double)K.x[(size_t)i * in + c] * K.w[(size_t)j * in + c];
            ref[(size_t)i * out + j] = (float)s;
        }
    close_scaled("linear fwd", K.y, ref, ny, 1e-5, 1e-6);
    CHECK_OK(rcc_linear_backward(K.x, K.w, K.r, dw, db, dx, n, in, out));
    for (int i = 0; i < n; i++)
        for (int c = 0; c < in; c++) {
            double s = 0;
            for (int j = 0; j < out; j++)
                s += (double)K.r[(size_t)i * out + j] * K.w[(size_t)j * in + c];
            ref[(size_t)i * in + c] = (float)s;
        }
    close_scaled("linear bwd-data", dx, ref, nx, 1e-5, 1e-6);
    for (int j = 0; j < out; j++)
        for (int c = 0; c < in; c++) {
            double s = 0;
            for (int i = 0; i < n; i++)
                s += (double)K.r[(size_t)i * out + j] * K.x[(size_t)i * in + c];
            ref[(size_t)j * in + c] = (float)s;
        }
    close_scaled("linear bwd-weights", dw, ref, nw, 1e-5, 1e-6);
    fd_check("linear d/dx", K.x, nx, dx, row_loss, &K, 1e-2f, 2e-3, 10);
    fd_check("linear d/dw", K.w, nw, dw, row_loss, &K, 1e-2f, 2e-3, 10);
    fd_check("linear d/db", K.b, (size_t)out, db, row_loss, &K, 1e-2f, 2e-3, 5);
    free(K.x), free(K.w), free(K.b), free(K.y), free(K.r), free(dw), free(db), free(dx), free(ref);
}

static void test_rowop(int kind, int n, int d)
{
    static const char *names[] = {"", "softmax", "l2norm", "relu", "add+relu"};
    char w2[64];
    row_ctx K = {kind, n, d, d, NULL, NULL, NULL, NULL, NULL, NULL};
    size_t ny = (size_t)n * d;
    K.x = malloc(ny * 4), K.y = malloc(ny * 4), K.r = malloc(ny * 4), K.aux = malloc((size_t)n * 4);
    K.w = malloc(ny * 4);
    float *dx = malloc(ny * 4), *ref = malloc(ny * 4), *dref = malloc(ny * 4);
    fill_uniform(K.x, ny, &rng, -2, 2);
    fill_uniform(K.w, ny, &rng, -2, 2);
    if (kind >= 3) /* keep the ReLU's input away from its kink */
        for (size_t i = 0; i < ny; i++) {
            float v = K.x[i] + (kind == 4 ? K.w[i] : 0);
            if (fabsf(v) < 0.05f)
                K.x[i] += 0.2f;
        }
    fill_uniform(K.r, ny, &rng, -1, 1);
    row_loss(&K);
    for (int i = 0; i < n; i++) {
        const float *xi = K.x + (size_t)i * d, *ri = K.r + (size_t)i * d;
        float *yi = ref + (size_t)i * d, *gi = dref + (size_t)i * d;
        if (kind == 1) {
            double mx = -INFINITY, s = 0, dot = 0;
            for (int j = 0; j < d; j++)
                mx = fmax(mx, xi[j]);
            for (int j = 0; j < d; j++)
                s += exp(xi[j] - mx);
            for (int j = 0; j < d; j++) {
                yi[j] = (float)(exp(xi[j] - mx) / s);
                dot += (double)yi[j] * ri[j];
            }
            for (int j = 0; j < d; j++)
                gi[j] = (float)(yi[j] * (ri[j] - dot));
        } else if (kind == 2) {
            double s = 0, dot = 0;
            for (int j = 0; j < d; j++)
                s += (double)xi[j] * xi[j];
            s = sqrt(s);
            for (int j = 0; j < d; j++) {
                yi[j] = (float)(xi[j] / s);
                dot += (double)yi[j] * ri[j];
            }
            for (int j = 0; j < d; j++)
                gi[j] = (float)((ri[j] - yi[j] * dot) / s);
        } else {
            for (int j = 0; j < d; j++) {
                float v = xi[j] + (kind == 4 ? K.w[(size_t)i * d + j] : 0);
                yi[j] = v > 0 ? v : 0;
                gi[j] = v > 0 ? ri[j] : 0;
            }
        }
    }
    snprintf(w2, sizeof w2, "%s fwd", names[kind]);
    close_scaled(w2, K.y, ref, ny, 1e-6, 1e-6);
    if (kind == 1)
        rcc_softmax_backward(K.y, K.r, dx, n, d);
    else if (kind == 2)
        rcc_l2norm_backward(K.y, K.aux, K.r, dx, n, d);
    else if (kind == 3)
        rcc_relu_rows_backward(dx, K.y, K.r, ny);
    else {
        memcpy(dx, K.r, ny * 4);
        rcc_relu_backward(dx, K.y, ny);
    }
    snprintf(w2, sizeof w2, "%s bwd", names[kind]);
    close_scaled(w2, dx, dref, ny, 1e-5, 1e-6);
    snprintf(w2, sizeof w2, "%s d/dx", names[kind]);
    fd_check(w2, K.x, ny, dx, row_loss, &K, kind >= 3 ? 1e-2f : 1e-3f, 5e-3, 12);
    free(K.x), free(K.y), free(K.r), free(K.aux), free(K.w), free(dx), free(ref), free(dref);
}

static void test_add_inplace(void)
{
    float y[37], x[37], want[37];
    for (int i = 0; i < 37; i++) {
        y[i] = (float)i;
        x[i] = 0.5f * (float)i - 3;
        want[i] = y[i] + x[i];
    }
    rcc_add_inplace(y, x, 37);
    close_scaled("residual add (gradient fan-in)", y, want, 37, 0, 1);
}

int main(void)
{
    setenv("RCC_BF16_EMULATED", "1", 0); /* bf16 checked with oneDNN's emulation too (rcc_conv_bf16_available) */
    rcc_compute_saved guard; /* the internals below run as the library's entry points run them */
    rcc_compute_enter(2, &guard);
    rcc_rng_init(&rng, 2024, 0);
    /* the model's shapes in miniature: stem, stride-1 and stride-2 3x3, 1x1 downsample, rep_dim 3 */
    test_conv(2, 1, 16, 16, 7, 2, 3, dnnl_nchw);
    test_conv(2, 16, 16, 8, 3, 1, 1, dnnl_nChw16c);
    test_conv(2, 16, 32, 8, 3, 2, 1, dnnl_nChw16c);
    test_conv(2, 16, 32, 8, 1, 2, 0, dnnl_nChw16c);
    test_conv(2, 32, 3, 4, 3, 2, 1, dnnl_nChw16c);
    test_conv(2, 3, 3, 2, 3, 1, 1, dnnl_nchw);
    test_conv(2, 5, 7, 6, 3, 1, 1, dnnl_nchw);
    /* maps smaller than the kernel (stage 3 and 4 at 32x32 images): one dense product, also with
     * channels that do not fill the layout's blocks, and stride 2 onto a 1x1 map */
    test_conv(3, 16, 32, 2, 3, 1, 1, dnnl_nChw16c);
    test_conv(2, 32, 16, 1, 3, 1, 1, dnnl_nChw16c);
    test_conv(2, 16, 32, 2, 3, 2, 1, dnnl_nChw16c);
    test_conv(2, 3, 20, 2, 3, 1, 1, dnnl_nChw16c);
    test_conv(2, 5, 7, 2, 3, 1, 1, dnnl_nhwc);
    test_conv_infer_dense();
    /* the backward-weights kernel through a plain output gradient (what AVX2 CPUs get for the stem,
     * where oneDNN's blocked-layout kernel is the reference one): forced here on every CPU */
    setenv("RCC_CONV_BWD_PLAIN", "1", 1);
    test_conv_bwd_plain(2, 1, 16, 16, 7, 2, 3, dnnl_nchw);
    test_conv_bwd_plain(2, 3, 8, 9, 7, 2, 3, dnnl_nchw);
    unsetenv("RCC_CONV_BWD_PLAIN");
    /* Winograd where oneDNN has it (3x3 stride 1, channels multiples of 16), and the direct
     * fallback, pass by pass, for every other shape of the model */
    /* bf16 at the same shapes (the stem from f32 images, the rest from bf16 activations) */
    if (rcc_conv_bf16_available()) {
        test_conv_bf16(2, 1, 16, 16, 7, 2, 3, dnnl_nchw, dnnl_f32);
        test_conv_bf16(2, 3, 16, 16, 3, 1, 1, dnnl_nchw, dnnl_f32);
        test_conv_bf16(2, 16, 16, 8, 3, 1, 1, dnnl_nChw16c, dnnl_bf16);
        test_conv_bf16(2, 16, 32, 8, 3, 2, 1, dnnl_nChw16c, dnnl_bf16);
        test_conv_bf16(2, 16, 32, 8, 1, 2, 0, dnnl_nChw16c, dnnl_bf16);
        test_conv_bf16(2, 32, 3, 4, 3, 2, 1, dnnl_nChw16c, dnnl_bf16);
        test_conv_bf16(2, 64, 64, 16, 3, 1, 1, dnnl_nChw16c, dnnl_bf16);
    } else {
        printf("SKIP bf16 convolutions: this CPU has no bf16 convolutions\n");
    }
    test_eltwise_bf16();
    test_conv_algo(2, 16, 16, 8, 3, 1, 1, dnnl_nChw16c, RCC_CONV_WINOGRAD, true);
    test_conv_algo(3, 32, 16, 11, 3, 1, 1, dnnl_nChw16c, RCC_CONV_WINOGRAD, true);
    test_conv_algo(2, 64, 64, 16, 3, 1, 1, dnnl_nChw16c, RCC_CONV_WINOGRAD, true); /* layer1 at 64x64 */
    test_conv_algo(2, 1, 16, 16, 7, 2, 3, dnnl_nchw, RCC_CONV_WINOGRAD, false);
    test_conv_algo(2, 16, 32, 8, 3, 2, 1, dnnl_nChw16c, RCC_CONV_WINOGRAD, false);
    test_conv_algo(2, 16, 32, 8, 1, 2, 0, dnnl_nChw16c, RCC_CONV_WINOGRAD, false);
    test_conv_algo(2, 32, 3, 4, 3, 2, 1, dnnl_nChw16c, RCC_CONV_WINOGRAD, false);
    test_conv_algo(2, 3, 3, 2, 3, 1, 1, dnnl_nchw, RCC_CONV_WINOGRAD, false);
    test_conv_algo(2, 5, 7, 6, 3, 1, 1, dnnl_nchw, RCC_CONV_WINOGRAD, false);
    test_conv_algo(2, 16, 16, 2, 3, 1, 1, dnnl_nChw16c, RCC_CONV_WINOGRAD, false); /* 2x2: direct pays */
    test_conv_infer_direct();
    test_bn(4, 16, 4, 2, true, dnnl_nChw16c);
    test_bn(4, 16, 4, 2, false, dnnl_nChw16c);
    test_bn(4, 16, 4, 1, false, dnnl_nChw16c);
    test_bn(4, 3, 2, 2, true, dnnl_nChw16c);
    test_bn(4, 3, 2, 2, false, dnnl_nchw);
    test_pool(2, 16, 8, false, dnnl_nChw16c);
    test_pool(2, 3, 7, false, dnnl_nchw);
    test_pool(2, 16, 4, true, dnnl_nChw16c);
    test_pool(3, 3, 2, true, dnnl_nChw16c);
    test_linear(6, 3, 17);
    test_linear(5, 40, 9);
    test_rowop(1, 6, 7);
    test_rowop(2, 6, 5);
    test_rowop(3, 6, 9);
    test_rowop(4, 6, 9);
    test_add_inplace();
    return test_finish("test_ops");
}
