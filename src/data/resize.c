/* resize.c — bilinear resampling: PyTorch's interpolate(mode="bilinear", align_corners=False,
 * antialias=False) for the evaluation view and the random resized crop, and an antialiased variant
 * used only to bring odd-sized images to the data set's size at load time. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "data_internal.h"

/* One output coordinate's two source taps and weights, computed as PyTorch 1.13's CPU kernel does:
 * the scale in float (in/out), the source position scale·(i+0.5)−0.5 in double (clamped at 0), and
 * the weight rounded to float. Matches torch to about one float ulp (docs/data.md). */
typedef struct {
    int i0, i1;
    float l0, l1;
} tap2;

static void taps_linear(int in, int out, tap2 *t)
{
    if (in == out) {
        for (int i = 0; i < out; i++)
            t[i] = (tap2){i, i, 1.0f, 0.0f};
        return;
    }
    double scale = (float)in / (float)out;
    for (int i = 0; i < out; i++) {
        double src = scale * (i + 0.5) - 0.5;
        if (src < 0)
            src = 0;
        int i0 = (int)src;
        int i1 = i0 + (i0 < in - 1 ? 1 : 0);
        double l = src - i0;
        float l1 = (float)(l < 0 ? 0 : l > 1 ? 1 : l);
        t[i] = (tap2){i0, i1, 1.0f - l1, l1};
    }
}

void rcc_resize_region_px(rcc_pixels src, int c, int h, int w, int y0, int x0, int rh, int rw, float *dst, int oh,
                          int ow)
{
    (void)h;
    tap2 ty[oh], tx[ow];
    taps_linear(rh, oh, ty);
    taps_linear(rw, ow, tx);
    for (int ch = 0; ch < c; ch++) {
        size_t plane = (size_t)ch * h * w + (size_t)y0 * w + x0;
        float *o = dst + (size_t)ch * oh * ow;
        for (int y = 0; y < oh; y++) {
            size_t r0 = plane + (size_t)ty[y].i0 * w, r1 = plane + (size_t)ty[y].i1 * w;
            float a = ty[y].l0, b = ty[y].l1;
            for (int x = 0; x < ow; x++) {
                const tap2 *t = &tx[x];
                o[(size_t)y * ow + x] = a * (t->l0 * rcc_px(src, r0 + t->i0) + t->l1 * rcc_px(src, r0 + t->i1)) +
                                        b * (t->l0 * rcc_px(src, r1 + t->i0) + t->l1 * rcc_px(src, r1 + t->i1));
            }
        }
    }
}

void rcc_resize_region(const float *src, int c, int h, int w, int y0, int x0, int rh, int rw, float *dst, int oh,
                       int ow)
{
    rcc_resize_region_px((rcc_pixels){src, NULL}, c, h, w, y0, x0, rh, rw, dst, oh, ow);
}

void rcc_resize_bilinear(const float *src, int c, int h, int w, float *dst, int s)
{
    rcc_resize_region(src, c, h, w, 0, 0, h, w, dst, s, s);
}

/* ---------------------------------------------------------------- antialiased (load time only) */

/* Weights of a triangle filter of half-width `support` (≥ 1) around each output centre, normalised
 * over the taps inside the image (PIL's approach). first[i], count[i] index into w (stride kmax). */
static rcc_status aa_weights(int in, int out, int **first_out, int **count_out, float **w_out, int *kmax_out)
{
    double scale = (double)in / out, support = scale > 1 ? scale : 1.0;
    int kmax = (int)ceil(support) * 2 + 1;
    int *first = malloc((size_t)out * sizeof *first), *count = malloc((size_t)out * sizeof *count);
    float *w = malloc((size_t)out * kmax * sizeof *w);
    if (!first || !count || !w) {
        free(first);
        free(count);
        free(w);
        return rcc_fail(RCC_ERR_NOMEM, "resize weights (%d -> %d)", in, out);
    }
    for (int i = 0; i < out; i++) {
        double centre = (i + 0.5) * scale;
        int lo = (int)floor(centre - support), hi = (int)ceil(centre + support);
        if (lo < 0)
            lo = 0;
        if (hi > in)
            hi = in;
        if (hi - lo > kmax)
            hi = lo + kmax;
        double sum = 0;
        int n = 0;
        for (int j = lo; j < hi; j++, n++) {
            double d = fabs((j + 0.5 - centre) / support);
            double v = d < 1 ? 1 - d : 0;
            w[(size_t)i * kmax + n] = (float)v;
            sum += v;
        }
        if (sum <= 0) { /* cannot happen for in ≥ 1, but keep the weights a partition of unity */
            lo = (int)fmin(fmax(floor(centre), 0), in - 1);
            n = 1;
            w[(size_t)i * kmax] = 1;
            sum = 1;
        }
        for (int j = 0; j < n; j++)
            w[(size_t)i * kmax + j] = (float)(w[(size_t)i * kmax + j] / sum);
        first[i] = lo;
        count[i] = n;
    }
    *first_out = first;
    *count_out = count;
    *w_out = w;
    *kmax_out = kmax;
    return RCC_OK;
}

rcc_status rcc_resize_aa(const float *src, int c, int h, int w, float *dst, int oh, int ow)
{
    int *fx = NULL, *nx = NULL, *fy = NULL, *ny = NULL, kx = 0, ky = 0;
    float *wx = NULL, *wy = NULL, *tmp = malloc((size_t)h * ow * sizeof *tmp);
    rcc_status st = tmp ? RCC_OK : rcc_fail(RCC_ERR_NOMEM, "resize buffer");
    if (st == RCC_OK)
        st = aa_weights(w, ow, &fx, &nx, &wx, &kx);
    if (st == RCC_OK)
        st = aa_weights(h, oh, &fy, &ny, &wy, &ky);
    for (int ch = 0; ch < c && st == RCC_OK; ch++) {
        const float *p = src + (size_t)ch * h * w;
        for (int y = 0; y < h; y++)
            for (int x = 0; x < ow; x++) {
                float acc = 0;
                for (int k = 0; k < nx[x]; k++)
                    acc += wx[(size_t)x * kx + k] * p[(size_t)y * w + fx[x] + k];
                tmp[(size_t)y * ow + x] = acc;
            }
        float *o = dst + (size_t)ch * oh * ow;
        for (int y = 0; y < oh; y++)
            for (int x = 0; x < ow; x++) {
                float acc = 0;
                for (int k = 0; k < ny[y]; k++)
                    acc += wy[(size_t)y * ky + k] * tmp[(size_t)(fy[y] + k) * ow + x];
                o[(size_t)y * ow + x] = acc;
            }
    }
    free(tmp);
    free(fx);
    free(nx);
    free(wx);
    free(fy);
    free(ny);
    free(wy);
    return st;
}
