/* augment.c — the augmentation family of docs/method.md §3 (random resized crop, colour jitter, random
 * grayscale, Gaussian blur), following torchvision's tensor implementations, with presets. Every
 * view draws its choices from its own generator stream, seeded by (seed, epoch, index, view). */
#include <math.h>
#include <string.h>
#include "data_internal.h"
#include "rng.h"

/* ---------------------------------------------------------------- presets */

rcc_status rcc_aug_preset(rcc_aug_config *a, rcc_augment_preset preset)
{
    if (!rcc_augment_preset_name(preset))
        return rcc_fail(RCC_ERR_ARG, "augmentation preset %d is not known", (int)preset);
    /* paper: docs/method.md §3 exactly. */
    *a = (rcc_aug_config){
        .crop_prob = 1.0f,
        .crop_area_min = 0.08f,
        .crop_area_max = 1.0f,
        .crop_ratio_min = 3.0f / 4.0f,
        .crop_ratio_max = 4.0f / 3.0f,
        .jitter_prob = 0.8f,
        .brightness = 0.4f,
        .contrast = 0.4f,
        .saturation = 0.4f,
        .hue = 0.1f,
        .gray_prob = 0.2f,
        .blur_prob = 0.5f,
        .blur_sigma_min = 0.1f,
        .blur_sigma_max = 2.0f,
        .blur_kernel_frac = 0.1f,
        .flip_prob = 0.0f,
        .rotate_deg = 0.0f,
    };
    if (preset == RCC_AUGMENT_PAPER)
        return RCC_OK;
    if (preset == RCC_AUGMENT_CPU) {
        /* Small gray digits: crops that keep most of the digit, a lighter blur, and small
         * rotations, which took MNIST-test's ACC from 0.90 to 0.96 (docs/data.md, docs/training.md). */
        a->crop_area_min = 0.5f;
        a->blur_sigma_max = 1.0f;
        a->rotate_deg = 15.0f;
        return RCC_OK;
    }
    if (preset == RCC_AUGMENT_PHOTO) {
        /* Colour photographs: what CC uses on CIFAR-10 — docs/method.md §3's crop, jitter and grayscale,
         * plus horizontal flips, and no blur (small photos are blurry enough). */
        a->flip_prob = 0.5f;
        a->blur_prob = 0.0f;
        return RCC_OK;
    }
    /* none: every view is the evaluation view (for debugging and baselines) */
    a->crop_prob = a->jitter_prob = a->gray_prob = a->blur_prob = a->flip_prob = 0;
    return RCC_OK;
}

static bool is_prob(float p) { return p >= 0 && p <= 1; }

rcc_status rcc_aug_check(const rcc_aug_config *a)
{
    if (!is_prob(a->crop_prob) || !is_prob(a->jitter_prob) || !is_prob(a->gray_prob) || !is_prob(a->blur_prob) ||
        !is_prob(a->flip_prob))
        return rcc_fail(RCC_ERR_ARG, "augmentation: probabilities must be in [0, 1]");
    if (!(a->rotate_deg >= 0 && a->rotate_deg <= 180))
        return rcc_fail(RCC_ERR_ARG, "augmentation: rotation must be in [0, 180] degrees (got %g)",
                        (double)a->rotate_deg);
    if (!(a->crop_area_min > 0 && a->crop_area_min <= a->crop_area_max && a->crop_area_max <= 1))
        return rcc_fail(RCC_ERR_ARG, "augmentation: need 0 < crop_area_min <= crop_area_max <= 1 (got %g, %g)",
                        (double)a->crop_area_min, (double)a->crop_area_max);
    if (!(a->crop_ratio_min > 0 && a->crop_ratio_min <= a->crop_ratio_max && isfinite(a->crop_ratio_max)))
        return rcc_fail(RCC_ERR_ARG, "augmentation: need 0 < crop_ratio_min <= crop_ratio_max (got %g, %g)",
                        (double)a->crop_ratio_min, (double)a->crop_ratio_max);
    if (!(a->brightness >= 0 && a->contrast >= 0 && a->saturation >= 0) || !isfinite(a->brightness) ||
        !isfinite(a->contrast) || !isfinite(a->saturation))
        return rcc_fail(RCC_ERR_ARG, "augmentation: jitter strengths must be finite and >= 0");
    if (!(a->hue >= 0 && a->hue <= 0.5f))
        return rcc_fail(RCC_ERR_ARG, "augmentation: hue must be in [0, 0.5] (got %g)", (double)a->hue);
    if (!(a->blur_sigma_min > 0 && a->blur_sigma_min <= a->blur_sigma_max && isfinite(a->blur_sigma_max)))
        return rcc_fail(RCC_ERR_ARG, "augmentation: need 0 < blur_sigma_min <= blur_sigma_max (got %g, %g)",
                        (double)a->blur_sigma_min, (double)a->blur_sigma_max);
    if (!(a->blur_kernel_frac >= 0 && a->blur_kernel_frac <= 1))
        return rcc_fail(RCC_ERR_ARG, "augmentation: blur_kernel_frac must be in [0, 1] (got %g)",
                        (double)a->blur_kernel_frac);
    return RCC_OK;
}

int rcc_aug_blur_kernel(const rcc_aug_config *a, int s)
{
    int k = (int)(a->blur_kernel_frac * (float)s); /* SimCLR: int(0.1·S), made odd */
    return k % 2 ? k : k + 1;
}

/* ---------------------------------------------------------------- sampling */

/* Stream id of one view: exact for index < 2^32, view < 256, epoch < 2^24 (then folded). */
static uint64_t view_stream(uint64_t epoch, int index, int view)
{
    return (epoch << 40) ^ ((uint64_t)(uint32_t)index << 8) ^ (uint64_t)(uint32_t)view;
}

static double uniform_in(rcc_rng *r, double lo, double hi) { return lo + (hi - lo) * rcc_rng_uniform(r); }

static bool bernoulli(rcc_rng *r, float p)
{
    if (p <= 0)
        return false;
    if (p >= 1)
        return true;
    return rcc_rng_uniform(r) < p;
}

/* torch.randint(0, n): uniform integer in [0, n). */
static int randint(rcc_rng *r, int n) { return (int)(rcc_rng_uniform(r) * n); }

/* torchvision's RandomResizedCrop.get_params. rint rounds half to even, as Python's round. */
static void sample_crop(const rcc_aug_config *a, int h, int w, rcc_rng *r, rcc_aug_params *p)
{
    double area = (double)h * w, lr0 = log(a->crop_ratio_min), lr1 = log(a->crop_ratio_max);
    for (int t = 0; t < 10; t++) {
        double target = area * uniform_in(r, a->crop_area_min, a->crop_area_max);
        double ratio = exp(uniform_in(r, lr0, lr1));
        int cw = (int)rint(sqrt(target * ratio)), ch = (int)rint(sqrt(target / ratio));
        if (cw > 0 && cw <= w && ch > 0 && ch <= h) {
            p->crop_y = randint(r, h - ch + 1);
            p->crop_x = randint(r, w - cw + 1);
            p->crop_h = ch;
            p->crop_w = cw;
            return;
        }
    }
    double in_ratio = (double)w / h;
    int cw = w, ch = h;
    if (in_ratio < a->crop_ratio_min)
        ch = (int)rint(w / (double)a->crop_ratio_min);
    else if (in_ratio > a->crop_ratio_max)
        cw = (int)rint(h * (double)a->crop_ratio_max);
    ch = ch < 1 ? 1 : ch > h ? h : ch;
    cw = cw < 1 ? 1 : cw > w ? w : cw;
    p->crop_y = (h - ch) / 2;
    p->crop_x = (w - cw) / 2;
    p->crop_h = ch;
    p->crop_w = cw;
}

static float factor(rcc_rng *r, float x)
{
    double lo = 1.0 - x < 0 ? 0 : 1.0 - x;
    return (float)uniform_in(r, lo, 1.0 + x);
}

void rcc_aug_sample(const rcc_aug_config *a, int c, int h, int w, int s, uint64_t seed, uint64_t epoch, int index,
                    int view, rcc_aug_params *p)
{
    (void)c;
    rcc_rng r;
    rcc_rng_init(&r, seed, view_stream(epoch, index, view));
    memset(p, 0, sizeof *p);
    p->crop_h = h;
    p->crop_w = w;
    if (bernoulli(&r, a->crop_prob))
        sample_crop(a, h, w, &r, p);
    p->flip = bernoulli(&r, a->flip_prob);
    for (int i = 0; i < 4; i++)
        p->jitter_order[i] = i;
    p->brightness = p->contrast = p->saturation = 1;
    p->hue = 0;
    p->jitter = bernoulli(&r, a->jitter_prob);
    if (p->jitter) {
        for (int i = 3; i > 0; i--) { /* torch.randperm(4) */
            int j = randint(&r, i + 1), t = p->jitter_order[i];
            p->jitter_order[i] = p->jitter_order[j];
            p->jitter_order[j] = t;
        }
        p->brightness = factor(&r, a->brightness);
        p->contrast = factor(&r, a->contrast);
        p->saturation = factor(&r, a->saturation);
        p->hue = (float)uniform_in(&r, -a->hue, a->hue);
    }
    p->gray = bernoulli(&r, a->gray_prob);
    p->blur = bernoulli(&r, a->blur_prob);
    p->blur_kernel = 1;
    if (p->blur) {
        p->blur_sigma = (float)uniform_in(&r, a->blur_sigma_min, a->blur_sigma_max);
        p->blur_kernel = rcc_aug_blur_kernel(a, s);
    }
    if (a->rotate_deg > 0) /* drawn last, so the other choices do not depend on it */
        p->rotate = (float)uniform_in(&r, -a->rotate_deg, a->rotate_deg);
}

/* ---------------------------------------------------------------- the operations */

static inline float clamp01(float x) { return x < 0 ? 0 : x > 1 ? 1 : x; }


/* torchvision _blend(img, other, f) with a constant other: clamp(f·img + (1−f)·other). */
static void blend_const(float *x, size_t n, float f, float other)
{
    float g = (float)(1.0 - (double)f);
    for (size_t i = 0; i < n; i++)
        x[i] = clamp01(f * x[i] + g * other);
}

static void adjust_contrast(float *x, int c, size_t hw, float f)
{
    double sum = 0;
    if (c == 3) {
        for (size_t i = 0; i < hw; i++)
            sum += rcc_luma(x[i], x[hw + i], x[2 * hw + i]);
        blend_const(x, 3 * hw, f, (float)(sum / hw));
    } else {
        for (size_t i = 0; i < (size_t)c * hw; i++)
            sum += x[i];
        blend_const(x, (size_t)c * hw, f, (float)(sum / ((double)c * hw)));
    }
}

static void adjust_saturation(float *x, size_t hw, float f)
{
    float g = (float)(1.0 - (double)f);
    for (size_t i = 0; i < hw; i++) {
        float l = rcc_luma(x[i], x[hw + i], x[2 * hw + i]);
        for (int ch = 0; ch < 3; ch++)
            x[ch * hw + i] = clamp01(f * x[ch * hw + i] + g * l);
    }
}

/* torchvision _rgb2hsv, hue shift modulo 1, _hsv2rgb, all in float. */
static void adjust_hue(float *x, size_t hw, float shift)
{
    for (size_t i = 0; i < hw; i++) {
        float r = x[i], g = x[hw + i], b = x[2 * hw + i];
        float maxc = fmaxf(r, fmaxf(g, b)), minc = fminf(r, fminf(g, b));
        bool eqc = maxc == minc;
        float cr = maxc - minc;
        float s = cr / (eqc ? 1.0f : maxc);
        float div = eqc ? 1.0f : cr;
        float rc = (maxc - r) / div, gc = (maxc - g) / div, bc = (maxc - b) / div;
        float hsum;
        if (maxc == r)
            hsum = bc - gc;
        else if (maxc == g)
            hsum = 2.0f + rc - bc;
        else
            hsum = 4.0f + gc - rc;
        float h = fmodf(hsum / 6.0f + 1.0f, 1.0f);
        h = h + shift;
        h = h - floorf(h); /* Python's % 1.0 */
        if (h >= 1.0f)
            h = 0;
        float v = maxc;
        float fi = floorf(h * 6.0f), f = h * 6.0f - fi;
        int k = ((int)fi % 6 + 6) % 6;
        float pp = clamp01(v * (1.0f - s)), q = clamp01(v * (1.0f - s * f)), t = clamp01(v * (1.0f - s * (1.0f - f)));
        float o[3];
        switch (k) {
        case 0: o[0] = v, o[1] = t, o[2] = pp; break;
        case 1: o[0] = q, o[1] = v, o[2] = pp; break;
        case 2: o[0] = pp, o[1] = v, o[2] = t; break;
        case 3: o[0] = pp, o[1] = q, o[2] = v; break;
        case 4: o[0] = t, o[1] = pp, o[2] = v; break;
        default: o[0] = v, o[1] = pp, o[2] = q; break;
        }
        x[i] = o[0];
        x[hw + i] = o[1];
        x[2 * hw + i] = o[2];
    }
}

/* Index into [0, n) of position i under reflection without repeating the edge (torch 'reflect'). */
static inline int reflect(int i, int n)
{
    if (n == 1)
        return 0;
    int period = 2 * (n - 1);
    i %= period;
    if (i < 0)
        i += period;
    return i < n ? i : period - i;
}

/* Separable Gaussian blur with torchvision's kernel (linspace(−(k−1)/2, (k−1)/2, k), normalised) and
 * reflect padding, in place on each s×s plane. */
static void gaussian_blur(float *x, int c, int s, int k, float sigma)
{
    float kern[k];
    float half = (float)(k - 1) * 0.5f;
    double sum = 0;
    for (int i = 0; i < k; i++) {
        float xi = k > 1 ? -half + (2 * half) * (float)i / (float)(k - 1) : 0;
        float z = xi / sigma;
        kern[i] = expf(-0.5f * z * z);
        sum += kern[i];
    }
    for (int i = 0; i < k; i++)
        kern[i] = (float)(kern[i] / sum);
    int pad = k / 2;
    float line[s + 2 * pad];
    for (int ch = 0; ch < c; ch++) {
        float *p = x + (size_t)ch * s * s;
        for (int y = 0; y < s; y++) { /* rows */
            float *row = p + (size_t)y * s;
            for (int i = -pad; i < s + pad; i++)
                line[i + pad] = row[reflect(i, s)];
            for (int xx = 0; xx < s; xx++) {
                float acc = 0;
                for (int j = 0; j < k; j++)
                    acc += kern[j] * line[xx + j];
                row[xx] = acc;
            }
        }
        for (int xx = 0; xx < s; xx++) { /* columns */
            for (int i = -pad; i < s + pad; i++)
                line[i + pad] = p[(size_t)reflect(i, s) * s + xx];
            for (int y = 0; y < s; y++) {
                float acc = 0;
                for (int j = 0; j < k; j++)
                    acc += kern[j] * line[y + j];
                p[(size_t)y * s + xx] = acc;
            }
        }
    }
}

/* The crop region resampled to s×s after rotating it by `deg` about its centre: bilinear, with
 * zeros outside the image (the background of digits). */
static void rotated_crop(rcc_pixels img, int c, int h, int w, const rcc_aug_params *p, float deg, float *out, int s)
{
    double th = deg * 3.14159265358979323846 / 180.0, co = cos(th), si = sin(th);
    double cx = p->crop_x + 0.5 * p->crop_w, cy = p->crop_y + 0.5 * p->crop_h;
    double sx = (double)p->crop_w / s, sy = (double)p->crop_h / s;
    for (int oy = 0; oy < s; oy++)
        for (int ox = 0; ox < s; ox++) {
            double u = (ox + 0.5) * sx - 0.5 * p->crop_w, v = (oy + 0.5) * sy - 0.5 * p->crop_h;
            double x = cx + co * u - si * v - 0.5, y = cy + si * u + co * v - 0.5; /* pixel-centre coordinates */
            int x0 = (int)floor(x), y0 = (int)floor(y);
            double fx = x - x0, fy = y - y0;
            for (int ch = 0; ch < c; ch++) {
                size_t plane = (size_t)ch * h * w;
                double acc = 0;
                for (int dy = 0; dy < 2; dy++)
                    for (int dx = 0; dx < 2; dx++) {
                        int yy = y0 + dy, xx = x0 + dx;
                        if (yy < 0 || xx < 0 || yy >= h || xx >= w)
                            continue;
                        acc += (dy ? fy : 1 - fy) * (dx ? fx : 1 - fx) * rcc_px(img, plane + (size_t)yy * w + xx);
                    }
                out[(size_t)ch * s * s + (size_t)oy * s + ox] = (float)acc;
            }
        }
}

static void aug_apply_px(const rcc_aug_params *p, rcc_pixels img, int c, int h, int w, int s, float *out)
{
    size_t hw = (size_t)s * s, n = (size_t)c * hw;
    if (p->rotate != 0)
        rotated_crop(img, c, h, w, p, p->rotate, out, s);
    else
        rcc_resize_region_px(img, c, h, w, p->crop_y, p->crop_x, p->crop_h, p->crop_w, out, s, s);
    if (p->flip)
        for (int ch = 0; ch < c; ch++)
            for (int y = 0; y < s; y++) {
                float *row = out + ch * hw + (size_t)y * s;
                for (int i = 0, j = s - 1; i < j; i++, j--) {
                    float t = row[i];
                    row[i] = row[j];
                    row[j] = t;
                }
            }
    if (p->jitter)
        for (int i = 0; i < 4; i++) {
            switch ((rcc_jitter_op)p->jitter_order[i]) {
            case RCC_JIT_BRIGHTNESS: blend_const(out, n, p->brightness, 0.0f); break;
            case RCC_JIT_CONTRAST: adjust_contrast(out, c, hw, p->contrast); break;
            case RCC_JIT_SATURATION:
                if (c == 3) /* a no-op on one channel, as in torchvision */
                    adjust_saturation(out, hw, p->saturation);
                break;
            case RCC_JIT_HUE:
                if (c == 3)
                    adjust_hue(out, hw, p->hue);
                break;
            }
        }
    if (p->gray && c == 3)
        for (size_t i = 0; i < hw; i++)
            out[i] = out[hw + i] = out[2 * hw + i] = rcc_luma(out[i], out[hw + i], out[2 * hw + i]);
    if (p->blur && p->blur_kernel > 1)
        gaussian_blur(out, c, s, p->blur_kernel, p->blur_sigma);
    for (size_t i = 0; i < n; i++)
        out[i] = clamp01(out[i]);
}

void rcc_aug_apply(const rcc_aug_params *p, const float *img, int c, int h, int w, int s, float *out)
{
    aug_apply_px(p, (rcc_pixels){img, NULL}, c, h, w, s, out);
}

void rcc_augment(const rcc_aug_config *a, const rcc_dataset *d, int index, int s, uint64_t seed, uint64_t epoch,
                 int view, float *out)
{
    rcc_aug_params p;
    rcc_aug_sample(a, d->c, d->h, d->w, s, seed, epoch, index, view, &p);
    aug_apply_px(&p, rcc_dataset_pixels(d, index), d->c, d->h, d->w, s, out);
}

void rcc_eval_view(const rcc_dataset *d, int index, int s, float *out)
{
    rcc_resize_region_px(rcc_dataset_pixels(d, index), d->c, d->h, d->w, 0, 0, d->h, d->w, out, s, s);
}
