/* test_run.c — the training loop around the step: checkpoints round-trip exactly and refuse
 * what they should; an interrupted and resumed run ends bit for bit where an uninterrupted one
 * does (at an epoch boundary and mid-epoch); the learning-rate schedule; the training log's
 * writers, reader and trim; the public API. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "run/checkpoint.h"
#include "run/config.h"
#include "run/metrics_log.h"
#include "run/run.h"
#include "rcc_bench.h"
#include "testutil.h"
#include "train.h"

static char tmpdir[256];

static void tiny_config(rcc_config *c)
{
    rcc_config_preset(c, "cpu");
    c->image_size = 16;
    c->width = 4;
    c->hidden = 16;
    c->feature_dim = 8;
    c->clusters = 3;
    c->batch = 8;
    c->epochs = 2;
    c->eval_every = 1;
    c->save_every = 1;
    c->warmup_epochs = 1;
    c->threads = 2;
}

/* 40 random 20×20 images with labels 0..3 */
static void tiny_data(rcc_dataset *d)
{
    memset(d, 0, sizeof *d);
    d->n = 40, d->c = 1, d->h = 20, d->w = 20;
    d->pix = malloc(sizeof(float) * 40 * 400);
    d->labels = malloc(sizeof(int) * 40);
    d->num_classes = 4;
    rcc_rng r;
    rcc_rng_init(&r, 3, 3);
    for (int i = 0; i < 40 * 400; i++)
        d->pix[i] = (float)rcc_rng_uniform(&r);
    for (int i = 0; i < 40; i++)
        d->labels[i] = i % 4;
}

static bool load_params(const char *path, rcc_params *ps, rcc_model *m, rcc_progress *pr, rcc_config *cfg)
{
    rcc_st_file f;
    if (rcc_checkpoint_open(path, &f, cfg, pr) != RCC_OK) {
        CHECK(false, "open %s: %s", path, rcc_last_error());
        return false;
    }
    rcc_model_config mc;
    rcc_config_model(cfg, &mc);
    memset(ps, 0, sizeof *ps);
    bool ok = rcc_model_plan(m, &mc, ps, 2, 1, false) == RCC_OK && rcc_params_alloc(ps) == RCC_OK &&
              rcc_checkpoint_load_params(&f, path, ps, true) == RCC_OK;
    CHECK(ok, "load %s: %s", path, rcc_last_error());
    rcc_st_close(&f);
    return ok;
}

static void checkpoint_roundtrip(void)
{
    rcc_config c;
    tiny_config(&c);
    c.in_channels = 1;
    rcc_model_config mc;
    rcc_loss_config lc;
    rcc_adam_config ac;
    rcc_config_model(&c, &mc);
    rcc_config_loss(&c, &lc);
    rcc_config_adam(&c, &ac);
    rcc_trainer t;
    CHECK_OK(rcc_trainer_create(&t, &mc, &lc, &ac, 4, RCC_INIT_DEFAULT, 11));
    rcc_rng r;
    rcc_rng_init(&r, 1, 1);
    fill_uniform(t.model.input.ptr, rcc_act_floats(&t.model.input), &r, 0, 1);
    rcc_loss_terms lt;
    CHECK_OK(rcc_trainer_step(&t, &lt, true)); /* non-trivial m, v and running statistics */
    char path[300];
    snprintf(path, sizeof path, "%s/rt.safetensors", tmpdir);
    rcc_progress pr = {3, 2, 17};
    CHECK_OK(rcc_checkpoint_save(path, &c, &t.ps, &pr, true));
    rcc_params ps;
    rcc_model m;
    rcc_progress pr2;
    rcc_config c2;
    if (load_params(path, &ps, &m, &pr2, &c2)) {
        CHECK(pr2.epoch == 3 && pr2.batch_in_epoch == 2 && pr2.step == 17, "progress round trip");
        char *j1 = rcc_config_to_json(&c), *j2 = rcc_config_to_json(&c2);
        CHECK(strcmp(j1, j2) == 0, "configuration round trip:\n%s\n%s", j1, j2);
        free(j1);
        free(j2);
        CHECK(ps.total == t.ps.total && memcmp(ps.data, t.ps.data, ps.total * 4) == 0, "parameters round trip");
        CHECK(memcmp(ps.m, t.ps.m, ps.total * 4) == 0 && memcmp(ps.v, t.ps.v, ps.total * 4) == 0,
              "Adam moments round trip");
        CHECK(memcmp(ps.bufs, t.ps.bufs, ps.total_b * 4) == 0, "running statistics round trip");
        rcc_model_free(&m);
        rcc_params_free(&ps);
    }
    /* refusals: another K, a file that is not a checkpoint */
    rcc_config other = c;
    other.clusters = 4;
    rcc_model_config omc;
    rcc_config_model(&other, &omc);
    rcc_params ops = {0};
    rcc_model om;
    CHECK_OK(rcc_model_plan(&om, &omc, &ops, 2, 1, false));
    CHECK_OK(rcc_params_alloc(&ops));
    rcc_st_file f;
    rcc_config tmpc;
    CHECK_OK(rcc_checkpoint_open(path, &f, &tmpc, &pr2));
    rcc_status st = rcc_checkpoint_load_params(&f, path, &ops, false);
    CHECK(st == RCC_ERR_FORMAT && strstr(rcc_last_error(), "shape"), "a model with another K is refused: %s",
          rcc_last_error());
    rcc_st_close(&f);
    rcc_model_free(&om);
    rcc_params_free(&ops);
    st = rcc_checkpoint_open(RCC_FIXTURES "/losses.safetensors", &f, &tmpc, &pr2);
    CHECK(st == RCC_ERR_FORMAT && strstr(rcc_last_error(), "not an rcc checkpoint"), "a fixture is not a checkpoint: %s",
          rcc_last_error());
    rcc_trainer_free(&t);
}

typedef struct {
    int stop_epoch, stop_batch; /* stop after this (0-based epoch, 1-based batch); batch 0 = end of epoch */
    volatile sig_atomic_t flag;
} stopper;

static void stop_step(const rcc_step_event *e, void *u)
{
    stopper *s = u;
    if (s->stop_batch && e->epoch == s->stop_epoch && e->batch == s->stop_batch)
        s->flag = 1;
}

static void stop_epoch(const rcc_epoch_event *e, void *u)
{
    stopper *s = u;
    if (!s->stop_batch && e->epoch == s->stop_epoch)
        s->flag = 1;
}

/* Interrupted at (stop_ep, stop_batch) and resumed, against an uninterrupted run; with sl > 0, the
 * run has sl self-labelling epochs after its 2 contrastive ones (threshold 0.4 of K = 3, so that
 * the tiny network has confident images). */
static void resume_case(int stop_ep, int stop_batch, int sl)
{
    rcc_config c;
    tiny_config(&c);
    c.self_label_epochs = sl;
    c.self_label_threshold = 0.4f;
    rcc_dataset d;
    tiny_data(&d);
    char a[300], b[300], pa[340], pb[340];
    snprintf(a, sizeof a, "%s/full-%d", tmpdir, sl);
    snprintf(b, sizeof b, "%s/cut-%d-%d-%d", tmpdir, stop_ep, stop_batch, sl);
    CHECK_OK(rcc_run_train(&c, &d, a, NULL, NULL));
    stopper s = {stop_ep, stop_batch, 0};
    rcc_run_hooks hooks = {.on_step = stop_step, .on_epoch = stop_epoch, .user = &s, .stop = &s.flag};
    rcc_status st = rcc_run_train(&c, &d, b, NULL, &hooks);
    CHECK(st == RCC_ERR_INTERRUPTED, "the stop flag interrupts the run (%s)", rcc_strerror(st));
    snprintf(pb, sizeof pb, "%s/checkpoint.safetensors", b);
    c.in_channels = 1;
    CHECK_OK(rcc_run_train(&c, &d, b, pb, NULL));
    snprintf(pa, sizeof pa, "%s/checkpoint.safetensors", a);
    rcc_params p1, p2;
    rcc_model m1, m2;
    rcc_progress r1, r2;
    rcc_config c1, c2;
    if (load_params(pa, &p1, &m1, &r1, &c1) && load_params(pb, &p2, &m2, &r2, &c2)) {
        CHECK(r1.step == r2.step && r1.epoch == r2.epoch, "resumed run reaches the same step (%ld vs %ld)", r2.step,
              r1.step);
        CHECK(memcmp(p1.data, p2.data, p1.total * 4) == 0 && memcmp(p1.m, p2.m, p1.total * 4) == 0 &&
                  memcmp(p1.v, p2.v, p1.total * 4) == 0 && memcmp(p1.bufs, p2.bufs, p1.total_b * 4) == 0,
              "interrupted at epoch %d batch %d and resumed: parameters, Adam state and running statistics equal "
              "the uninterrupted run bit for bit",
              stop_ep + 1, stop_batch);
        rcc_model_free(&m1);
        rcc_model_free(&m2);
        rcc_params_free(&p1);
        rcc_params_free(&p2);
    }
    /* metrics: one line per step, no duplicates after the resume */
    char mp[360];
    snprintf(mp, sizeof mp, "%s/metrics.jsonl", b);
    FILE *f = fopen(mp, "r");
    int steps = 0, sl_steps = 0, confident = 0;
    char line[4096];
    while (f && fgets(line, sizeof line, f)) {
        bool step = strstr(line, "\"kind\":\"step\"") != NULL, self = strstr(line, "\"self_label\":") != NULL;
        steps += step, sl_steps += step && self;
        confident += self && !strstr(line, "\"confident\":0.0000");
        CHECK(!strstr(line, "nan"), "metrics line without NaN: %s", line);
    }
    if (f)
        fclose(f);
    CHECK(steps == (2 + sl) * (40 / 8), "metrics.jsonl holds each step once after a resume (%d lines)", steps);
    CHECK(sl_steps == sl * (40 / 8) && confident == sl_steps, "%d self-labelling step lines (want %d), %d with "
          "confident images", sl_steps, sl * (40 / 8), confident);
    free(d.pix);
    free(d.labels);
}

/* ---- corrupt checkpoints: each is refused with RCC_ERR_FORMAT and a message naming the problem ---- */

/* Replaces the first occurrence of `from` by `to` (same length) in the header. */
static void patch(unsigned char *b, size_t n, const char *from, const char *to)
{
    size_t lf = strlen(from);
    for (size_t i = 8; i + lf <= n; i++)
        if (memcmp(b + i, from, lf) == 0) {
            memcpy(b + i, to, lf);
            return;
        }
    CHECK(false, "test setup: '%s' not found in the checkpoint", from);
}

static void expect_refused(const char *what, const char *path, const char *needle)
{
    rcc_st_file f;
    rcc_config c;
    rcc_progress pr;
    rcc_status st = rcc_checkpoint_open(path, &f, &c, &pr);
    if (st == RCC_OK) {
        rcc_model_config mc;
        rcc_config_model(&c, &mc);
        rcc_params ps = {0};
        rcc_model m;
        st = rcc_model_plan(&m, &mc, &ps, 2, 1, false);
        if (st == RCC_OK)
            st = rcc_params_alloc(&ps);
        if (st == RCC_OK)
            st = rcc_checkpoint_load_params(&f, path, &ps, true);
        rcc_st_close(&f);
        rcc_model_free(&m);
        rcc_params_free(&ps);
    }
    CHECK(st == RCC_ERR_FORMAT && strstr(rcc_last_error(), needle) && strstr(rcc_last_error(), path),
          "%s: refused naming the file and '%s' (got %s: %s)", what, needle, rcc_strerror(st), rcc_last_error());
}

static void corrupt_checkpoints(void)
{
    rcc_config c;
    tiny_config(&c);
    c.in_channels = 1;
    rcc_model_config mc;
    rcc_config_model(&c, &mc);
    rcc_params ps = {0};
    rcc_model m;
    CHECK_OK(rcc_model_plan(&m, &mc, &ps, 2, 1, false));
    CHECK_OK(rcc_params_alloc(&ps));
    rcc_params_init_default(&ps, 1);
    char good[300], bad[300];
    snprintf(good, sizeof good, "%s/good.safetensors", tmpdir);
    snprintf(bad, sizeof bad, "%s/bad.safetensors", tmpdir);
    rcc_progress pr = {1, 0, 5};
    CHECK_OK(rcc_checkpoint_save(good, &c, &ps, &pr, true));
    rcc_model_free(&m);
    rcc_params_free(&ps);
    size_t n;
    unsigned char *b = read_bytes(good, &n), *w = malloc(n + 64);
    if (!b || !w)
        return;
    write_bytes(bad, b, n / 2); /* truncated: tensors run past the end */
    expect_refused("truncated file", bad, "outside the file");
    write_bytes(bad, b, 6);
    expect_refused("six bytes", bad, "too short");
    memcpy(w, b, n);
    w[7] = 0x7f; /* header length beyond the file */
    write_bytes(bad, w, n);
    expect_refused("header length too large", bad, "does not fit");
    memcpy(w, b, n);
    patch(w, n, "\"format\":\"rcc-checkpoint\"", "\"format\":\"xyz-checkpoint\"");
    write_bytes(bad, w, n);
    expect_refused("wrong format tag", bad, "not an rcc checkpoint");
    memcpy(w, b, n);
    patch(w, n, "\"format_version\":\"1\"", "\"format_version\":\"7\"");
    write_bytes(bad, w, n);
    expect_refused("future format version", bad, "version 7");
    memcpy(w, b, n);
    patch(w, n, "\"dtype\":\"F32\"", "\"dtype\":\"F64\""); /* the first tensor: wrong byte count now */
    write_bytes(bad, w, n);
    expect_refused("dtype changed", bad, "bytes for");
    memcpy(w, b, n);
    patch(w, n, "backbone.conv1.weight", "backbone.conv9.weight");
    write_bytes(bad, w, n);
    expect_refused("a tensor missing", bad, "backbone.conv1.weight' is missing");
    memcpy(w, b, n);
    patch(w, n, "\"data_offsets\":[0,", "\"data_offsets\":[9,");
    write_bytes(bad, w, n);
    expect_refused("offsets that do not match the shape", bad, "bytes for");
    memcpy(w, b, n);
    patch(w, n, "{\"__metadata__\"", "[\"__metadata__\"");
    write_bytes(bad, w, n);
    expect_refused("header not JSON", bad, "not a JSON object");
    /* the configuration in the metadata: an unknown key, a seed that is not a plain integer. The
     * message wraps the configuration's own ("<file>: configuration: …"), which came out garbled
     * before rcc_fail formatted aside from the buffer it reads */
    memcpy(w, b, n);
    patch(w, n, "backbone\\\":", "backbonX\\\":");
    write_bytes(bad, w, n);
    expect_refused("unknown configuration key", bad, "configuration: unknown key 'backbonX'");
    memcpy(w, b, n);
    patch(w, n, "\\\"seed\\\":\\\"1\\\"", "\\\"seed\\\":\\\"-\\\"");
    write_bytes(bad, w, n);
    expect_refused("seed not an integer", bad, "'seed' is not an integer");
    free(b);
    free(w);
}

/* Edge cases with defined behaviour: each trains without error and leaves a finite model. */
static void edge_case(const char *what, float lambda, int k, int batch, float constant)
{
    rcc_config c;
    tiny_config(&c);
    c.epochs = 1;
    c.lambda = lambda;
    c.clusters = k;
    c.batch = batch;
    rcc_dataset d;
    tiny_data(&d);
    if (constant >= 0)
        for (int i = 0; i < d.n * d.c * d.h * d.w; i++)
            d.pix[i] = constant;
    char dir[300], ck[340];
    snprintf(dir, sizeof dir, "%s/edge", tmpdir);
    rcc_status st = rcc_run_train(&c, &d, dir, NULL, NULL);
    CHECK(st == RCC_OK, "%s: trains (%s: %s)", what, rcc_strerror(st), rcc_last_error());
    snprintf(ck, sizeof ck, "%s/checkpoint.safetensors", dir);
    rcc_params ps;
    rcc_model m;
    rcc_progress pr;
    rcc_config c2;
    if (st == RCC_OK && load_params(ck, &ps, &m, &pr, &c2)) {
        size_t bad = 0;
        for (size_t i = 0; i < ps.total; i++)
            bad += !isfinite(rcc_pdata(&ps)[i]);
        CHECK(bad == 0 && pr.step == d.n / batch, "%s: finite parameters after %ld steps (%zu not finite)", what,
              pr.step, bad);
        rcc_model_free(&m);
        rcc_params_free(&ps);
    }
    free(d.pix);
    free(d.labels);
}

static void bad_runs(void)
{
    rcc_config c;
    tiny_config(&c);
    rcc_dataset d;
    tiny_data(&d);
    c.batch = 64;
    rcc_status st = rcc_run_train(&c, &d, tmpdir, NULL, NULL);
    CHECK(st == RCC_ERR_ARG && strstr(rcc_last_error(), "fewer than one batch"), "fewer images than a batch: %s",
          rcc_last_error());
    tiny_config(&c);
    st = rcc_run_train(&c, &d, "/proc/rcc-cannot-write-here", NULL, NULL);
    CHECK(st == RCC_ERR_IO, "an output folder that cannot be made is reported at start: %s", rcc_last_error());
    c.lambda = 1.5f;
    st = rcc_run_train(&c, &d, tmpdir, NULL, NULL);
    CHECK(st == RCC_ERR_ARG && strstr(rcc_last_error(), "lambda"), "lambda out of range: %s", rcc_last_error());
    free(d.pix);
    free(d.labels);
}

/* A safetensors header naming a tensor or a metadata key twice is refused: which one counts would be
 * a guess. Two __metadata__ objects overflowed the metadata table (found by fuzz/fuzz_safetensors). */
static void st_refused(const char *what, const char *header, const char *needle)
{
    size_t hl = strlen(header);
    unsigned char *b = calloc(1, 8 + hl + 64);
    for (int i = 0; i < 8; i++)
        b[i] = (unsigned char)((uint64_t)hl >> (8 * i));
    memcpy(b + 8, header, hl);
    rcc_st_file f;
    rcc_status st = rcc_st_parse(&f, b, 8 + hl + 64, "x.safetensors");
    CHECK(st == RCC_ERR_FORMAT && strstr(rcc_last_error(), needle), "%s: refused with '%s' (%s: %s)", what, needle,
          rcc_strerror(st), rcc_last_error());
    if (st == RCC_OK)
        rcc_st_close(&f);
    free(b);
}

static void safetensors_duplicates(void)
{
    st_refused("two __metadata__",
               "{\"__metadata__\":{\"a\":\"1\",\"b\":\"2\",\"c\":\"3\"},\"__metadata__\":{\"d\":\"4\"}}",
               "two __metadata__");
    st_refused("a tensor named twice",
               "{\"t\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
               "\"t\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]}}",
               "tensor 't' appears twice");
    st_refused("a metadata key twice", "{\"__metadata__\":{\"format\":\"rcc-checkpoint\",\"format\":\"x\"}}",
               "metadata key 'format' appears twice");
    const char *ok = "{\"__metadata__\":{\"k\":\"v\"},\"t\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}";
    size_t hl = strlen(ok);
    unsigned char b[256] = {0};
    b[0] = (unsigned char)hl;
    memcpy(b + 8, ok, hl);
    rcc_st_file f;
    CHECK_OK(rcc_st_parse(&f, b, 8 + hl + 8, "ok.safetensors"));
    if (f.buf) {
        CHECK(f.n == 1 && f.nmeta == 1 && strcmp(rcc_st_meta(&f, "k"), "v") == 0, "distinct names still parse");
        rcc_st_close(&f);
    }
}

/* The seed is stored as a string of digits (JSON numbers lose 64-bit integers); nothing else passes. */
static void config_seed(void)
{
    rcc_config c;
    rcc_config_preset(&c, "cpu");
    CHECK_OK(rcc_config_from_json(&c, "{\"seed\":\"18446744073709551615\"}"));
    CHECK(c.seed == UINT64_MAX, "the largest seed reads back");
    const char *bad[] = {"\"-1\"", "\" 7\"", "\"+7\"", "\"18446744073709551616\"", "\"\"", "\"7x\"", "7"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        char json[64];
        snprintf(json, sizeof json, "{\"seed\":%s}", bad[i]);
        rcc_config_preset(&c, "cpu");
        rcc_status st = rcc_config_from_json(&c, json);
        CHECK(st == RCC_ERR_FORMAT && strstr(rcc_last_error(), "seed") && c.seed == 1, "seed %s refused (%s)", bad[i],
              rcc_last_error());
    }
}

/* conv: direct by default (also for checkpoints written before the field existed), winograd
 * round-trips, anything else is refused by name. */
static void config_conv(void)
{
    rcc_config c;
    rcc_config_preset(&c, "paper");
    CHECK(c.conv == RCC_CONV_DIRECT, "conv defaults to direct (%d)", (int)c.conv);
    CHECK_OK(rcc_config_from_json(&c, "{\"seed\":\"3\"}"));
    CHECK(c.conv == RCC_CONV_DIRECT, "a configuration without conv keeps direct");
    c.conv = RCC_CONV_WINOGRAD;
    char *j = rcc_config_to_json(&c);
    rcc_config d;
    rcc_config_preset(&d, "paper");
    CHECK(j && rcc_config_from_json(&d, j) == RCC_OK && d.conv == RCC_CONV_WINOGRAD, "conv winograd round-trips");
    free(j);
    rcc_model_config mc;
    rcc_config_model(&d, &mc);
    CHECK(mc.conv_algo == RCC_CONV_WINOGRAD, "conv winograd reaches the model");
    rcc_status st = rcc_config_from_json(&d, "{\"conv\":\"fft\"}");
    CHECK(st != RCC_OK && strstr(rcc_last_error(), "fft") && strstr(rcc_last_error(), "known: direct, winograd"),
          "conv fft refused, naming the known ones (%s)", rcc_last_error());
    /* the entropy weight: left out at its default 1 (older readers take such checkpoints), kept otherwise */
    rcc_config_preset(&c, "cpu");
    j = rcc_config_to_json(&c);
    CHECK(c.entropy_weight == 1.0f && j && !strstr(j, "entropy_weight"), "entropy weight 1 is not written");
    free(j);
    c.entropy_weight = 0.0f;
    j = rcc_config_to_json(&c);
    rcc_config_preset(&d, "cpu");
    CHECK(j && strstr(j, "\"entropy_weight\":0") && rcc_config_from_json(&d, j) == RCC_OK && d.entropy_weight == 0.0f,
          "entropy weight 0 round-trips");
    free(j);
    rcc_loss_config lc;
    rcc_config_loss(&d, &lc);
    CHECK(lc.entropy_weight == 0.0f, "the entropy weight reaches the loss");
    st = rcc_config_from_json(&d, "{\"entropy_weight\":-1}");
    CHECK(st != RCC_OK && strstr(rcc_last_error(), "entropy_weight"), "a negative entropy weight is refused (%s)",
          rcc_last_error());
}

/* Every "key":value pair of was is in now, in the same order (now may hold keys added since). */
static bool json_pairs_in_order(const char *was, const char *now)
{
    const char *p = was + 1, *at = now;
    while (*p && *p != '}') {
        size_t len = strcspn(p, ",}");
        char pair[256];
        if (len + 3 > sizeof pair)
            return false;
        snprintf(pair, sizeof pair, "%.*s", (int)len, p);
        const char *f = strstr(at, pair);
        while (f && !((f[-1] == '{' || f[-1] == ',') && (f[len] == ',' || f[len] == '}')))
            f = strstr(f + 1, pair);
        if (!f)
            return false;
        at = f + len;
        p += len + (p[len] == ',');
    }
    return true;
}

/* The named choices: each name parses to its value and back; an unknown one is refused with the
 * table's names; JSON that rcc wrote before they were enums reads, and is written again with the
 * same pairs in the same order (the checkpoint of a whole run is compared byte for byte by hand:
 * the same `rcc train` gives the same file). */
static void config_names(void)
{
    static const struct {
        const char *name;
        int value;
        int kind; /* 0 backbone, 1 augment, 2 conv, 3 precision */
    } named[] = {{"resnet18", RCC_BACKBONE_RESNET18, 0},  {"resnet18-small", RCC_BACKBONE_RESNET18_SMALL, 0},
                 {"paper", RCC_AUGMENT_PAPER, 1},         {"cpu", RCC_AUGMENT_CPU, 1},
                 {"photo", RCC_AUGMENT_PHOTO, 1},         {"none", RCC_AUGMENT_NONE, 1},
                 {"direct", RCC_CONV_DIRECT, 2},          {"winograd", RCC_CONV_WINOGRAD, 2},
                 {"f32", RCC_PRECISION_F32, 3},           {"bf16", RCC_PRECISION_BF16, 3}};
    for (size_t i = 0; i < sizeof named / sizeof *named; i++) {
        const char *back = NULL;
        int v = -1;
        rcc_backbone b;
        rcc_augment_preset a;
        rcc_conv_kind k;
        rcc_precision p;
        switch (named[i].kind) {
        case 0:
            v = rcc_backbone_parse(named[i].name, &b) == RCC_OK ? (int)b : -1;
            back = rcc_backbone_name((rcc_backbone)named[i].value);
            break;
        case 1:
            v = rcc_augment_preset_parse(named[i].name, &a) == RCC_OK ? (int)a : -1;
            back = rcc_augment_preset_name((rcc_augment_preset)named[i].value);
            break;
        case 2:
            v = rcc_conv_kind_parse(named[i].name, &k) == RCC_OK ? (int)k : -1;
            back = rcc_conv_kind_name((rcc_conv_kind)named[i].value);
            break;
        default:
            v = rcc_precision_parse(named[i].name, &p) == RCC_OK ? (int)p : -1;
            back = rcc_precision_name((rcc_precision)named[i].value);
        }
        CHECK(v == named[i].value && back && strcmp(back, named[i].name) == 0, "%s: value %d and back ('%s')",
              named[i].name, v, back ? back : "(null)");
    }
    rcc_augment_preset a;
    CHECK(rcc_augment_preset_parse("blurry", &a) == RCC_ERR_ARG &&
              strstr(rcc_last_error(), "augmentation preset 'blurry' is not known (known: paper, cpu, photo, none)"),
          "an unknown augmentation preset is refused, naming the known ones (%s)", rcc_last_error());
    CHECK(rcc_backbone_name((rcc_backbone)7) == NULL && rcc_precision_name((rcc_precision)-1) == NULL,
          "a value out of range has no name");
    rcc_config c;
    rcc_config_preset(&c, "cpu");
    c.backbone = (rcc_backbone)9;
    CHECK(rcc_config_check(&c) == RCC_ERR_ARG && strstr(rcc_last_error(), "backbone 9"),
          "rcc_config_check refuses a backbone out of range (%s)", rcc_last_error());

    /* written by rcc before the choices were enums: the presets paper, cpu, photo (threads 2);
     * photo with resnet18-small, 3 channels and bf16; cpu with winograd and augment none */
    static const char *const before[] = {
        "{\"backbone\":\"resnet18\",\"in_channels\":0,\"image_size\":64,\"width\":64,\"rep_dim\":3,\"feature_"
        "dim\":128,\"clusters\":10,\"hidden\":512,\"lambda\":0.949999988,\"tau_i\":0.5,\"tau_c\":1,\"t\":2,\""
        "lr\":0.000300000014,\"beta1\":0.899999976,\"beta2\":0.999000013,\"adam_eps\":9.99999994e-09,\"weight"
        "_decay\":0,\"warmup_epochs\":0,\"cosine\":0,\"batch\":256,\"epochs\":200,\"seed\":\"1\",\"augment\":"
        "\"paper\",\"crop_area_min\":-1,\"jitter_prob\":-1,\"blur_prob\":-1,\"rotate_deg\":-1,\"self_label_ep"
        "ochs\":0,\"self_label_threshold\":0.99000001,\"self_label_lr\":9.99999975e-05,\"threads\":2,\"loader"
        "_threads\":1,\"eval_every\":10,\"save_every\":10}",
        "{\"backbone\":\"resnet18\",\"in_channels\":0,\"image_size\":32,\"width\":64,\"rep_dim\":3,\"feature_"
        "dim\":128,\"clusters\":10,\"hidden\":512,\"lambda\":0.949999988,\"tau_i\":0.5,\"tau_c\":1,\"t\":2,\""
        "lr\":0.00100000005,\"beta1\":0.899999976,\"beta2\":0.999000013,\"adam_eps\":9.99999994e-09,\"weight_"
        "decay\":0,\"warmup_epochs\":1,\"cosine\":1,\"batch\":256,\"epochs\":40,\"seed\":\"1\",\"augment\":\""
        "cpu\",\"crop_area_min\":-1,\"jitter_prob\":-1,\"blur_prob\":-1,\"rotate_deg\":-1,\"self_label_epochs"
        "\":0,\"self_label_threshold\":0.99000001,\"self_label_lr\":9.99999975e-05,\"threads\":2,\"loader_thr"
        "eads\":1,\"eval_every\":5,\"save_every\":5}",
        "{\"backbone\":\"resnet18\",\"in_channels\":0,\"image_size\":32,\"width\":32,\"rep_dim\":128,\"featur"
        "e_dim\":128,\"clusters\":10,\"hidden\":512,\"lambda\":0.949999988,\"tau_i\":0.5,\"tau_c\":1,\"t\":2,"
        "\"lr\":0.00100000005,\"beta1\":0.899999976,\"beta2\":0.999000013,\"adam_eps\":9.99999994e-09,\"weigh"
        "t_decay\":0,\"warmup_epochs\":1,\"cosine\":1,\"batch\":256,\"epochs\":80,\"seed\":\"1\",\"augment\":"
        "\"photo\",\"crop_area_min\":-1,\"jitter_prob\":-1,\"blur_prob\":-1,\"rotate_deg\":-1,\"self_label_ep"
        "ochs\":0,\"self_label_threshold\":0.99000001,\"self_label_lr\":9.99999975e-05,\"threads\":2,\"loader"
        "_threads\":1,\"eval_every\":5,\"save_every\":5}",
        "{\"backbone\":\"resnet18-small\",\"in_channels\":3,\"image_size\":32,\"width\":32,\"rep_dim\":128,\""
        "feature_dim\":128,\"clusters\":10,\"hidden\":512,\"lambda\":0.949999988,\"tau_i\":0.5,\"tau_c\":1,\""
        "t\":2,\"lr\":0.00100000005,\"beta1\":0.899999976,\"beta2\":0.999000013,\"adam_eps\":9.99999994e-09,\""
        "weight_decay\":0,\"warmup_epochs\":1,\"cosine\":1,\"batch\":256,\"epochs\":80,\"seed\":\"1\",\"augme"
        "nt\":\"photo\",\"crop_area_min\":-1,\"jitter_prob\":-1,\"blur_prob\":-1,\"rotate_deg\":-1,\"self_lab"
        "el_epochs\":0,\"self_label_threshold\":0.99000001,\"self_label_lr\":9.99999975e-05,\"threads\":2,\"l"
        "oader_threads\":1,\"eval_every\":5,\"save_every\":5,\"precision\":\"bf16\"}",
        "{\"backbone\":\"resnet18\",\"in_channels\":0,\"image_size\":32,\"width\":64,\"rep_dim\":3,\"feature_"
        "dim\":128,\"clusters\":10,\"hidden\":512,\"lambda\":0.949999988,\"tau_i\":0.5,\"tau_c\":1,\"t\":2,\""
        "lr\":0.00100000005,\"beta1\":0.899999976,\"beta2\":0.999000013,\"adam_eps\":9.99999994e-09,\"weight_"
        "decay\":0,\"warmup_epochs\":1,\"cosine\":1,\"batch\":256,\"epochs\":40,\"seed\":\"1\",\"augment\":\""
        "none\",\"crop_area_min\":-1,\"jitter_prob\":-1,\"blur_prob\":-1,\"rotate_deg\":-1,\"self_label_epoch"
        "s\":0,\"self_label_threshold\":0.99000001,\"self_label_lr\":9.99999975e-05,\"threads\":2,\"loader_th"
        "reads\":1,\"eval_every\":5,\"save_every\":5,\"conv\":\"winograd\"}"};
    for (size_t i = 0; i < sizeof before / sizeof *before; i++) {
        rcc_config_preset(&c, "paper");
        CHECK_OK(rcc_config_from_json(&c, before[i]));
        char *now = rcc_config_to_json(&c);
        CHECK(now && json_pairs_in_order(before[i], now), "JSON %zu written again as before\n  was %s\n  now %s", i,
              before[i], now ? now : "(null)");
        free(now);
    }
    CHECK(c.conv == RCC_CONV_WINOGRAD && c.augment == RCC_AUGMENT_NONE, "conv winograd, augment none read");
    rcc_config_from_json(&c, before[3]);
    CHECK(c.backbone == RCC_BACKBONE_RESNET18_SMALL && c.precision == RCC_PRECISION_BF16 && c.augment == RCC_AUGMENT_PHOTO,
          "resnet18-small, bf16, photo read");
}

/* Largest |a − b| relative to the largest |a| of the same tensor, over all parameters; *abs_diff
 * gets the largest |a − b| and *where the tensor of the relative one. */
static double max_rel_diff(const rcc_params *a, const rcc_params *b, double *abs_diff, const char **where)
{
    double worst = 0;
    *abs_diff = 0;
    *where = "";
    for (int i = 0; i < a->n; i++) {
        const float *x = rcc_pdata(a) + a->p[i].off, *y = rcc_pdata(b) + b->p[i].off;
        double scale = 0, d = 0;
        for (size_t k = 0; k < a->p[i].numel; k++) {
            scale = fmax(scale, fabs(x[k]));
            d = fmax(d, fabs((double)x[k] - y[k]));
        }
        *abs_diff = fmax(*abs_diff, d);
        if (scale > 0 && d / scale > worst) {
            worst = d / scale;
            *where = a->p[i].name;
        }
    }
    return worst;
}

/* One epoch (5 steps) from the same seed with other thread counts. The loader's threads only
 * prepare the same bytes (each view depends on seed, epoch, index, view), so 1 or 2 of them give
 * the same model bit for bit. The compute threads split oneDNN's and the losses' reductions
 * differently, so 1 and 2 of them differ in the last bits, which Adam then carries on: the test
 * bounds the difference. */
static void thread_counts(void)
{
    rcc_dataset d;
    tiny_data(&d);
    const struct {
        int threads, loader;
    } runs[3] = {{2, 1}, {2, 2}, {1, 1}};
    rcc_params ps[3];
    rcc_model m[3];
    bool ok = true;
    for (int r = 0; r < 3; r++) {
        rcc_config c;
        tiny_config(&c);
        c.epochs = 1;
        c.threads = runs[r].threads;
        c.loader_threads = runs[r].loader;
        char dir[300], ck[340];
        snprintf(dir, sizeof dir, "%s/threads-%d-%d", tmpdir, runs[r].threads, runs[r].loader);
        rcc_status st = rcc_run_train(&c, &d, dir, NULL, NULL);
        CHECK(st == RCC_OK, "threads %d, loader threads %d: trains (%s)", runs[r].threads, runs[r].loader,
              rcc_last_error());
        snprintf(ck, sizeof ck, "%s/checkpoint.safetensors", dir);
        rcc_progress pr;
        rcc_config c2;
        ok = ok && st == RCC_OK && load_params(ck, &ps[r], &m[r], &pr, &c2);
        if (!ok)
            break;
    }
    if (ok) {
        CHECK(memcmp(ps[0].data, ps[1].data, ps[0].total * 4) == 0 && memcmp(ps[0].v, ps[1].v, ps[0].total * 4) == 0 &&
                  memcmp(ps[0].bufs, ps[1].bufs, ps[0].total_b * 4) == 0,
              "1 or 2 loader threads: the same model bit for bit");
        double abs_diff;
        const char *where;
        double rel = max_rel_diff(&ps[0], &ps[2], &abs_diff, &where);
        bool same = memcmp(ps[0].data, ps[2].data, ps[0].total * 4) == 0;
        printf("test_run: 1 vs 2 compute threads after %d steps: %s, largest relative parameter difference %.3g "
               "(%s), largest absolute %.3g\n",
               40 / 8, same ? "bit-identical" : "not bit-identical", rel, where, abs_diff);
        /* measured: 6e-7 absolute, 1.1e-4 of the scale of a batch-norm bias that is still near 0 */
        CHECK(abs_diff < 1e-5 && rel < 1e-3,
              "1 vs 2 compute threads: parameters within 1e-5, and 1e-3 of each tensor's scale (%.3g, %.3g)",
              abs_diff, rel);
    }
    for (int r = 0; ok && r < 3; r++) {
        rcc_model_free(&m[r]);
        rcc_params_free(&ps[r]);
    }
    free(d.pix);
    free(d.labels);
}

/* Resuming needs the same training and Adam's state; each refusal names the reason. */
static void resume_refusals(void)
{
    rcc_config c;
    tiny_config(&c);
    c.epochs = 1;
    rcc_dataset d;
    tiny_data(&d);
    char dir[300], ck[340], other[300];
    snprintf(dir, sizeof dir, "%s/refuse", tmpdir);
    snprintf(ck, sizeof ck, "%s/checkpoint.safetensors", dir);
    CHECK_OK(rcc_run_train(&c, &d, dir, NULL, NULL));
    rcc_config changed = c;
    changed.in_channels = 1;
    changed.epochs = 3;
    changed.lambda = 0.5f;
    snprintf(other, sizeof other, "%s/refuse2", tmpdir);
    rcc_status st = rcc_run_train(&changed, &d, other, ck, NULL);
    CHECK(st == RCC_ERR_ARG && strstr(rcc_last_error(), "another configuration"),
          "resume with another lambda is refused: %s", rcc_last_error());
    changed = c;
    changed.in_channels = 1;
    changed.epochs = 3;
    changed.threads = 1;
    changed.save_every = 2;
    st = rcc_run_train(&changed, &d, other, ck, NULL);
    CHECK(st == RCC_OK, "resume with more epochs, other threads and save_every is allowed: %s", rcc_last_error());
    /* a checkpoint for inference only (no Adam moments) */
    rcc_st_file f;
    rcc_config saved;
    rcc_progress pr;
    rcc_params ps;
    rcc_model m;
    if (load_params(ck, &ps, &m, &pr, &saved)) {
        char inf[340];
        snprintf(inf, sizeof inf, "%s/inference.safetensors", tmpdir);
        CHECK_OK(rcc_checkpoint_save(inf, &saved, &ps, &pr, false));
        CHECK_OK(rcc_checkpoint_open(inf, &f, &saved, &pr));
        rcc_st_close(&f);
        st = rcc_run_train(&saved, &d, other, inf, NULL);
        CHECK(st == RCC_ERR_FORMAT && strstr(rcc_last_error(), "no optimizer state"),
              "a checkpoint without optimizer state cannot be resumed: %s", rcc_last_error());
        rcc_model_free(&m);
        rcc_params_free(&ps);
    }
    free(d.pix);
    free(d.labels);
}

/* A non-finite loss stops the run with a message naming the epoch, the step and the checkpoint,
 * which stays loadable and finite. Provoked with NaN pixels (the file readers refuse them, the
 * in-memory data set does not). */
static void nan_loss(void)
{
    rcc_dataset d;
    tiny_data(&d);
    for (int i = 0; i < d.n * 400; i++)
        d.pix[i] = NAN;
    rcc_config c;
    tiny_config(&c);
    char dir[300];
    snprintf(dir, sizeof dir, "%s/nan", tmpdir);
    rcc_status st = rcc_run_train(&c, &d, dir, NULL, NULL);
    /* the loss stays finite here (ReLU maps NaN to 0): the gradient check is what stops the run */
    CHECK(st == RCC_ERR_NUMERIC && strstr(rcc_last_error(), "epoch 1, step 1") &&
              strstr(rcc_last_error(), "the gradient of backbone.") && strstr(rcc_last_error(), "last good checkpoint"),
          "NaN loss: stopped with a clear message (%s: %s)", rcc_strerror(st), rcc_last_error());
    char ck[340];
    snprintf(ck, sizeof ck, "%s/checkpoint.safetensors", dir);
    rcc_params ps;
    rcc_model m;
    rcc_progress pr;
    rcc_config saved;
    if (load_params(ck, &ps, &m, &pr, &saved)) {
        size_t bad = 0;
        for (size_t i = 0; i < ps.total; i++)
            bad += !isfinite(rcc_pdata(&ps)[i]);

        CHECK(bad == 0 && pr.step == 0, "after a NaN loss the checkpoint is the last good one (step %ld, %zu non-finite)",
              pr.step, bad);
        rcc_model_free(&m);
        rcc_params_free(&ps);
    }
    free(d.pix);
    free(d.labels);
}

/* One image cannot make a batch (at least 2: the losses contrast each image with the others), so
 * it is refused, clearly; --batch 1 is out of range. */
/* rcc_train, the whole run from files: an IDX image file and its labels (40 random 20×20 images),
 * one epoch; the checkpoint is written and loads, equals rcc_run_train's on the same data byte
 * for byte, and a second call with resume_from continues it. */
static void public_train(void)
{
    enum { N = 40, H = 20, W = 20 };
    unsigned char img[16 + N * H * W], lab[8 + N];
    const unsigned char ih[16] = {0, 0, 8, 3, 0, 0, 0, N, 0, 0, 0, H, 0, 0, 0, W}, lh[8] = {0, 0, 8, 1, 0, 0, 0, N};
    memcpy(img, ih, 16);
    memcpy(lab, lh, 8);
    rcc_rng r;
    rcc_rng_init(&r, 4, 4);
    for (int i = 0; i < N * H * W; i++)
        img[16 + i] = (unsigned char)(rcc_rng_next(&r) >> 56);
    for (int i = 0; i < N; i++)
        lab[8 + i] = (unsigned char)(i % 4);
    char images[300], labels[300], out[300], again[300], ck[340], ck2[340], metrics[340];
    snprintf(images, sizeof images, "%s/public-images-idx3-ubyte", tmpdir);
    snprintf(labels, sizeof labels, "%s/public-labels-idx1-ubyte", tmpdir);
    snprintf(out, sizeof out, "%s/public", tmpdir);
    snprintf(again, sizeof again, "%s/public-run", tmpdir);
    write_bytes(images, img, sizeof img);
    write_bytes(labels, lab, sizeof lab);
    rcc_config c;
    tiny_config(&c);
    c.epochs = 1;
    const char *src[1] = {images}, *lbl[1] = {labels};
    CHECK_OK(rcc_train(&c, src, 1, lbl, out, NULL));
    snprintf(ck, sizeof ck, "%s/checkpoint.safetensors", out);
    snprintf(metrics, sizeof metrics, "%s/%s", out, RCC_METRICS_FILE);
    rcc_config saved;
    rcc_progress pr = {0, 0, 0};
    CHECK_OK(rcc_checkpoint_info(ck, &saved, &pr));
    CHECK(pr.epoch == 1 && pr.step == N / c.batch && saved.in_channels == 1 && saved.clusters == c.clusters,
          "rcc_train: a checkpoint after 1 epoch (epoch %d, step %ld)", pr.epoch, pr.step);
    CHECK(access(metrics, F_OK) == 0, "rcc_train: %s written", RCC_METRICS_FILE);
    rcc_net *net = NULL;
    CHECK_OK(rcc_net_load(&net, ck));
    if (net) {
        float x[16 * 16]; /* one S×S image of the tiny configuration */
        int cl = -1;
        for (int i = 0; i < 16 * 16; i++)
            x[i] = 0.5f;
        CHECK_OK(rcc_net_assign(net, x, 1, &cl, NULL, NULL, NULL));
        CHECK(cl >= 0 && cl < c.clusters, "the checkpoint assigns an image (cluster %d)", cl);
        rcc_net_free(net);
    }
    /* the same run through rcc_run_train on the data loaded here: the same file */
    rcc_dataset d;
    CHECK_OK(rcc_dataset_load(&d, src, 1, lbl));
    CHECK_OK(rcc_run_train(&c, &d, again, NULL, NULL));
    rcc_dataset_free(&d);
    snprintf(ck2, sizeof ck2, "%s/checkpoint.safetensors", again);
    size_t n1 = 0, n2 = 0;
    unsigned char *b1 = read_bytes(ck, &n1), *b2 = read_bytes(ck2, &n2);
    CHECK(b1 && b2 && n1 == n2 && memcmp(b1, b2, n1) == 0, "rcc_train and rcc_run_train write the same checkpoint");
    free(b1);
    free(b2);
    c.epochs = 2;
    CHECK_OK(rcc_train(&c, src, 1, lbl, out, ck));
    CHECK_OK(rcc_checkpoint_info(ck, &saved, &pr));
    CHECK(pr.epoch == 2, "rcc_train with resume_from continues to epoch 2 (%d)", pr.epoch);
}

/* The tool's choices, made by the library: the preset for a data set, and the fastest mode. */
static void choices(void)
{
    const struct {
        int c, h, w;
        const char *preset;
        int size;
    } cases[] = {{1, 28, 28, "cpu", 32}, {3, 32, 32, "photo", 32}, {3, 49, 20, "photo", 64}, {1, 96, 96, "cpu", 32}};
    for (int i = 0; i < 4; i++) {
        rcc_dataset d = {.n = 10000, .c = cases[i].c, .h = cases[i].h, .w = cases[i].w};
        rcc_config c, p;
        const char *name = NULL;
        CHECK_OK(rcc_config_for_data(&d, &c, &name));
        rcc_config_preset(&p, cases[i].preset);
        p.image_size = cases[i].size;
        CHECK(name && strcmp(name, cases[i].preset) == 0 && memcmp(&c, &p, sizeof c) == 0,
              "%d-channel %dx%d images: the %s preset at %d (got %s at %d)", cases[i].c, cases[i].h, cases[i].w,
              cases[i].preset, cases[i].size, name ? name : "(none)", c.image_size);
    }
    /* cpu: fewer than 10 000 gray images get as many epochs as make RCC_CPU_PAIRS image pairs;
     * more keep the preset's 18; colour images keep photo's */
    const struct {
        int n, c, epochs;
    } sizes[] = {{3642, 1, 50}, {10000, 1, 18}, {60000, 1, 18}, {1, 1, 180000}, {2000, 3, 80}};
    for (int i = 0; i < 5; i++) {
        rcc_dataset d = {.n = sizes[i].n, .c = sizes[i].c, .h = 28, .w = 28};
        rcc_config c;
        CHECK_OK(rcc_config_for_data(&d, &c, NULL));
        CHECK(c.epochs == sizes[i].epochs, "%d images of %d channel(s): %d epochs (want %d)", sizes[i].n,
              sizes[i].c, c.epochs, sizes[i].epochs);
    }
    rcc_config c;
    tiny_config(&c);
    rcc_mode m[RCC_MODES_MAX];
    int kernels = rcc_modes(m, true), all = rcc_modes(m, false);
    CHECK(kernels >= 1 && all >= kernels && all <= RCC_MODES_MAX && m[0].conv == RCC_CONV_DIRECT &&
              m[0].precision == RCC_PRECISION_F32,
          "rcc_modes: direct f32 first, %d kernels at f32, %d modes", kernels, all);
    rcc_mode_choice ch;
    CHECK_OK(rcc_config_pick_mode(&c, 1, false, &ch));
    CHECK(ch.n == kernels && !ch.bf16_direct && c.conv == ch.mode[ch.chosen].conv && c.precision == RCC_PRECISION_F32,
          "--conv best: the kernels at f32 (%d), the one kept is in the configuration", ch.n);
    for (int i = 0; ch.n > 1 && i < ch.n; i++)
        CHECK(ch.rate[i] > 0 && ch.rate[ch.chosen] >= ch.rate[i], "mode %d timed: %.0f pairs/s, the fastest kept", i,
              ch.rate[i]);
    c.precision = RCC_PRECISION_BF16;
    c.conv = RCC_CONV_WINOGRAD;
    CHECK_OK(rcc_config_pick_mode(&c, 1, false, &ch));
    CHECK(ch.bf16_direct && c.conv == RCC_CONV_DIRECT && c.precision == RCC_PRECISION_BF16,
          "--conv best at bf16: direct, nothing timed");
}

static void one_image(void)
{
    rcc_dataset d;
    tiny_data(&d);
    d.n = 1;
    rcc_config c;
    tiny_config(&c);
    c.batch = 2;
    rcc_status st = rcc_run_train(&c, &d, tmpdir, NULL, NULL);
    CHECK(st == RCC_ERR_ARG && strstr(rcc_last_error(), "fewer than one batch"), "one image, batch 2: %s",
          rcc_last_error());
    c.batch = 1;
    st = rcc_run_train(&c, &d, tmpdir, NULL, NULL);
    CHECK(st == RCC_ERR_ARG && strstr(rcc_last_error(), "batch = 1 is out of range"), "batch 1: %s",
          rcc_last_error());
    free(d.pix);
    free(d.labels);
}

/* An output folder that cannot be written is reported before training, as the folder itself or as
 * the parent of a new one. Skipped when running as root, where permissions do not stop writing. */
static void unwritable_out(void)
{
    char ro[300], probe[340], sub[340];
    snprintf(ro, sizeof ro, "%s/readonly", tmpdir);
    snprintf(probe, sizeof probe, "%s/probe", ro);
    snprintf(sub, sizeof sub, "%s/run", ro);
    mkdir(ro, 0755);
    chmod(ro, 0555);
    FILE *f = fopen(probe, "w");
    if (f) {
        fclose(f);
        unlink(probe);
        printf("test_run: unwritable output folder: skipped (permissions do not stop this user, e.g. root)\n");
        chmod(ro, 0755);
        return;
    }
    rcc_dataset d;
    tiny_data(&d);
    rcc_config c;
    tiny_config(&c);
    rcc_status st = rcc_run_train(&c, &d, ro, NULL, NULL);
    CHECK(st == RCC_ERR_IO && strstr(rcc_last_error(), "not writable"), "a read-only output folder: %s",
          rcc_last_error());
    st = rcc_run_train(&c, &d, sub, NULL, NULL);
    CHECK(st == RCC_ERR_IO && strstr(rcc_last_error(), "cannot create the output folder"),
          "a new folder in a read-only one: %s", rcc_last_error());
    chmod(ro, 0755);
    free(d.pix);
    free(d.labels);
}

static void schedule(void)
{
    rcc_config c;
    rcc_config_preset(&c, "cpu");
    c.epochs = 10;
    c.warmup_epochs = 2;
    c.cosine = 1;
    c.lr = 1.0f;
    CHECK(fabs(rcc_run_lr(&c, 0, 5) - 0.1) < 1e-12, "warm-up starts at lr/warmup_steps");
    CHECK(fabs(rcc_run_lr(&c, 9, 5) - 1.0) < 1e-12, "warm-up ends at lr");
    CHECK(fabs(rcc_run_lr(&c, 10, 5) - 1.0) < 1e-12, "cosine starts at lr");
    CHECK(fabs(rcc_run_lr(&c, 30, 5) - 0.5) < 1e-12, "cosine is at lr/2 half-way");
    CHECK(rcc_run_lr(&c, 49, 5) < 0.01, "cosine ends near 0");
    c.cosine = 0;
    CHECK(fabs(rcc_run_lr(&c, 40, 5) - 1.0) < 1e-12, "constant after warm-up");
    rcc_config p;
    CHECK_OK(rcc_config_preset(&p, "paper"));
    CHECK(p.image_size == 64 && p.rep_dim == 3 && p.feature_dim == 128 && p.batch == 256 && p.epochs == 200 &&
              fabsf(p.lr - 3e-4f) < 1e-9f && fabsf(p.lambda - 0.95f) < 1e-9f && p.cosine == 0 && p.warmup_epochs == 0 &&
              p.augment == RCC_AUGMENT_PAPER,
          "the paper preset is docs/method.md's");
    CHECK(rcc_config_preset(&p, "nonsense") == RCC_ERR_ARG, "unknown preset refused");
}

/* ---- the training log: what the writers write, the reader reads back; the trim keeps lines verbatim ---- */

static void metrics_log(void)
{
    char path[300];
    snprintf(path, sizeof path, "%s/log.jsonl", tmpdir);
    FILE *f = fopen(path, "w");
    if (!f) {
        CHECK(false, "cannot write %s", path);
        return;
    }
    rcc_loss_terms t = {5.25, 2.5, 0.125, -3.75, 7.5};
    const long sizes[3] = {4, 0, 12};
    rcc_metrics_write_step(f, 1, 1, 1, 1e-4, &t);
    rcc_metrics_write_step(f, 1, 2, 2, 2e-4, &t);
    fputs("\n  \t\n", f);
    rcc_metrics_write_epoch(f, 1, 2, &t, 1.5, 1, 0.75, sizes, 3);
    rcc_metrics_write_eval(f, 1, 2, 0.5, 0.25, 0.125, 0.625, 0.25);
    fputs("{\"epoch\":3,\"ins\":1}\nnot json\n", f);
    fclose(f);
    size_t n = 0;
    unsigned char *text = read_bytes(path, &n); /* room for a terminating 0 */
    if (text)
        text[n] = 0;
    const char *want = "{\"kind\":\"step\",\"epoch\":1,\"batch\":1,\"step\":1,\"lr\":0.0001,\"ins\":5.25,"
                       "\"clu_nce\":2.5,\"entropy\":0.125,\"unif\":-3.75,\"total\":7.5}\n";
    CHECK(text && n > strlen(want) && memcmp(text, want, strlen(want)) == 0, "a step line as written: %.*s",
          (int)strlen(want), text ? (const char *)text : "");
    CHECK(text && strstr((const char *)text, ",\"seconds\":1.500,\"empty\":1,\"largest\":0.7500,\"sizes\":[4,0,12]}\n"),
          "an epoch line ends with seconds, empty, largest and the sizes");
    CHECK(text && strstr((const char *)text, "\"ari\":0.125000,\"acc_predict\":0.625000,\"seconds\":0.250}\n"),
          "an eval line with rcc predict's ACC");
    free(text);
    { /* without it (NaN: not the last epoch), the key is left out */
        char p2[512];
        snprintf(p2, sizeof p2, "%s/log2.jsonl", tmpdir);
        FILE *g = fopen(p2, "w");
        if (g) {
            rcc_metrics_write_eval(g, 1, 2, 0.5, 0.25, 0.125, NAN, 0.25);
            fclose(g);
        }
        size_t n2 = 0;
        unsigned char *t2 = read_bytes(p2, &n2);
        if (t2)
            t2[n2] = 0;
        CHECK(t2 && strcmp((const char *)t2, "{\"kind\":\"eval\",\"epoch\":1,\"step\":2,\"acc\":0.500000,\"nmi\":"
                                            "0.250000,\"ari\":0.125000,\"seconds\":0.250}\n") == 0,
              "an eval line without rcc predict's ACC: %s", t2 ? (const char *)t2 : "(unreadable)");
        free(t2);
        remove(p2);
    }
    rcc_metrics_log log;
    CHECK_OK(rcc_metrics_log_load(path, &log));
    CHECK(log.n == 5 && log.lines == 8 && log.bad_lines == 1, "5 records of 8 lines, 1 bad (%zu, %d, %d)", log.n,
          log.lines, log.bad_lines);
    if (log.n == 5) {
        const rcc_metrics_record *r = log.records;
        CHECK(r[0].kind == RCC_METRICS_STEP && r[0].epoch == 1 && r[0].batch == 1 && r[0].step == 1 &&
                  r[0].lr == 1e-4 && r[0].terms[RCC_LOSS_INS] == 5.25 && r[0].terms[RCC_LOSS_UNIF] == -3.75 &&
                  isnan(r[0].seconds),
              "a step record");
        CHECK(r[2].kind == RCC_METRICS_EPOCH && r[2].line == 5 && r[2].seconds == 1.5 && r[2].empty == 1 &&
                  r[2].largest == 0.75 && r[2].terms[RCC_LOSS_TOTAL] == 7.5 && isnan(r[2].batch),
              "an epoch record");
        CHECK(r[3].kind == RCC_METRICS_EVAL && r[3].acc == 0.5 && r[3].nmi == 0.25 && r[3].ari == 0.125 &&
                  r[3].acc_predict == 0.625 && r[3].seconds == 0.25 && isnan(r[2].acc_predict),
              "an eval record, with rcc predict's ACC and the evaluation's seconds");
        CHECK(r[4].kind == RCC_METRICS_OTHER && r[4].epoch == 3 && r[4].terms[RCC_LOSS_INS] == 1 && isnan(r[4].step),
              "a line of no kind");
    }
    rcc_metrics_log_free(&log);
    CHECK(strcmp(rcc_metrics_term_key(RCC_LOSS_CLU_NCE), "clu_nce") == 0 && !rcc_metrics_term_key(RCC_LOSS_TERMS),
          "the terms' keys");
    /* the trim: lines of steps up to 1 stay byte for byte; blank, bad and step-less lines go */
    CHECK_OK(rcc_metrics_trim(path, 1));
    text = read_bytes(path, &n);
    if (text)
        text[n] = 0;
    CHECK(text && n == strlen(want) && memcmp(text, want, n) == 0, "trimmed to step 1: %.*s", (int)n,
          text ? (const char *)text : "");
    free(text);
    /* refused once more than three lines, and more than half, are not JSON objects */
    const char *mostly_bad = "{\"step\":1}\nx\ny\nz\n{\"step\":2}\nw\n";
    write_bytes(path, mostly_bad, strlen(mostly_bad));
    CHECK(rcc_metrics_log_load(path, &log) == RCC_ERR_FORMAT && strstr(rcc_last_error(), "line 6"),
          "a file of mostly bad lines is refused at the line that decides it: %s", rcc_last_error());
    const char *half_bad = "{\"step\":1}\nx\ny\nz\n{\"step\":2}\n{\"step\":3}\n{\"step\":4}\nw\n";
    write_bytes(path, half_bad, strlen(half_bad));
    CHECK_OK(rcc_metrics_log_load(path, &log));
    CHECK(log.n == 4 && log.bad_lines == 4, "4 bad lines of 8 are skipped (%zu records)", log.n);
    rcc_metrics_log_free(&log);
    CHECK(rcc_metrics_log_load("/nonexistent/metrics.jsonl", &log) == RCC_ERR_IO, "a missing log: RCC_ERR_IO");
}

int main(void)
{
    snprintf(tmpdir, sizeof tmpdir, "/tmp/rcc-test-run-XXXXXX");
    if (!mkdtemp(tmpdir)) {
        perror("mkdtemp");
        return 1;
    }
    schedule();
    metrics_log();
    checkpoint_roundtrip();
    resume_case(0, 0, 0); /* after the first epoch */
    resume_case(1, 2, 0); /* in the middle of the second */
    resume_case(2, 3, 2); /* in the middle of the first self-labelling epoch */
    resume_case(1, 0, 2); /* between the contrastive and the self-labelling epochs */
    bad_runs();
    corrupt_checkpoints();
    safetensors_duplicates();
    config_seed();
    config_conv();
    config_names();
    nan_loss();
    thread_counts();
    resume_refusals();
    one_image();
    public_train();
    choices();
    unwritable_out();
    edge_case("lambda 0 (uniformity only)", 0.0f, 3, 8, -1);
    edge_case("lambda 1 (plain CC)", 1.0f, 3, 8, -1);
    edge_case("K = 1", 0.95f, 1, 8, -1);
    edge_case("batch smaller than K", 0.95f, 12, 8, -1);
    edge_case("all-zero images", 0.95f, 3, 8, 0.0f);
    edge_case("constant images", 0.95f, 3, 8, 0.5f);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf %s", tmpdir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", tmpdir);
    return test_finish("test_run");
}
