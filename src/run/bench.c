/* bench.c — timing the engine (the public rcc_bench API): the median time of one full training
 * step, or of inference, on random images, with the profile of dnn.c when asked. */
#include <stdlib.h>
#include <string.h>
#include "config.h"
#include "../compute.h"
#include "../model.h"
#include "../rng.h"
#include "../train.h"

void rcc_bench_config_default(rcc_bench_config *b)
{
    memset(b, 0, sizeof *b);
    b->batch = 256, b->size = 64, b->steps = 10, b->warmup = 3;
    b->width = 64, b->rep_dim = 3, b->channels = 1, b->clusters = 10;
    b->conv = RCC_CONV_DIRECT;
    b->backbone = RCC_BACKBONE_RESNET18;
    b->precision = RCC_PRECISION_F32;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Sorts t and returns its median. */
static double median_of(double *t, int n)
{
    qsort(t, (size_t)n, sizeof *t, cmp_double);
    return n % 2 ? t[n / 2] : 0.5 * (t[n / 2 - 1] + t[n / 2]);
}

static int prof_cmp(const void *a, const void *b)
{
    double x = ((const rcc_prof_entry *)a)->seconds, y = ((const rcc_prof_entry *)b)->seconds;
    return (x < y) - (x > y);
}

static rcc_status model_config(const rcc_bench_config *b, rcc_model_config *mc)
{
    if (b->steps < 1 || b->warmup < 0 || b->batch < 2)
        return rcc_fail(RCC_ERR_ARG, "benchmark: need steps >= 1, warmup >= 0, batch >= 2");
    rcc_model_config_default(mc);
    RCC_TRY(rcc_names_check(RCC_NAMES_CONV, (int)b->conv));
    RCC_TRY(rcc_names_check(RCC_NAMES_BACKBONE, (int)b->backbone));
    RCC_TRY(rcc_names_check(RCC_NAMES_PRECISION, (int)b->precision));
    mc->conv_algo = b->conv;
    mc->small_stem = b->backbone == RCC_BACKBONE_RESNET18_SMALL;
    mc->bf16 = b->precision == RCC_PRECISION_BF16;
    if (mc->bf16 && mc->conv_algo == RCC_CONV_WINOGRAD)
        return rcc_fail(RCC_ERR_ARG, "benchmark: bf16 computes every convolution directly (no bf16 Winograd)");
    mc->image_size = b->size;
    mc->width = b->width;
    mc->rep_dim = b->rep_dim;
    mc->in_channels = b->channels;
    mc->clusters = b->clusters;
    return RCC_OK;
}

static void fill_random(float *x, size_t n)
{
    rcc_rng rng;
    rcc_rng_init(&rng, 7, 0);
    for (size_t i = 0; i < n; i++)
        x[i] = (float)rcc_rng_uniform(&rng);
}

/* Copies a profile table. */
static rcc_status copy_prof(const rcc_prof_entry *e, int n, rcc_prof_entry **out)
{
    *out = malloc((size_t)(n > 0 ? n : 1) * sizeof **out);
    if (!*out)
        return rcc_fail(RCC_ERR_NOMEM, "profile");
    if (n > 0)
        memcpy(*out, e, (size_t)n * sizeof **out);
    return RCC_OK;
}

/* The profile gathered since rcc_prof_reset: by operation (most time first) and by layer. */
static rcc_status copy_profile(rcc_prof_entry **ops, int *nops, rcc_prof_entry **layers, int *nlayers)
{
    const rcc_prof_entry *e;
    *nops = rcc_prof_entries(&e);
    RCC_TRY(copy_prof(e, *nops, ops));
    qsort(*ops, (size_t)*nops, sizeof **ops, prof_cmp);
    *nlayers = rcc_prof_layers(&e);
    return copy_prof(e, *nlayers, layers);
}

static rcc_status bench_train(const rcc_bench_config *b, rcc_bench_result *r);
static rcc_status bench_infer(const rcc_bench_config *b, rcc_bench_infer_result *r);

rcc_status rcc_bench_train(const rcc_bench_config *b, rcc_bench_result *r)
{
    rcc_compute_saved saved;
    rcc_compute_enter(b->threads, &saved);
    rcc_status st = bench_train(b, r);
    rcc_compute_leave(&saved);
    return st;
}

rcc_status rcc_bench_infer(const rcc_bench_config *b, rcc_bench_infer_result *r)
{
    rcc_compute_saved saved;
    rcc_compute_enter(b->threads, &saved);
    rcc_status st = bench_infer(b, r);
    rcc_compute_leave(&saved);
    return st;
}

static rcc_status bench_train(const rcc_bench_config *b, rcc_bench_result *r)
{
    memset(r, 0, sizeof *r);
    rcc_model_config mc;
    RCC_TRY(model_config(b, &mc));
    rcc_loss_config lc;
    rcc_loss_config_default(&lc);
    rcc_adam_config ac;
    rcc_adam_config_default(&ac);
    rcc_trainer t;
    rcc_status s = rcc_trainer_create(&t, &mc, &lc, &ac, b->batch, RCC_INIT_DEFAULT, 1);
    if (s != RCC_OK) {
        rcc_trainer_free(&t);
        return s;
    }
    fill_random(t.model.input.ptr, rcc_act_floats(&t.model.input));
    r->times = calloc((size_t)b->steps, sizeof *r->times);
    if (!r->times)
        s = rcc_fail(RCC_ERR_NOMEM, "benchmark times");
    r->steps = b->steps;
    rcc_loss_terms lt = {0};
    for (int i = 0; i < b->warmup + b->steps && s == RCC_OK; i++) {
        if (i == b->warmup && b->profile) {
            rcc_prof_reset();
            rcc_prof_enable(true);
        }
        double t0 = rcc_now();
        s = rcc_trainer_step(&t, &lt, true);
        if (i >= b->warmup)
            r->times[i - b->warmup] = rcc_now() - t0;
    }
    rcc_prof_enable(false);
    if (s == RCC_OK) {
        r->median = median_of(r->times, b->steps);
        r->min = r->times[0];
        r->step_flops = rcc_trainer_step_flops(&t);
        r->backbone_macs = rcc_model_backbone_macs(&t.model);
        r->loss = lt.total;
    }
    if (s == RCC_OK && b->profile)
        s = copy_profile(&r->ops, &r->nops, &r->layers, &r->nlayers);
    rcc_trainer_free(&t);
    if (s != RCC_OK)
        rcc_bench_result_free(r);
    return s;
}

void rcc_bench_result_free(rcc_bench_result *r)
{
    free(r->times);
    free(r->ops);
    free(r->layers);
    memset(r, 0, sizeof *r);
}

static rcc_status bench_infer(const rcc_bench_config *b, rcc_bench_infer_result *r)
{
    memset(r, 0, sizeof *r);
    rcc_model_config mc;
    RCC_TRY(model_config(b, &mc));
    rcc_params ps = {0};
    rcc_model one, many;
    bool have_one = false, have_many = false;
    rcc_status s = rcc_model_plan(&one, &mc, &ps, 1, 1, false);
    have_one = s == RCC_OK;
    if (s == RCC_OK) {
        s = rcc_model_plan(&many, &mc, &ps, b->batch, 1, false);
        have_many = s == RCC_OK;
    }
    if (s == RCC_OK)
        s = rcc_params_alloc(&ps);
    if (s == RCC_OK)
        s = rcc_model_commit(&one);
    if (s == RCC_OK)
        s = rcc_model_commit(&many);
    int reps = 20 * b->steps;
    double *t = s == RCC_OK ? calloc((size_t)reps, sizeof *t) : NULL;
    if (s == RCC_OK && !t)
        s = rcc_fail(RCC_ERR_NOMEM, "benchmark times");
    if (s == RCC_OK) {
        rcc_params_init_default(&ps, 1);
        fill_random(many.input.ptr, rcc_act_floats(&many.input));
        memcpy(one.input.ptr, many.input.ptr, one.input.bytes);
    }
    for (int i = 0; i < b->warmup + reps && s == RCC_OK; i++) {
        double t0 = rcc_now();
        s = rcc_model_forward(&one);
        if (i >= b->warmup)
            t[i - b->warmup] = rcc_now() - t0;
    }
    if (s == RCC_OK) {
        r->latency = median_of(t, reps);
        r->latency_runs = reps;
    }
    for (int i = 0; i < b->warmup + b->steps && s == RCC_OK; i++) {
        if (i == b->warmup && b->profile) {
            rcc_prof_reset();
            rcc_prof_enable(true);
        }
        double t0 = rcc_now();
        s = rcc_model_forward(&many);
        if (i >= b->warmup)
            t[i - b->warmup] = rcc_now() - t0;
    }
    rcc_prof_enable(false);
    if (s == RCC_OK) {
        r->batch = median_of(t, b->steps);
        r->steps = b->steps;
    }
    if (s == RCC_OK && b->profile)
        s = copy_profile(&r->ops, &r->nops, &r->layers, &r->nlayers);
    free(t);
    if (have_one)
        rcc_model_free(&one);
    if (have_many)
        rcc_model_free(&many);
    rcc_params_free(&ps);
    if (s != RCC_OK)
        rcc_bench_infer_result_free(r);
    return s;
}

void rcc_bench_infer_result_free(rcc_bench_infer_result *r)
{
    free(r->ops);
    free(r->layers);
    memset(r, 0, sizeof *r);
}

int rcc_modes(rcc_mode m[RCC_MODES_MAX], bool f32_only)
{
    int n = 0;
    m[n++] = (rcc_mode){RCC_CONV_DIRECT, RCC_PRECISION_F32};
    if (rcc_conv_winograd_available())
        m[n++] = (rcc_mode){RCC_CONV_WINOGRAD, RCC_PRECISION_F32};
    if (!f32_only && rcc_conv_bf16_available())
        m[n++] = (rcc_mode){RCC_CONV_DIRECT, RCC_PRECISION_BF16};
    return n;
}

static rcc_status time_quietly(const rcc_bench_config *b, double *rate, void *user)
{
    (void)user;
    rcc_bench_result r;
    RCC_TRY(rcc_bench_train(b, &r));
    *rate = b->batch / r.median;
    rcc_bench_result_free(&r);
    return RCC_OK;
}

rcc_status rcc_bench_modes(rcc_bench_config *b, const rcc_mode *m, int n, rcc_mode_timer timer, void *user,
                           double *rate, int *fastest)
{
    *fastest = 0;
    for (int i = 0; i < n; i++) {
        b->conv = m[i].conv;
        b->precision = m[i].precision;
        RCC_TRY((timer ? timer : time_quietly)(b, &rate[i], user));
        *fastest = rate[i] > rate[*fastest] ? i : *fastest;
    }
    return RCC_OK;
}

/* The side of the feature map stage 4 (layer4) receives: each strided layer maps n to
 * floor((n + 2p - k) / s) + 1. */
static int stage4_input(rcc_backbone backbone, int size)
{
    int n = size;
    if (backbone == RCC_BACKBONE_RESNET18) {
        n = (n + 6 - 7) / 2 + 1; /* stem: 7x7, stride 2, padding 3 */
        n = (n + 2 - 3) / 2 + 1; /* max-pool: 3x3, stride 2, padding 1 */
    }
    n = (n + 2 - 3) / 2 + 1; /* layer2 */
    return (n + 2 - 3) / 2 + 1; /* layer3 */
}

bool rcc_config_bf16_safe(const rcc_config *c)
{
    return stage4_input(c->backbone, c->image_size) >= 2;
}

rcc_status rcc_config_pick_mode(rcc_config *c, int channels, bool all, rcc_mode_choice *choice)
{
    rcc_mode_choice ch;
    memset(&ch, 0, sizeof ch);
    if (!all && c->precision == RCC_PRECISION_BF16) { /* bf16 has one kind of kernels */
        ch.n = 1;
        ch.mode[0] = (rcc_mode){RCC_CONV_DIRECT, RCC_PRECISION_BF16};
        ch.bf16_direct = true;
    } else {
        ch.n = rcc_modes(ch.mode, !all);
        if (ch.n > 0 && ch.mode[ch.n - 1].precision == RCC_PRECISION_BF16 && !rcc_config_bf16_safe(c)) {
            ch.n--; /* bf16 last in rcc_modes' order */
            ch.bf16_unsafe = true;
        }
    }
    if (ch.n > 1) {
        rcc_bench_config b;
        rcc_bench_config_default(&b);
        b.batch = c->batch, b.size = c->image_size, b.width = c->width, b.rep_dim = c->rep_dim;
        b.channels = channels > 0 ? channels : 1, b.clusters = c->clusters, b.steps = 2, b.warmup = 1;
        b.backbone = c->backbone;
        b.threads = c->threads;
        RCC_TRY(rcc_bench_modes(&b, ch.mode, ch.n, NULL, NULL, ch.rate, &ch.chosen));
    }
    c->conv = ch.mode[ch.chosen].conv;
    c->precision = ch.mode[ch.chosen].precision;
    if (choice)
        *choice = ch;
    return RCC_OK;
}

rcc_status rcc_bench_loader(const rcc_dataset *d, const rcc_aug_config *a, int batch, int s, int threads,
                            int batches, double *pairs_per_s)
{
    *pairs_per_s = 0;
    if (batch < 1 || s < 1 || threads < 1 || batches < 1)
        return rcc_fail(RCC_ERR_ARG, "loader bench: batch %d, size %d, %d threads, %d batches", batch, s, threads,
                        batches);
    float *out = malloc((size_t)2 * batch * d->c * s * s * sizeof *out);
    if (!out)
        return rcc_fail(RCC_ERR_NOMEM, "loader bench: a batch of %d pairs", batch);
    double t0 = rcc_now();
    rcc_loader *l;
    rcc_status st = rcc_loader_create(&l, d, a, RCC_LOADER_TRAIN, batch, s, 1, threads);
    if (st != RCC_OK) {
        free(out);
        return st;
    }
    long pairs = 0;
    for (uint64_t epoch = 0; st == RCC_OK && pairs < (long)batches * batch; epoch++) {
        st = rcc_loader_start_epoch(l, epoch, 0);
        int count = 1;
        while (st == RCC_OK && count > 0 && pairs < (long)batches * batch) {
            st = rcc_loader_next(l, out, NULL, &count);
            pairs += count;
        }
        if (st == RCC_OK && epoch == 0 && pairs == 0)
            st = rcc_fail(RCC_ERR_ARG, "loader bench: %d images make no batch of %d", d->n, batch);
    }
    double t = rcc_now() - t0;
    rcc_loader_free(l);
    free(out);
    if (st == RCC_OK)
        *pairs_per_s = pairs / t;
    return st;
}
