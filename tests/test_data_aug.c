/* test_data_aug.c — resize against PyTorch, each augmentation against torchvision (fixtures from
 * tests/reference/make_data_fixtures.py), the statistics of the random choices, determinism, the
 * loader's epoch semantics (shuffle, drop-last, resume, thread-count independence), and its
 * throughput at 64×64. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "data/data.h"
#include "safetensors.h"
#include "test_data_common.h"
#include "testutil.h"

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define SANITIZED 1
#else
#define SANITIZED 0
#endif

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + 1e-9 * t.tv_nsec;
}

static double max_abs_diff(const float *a, const float *b, size_t n)
{
    double m = 0;
    for (size_t i = 0; i < n; i++)
        m = fmax(m, fabs((double)a[i] - b[i]));
    return m;
}

/* ---------------------------------------------------------------- fixtures */

static void test_resize_fixture(void)
{
    rcc_st_file f;
    rcc_status st = rcc_st_load(&f, RCC_FIXTURES "/resize.safetensors");
    CHECK(st == RCC_OK, "resize fixture: %s", rcc_last_error());
    if (st != RCC_OK)
        return;
    double worst = 0;
    int cases = 0;
    for (int k = 0;; k++) {
        char in[32], out[32];
        snprintf(in, sizeof in, "in.%d", k);
        snprintf(out, sizeof out, "out.%d", k);
        const rcc_st_tensor *ti = rcc_st_find(&f, in), *to = rcc_st_find(&f, out);
        if (!ti || !to)
            break;
        int c = (int)ti->dims[0], h = (int)ti->dims[1], w = (int)ti->dims[2], s = (int)to->dims[1];
        float *x = malloc(ti->numel * sizeof *x), *want = malloc(to->numel * sizeof *want),
              *got = malloc(to->numel * sizeof *got);
        CHECK_OK(rcc_st_read_f32(&f, in, x, ti->numel));
        CHECK_OK(rcc_st_read_f32(&f, out, want, to->numel));
        rcc_resize_bilinear(x, c, h, w, got, s);
        char what[96];
        snprintf(what, sizeof what, "resize %dx%dx%d -> %d vs PyTorch", c, h, w, s);
        close_elem(what, got, want, to->numel, 0, 1e-6);
        double e = max_abs_diff(got, want, to->numel);
        worst = fmax(worst, e);
        printf("  resize %dx%dx%d -> %dx%d: max |C - PyTorch| = %.2g\n", c, h, w, s, s, e);
        free(x);
        free(want);
        free(got);
        cases++;
    }
    CHECK(cases >= 7, "resize fixture has %d cases", cases);
    printf("  resize: worst difference from PyTorch over %d cases: %.2g\n", cases, worst);
    rcc_st_close(&f);
}

static void test_augment_fixture(void)
{
    rcc_st_file f;
    rcc_status st = rcc_st_load(&f, RCC_FIXTURES "/augment.safetensors");
    CHECK(st == RCC_OK, "augment fixture: %s", rcc_last_error());
    if (st != RCC_OK)
        return;
    static const char *names[] = {"crop_gray",     "crop_rgb",      "crop_full", "jitter_rgb_a", "jitter_rgb_b",
                                  "jitter_rgb_c",  "jitter_gray_a", "jitter_gray_b", "grayscale", "blur_gray",
                                  "blur_rgb",      "blur_wide",     "all_rgb",   "all_gray"};
    for (size_t k = 0; k < sizeof names / sizeof *names; k++) {
        char in[64], out[64], par[64];
        snprintf(in, sizeof in, "in.%s", names[k]);
        snprintf(out, sizeof out, "out.%s", names[k]);
        snprintf(par, sizeof par, "params.%s", names[k]);
        const rcc_st_tensor *ti = rcc_st_find(&f, in), *to = rcc_st_find(&f, out);
        CHECK(ti && to, "augment fixture lacks %s", names[k]);
        if (!ti || !to)
            continue;
        float pv[18];
        CHECK_OK(rcc_st_read_f32(&f, par, pv, 18));
        rcc_aug_params p = {0};
        p.crop_y = (int)pv[0], p.crop_x = (int)pv[1], p.crop_h = (int)pv[2], p.crop_w = (int)pv[3];
        p.jitter = pv[4] != 0;
        for (int i = 0; i < 4; i++)
            p.jitter_order[i] = (int)pv[5 + i];
        p.brightness = pv[9], p.contrast = pv[10], p.saturation = pv[11], p.hue = pv[12];
        p.gray = pv[13] != 0;
        p.blur = pv[14] != 0;
        p.blur_sigma = pv[15];
        p.blur_kernel = (int)pv[16];
        int s = (int)pv[17], c = (int)ti->dims[0], h = (int)ti->dims[1], w = (int)ti->dims[2];
        float *x = malloc(ti->numel * sizeof *x), *want = malloc(to->numel * sizeof *want),
              *got = malloc(to->numel * sizeof *got);
        CHECK_OK(rcc_st_read_f32(&f, in, x, ti->numel));
        CHECK_OK(rcc_st_read_f32(&f, out, want, to->numel));
        CHECK(to->numel == (size_t)c * s * s, "%s: fixture output size", names[k]);
        rcc_aug_apply(&p, x, c, h, w, s, got);
        char what[96];
        snprintf(what, sizeof what, "%s vs torchvision", names[k]);
        close_elem(what, got, want, to->numel, 0, 2e-6);
        printf("  %-14s (%dx%dx%d -> %d): max |C - torchvision| = %.2g\n", names[k], c, h, w, s,
               max_abs_diff(got, want, to->numel));
        free(x);
        free(want);
        free(got);
    }
    rcc_st_close(&f);
}

/* rcc_aug_preset of a preset given by name (rcc_augment_preset_parse). */
static rcc_status aug_preset_named(rcc_aug_config *a, const char *name)
{
    rcc_augment_preset p;
    rcc_status st = rcc_augment_preset_parse(name, &p);
    return st == RCC_OK ? rcc_aug_preset(a, p) : st;
}

/* ---------------------------------------------------------------- statistics of the choices */

static void test_aug_stats(void)
{
    rcc_aug_config a;
    CHECK_OK(aug_preset_named(&a, "paper"));
    CHECK(a.crop_area_min == 0.08f && a.crop_area_max == 1 && fabsf(a.crop_ratio_min - 0.75f) < 1e-7f &&
              fabsf(a.crop_ratio_max - 4.0f / 3) < 1e-7f && a.jitter_prob == 0.8f && a.brightness == 0.4f &&
              a.contrast == 0.4f && a.saturation == 0.4f && a.hue == 0.1f && a.gray_prob == 0.2f &&
              a.blur_prob == 0.5f && a.blur_sigma_min == 0.1f && a.blur_sigma_max == 2.0f && a.flip_prob == 0 &&
              a.crop_prob == 1,
          "paper preset is docs/method.md §3");
    CHECK(rcc_aug_blur_kernel(&a, 64) == 7 && rcc_aug_blur_kernel(&a, 224) == 23 && rcc_aug_blur_kernel(&a, 32) == 3,
          "blur kernel 10%% of S made odd: %d %d %d", rcc_aug_blur_kernel(&a, 64), rcc_aug_blur_kernel(&a, 224),
          rcc_aug_blur_kernel(&a, 32));
    CHECK(aug_preset_named(&a, "bogus") == RCC_ERR_ARG, "unknown preset refused");
    CHECK(rcc_aug_preset(&a, (rcc_augment_preset)4) == RCC_ERR_ARG, "a preset out of range refused");

    enum { M = 20000, SIDE = 256 };
    for (int pi = 0; pi < 2; pi++) {
        const char *preset = pi ? "cpu" : "paper";
        CHECK_OK(aug_preset_named(&a, preset));
        double lo = a.crop_area_min, want_big = pi ? 0.3285 : 0.1547, want_mean = pi ? 0.6931 : 0.4793;
        int bins[6] = {0}, big = 0, out_of_range = 0, jit = 0, gray = 0, blur = 0, first[4] = {0}, bad_perm = 0;
        double amin = 1, amax = 0, asum = 0, lr_sum = 0, lr_min = 9, lr_max = -9, pos = 0, bsum = 0, fmin_ = 9,
               fmax_ = -9, hmin = 9, hmax = -9, hsum = 0, smin = 9, smax = -9, ssum = 0, blow = 0;
        int npos = 0, kernel_bad = 0;
        for (int i = 0; i < M; i++) {
            rcc_aug_params p;
            rcc_aug_sample(&a, 1, SIDE, SIDE, 64, 1, 0, i, 0, &p);
            double area = (double)p.crop_h * p.crop_w / (SIDE * SIDE);
            amin = fmin(amin, area), amax = fmax(amax, area), asum += area;
            if (p.crop_y < 0 || p.crop_x < 0 || p.crop_y + p.crop_h > SIDE || p.crop_x + p.crop_w > SIDE)
                out_of_range++;
            if (area >= 0.75)
                big++;
            else if (area >= lo)
                bins[(int)((area - lo) / (0.75 - lo) * 6)]++;
            double lr = log((double)p.crop_w / p.crop_h);
            lr_sum += lr, lr_min = fmin(lr_min, lr), lr_max = fmax(lr_max, lr);
            if (p.crop_h < SIDE) {
                pos += (double)p.crop_y / (SIDE - p.crop_h);
                npos++;
            }
            if (p.jitter) {
                jit++;
                int seen = 0;
                for (int k = 0; k < 4; k++)
                    seen |= 1 << p.jitter_order[k];
                bad_perm += seen != 15;
                first[p.jitter_order[0] & 3]++;
                float fs[3] = {p.brightness, p.contrast, p.saturation};
                for (int k = 0; k < 3; k++)
                    fmin_ = fmin(fmin_, fs[k]), fmax_ = fmax(fmax_, fs[k]);
                bsum += p.brightness;
                blow += p.brightness < 0.8f;
                hmin = fmin(hmin, p.hue), hmax = fmax(hmax, p.hue), hsum += p.hue;
            }
            gray += p.gray;
            if (p.blur) {
                blur++;
                smin = fmin(smin, p.blur_sigma), smax = fmax(smax, p.blur_sigma), ssum += p.blur_sigma;
                kernel_bad += p.blur_kernel != 7;
            }
        }
        printf("  %s preset over %d draws: crop area %.3f..%.3f (mean %.4f, want %.4f), P(area>=0.75) %.4f (want "
               "%.4f), log-ratio %.3f..%.3f; jitter %.4f, gray %.4f, blur %.4f\n",
               preset, M, amin, amax, asum / M, want_mean, (double)big / M, want_big, lr_min, lr_max, (double)jit / M,
               (double)gray / M, (double)blur / M);
        CHECK(out_of_range == 0, "%s: %d crops outside the image", preset, out_of_range);
        CHECK(amin >= lo * 0.98 && amax <= 1.0, "%s: crop area range %.4f..%.4f outside [%.2f, 1]", preset, amin, amax,
              lo);
        CHECK(amin < lo * 1.05, "%s: smallest crop area %.4f, expected near %.2f", preset, amin, lo);
        CHECK(fabs(asum / M - want_mean) < 0.01, "%s: mean crop area %.4f, torchvision's algorithm gives %.4f", preset,
              asum / M, want_mean);
        CHECK(fabs((double)big / M - want_big) < 0.012,
              "%s: P(area >= 0.75) = %.4f, torchvision's algorithm gives %.4f", preset, (double)big / M, want_big);
        int bmin = bins[0], bmax = bins[0];
        for (int k = 1; k < 6; k++)
            bmin = bins[k] < bmin ? bins[k] : bmin, bmax = bins[k] > bmax ? bins[k] : bmax;
        CHECK(bmax - bmin < 0.12 * (bmax + bmin) / 2, "%s: crop area not uniform below 0.75: bins %d..%d", preset, bmin,
              bmax);
        CHECK(lr_min >= log(0.75) - 0.02 && lr_max <= log(4.0 / 3) + 0.02 && fabs(lr_sum / M) < 0.01,
              "%s: log aspect ratio %.3f..%.3f mean %.4f", preset, lr_min, lr_max, lr_sum / M);
        CHECK(fabs(pos / npos - 0.5) < 0.01, "%s: crop position mean %.4f (want uniform, 0.5)", preset, pos / npos);
        CHECK(fabs((double)jit / M - 0.8) < 0.015, "%s: jitter probability %.4f", preset, (double)jit / M);
        CHECK(bad_perm == 0, "%s: %d jitter orders are not permutations", preset, bad_perm);
        for (int k = 0; k < 4; k++)
            CHECK(fabs((double)first[k] / jit - 0.25) < 0.02, "%s: op %d first in %.3f of jitters (want 0.25)", preset,
                  k, (double)first[k] / jit);
        CHECK(fmin_ >= 0.6 && fmax_ <= 1.4 && fmin_ < 0.61 && fmax_ > 1.39, "%s: jitter factors %.4f..%.4f", preset,
              fmin_, fmax_);
        CHECK(fabs(bsum / jit - 1) < 0.01 && fabs(blow / jit - 0.25) < 0.015,
              "%s: brightness mean %.4f, P(<0.8) %.4f (uniform on [0.6, 1.4])", preset, bsum / jit, blow / jit);
        CHECK(hmin >= -0.1 && hmax <= 0.1 && hmin < -0.099 && hmax > 0.099 && fabs(hsum / jit) < 0.003,
              "%s: hue %.4f..%.4f mean %.4f", preset, hmin, hmax, hsum / jit);
        CHECK(fabs((double)gray / M - 0.2) < 0.012, "%s: grayscale probability %.4f", preset, (double)gray / M);
        CHECK(fabs((double)blur / M - 0.5) < 0.015, "%s: blur probability %.4f", preset, (double)blur / M);
        double smax_want = a.blur_sigma_max, smean = (0.1 + smax_want) / 2;
        CHECK(smin >= 0.1 && smax <= smax_want && fabs(ssum / blur - smean) < 0.02 && kernel_bad == 0,
              "%s: blur sigma %.3f..%.3f mean %.3f (want %.3f), %d kernels not 7", preset, smin, smax, ssum / blur,
              smean, kernel_bad);
    }

    /* Every probability is a knob. */
    CHECK_OK(aug_preset_named(&a, "paper"));
    a.crop_prob = 0;
    a.jitter_prob = 0;
    a.gray_prob = 1;
    a.blur_prob = 1;
    a.flip_prob = 0.5f;
    int full = 0, jit = 0, gray = 0, blur = 0, flip = 0;
    for (int i = 0; i < 4000; i++) {
        rcc_aug_params p;
        rcc_aug_sample(&a, 3, 30, 40, 32, 5, 2, i, 1, &p);
        full += p.crop_y == 0 && p.crop_x == 0 && p.crop_h == 30 && p.crop_w == 40;
        jit += p.jitter, gray += p.gray, blur += p.blur, flip += p.flip;
    }
    CHECK(full == 4000 && jit == 0 && gray == 4000 && blur == 4000 && fabs(flip / 4000.0 - 0.5) < 0.04,
          "probability knobs: full %d jitter %d gray %d blur %d flip %d", full, jit, gray, blur, flip);
    a.crop_prob = 1;
    a.crop_area_min = a.crop_area_max = 0.25f;
    a.crop_ratio_min = a.crop_ratio_max = 1;
    rcc_aug_params p;
    rcc_aug_sample(&a, 1, 100, 100, 32, 5, 0, 0, 0, &p);
    CHECK(p.crop_h == 50 && p.crop_w == 50, "fixed crop area 0.25, ratio 1 gives 50x50 (got %dx%d)", p.crop_h,
          p.crop_w);
    a.crop_area_min = 0.9f, a.crop_area_max = 1, a.crop_ratio_min = 3, a.crop_ratio_max = 4;
    rcc_aug_sample(&a, 1, 100, 100, 32, 5, 0, 0, 0, &p);
    CHECK(p.crop_h == 33 && p.crop_w == 100 && p.crop_y == 33 && p.crop_x == 0, /* h = round(100 / 3) */
          "impossible ratios fall back to torchvision's centre crop (got %d,%d %dx%d)", p.crop_y, p.crop_x, p.crop_h,
          p.crop_w);
    a.jitter_prob = 2;
    CHECK(rcc_aug_check(&a) == RCC_ERR_ARG, "probability 2 refused");
    CHECK_OK(aug_preset_named(&a, "paper"));
    a.crop_area_min = 0;
    CHECK(rcc_aug_check(&a) == RCC_ERR_ARG, "crop area 0 refused");
    CHECK_OK(aug_preset_named(&a, "cpu"));
    CHECK_OK(rcc_aug_check(&a));
}

/* ---------------------------------------------------------------- applying */

static void make_set(rcc_dataset *d, int n, int c, int h, int w, uint64_t seed)
{
    memset(d, 0, sizeof *d);
    d->n = n, d->c = c, d->h = h, d->w = w;
    d->pix = malloc((size_t)n * c * h * w * sizeof *d->pix);
    rcc_rng r;
    rcc_rng_init(&r, seed, 0);
    for (size_t i = 0; i < (size_t)n * c * h * w; i++)
        d->pix[i] = (float)rcc_rng_uniform(&r);
}

static void test_aug_apply(void)
{
    rcc_aug_config a;
    aug_preset_named(&a, "paper");
    rcc_dataset d;
    make_set(&d, 4, 3, 20, 24, 9);
    enum { S = 32 };
    float v0[3 * S * S], v0b[3 * S * S], v1[3 * S * S], e1[3 * S * S], s1[3 * S * S];
    rcc_augment(&a, &d, 2, S, 7, 3, 0, v0);
    rcc_augment(&a, &d, 2, S, 7, 3, 0, v0b);
    CHECK(memcmp(v0, v0b, sizeof v0) == 0, "same (seed, epoch, index, view) gives the same view");
    rcc_augment(&a, &d, 2, S, 7, 3, 1, v1);
    CHECK(memcmp(v0, v1, sizeof v0) != 0, "another view id gives another view");
    rcc_augment(&a, &d, 2, S, 7, 4, 0, e1);
    CHECK(memcmp(v0, e1, sizeof v0) != 0, "another epoch gives another view");
    rcc_augment(&a, &d, 2, S, 8, 3, 0, s1);
    CHECK(memcmp(v0, s1, sizeof v0) != 0, "another seed gives another view");
    rcc_augment(&a, &d, 3, S, 7, 3, 0, s1);
    CHECK(memcmp(v0, s1, sizeof v0) != 0, "another index gives another view");
    int distinct = 0;
    for (int i = 0; i < 64; i++) {
        rcc_aug_params p0, p1;
        rcc_aug_sample(&a, 3, 20, 24, S, 7, 0, i, 0, &p0);
        rcc_aug_sample(&a, 3, 20, 24, S, 7, 0, i, 1, &p1);
        distinct += memcmp(&p0, &p1, sizeof p0) != 0;
    }
    CHECK(distinct == 64, "views a and b draw independently (%d of 64 differ)", distinct);

    /* Outputs in [0, 1] even from inputs outside it (float .npy data is taken as is). */
    for (size_t i = 0; i < (size_t)4 * 3 * 20 * 24; i++)
        d.pix[i] = d.pix[i] * 3 - 1;
    bool in01 = true;
    for (int i = 0; i < 200; i++) {
        rcc_augment(&a, &d, i % 4, S, 1, 0, i, v0);
        for (int k = 0; k < 3 * S * S; k++)
            in01 &= v0[k] >= 0 && v0[k] <= 1;
    }
    CHECK(in01, "augmented views are clamped to [0, 1]");
    rcc_dataset_free(&d);

    /* One channel: saturation and hue have no effect; brightness scales. */
    make_set(&d, 1, 1, 16, 16, 3);
    rcc_aug_params p = {.crop_h = 16, .crop_w = 16, .jitter = true, .jitter_order = {2, 3, 0, 1}, .brightness = 1,
                        .contrast = 1, .saturation = 1.4f, .hue = 0.1f, .blur_kernel = 1};
    float g0[16 * 16], g1[16 * 16];
    rcc_aug_apply(&p, d.pix, 1, 16, 16, 16, g0);
    CHECK(memcmp(g0, d.pix, sizeof g0) == 0, "saturation and hue leave a 1-channel image alone");
    for (int i = 0; i < 256; i++)
        d.pix[i] = 0.6f;
    p.brightness = 0.5f;
    rcc_aug_apply(&p, d.pix, 1, 16, 16, 16, g1);
    CHECK(fabsf(g1[0] - 0.3f) < 1e-6f && fabsf(g1[255] - 0.3f) < 1e-6f, "brightness 0.5 on 0.6 gives %g",
          (double)g1[0]);
    p = (rcc_aug_params){.crop_h = 16, .crop_w = 16, .blur_kernel = 1, .flip = true};
    rcc_dataset_free(&d);
    make_set(&d, 1, 1, 16, 16, 4);
    rcc_aug_apply(&p, d.pix, 1, 16, 16, 16, g1);
    bool mirrored = true;
    for (int y = 0; y < 16; y++)
        for (int x = 0; x < 16; x++)
            mirrored &= g1[y * 16 + x] == d.pix[y * 16 + 15 - x];
    CHECK(mirrored, "horizontal flip mirrors the rows");
    rcc_eval_view(&d, 0, 16, g0);
    CHECK(memcmp(g0, d.pix, sizeof g0) == 0, "evaluation view at the image's own size is the image");
    rcc_dataset_free(&d);
}

/* ---------------------------------------------------------------- loader */

/* All batches of one epoch (TRAIN) into buf/idx; returns the number of batches. */
static int run_epoch(rcc_loader *l, uint64_t epoch, int start, float *buf, int *idx, int batch, size_t img)
{
    CHECK_OK(rcc_loader_start_epoch(l, epoch, start));
    int b = 0, count;
    for (;;) {
        rcc_status st = rcc_loader_next(l, buf + (size_t)b * 2 * batch * img, idx + (size_t)b * batch, &count);
        CHECK(st == RCC_OK, "loader next: %s", rcc_last_error());
        if (st != RCC_OK || count == 0)
            break;
        CHECK(count == batch, "training batch %d has %d images, want %d", b, count, batch);
        b++;
    }
    return b;
}

/* A data set held as bytes (as PNG, JPEG and IDX load) gives exactly the views of the same data set
 * held as floats b / 255: every preset, training views and the evaluation view, other sizes too. */
static void test_bytes_views(void)
{
    enum { N = 6, C = 3, H = 21, W = 26, S = 32 };
    rcc_dataset b = {.n = N, .c = C, .h = H, .w = W}, f;
    b.u8 = malloc((size_t)N * C * H * W);
    rcc_rng r;
    rcc_rng_init(&r, 11, 0);
    for (size_t i = 0; i < (size_t)N * C * H * W; i++)
        b.u8[i] = (unsigned char)(rcc_rng_next(&r) >> 56);
    f = b;
    f.u8 = NULL;
    f.pix = malloc((size_t)N * C * H * W * sizeof *f.pix);
    for (size_t i = 0; i < (size_t)N * C * H * W; i++) {
        f.pix[i] = b.u8[i] / 255.0f;
        CHECK(rcc_dataset_px(&b, i) == f.pix[i] && rcc_dataset_px(&f, i) == f.pix[i], "rcc_dataset_px %zu", i);
    }
    const char *presets[3] = {"paper", "cpu", "photo"};
    float vb[C * S * S], vf[C * S * S];
    int differ = 0, cases = 0;
    for (int pi = 0; pi < 3; pi++) {
        rcc_aug_config a;
        CHECK_OK(aug_preset_named(&a, presets[pi]));
        for (int i = 0; i < N; i++)
            for (int view = 0; view < 2; view++)
                for (int s = S - 8; s <= S; s += 8) { /* 24 and 32 */
                    rcc_augment(&a, &b, i, s, 5, (uint64_t)pi, view, vb);
                    rcc_augment(&a, &f, i, s, 5, (uint64_t)pi, view, vf);
                    differ += memcmp(vb, vf, (size_t)C * s * s * sizeof *vb) != 0;
                    cases++;
                }
    }
    for (int i = 0; i < N; i++) {
        rcc_eval_view(&b, i, S, vb);
        rcc_eval_view(&f, i, S, vf);
        differ += memcmp(vb, vf, sizeof vb) != 0;
        cases++;
    }
    CHECK(differ == 0, "bytes and floats: %d of %d views differ", differ, cases);
    free(b.u8);
    free(f.pix);
}

static void test_loader(void)
{
    enum { N = 1000, B = 64, S = 16 };
    rcc_dataset d;
    make_set(&d, N, 1, 12, 12, 11);
    rcc_aug_config a;
    aug_preset_named(&a, "paper");
    size_t img = (size_t)S * S;
    int nb = N / B;
    float *ref = malloc((size_t)nb * 2 * B * img * sizeof *ref), *got = malloc((size_t)nb * 2 * B * img * sizeof *got);
    int *ridx = malloc((size_t)nb * B * sizeof *ridx), *gidx = malloc((size_t)(N + B) * sizeof *gidx);

    rcc_loader *l;
    CHECK_OK(rcc_loader_create(&l, &d, &a, RCC_LOADER_TRAIN, B, S, 42, 2));
    CHECK(rcc_loader_batches_per_epoch(l) == nb, "batches per epoch %d, want %d (last partial dropped)",
          rcc_loader_batches_per_epoch(l), nb);
    int got_b = run_epoch(l, 0, 0, ref, ridx, B, img);
    CHECK(got_b == nb, "epoch yields %d batches, want %d", got_b, nb);
    int *seen = calloc(N, sizeof *seen);
    int dup = 0;
    for (int i = 0; i < nb * B; i++)
        dup += seen[ridx[i]]++ > 0;
    CHECK(dup == 0, "an epoch repeats %d indices", dup);
    bool rows_ok = true;
    float *v = malloc(img * sizeof *v);
    for (int b = 0; b < nb; b++)
        for (int i = 0; i < B; i++)
            for (int view = 0; view < 2; view++) {
                rcc_augment(&a, &d, ridx[b * B + i], S, 42, 0, view, v);
                rows_ok &= memcmp(v, ref + ((size_t)b * 2 * B + (size_t)view * B + i) * img, img * sizeof *v) == 0;
            }
    CHECK(rows_ok, "batch rows 0..N-1 are view 0 and N..2N-1 view 1 of indices[i]");
    int count;
    CHECK_OK(rcc_loader_next(l, got, gidx, &count));
    CHECK(count == 0, "after the last batch, count is 0 (got %d)", count);

    /* The same epoch again, and another epoch. */
    run_epoch(l, 0, 0, got, gidx, B, img);
    CHECK(memcmp(ridx, gidx, (size_t)nb * B * sizeof *ridx) == 0 &&
              memcmp(ref, got, (size_t)nb * 2 * B * img * sizeof *ref) == 0,
          "epoch 0 twice gives identical batches");
    run_epoch(l, 1, 0, got, gidx, B, img);
    CHECK(memcmp(ridx, gidx, (size_t)nb * B * sizeof *ridx) != 0, "epoch 1 is shuffled differently");
    float *e1 = malloc((size_t)nb * 2 * B * img * sizeof *e1);
    int *e1idx = malloc((size_t)nb * B * sizeof *e1idx);
    memcpy(e1, got, (size_t)nb * 2 * B * img * sizeof *e1);
    memcpy(e1idx, gidx, (size_t)nb * B * sizeof *e1idx);

    /* Resume mid-epoch: start at batch 7, also after an interrupted epoch. */
    CHECK_OK(rcc_loader_start_epoch(l, 3, 0));
    CHECK_OK(rcc_loader_next(l, got, gidx, &count));
    CHECK_OK(rcc_loader_next(l, got, gidx, &count)); /* interrupted, with batches in flight */
    int rb = run_epoch(l, 1, 7, got, gidx, B, img);
    CHECK(rb == nb - 7 && memcmp(got, e1 + (size_t)7 * 2 * B * img, (size_t)rb * 2 * B * img * sizeof *got) == 0 &&
              memcmp(gidx, e1idx + 7 * B, (size_t)rb * B * sizeof *gidx) == 0,
          "resuming epoch 1 at batch 7 gives the same batches (%d of %d)", rb, nb - 7);
    CHECK(rcc_loader_start_epoch(l, 0, nb + 1) == RCC_ERR_ARG, "start batch past the end refused");
    rcc_loader_free(l);

    /* Independent of the thread count (0 = synchronous in the caller). */
    for (int t = 0; t <= 3; t++) {
        if (t == 2)
            continue;
        CHECK_OK(rcc_loader_create(&l, &d, &a, RCC_LOADER_TRAIN, B, S, 42, t));
        run_epoch(l, 1, 0, got, gidx, B, img);
        CHECK(memcmp(got, e1, (size_t)nb * 2 * B * img * sizeof *got) == 0 &&
                  memcmp(gidx, e1idx, (size_t)nb * B * sizeof *gidx) == 0,
              "%d thread(s) give the same batches as 2", t);
        rcc_loader_free(l);
    }

    /* Shards (data-parallel training): process r of P gets rows r·B/P .. of each batch, both
     * views, exactly as one process would see them. */
    enum { P = 4, BP = B / P };
    bool shard_ok = true;
    for (int r = 0; r < P; r++) {
        CHECK_OK(rcc_loader_create(&l, &d, &a, RCC_LOADER_TRAIN, B, S, 42, r % 3));
        CHECK_OK(rcc_loader_set_shard(l, r, P));
        CHECK(rcc_loader_batches_per_epoch(l) == nb, "a shard has as many batches as the whole");
        CHECK_OK(rcc_loader_start_epoch(l, 1, 0));
        for (int b = 0; b < nb; b++) {
            CHECK_OK(rcc_loader_next(l, got, gidx, &count));
            shard_ok &= count == BP;
            for (int view = 0; view < 2; view++)
                shard_ok &= memcmp(got + (size_t)view * BP * img,
                                   e1 + ((size_t)b * 2 * B + (size_t)view * B + (size_t)r * BP) * img,
                                   (size_t)BP * img * sizeof *got) == 0;
            shard_ok &= memcmp(gidx, e1idx + b * B + r * BP, BP * sizeof *gidx) == 0;
        }
        CHECK_OK(rcc_loader_next(l, got, gidx, &count));
        shard_ok &= count == 0;
        CHECK(rcc_loader_set_shard(l, 0, 2) == RCC_ERR_ARG, "no re-sharding after the epoch started");
        rcc_loader_free(l);
    }
    CHECK(shard_ok, "the %d shards of each batch are its rows, both views, in order", P);
    CHECK_OK(rcc_loader_create(&l, &d, &a, RCC_LOADER_TRAIN, B, S, 42, 0));
    CHECK(rcc_loader_set_shard(l, 0, 3) == RCC_ERR_ARG, "a batch of 64 is not split in 3 shards");
    CHECK(rcc_loader_set_shard(l, 2, 2) == RCC_ERR_ARG, "rank 2 of 2 refused");
    rcc_loader_free(l);

    /* Many restarts while workers are busy (races show up under the sanitizers). */
    CHECK_OK(rcc_loader_create(&l, &d, &a, RCC_LOADER_TRAIN, B, S, 42, 3));
    for (int r = 0; r < 50; r++) {
        CHECK_OK(rcc_loader_start_epoch(l, (uint64_t)r % 3, r % nb));
        if (r % 2)
            CHECK_OK(rcc_loader_next(l, got, gidx, &count));
    }
    run_epoch(l, 1, 0, got, gidx, B, img);
    CHECK(memcmp(got, e1, (size_t)nb * 2 * B * img * sizeof *got) == 0, "restarts leave the loader consistent");
    rcc_loader_free(l); /* freed with work in flight */
    CHECK_OK(rcc_loader_create(&l, &d, &a, RCC_LOADER_TRAIN, B, S, 42, 2));
    CHECK_OK(rcc_loader_start_epoch(l, 0, 0));
    rcc_loader_free(l);

    /* EVAL: every image once, in order, last batch short, evaluation views. */
    CHECK_OK(rcc_loader_create(&l, &d, NULL, RCC_LOADER_EVAL, B, S, 0, 2));
    CHECK(rcc_loader_batches_per_epoch(l) == (N + B - 1) / B, "eval batches per epoch");
    CHECK_OK(rcc_loader_start_epoch(l, 0, 0));
    int next = 0, nbatch = 0;
    bool order_ok = true, eval_ok = true;
    for (;;) {
        CHECK_OK(rcc_loader_next(l, got, gidx, &count));
        if (!count)
            break;
        nbatch++;
        for (int i = 0; i < count; i++) {
            order_ok &= gidx[i] == next + i;
            rcc_eval_view(&d, next + i, S, v);
            eval_ok &= memcmp(v, got + i * img, img * sizeof *v) == 0;
        }
        next += count;
        if (count < B)
            CHECK(count == N % B, "last eval batch has %d images, want %d", count, N % B);
    }
    CHECK(next == N && nbatch == (N + B - 1) / B && order_ok && eval_ok,
          "eval covers %d of %d images in order (%d batches), evaluation views", next, N, nbatch);
    rcc_loader_free(l);

    /* Argument errors. */
    CHECK(rcc_loader_create(&l, &d, &a, RCC_LOADER_TRAIN, 0, S, 1, 1) == RCC_ERR_ARG, "batch 0 refused");
    CHECK(rcc_loader_create(&l, &d, &a, RCC_LOADER_TRAIN, N + 1, S, 1, 1) == RCC_ERR_ARG,
          "training batch larger than the data set refused");
    CHECK(rcc_loader_create(&l, &d, NULL, RCC_LOADER_TRAIN, B, S, 1, 1) == RCC_ERR_ARG, "training without aug refused");
    a.blur_prob = -1;
    CHECK(rcc_loader_create(&l, &d, &a, RCC_LOADER_TRAIN, B, S, 1, 1) == RCC_ERR_ARG, "bad aug config refused");
    CHECK_OK(rcc_loader_create(&l, &d, NULL, RCC_LOADER_EVAL, N + 5, S, 1, 1));
    CHECK(rcc_loader_next(l, got, gidx, &count) == RCC_ERR_ARG && count == 0, "next before start_epoch refused");
    CHECK_OK(rcc_loader_start_epoch(l, 0, 0));
    CHECK_OK(rcc_loader_next(l, got, gidx, &count));
    CHECK(count == N, "one eval batch larger than the data set holds all %d images (got %d)", N, count);
    rcc_loader_free(l);

    free(v);
    free(seen);
    free(e1);
    free(e1idx);
    free(ref);
    free(got);
    free(ridx);
    free(gidx);
    rcc_dataset_free(&d);
}

/* ---------------------------------------------------------------- throughput */

static void test_throughput(void)
{
    rcc_dataset d;
    const char *img = mnist_images();
    bool real = img && rcc_dataset_load(&d, &img, 1, NULL) == RCC_OK;
    if (!real)
        make_set(&d, 10000, 1, 28, 28, 5);
    rcc_aug_config a;
    aug_preset_named(&a, "paper");
    enum { B = 256, S = 64 };
    float *out = malloc((size_t)2 * B * S * S * sizeof *out);
    int batches = SANITIZED ? 2 : 12;
    double rate[3] = {0};
    for (int t = 1; t <= 2; t++) {
        rcc_loader *l;
        CHECK_OK(rcc_loader_create(&l, &d, &a, RCC_LOADER_TRAIN, B, S, 1, t));
        CHECK_OK(rcc_loader_start_epoch(l, 0, 0));
        int count;
        CHECK_OK(rcc_loader_next(l, out, NULL, &count)); /* fill the pipeline */
        double t0 = now_s();
        for (int b = 0; b < batches; b++)
            CHECK_OK(rcc_loader_next(l, out, NULL, &count));
        rate[t] = batches * B / (now_s() - t0);
        rcc_loader_free(l);
    }
    printf("  loader throughput (%s, S = %d, paper preset, batch %d, consumer only copies): %.0f pairs/s with 1 "
           "thread, %.0f with 2%s\n",
           real ? "MNIST-test" : "random 28x28", S, B, rate[1], rate[2], SANITIZED ? " (sanitized build)" : "");
    /* a measurement, not a check: timing assertions fail on a busy machine (docs/performance.md) */
    CHECK(rate[1] > 0 && rate[2] > 0, "the loader delivers batches");
    free(out);

    /* Why the cpu preset: how much of a digit's ink a crop keeps (MNIST only). */
    if (real)
        CHECK_OK(rcc_dataset_to_float(&d));
    if (real) {
        for (int pi = 0; pi < 2; pi++) {
            const char *preset = pi ? "cpu" : "paper";
            aug_preset_named(&a, preset);
            double kept = 0;
            int under_half = 0, m = 0;
            for (int i = 0; i < 2000; i++) {
                const float *x = d.pix + (size_t)i * 784;
                rcc_aug_params p;
                rcc_aug_sample(&a, 1, 28, 28, S, 1, 0, i, 0, &p);
                double all = 0, in = 0;
                for (int y = 0; y < 28; y++)
                    for (int xx = 0; xx < 28; xx++) {
                        all += x[y * 28 + xx];
                        if (y >= p.crop_y && y < p.crop_y + p.crop_h && xx >= p.crop_x && xx < p.crop_x + p.crop_w)
                            in += x[y * 28 + xx];
                    }
                kept += in / all;
                under_half += in < 0.5 * all;
                m++;
            }
            printf("  %s preset on MNIST: a crop keeps %.0f%% of the digit's ink on average; %.0f%% of crops keep "
                   "less than half\n",
                   preset, 100 * kept / m, 100.0 * under_half / m);
        }
    }
    rcc_dataset_free(&d);
}

/* Rotation: 90° of the whole image is an exact pixel permutation; 0° is the plain crop; the
 * sampled angle stays in range and leaves the other choices unchanged. */
static void test_rotation(void)
{
    enum { W = 12 };
    float img[W * W], out[W * W], plain[W * W];
    for (int i = 0; i < W * W; i++)
        img[i] = (float)((i * 37) % 101) / 100.0f;
    rcc_aug_params p;
    memset(&p, 0, sizeof p);
    p.crop_h = p.crop_w = W;
    p.brightness = p.contrast = p.saturation = 1;
    p.blur_kernel = 1;
    p.rotate = 90;
    rcc_aug_apply(&p, img, 1, W, W, W, out);
    int bad = 0;
    for (int y = 0; y < W; y++)
        for (int x = 0; x < W; x++)
            bad += fabsf(out[y * W + x] - img[x * W + (W - 1 - y)]) > 1e-5f;
    CHECK(bad == 0, "rotation by 90 degrees is a pixel permutation (%d pixels differ)", bad);
    p.rotate = 0;
    rcc_aug_apply(&p, img, 1, W, W, W, plain);
    p.rotate = 1e-4f; /* the rotation path at a negligible angle agrees with the plain crop */
    rcc_aug_apply(&p, img, 1, W, W, W, out);
    bad = 0;
    for (int i = 0; i < W * W; i++)
        bad += fabsf(out[i] - plain[i]) > 1e-3f;
    CHECK(bad == 0, "a tiny rotation matches the unrotated crop (%d pixels differ)", bad);
    rcc_aug_config a;
    aug_preset_named(&a, "cpu");
    rcc_aug_params q0, q1;
    rcc_aug_sample(&a, 1, 28, 28, 32, 5, 1, 7, 0, &q0);
    a.rotate_deg = 15;
    float lo = 0, hi = 0;
    for (int i = 0; i < 2000; i++) {
        rcc_aug_sample(&a, 1, 28, 28, 32, 5, 1, i, 0, &q1);
        lo = q1.rotate < lo ? q1.rotate : lo;
        hi = q1.rotate > hi ? q1.rotate : hi;
    }
    CHECK(lo >= -15 && hi <= 15 && lo < -14 && hi > 14, "rotation angles cover [-15, 15] (%g..%g)", (double)lo,
          (double)hi);
    rcc_aug_sample(&a, 1, 28, 28, 32, 5, 1, 7, 0, &q1);
    CHECK(q0.crop_x == q1.crop_x && q0.crop_y == q1.crop_y && q0.crop_h == q1.crop_h && q0.blur == q1.blur,
          "enabling rotation leaves the other random choices unchanged");
}

int main(void)
{
    test_rotation();
    test_resize_fixture();
    test_augment_fixture();
    test_aug_stats();
    test_aug_apply();
    test_bytes_views();
    test_loader();
    test_throughput();
    return test_finish("test_data_aug");
}
