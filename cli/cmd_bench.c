/* cmd_bench.c — `rcc bench`: the median time of one full training step of the paper's model
 * (two views, forward, all losses, backward, Adam) on random images, in image pairs per second
 * and GFLOP/s (direct-convolution equivalent), optionally with a per-layer profile. */
#include <stdlib.h>
#include <string.h>
#include "cli.h"
#include "rng.h"
#include "train.h"

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median_of(double *t, int n)
{
    qsort(t, (size_t)n, sizeof *t, cmp_double);
    return n % 2 ? t[n / 2] : 0.5 * (t[n / 2 - 1] + t[n / 2]);
}

/* Inference as `rcc predict` runs it: evaluation-mode network, one image (latency) and a batch
 * (throughput), median over repetitions. */
static int bench_infer(const rcc_model_config *mc, int batch, int steps, int warmup, bool json)
{
    rcc_params ps = {0};
    rcc_model one, many;
    rcc_status s = rcc_model_plan(&one, mc, &ps, 1, 1, false);
    if (s == RCC_OK)
        s = rcc_model_plan(&many, mc, &ps, batch, 1, false);
    if (s == RCC_OK)
        s = rcc_params_alloc(&ps);
    if (s == RCC_OK)
        s = rcc_model_commit(&one);
    if (s == RCC_OK)
        s = rcc_model_commit(&many);
    if (s != RCC_OK) {
        fprintf(stderr, "rcc bench: %s: %s\n", rcc_strerror(s), rcc_last_error());
        return 1;
    }
    rcc_params_init_default(&ps, 1);
    rcc_rng rng;
    rcc_rng_init(&rng, 7, 0);
    for (size_t i = 0; i < rcc_act_floats(&many.input); i++)
        many.input.ptr[i] = (float)rcc_rng_uniform(&rng);
    memcpy(one.input.ptr, many.input.ptr, one.input.bytes);
    int reps = 20 * steps;
    double *t = calloc((size_t)reps, sizeof *t);
    for (int i = 0; i < warmup + reps && s == RCC_OK; i++) {
        double t0 = rcc_now();
        s = rcc_model_forward(&one);
        if (i >= warmup)
            t[i - warmup] = rcc_now() - t0;
    }
    double lat = median_of(t, reps);
    for (int i = 0; i < warmup + steps && s == RCC_OK; i++) {
        double t0 = rcc_now();
        s = rcc_model_forward(&many);
        if (i >= warmup)
            t[i - warmup] = rcc_now() - t0;
    }
    double bt = median_of(t, steps);
    free(t);
    if (s != RCC_OK) {
        fprintf(stderr, "rcc bench: %s: %s\n", rcc_strerror(s), rcc_last_error());
    } else if (json) {
        printf("{\"impl\":\"rcc\",\"mode\":\"eval\",\"batch\":%d,\"size\":%d,\"latency_ms\":%.3f,"
               "\"images_per_s\":%.1f}\n",
               batch, mc->image_size, 1e3 * lat, batch / bt);
    } else {
        printf("rcc bench --infer: resnet18 width %d, rep_dim %d, %dx%d, evaluation mode\n", mc->width, mc->rep_dim,
               mc->image_size, mc->image_size);
        printf("  one image: median %.3f ms over %d runs\n", 1e3 * lat, reps);
        printf("  batch %d: median %.3f s, %.1f images/s\n", batch, bt, batch / bt);
    }
    rcc_model_free(&one);
    rcc_model_free(&many);
    rcc_params_free(&ps);
    return s == RCC_OK ? 0 : 1;
}

static int prof_cmp(const void *a, const void *b)
{
    double x = ((const rcc_prof_entry *)a)->seconds, y = ((const rcc_prof_entry *)b)->seconds;
    return (x < y) - (x > y);
}

int cmd_bench(int argc, char **argv)
{
    int batch = 256, size = 64, steps = 10, warmup = 3, threads = 2, width = 64, rep_dim = 3, channels = 1, k = 10;
    bool profile = false, json = false, infer = false;
    const char *conv = "direct";
    const cli_opt opts[] = {
        {"batch", 'b', OPT_INT, &batch, "images per view (the step sees 2x this)"},
        {"size", 's', OPT_INT, &size, "image side S"},
        {"steps", 'n', OPT_INT, &steps, "timed steps"},
        {"warmup", 0, OPT_INT, &warmup, "untimed steps first"},
        {"threads", 't', OPT_INT, &threads, "compute threads"},
        {"width", 0, OPT_INT, &width, "backbone width (64 = ResNet-18)"},
        {"rep-dim", 0, OPT_INT, &rep_dim, "backbone output dimension"},
        {"channels", 0, OPT_INT, &channels, "image channels"},
        {"clusters", 'K', OPT_INT, &k, "number of clusters"},
        {"conv", 0, OPT_STR, &conv, "convolution kernels: direct or winograd"},
        {"profile", 0, OPT_FLAG, &profile, "print a per-layer table of time and GFLOP/s"},
        {"infer", 0, OPT_FLAG, &infer, "time inference instead: one-image latency and batch throughput"},
        {"json", 0, OPT_FLAG, &json, "print one JSON line instead of text"},
        {0},
    };
    int r = cli_parse("bench", "Time one RCC training step on random images (median over steps).", opts, argc, argv);
    if (r)
        return r > 0 ? 0 : 2;
    if (steps < 1 || warmup < 0 || batch < 2 || threads < 1) {
        fprintf(stderr, "rcc bench: need --steps >= 1, --warmup >= 0, --batch >= 2, --threads >= 1\n");
        return 2;
    }
    rcc_model_config mc;
    rcc_model_config_default(&mc);
    if (strcmp(conv, "winograd") == 0) {
        mc.conv_algo = RCC_CONV_WINOGRAD;
        cli_note_winograd("bench");
    } else if (strcmp(conv, "direct") != 0) {
        fprintf(stderr, "rcc bench: --conv must be direct or winograd (got '%s')\n", conv);
        return 2;
    }
    rcc_set_threads(threads);
    mc.image_size = size;
    mc.width = width;
    mc.rep_dim = rep_dim;
    mc.in_channels = channels;
    mc.clusters = k;
    if (infer)
        return bench_infer(&mc, batch, steps, warmup, json);
    rcc_loss_config lc;
    rcc_loss_config_default(&lc);
    rcc_adam_config ac;
    rcc_adam_config_default(&ac);
    rcc_trainer t;
    rcc_status s = rcc_trainer_create(&t, &mc, &lc, &ac, batch, RCC_INIT_DEFAULT, 1);
    if (s != RCC_OK) {
        fprintf(stderr, "rcc bench: %s: %s\n", rcc_strerror(s), rcc_last_error());
        rcc_trainer_free(&t);
        return 1;
    }
    rcc_rng rng;
    rcc_rng_init(&rng, 7, 0);
    size_t nin = rcc_act_floats(&t.model.input);
    for (size_t i = 0; i < nin; i++)
        t.model.input.ptr[i] = (float)rcc_rng_uniform(&rng);
    double *times = calloc((size_t)steps, sizeof *times);
    rcc_loss_terms lt = {0};
    for (int i = 0; i < warmup + steps && s == RCC_OK; i++) {
        if (i == warmup && profile) {
            rcc_prof_reset();
            rcc_prof_enable(true);
        }
        double t0 = rcc_now();
        s = rcc_trainer_step(&t, &lt, true);
        if (i >= warmup)
            times[i - warmup] = rcc_now() - t0;
    }
    rcc_prof_enable(false);
    if (s != RCC_OK) {
        fprintf(stderr, "rcc bench: %s: %s\n", rcc_strerror(s), rcc_last_error());
        free(times);
        rcc_trainer_free(&t);
        return 1;
    }
    qsort(times, (size_t)steps, sizeof *times, cmp_double);
    double med = steps % 2 ? times[steps / 2] : 0.5 * (times[steps / 2 - 1] + times[steps / 2]);
    double flops = rcc_trainer_step_flops(&t);
    if (json) {
        printf("{\"impl\":\"rcc\",\"conv\":\"%s\",\"batch\":%d,\"size\":%d,\"threads\":%d,\"median_s\":%.6f,"
               "\"min_s\":%.6f,\"pairs_per_s\":%.2f,\"gflops\":%.1f,\"loss\":%.6f}\n",
               conv, batch, size, threads, med, times[0], batch / med, flops / med * 1e-9, lt.total);
    } else {
        printf("rcc bench: resnet18 width %d, rep_dim %d, %d channel(s), %dx%d, batch %d pairs, %d threads, %s "
               "convolutions\n",
               width, rep_dim, channels, size, size, batch, threads, conv);
        printf("  backbone forward: %.1f M multiply-adds per image; step: %.1f GFLOP (direct-equivalent)\n",
               rcc_model_backbone_macs(&t.model) * 1e-6, flops * 1e-9);
        printf("  step time: median %.3f s, min %.3f s over %d steps (after %d warm-up)\n", med, times[0], steps,
               warmup);
        printf("  throughput: %.1f pairs/s, %.1f GFLOP/s\n", batch / med, flops / med * 1e-9);
    }
    if (profile) {
        const rcc_prof_entry *e;
        int n = rcc_prof_entries(&e);
        rcc_prof_entry *sorted = malloc((size_t)n * sizeof *sorted);
        memcpy(sorted, e, (size_t)n * sizeof *sorted);
        qsort(sorted, (size_t)n, sizeof *sorted, prof_cmp);
        double total = 0;
        for (int i = 0; i < n; i++)
            total += sorted[i].seconds;
        printf("\n  %-28s %10s %8s %8s %10s\n", "operation (all layers)", "ms/step", "share", "calls", "GFLOP/s");
        for (int i = 0; i < n; i++)
            printf("  %-28s %10.2f %7.1f%% %8ld %10.1f\n", sorted[i].name, 1e3 * sorted[i].seconds / steps,
                   100 * sorted[i].seconds / total, sorted[i].calls / steps,
                   sorted[i].flops > 0 ? sorted[i].flops / sorted[i].seconds * 1e-9 : 0.0);
        printf("  %-28s %10.2f (profiled steps synchronise after every primitive)\n", "total", 1e3 * total / steps);
        free(sorted);
        /* per layer, in the order the layers first ran: all of a layer's primitives (forward,
         * backward, its weight reorders) */
        const rcc_prof_entry *l;
        int nl = rcc_prof_layers(&l);
        double layers_s = 0, lf = 0;
        printf("\n  %-28s %10s %8s %10s\n", "layer", "ms/step", "share", "GFLOP/s");
        for (int i = 0; i < nl; i++) {
            layers_s += l[i].seconds;
            lf += l[i].flops;
            char gf[32] = "-";
            if (l[i].flops > 0)
                snprintf(gf, sizeof gf, "%.1f", l[i].flops / l[i].seconds * 1e-9);
            printf("  %-28s %10.2f %7.1f%% %10s\n", l[i].name, 1e3 * l[i].seconds / steps, 100 * l[i].seconds / total,
                   gf);
        }
        printf("  %-28s %10.2f %7.1f%%\n", "other: element-wise, heads,", 1e3 * (total - layers_s) / steps,
               100 * (total - layers_s) / total);
        printf("  %-28s\n", "  losses, Adam");
        printf("  %-28s %10.2f  %.1f GFLOP/s over the step (direct-equivalent)\n", "step", 1e3 * total / steps,
               lf / total * 1e-9);
    }
    free(times);
    rcc_trainer_free(&t);
    return 0;
}
