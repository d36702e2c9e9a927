/* cmd_bench.c — `rcc bench`: the median time of one full training step of the paper's model
 * (two views, forward, all losses, backward, Adam) on random images, in image pairs per second
 * and GFLOP/s (direct-convolution equivalent), optionally with a per-layer profile. */
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include "cli.h"
#include "rcc_bench.h"

static int fail(rcc_status s)
{
    fprintf(stderr, "rcc bench: %s: %s\n", rcc_strerror(s), rcc_last_error());
    return 1;
}

/* The process's peak resident memory so far, in MB (ru_maxrss is in KiB on Linux). */
static double peak_rss_mb(void)
{
    struct rusage ru;
    return getrusage(RUSAGE_SELF, &ru) == 0 ? (double)ru.ru_maxrss / 1024.0 : 0.0;
}

/* A profile's tables, per `unit` ("step" or "batch"): by operation, then by layer. */
static void print_profile(const rcc_prof_entry *sorted, int n, const rcc_prof_entry *l, int nl, int steps,
                          const char *unit, const char *rest)
{
    double total = 0;
    for (int i = 0; i < n; i++)
        total += sorted[i].seconds;
    char per[16];
    snprintf(per, sizeof per, "ms/%s", unit);
    printf("\n  %-28s %10s %8s %8s %10s\n", "operation (all layers)", per, "share", "calls", "GFLOP/s");
    for (int i = 0; i < n; i++)
        printf("  %-28s %10.2f %7.1f%% %8ld %10.1f\n", sorted[i].name, 1e3 * sorted[i].seconds / steps,
               100 * sorted[i].seconds / total, sorted[i].calls / steps,
               sorted[i].flops > 0 ? sorted[i].flops / sorted[i].seconds * 1e-9 : 0.0);
    printf("  %-28s %10.2f (profiled %ss synchronise after every primitive)\n", "total", 1e3 * total / steps, unit);
    /* per layer, in the order the layers first ran: all of a layer's primitives (forward,
     * backward, its weight reorders) */
    double layers_s = 0, lf = 0;
    printf("\n  %-28s %10s %8s %10s\n", "layer", per, "share", "GFLOP/s");
    for (int i = 0; i < nl; i++) {
        layers_s += l[i].seconds;
        lf += l[i].flops;
        char gf[32] = "-";
        if (l[i].flops > 0)
            snprintf(gf, sizeof gf, "%.1f", l[i].flops / l[i].seconds * 1e-9);
        printf("  %-28s %10.2f %7.1f%% %10s\n", l[i].name, 1e3 * l[i].seconds / steps, 100 * l[i].seconds / total, gf);
    }
    printf("  %-28s %10.2f %7.1f%%\n", "other: element-wise, heads,", 1e3 * (total - layers_s) / steps,
           100 * (total - layers_s) / total);
    printf("  %-28s\n", rest);
    printf("  %-28s %10.2f  %.1f GFLOP/s over the %s (direct-equivalent)\n", unit, 1e3 * total / steps,
           lf / total * 1e-9, unit);
}

/* One inference benchmark of b as `rcc predict` runs it (evaluation-mode network): one image
 * (latency) and a batch (throughput), medians over repetitions; printed, its result in *out if asked. */
static int bench_infer(const rcc_bench_config *b, bool json, rcc_bench_infer_result *out)
{
    rcc_bench_infer_result r;
    rcc_status s = rcc_bench_infer(b, &r);
    if (s != RCC_OK)
        return fail(s);
    if (out) { /* the timings (the profile is printed here and freed) */
        *out = r;
        out->ops = out->layers = NULL;
        out->nops = out->nlayers = 0;
    }
    if (json) {
        printf("{\"impl\":\"rcc\",\"mode\":\"eval\",\"precision\":\"%s\",\"batch\":%d,\"size\":%d,"
               "\"latency_ms\":%.3f,\"images_per_s\":%.1f,\"peak_rss_mb\":%.1f}\n",
               rcc_precision_name(b->precision), b->batch, b->size, 1e3 * r.latency, b->batch / r.batch,
               peak_rss_mb());
    } else {
        printf("rcc bench --infer: %s width %d, rep_dim %d, %dx%d, evaluation mode, %s\n",
               rcc_backbone_name(b->backbone), b->width, b->rep_dim, b->size, b->size, rcc_precision_name(b->precision));
        printf("  one image: median %.3f ms over %d runs\n", 1e3 * r.latency, r.latency_runs);
        printf("  batch %d: median %.3f s, %.1f images/s\n", b->batch, r.batch, b->batch / r.batch);
        if (b->profile)
            print_profile(r.ops, r.nops, r.layers, r.nlayers, r.steps, "batch", "  pooling");
    }
    rcc_bench_infer_result_free(&r);
    return 0;
}

/* --best --infer: each precision, then the fastest for one image and for a batch (they may differ:
 * a single image is too small for bf16's reorders to pay). */
static int bench_infer_best(const rcc_bench_config *bc, bool json)
{
    rcc_bench_config b = *bc;
    const char *prec[2] = {rcc_precision_name(RCC_PRECISION_F32), rcc_precision_name(RCC_PRECISION_BF16)};
    rcc_bench_infer_result r[2];
    int n = rcc_conv_bf16_available() ? 2 : 1;
    for (int i = 0; i < n; i++) {
        b.precision = i ? RCC_PRECISION_BF16 : RCC_PRECISION_F32;
        int rc = bench_infer(&b, json, &r[i]);
        if (rc)
            return rc;
    }
    int one = n > 1 && r[1].latency < r[0].latency, many = n > 1 && r[1].batch < r[0].batch;
    if (json)
        printf("{\"impl\":\"rcc\",\"best_one\":\"%s\",\"latency_ms\":%.3f,\"best_batch\":\"%s\","
               "\"images_per_s\":%.1f}\n",
               prec[one], 1e3 * r[one].latency, prec[many], b.batch / r[many].batch);
    else if (n > 1)
        printf("fastest: one image %s (%.3f ms), batch %s (%.1f images/s); rcc predict, embed and serve take "
               "--precision (default: the training's)\n",
               prec[one], 1e3 * r[one].latency, prec[many], b.batch / r[many].batch);
    else
        printf("fastest: f32 (this CPU has no bf16 convolutions)\n");
    return 0;
}

static int bench_train(const rcc_bench_config *bc, bool json, int threads, double *rate);

/* The data path of a real data set: loading it (decode, convert), what it holds, and the training
 * loader's pairs per second with one thread and with `threads`, at the preset's augmentations, size
 * and batch (or --size, --batch). */
static int bench_data(const cli_strs *data, const char *preset, int batch, int size, int threads, int batches,
                      bool json)
{
    cli_load_flags lf = CLI_LOAD_DEFAULTS;
    rcc_dataset d;
    double t0 = rcc_now();
    rcc_status s = cli_load_data("rcc bench", data, NULL, &lf, NULL, &d);
    double load_s = rcc_now() - t0;
    if (s != RCC_OK)
        return fail(s);
    const char *name = preset;
    rcc_config c;
    rcc_aug_config a;
    s = preset ? rcc_config_preset(&c, preset) : rcc_config_for_data(&d, &c, &name); /* as rcc train picks */
    if (s == RCC_OK)
        s = rcc_aug_preset(&a, c.augment);
    if (s != RCC_OK) {
        rcc_dataset_free(&d);
        fprintf(stderr, "rcc bench: %s\n", rcc_last_error());
        return 2;
    }
    int S = size > 0 ? size : c.image_size, B = batch > 0 ? batch : c.batch;
    double mb = (double)d.n * d.c * d.h * d.w * (d.u8 ? 1 : sizeof(float)) / 1e6;
    double rate[2] = {0, 0};
    int tn[2] = {1, threads};
    for (int i = 0; i < 2 && s == RCC_OK; i++)
        if (i == 0 || threads != 1)
            s = rcc_bench_loader(&d, &a, B, S, tn[i], batches, &rate[i]);
    if (s != RCC_OK) {
        rcc_dataset_free(&d);
        return fail(s);
    }
    if (json) {
        printf("{\"impl\":\"rcc\",\"mode\":\"data\",\"preset\":\"%s\",\"images\":%d,\"load_s\":%.3f,"
               "\"held\":\"%s\",\"held_mb\":%.1f,\"batch\":%d,\"size\":%d,\"pairs_per_s_1\":%.1f,"
               "\"threads\":%d,\"pairs_per_s\":%.1f}\n",
               name, d.n, load_s, d.u8 ? "bytes" : "floats", mb, B, S, rate[0], threads,
               threads == 1 ? rate[0] : rate[1]);
    } else {
        printf("rcc bench --data: %d images of %dx%dx%d, loaded in %.2f s (%.0f images/s), held as %s: %.1f MB\n",
               d.n, d.c, d.h, d.w, load_s, d.n / load_s, d.u8 ? "bytes" : "floats", mb);
        printf("  training loader, %s augmentations, %dx%d views, batch %d pairs, %d batches:\n",
               rcc_augment_preset_name(c.augment), S, S, B, batches);
        printf("    1 thread: %.0f pairs/s\n", rate[0]);
        if (threads != 1)
            printf("    %d threads: %.0f pairs/s\n", threads, rate[1]);
        printf("  a training step of R pairs/s spends R / %.0f of one core making its views; the preset's step:\n"
               "  rcc bench --backbone %s --width %d --rep-dim %d --channels %d --size %d --batch %d\n",
               rate[0], rcc_backbone_name(c.backbone), c.width, c.rep_dim, d.c, S, B);
    }
    rcc_dataset_free(&d);
    return 0;
}

typedef struct {
    bool json;
    int threads;
} bench_print;

/* rcc_bench_modes's timing for --best: each mode printed as a lone `rcc bench` would print it. */
static rcc_status time_printed(const rcc_bench_config *b, double *rate, void *user)
{
    const bench_print *p = user;
    return bench_train(b, p->json, p->threads, rate) ? RCC_ERR_BACKEND : RCC_OK;
}

int cmd_bench(int argc, char **argv)
{
    int batch = 0, size = 0, steps = 10, warmup = 3, threads = rcc_get_threads(), width = 64, rep_dim = 3, channels = 1, k = 10;
    bool profile = false, json = false, infer = false;
    bool best = false;
    const char *conv = NULL, *backbone = "resnet18", *preset = NULL, *precision = NULL;
    cli_strs data = {0};
    const cli_opt opts[] = {
        {"batch", 'b', OPT_INT, &batch, "images per view (the step sees 2x this) [256; --data: the preset's]"},
        {"size", 's', OPT_INT, &size, "image side S [64; --data: the preset's]"},
        {"steps", 'n', OPT_INT, &steps, "timed steps"},
        {"warmup", 0, OPT_INT, &warmup, "untimed steps first"},
        {"threads", 't', OPT_INT, &threads, "compute threads"},
        {"backbone", 0, OPT_STR, &backbone, "resnet18, or resnet18-small (3x3 stem, no max-pool)"},
        {"width", 0, OPT_INT, &width, "backbone width (64 = ResNet-18)"},
        {"rep-dim", 0, OPT_INT, &rep_dim, "backbone output dimension"},
        {"channels", 0, OPT_INT, &channels, "image channels"},
        {"clusters", 'K', OPT_INT, &k, "number of clusters"},
        {"conv", 0, OPT_STR, &conv, "convolution kernels: direct (default) or winograd"},
        {"precision", 0, OPT_STR, &precision, "activations and convolution weights: f32 (default) or bf16 (direct kernels)"},
        {"profile", 0, OPT_FLAG, &profile, "print a per-layer table of time and GFLOP/s"},
        {"best", 0, OPT_FLAG, &best, "time every mode rcc offers (direct and winograd f32, direct bf16; with --infer f32 and bf16) and name the fastest"},
        {"infer", 0, OPT_FLAG, &infer, "time inference instead: one-image latency and batch throughput"},
        {"data", 'd', OPT_STRS, &data, "time the data path instead: load these images (repeatable), then the "
                                         "training loader alone (--steps batches)"},
        {"preset", 'p', OPT_STR, &preset, "with --data: the preset whose augmentations, size and batch to use "
                                          "[as rcc train picks from the data]"},
        {"json", 0, OPT_FLAG, &json, "print one JSON line instead of text (peak_rss_mb: the process's peak so far, so with --best it includes the modes before)"},
        {0},
    };
    int r = cli_parse("bench",
                      "Time one RCC training step on random images (median over steps); or, with --data, the data "
                      "path of real images.",
                      opts, argc, argv);
    if (r)
        return r > 0 ? 0 : 2;
    if (steps < 1 || warmup < 0 || batch < 0 || batch == 1 || size < 0 || threads < 1) {
        fprintf(stderr, "rcc bench: need --steps >= 1, --warmup >= 0, --batch >= 2, --size >= 1, --threads >= 1\n");
        return 2;
    }
    if (data.n) {
        rcc_set_threads(threads);
        return bench_data(&data, preset, batch, size, threads, steps, json);
    }
    if (preset) {
        fprintf(stderr, "rcc bench: --preset goes with --data (the step's shape is set by --size, --width, ...)\n");
        return 2;
    }
    if (best && (conv || precision)) {
        fprintf(stderr, "rcc bench: --best times every convolution kernel and precision; not with --conv or "
                        "--precision\n");
        return 2;
    }
    conv = conv ? conv : "direct";
    precision = precision ? precision : "f32";
    batch = batch ? batch : 256;
    size = size ? size : 64;
    rcc_bench_config b;
    rcc_bench_config_default(&b);
    if (rcc_conv_kind_parse(conv, &b.conv) != RCC_OK || rcc_precision_parse(precision, &b.precision) != RCC_OK ||
        rcc_backbone_parse(backbone, &b.backbone) != RCC_OK) {
        fprintf(stderr, "rcc bench: %s\n", rcc_last_error());
        return 2;
    }
    if (b.conv == RCC_CONV_WINOGRAD)
        cli_note_winograd("bench");
    rcc_set_threads(threads);
    b.threads = threads;
    b.batch = batch, b.size = size, b.steps = steps, b.warmup = warmup, b.profile = profile;
    b.width = width, b.rep_dim = rep_dim, b.channels = channels, b.clusters = k;
    if (infer && !best)
        return bench_infer(&b, json, NULL);
    if (infer) /* --best --infer: f32 and bf16 (inference has one kind of convolution kernels) */
        return bench_infer_best(&b, json);
    if (!best)
        return bench_train(&b, json, threads, NULL);
    /* --best: every mode rcc offers, then the fastest */
    rcc_mode m[RCC_MODES_MAX];
    double rate[RCC_MODES_MAX] = {0, 0, 0};
    int n = rcc_modes(m, false), f;
    bench_print pr = {json, threads};
    if (rcc_bench_modes(&b, m, n, time_printed, &pr, rate, &f) != RCC_OK)
        return 1; /* said by bench_train */
    int g = f == 0 && n > 1 ? 1 : 0; /* the runner-up, for the ratio */
    for (int i = 0; i < n; i++)
        g = i != f && rate[i] > rate[g] ? i : g;
    if (json)
        printf("{\"impl\":\"rcc\",\"best\":\"%s\",\"precision\":\"%s\",\"pairs_per_s\":%.2f}\n",
               rcc_conv_kind_name(m[f].conv), rcc_precision_name(m[f].precision), rate[f]);
    else if (n > 1)
        printf("fastest: %s %s, %.1f pairs/s (%.2fx %s %s); rcc train --conv %s --precision %s (or --best, which "
               "times every mode on the run's own step)\n",
               rcc_conv_kind_name(m[f].conv), rcc_precision_name(m[f].precision), rate[f], rate[f] / rate[g],
               rcc_conv_kind_name(m[g].conv), rcc_precision_name(m[g].precision), rcc_conv_kind_name(m[f].conv),
               rcc_precision_name(m[f].precision));
    else
        printf("fastest: direct f32 (oneDNN has no Winograd or bf16 kernels for this CPU)\n");
    return 0;
}

/* One training-step benchmark of b, printed; its pairs/s in *rate if asked. */
static int bench_train(const rcc_bench_config *bc, bool json, int threads, double *rate)
{
    rcc_bench_config b = *bc;
    const char *conv = rcc_conv_kind_name(b.conv), *backbone = rcc_backbone_name(b.backbone),
               *precision = rcc_precision_name(b.precision);
    int batch = b.batch, size = b.size, width = b.width, rep_dim = b.rep_dim, channels = b.channels;
    bool profile = b.profile;
    int steps = b.steps, warmup = b.warmup;
    rcc_bench_result res;
    rcc_status s = rcc_bench_train(&b, &res);
    if (s != RCC_OK)
        return fail(s);
    double med = res.median, flops = res.step_flops;
    if (rate)
        *rate = batch / med;
    if (json) {
        printf("{\"impl\":\"rcc\",\"conv\":\"%s\",\"precision\":\"%s\",\"batch\":%d,\"size\":%d,\"threads\":%d,"
               "\"median_s\":%.6f,\"min_s\":%.6f,\"pairs_per_s\":%.2f,\"gflops\":%.1f,\"loss\":%.6f,"
               "\"peak_rss_mb\":%.1f}\n",
               conv, precision, batch, size, threads, med, res.min, batch / med, flops / med * 1e-9, res.loss,
               peak_rss_mb());
    } else {
        printf("rcc bench: %s width %d, rep_dim %d, %d channel(s), %dx%d, batch %d pairs, %d threads, %s "
               "convolutions, %s\n",
               backbone, width, rep_dim, channels, size, size, batch, threads, conv, precision);
        printf("  backbone forward: %.1f M multiply-adds per image; step: %.1f GFLOP (direct-equivalent)\n",
               res.backbone_macs * 1e-6, flops * 1e-9);
        printf("  step time: median %.3f s, min %.3f s over %d steps (after %d warm-up)\n", med, res.min, steps,
               warmup);
        printf("  throughput: %.1f pairs/s, %.1f GFLOP/s; peak memory so far %.0f MB\n", batch / med,
               flops / med * 1e-9, peak_rss_mb());
    }
    if (profile)
        print_profile(res.ops, res.nops, res.layers, res.nlayers, res.steps, "step", "  losses, Adam");
    rcc_bench_result_free(&res);
    return 0;
}
