/* test_net.c — the one inference path: a network loaded from a checkpoint plans both its passes,
 * leaves the thread count alone, and gives the same answers whichever way it is called
 * (rcc_net_assign on views, rcc_net_assign_data on a data set, the emit callback in order); the
 * evaluation during training goes through the same path (its ACC is `rcc predict`'s); a run tells
 * its caller, not stderr, of a stale temporary file it removed. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "rcc_eval.h"
#include "rcc.h"
#include "rcc_data.h"
#include "rcc_run.h"
#include "testutil.h"

static char tmpdir[256];

/* n random 20×20 one-channel images, labels i mod 4 */
static void random_data(rcc_dataset *d, int n, uint64_t seed)
{
    memset(d, 0, sizeof *d);
    d->n = n, d->c = 1, d->h = 20, d->w = 20;
    d->pix = malloc(sizeof(float) * (size_t)n * 400);
    d->labels = malloc(sizeof(int) * (size_t)n);
    d->num_classes = 4;
    rcc_rng r;
    rcc_rng_init(&r, seed, 3);
    for (int i = 0; i < n * 400; i++)
        d->pix[i] = (float)rcc_rng_uniform(&r);
    for (int i = 0; i < n; i++)
        d->labels[i] = i % 4;
}

static void free_data(rcc_dataset *d)
{
    free(d->pix);
    free(d->labels);
}

typedef struct {
    int calls, next, rep_dim;
    bool in_order;
    int *cluster;
    float *confidence, *h;
} emitted;

static void on_emit(int index, int cluster, float confidence, const float *h, void *user)
{
    emitted *e = user;
    e->in_order = e->in_order && index == e->next;
    e->next = index + 1;
    e->calls++;
    e->cluster[index] = cluster;
    e->confidence[index] = confidence;
    memcpy(e->h + (size_t)index * e->rep_dim, h, sizeof(float) * (size_t)e->rep_dim);
}

typedef struct {
    double acc;
    bool assigned;              /* the last epoch's evaluation views */
    double confidence, spread;
    int n, *assignment;         /* the data's images, the last epoch's clusters of them */
    int notes;
    char last_note[4500];
} run_log;

static void on_epoch(const rcc_epoch_event *e, void *user)
{
    run_log *l = user;
    if (e->evaluated)
        l->acc = e->acc;
    l->assigned = e->assigned;
    l->confidence = e->mean_confidence;
    l->spread = e->size_spread;
    if (e->assigned && e->assignment)
        memcpy(l->assignment, e->assignment, sizeof(int) * (size_t)l->n);
}

static void on_note(const char *message, void *user)
{
    run_log *l = user;
    l->notes++;
    snprintf(l->last_note, sizeof l->last_note, "%s", message);
}

/* A pid that no process has (a child that has exited and been reaped). */
static pid_t dead_pid(void)
{
    pid_t p = fork();
    if (p == 0)
        _exit(0);
    waitpid(p, NULL, 0);
    return p;
}

static double max_diff(const float *a, const float *b, size_t n)
{
    double w = 0;
    for (size_t i = 0; i < n; i++)
        w = fmax(w, fabs((double)a[i] - b[i]));
    return w;
}

int main(void)
{
    snprintf(tmpdir, sizeof tmpdir, "/tmp/rcc-test-net-XXXXXX");
    if (!mkdtemp(tmpdir)) {
        perror("mkdtemp");
        return 1;
    }
    rcc_config c;
    rcc_config_preset(&c, "cpu");
    c.image_size = 16, c.width = 4, c.hidden = 16, c.feature_dim = 8, c.clusters = 3, c.batch = 8, c.epochs = 1;
    c.threads = 2, c.loader_threads = 2;
    char out[300], stale[400];
    snprintf(out, sizeof out, "%s/run", tmpdir);
    if (mkdir(out, 0755) != 0)
        perror("mkdir");
    pid_t dead = dead_pid();
    snprintf(stale, sizeof stale, "%s/checkpoint.safetensors.tmp.%d", out, (int)dead);
    write_bytes(stale, "half a checkpoint", 17);

    rcc_dataset train;
    random_data(&train, 48, 3);
    run_log log = {-1, false, 0, 0, 48, calloc(48, sizeof(int)), 0, ""};
    for (int i = 0; i < 48; i++)
        log.assignment[i] = -1;
    rcc_run_hooks hooks = {NULL, on_epoch, &log, NULL, NULL, on_note, NULL, false};
    CHECK_OK(rcc_run_train(&c, &train, out, NULL, &hooks));
    CHECK(log.notes == 1 && strstr(log.last_note, stale) && strstr(log.last_note, "interrupted checkpoint write"),
          "the stale temporary file is reported to the caller (%d notes: '%s')", log.notes, log.last_note);
    CHECK(access(stale, F_OK) != 0, "and removed");
    /* the last epoch is assigned, labels or not: its mean confidence and size spread */
    CHECK(log.assigned && log.confidence >= 1.0 / c.clusters - 1e-6 && log.confidence <= 1 && log.spread >= 0 &&
              log.spread <= c.clusters - 1,
          "the last epoch's assignment: confidence %.3f, spread %.3f", log.confidence, log.spread);
    long even[4] = {25, 25, 25, 25}, tail[4] = {10, 20, 30, 40}, near[4] = {23, 27, 24, 26};
    CHECK(rcc_size_spread(even, 4) == 0 && fabs(rcc_size_spread(tail, 4) - 0.6) < 1e-12 &&
              fabs(rcc_size_spread(near, 4) - 0.08) < 1e-12,
          "rcc_size_spread: %g %g %g", rcc_size_spread(even, 4), rcc_size_spread(tail, 4), rcc_size_spread(near, 4));
    CHECK(rcc_sizes_look_forced(0.08, 0.80) && !rcc_sizes_look_forced(0.08, 0.90) && !rcc_sizes_look_forced(0.6, 0.5),
          "rcc_sizes_look_forced: equal and unsure only");

    /* loading plans both passes and leaves the thread count alone */
    char ckpt[400];
    snprintf(ckpt, sizeof ckpt, "%s/checkpoint.safetensors", out);
    rcc_set_threads(1);
    rcc_net *net = NULL;
    CHECK_OK(rcc_net_load(&net, ckpt));
    if (!net)
        return test_finish("test_net");
    CHECK(rcc_get_threads() == 1, "rcc_net_load keeps the caller's thread count (1, trained with 2): %d",
          rcc_get_threads());
    CHECK(rcc_net_batch(net) == 64, "the batch plan: %d images", rcc_net_batch(net));

    /* the evaluation during training is the inference path: the same ACC as assigning the checkpoint */
    int *cl = malloc(sizeof(int) * 150);
    float *cf = malloc(sizeof(float) * 150), *h = malloc(sizeof(float) * 150 * 3), *pr = malloc(sizeof(float) * 150 * 3);
    CHECK_OK(rcc_net_assign_data(net, &train, cl, NULL, NULL, NULL, NULL, NULL));
    rcc_scores sc;
    CHECK_OK(rcc_scores_compute(cl, train.labels, (size_t)train.n, &sc));
    CHECK(log.acc >= 0 && sc.acc == log.acc, "ACC during training %.6f == ACC of the checkpoint %.6f", log.acc, sc.acc);
    CHECK(memcmp(log.assignment, cl, sizeof(int) * 48) == 0,
          "the last epoch's assignment (rcc_epoch_event.assignment) is the checkpoint's, image for image");
    free(log.assignment);

    /* 150 images: two full batches, a short one; answers equal those of rcc_net_assign on the views */
    rcc_dataset d;
    random_data(&d, 150, 9);
    int S = c.image_size;
    float *views = malloc(sizeof(float) * 150 * (size_t)(S * S));
    for (int i = 0; i < d.n; i++)
        rcc_eval_view(&d, i, S, views + (size_t)i * S * S);
    int *cl2 = malloc(sizeof(int) * 150);
    float *cf2 = malloc(sizeof(float) * 150), *h2 = malloc(sizeof(float) * 150 * 3), *pr2 = malloc(sizeof(float) * 150 * 3);
    CHECK_OK(rcc_net_assign_data(net, &d, cl, cf, h, pr, NULL, NULL));
    CHECK_OK(rcc_net_assign(net, views, d.n, cl2, cf2, h2, pr2));
    /* the last 22 images ran padded to 64 in the first, as 16 + 4 + 2 in the second (the plan
     * ladder): other kernels, so equal to rounding, not bit for bit */
    CHECK(memcmp(cl, cl2, sizeof(int) * 150) == 0 && max_diff(cf, cf2, 150) < 1e-5 && max_diff(h, h2, 450) < 1e-5 &&
              max_diff(pr, pr2, 450) < 1e-5,
          "rcc_net_assign_data == rcc_net_assign on the evaluation views (h within %.2g)", max_diff(h, h2, 450));
    CHECK(memcmp(h, h2, sizeof(float) * 128 * 3) == 0, "the two full batches of 64: bit for bit");

    /* passes of every size run on plans near their size and answer as the batch does */
    int sizes[] = {1, 2, 3, 5, 7, 12, 31, 40, 63, 64, 65, 100};
    for (size_t t = 0; t < sizeof sizes / sizeof *sizes; t++) {
        int m = sizes[t];
        CHECK_OK(rcc_net_assign(net, views + (size_t)(150 - m) * S * S, m, cl2, NULL, h2, NULL));
        CHECK(memcmp(cl2, cl + 150 - m, sizeof(int) * (size_t)m) == 0 &&
                  max_diff(h2, h + (size_t)(150 - m) * 3, (size_t)m * 3) < 1e-5,
              "%d images at once: the same clusters, h within %.2g", m, max_diff(h2, h + (size_t)(150 - m) * 3, (size_t)m * 3));
    }
    double worst = 0;
    for (int i = 0; i < d.n; i++) {
        double ss = 0, ps = 0;
        for (int j = 0; j < 3; j++)
            ss += (double)h[i * 3 + j] * h[i * 3 + j], ps += pr[i * 3 + j];
        worst = fmax(worst, fmax(fabs(sqrt(ss) - 1), fabs(ps - 1)));
        CHECK(cf[i] == pr[i * 3 + cl[i]], "confidence is the probability of the cluster (image %d)", i);
    }
    CHECK(worst < 1e-5, "h on the unit sphere, probabilities sum to 1 (worst %.2g)", worst);

    /* emit: every image once, in order, with the same answers */
    emitted e = {0, 0, 3, true, malloc(sizeof(int) * 150), malloc(sizeof(float) * 150), malloc(sizeof(float) * 450)};
    CHECK_OK(rcc_net_assign_data(net, &d, NULL, NULL, NULL, NULL, on_emit, &e));
    CHECK(e.calls == 150 && e.in_order, "emit: %d calls, in order %d", e.calls, e.in_order);
    CHECK(memcmp(e.cluster, cl, sizeof(int) * 150) == 0 && memcmp(e.confidence, cf, sizeof(float) * 150) == 0 &&
              memcmp(e.h, h, sizeof(float) * 450) == 0,
          "emit gives the same answers as the arrays");

    /* rcc predict's default clusters (rcc_net_assign_voted): the head's and h as rcc_net_assign_data's,
     * the confidence the head's probability of the final cluster, as many changed as the vote says
     * (or none when it is not applied); 0 neighbours: the head alone; bad counts refused */
    int *vcl = malloc(sizeof(int) * 150), *vhead = malloc(sizeof(int) * 150);
    float *vcf = malloc(sizeof(float) * 150), *vh = malloc(sizeof(float) * 450);
    rcc_vote_result vr;
    CHECK_OK(rcc_net_assign_voted(net, &d, 5, vcl, vhead, vcf, vh, &vr));
    int changed = 0;
    for (int i = 0; i < d.n; i++) {
        changed += vcl[i] != cl[i];
        CHECK(vcf[i] == pr[i * 3 + vcl[i]], "voted: the confidence is the head's probability of the final cluster (%d)", i);
    }
    CHECK(memcmp(vhead, cl, sizeof(int) * 150) == 0 && memcmp(vh, h, sizeof(float) * 450) == 0,
          "voted: the head's clusters and h are rcc_net_assign_data's");
    printf("rcc_net_assign_voted, 5 neighbours: the vote %s %d of 150 images in %d rounds\n",
           vr.applied ? "moved" : "would move (not applied)", vr.moved, vr.rounds);
    CHECK(vr.rounds >= 1 && (vr.applied ? changed == vr.moved : changed == 0),
          "voted: %d clusters changed, the vote says %d moved (applied %d, %d rounds)", changed, vr.moved, vr.applied,
          vr.rounds);
    CHECK_OK(rcc_net_assign_voted(net, &d, 0, vcl, NULL, NULL, NULL, &vr));
    CHECK(memcmp(vcl, cl, sizeof(int) * 150) == 0 && !vr.applied && vr.moved == 0 && vr.rounds == 0,
          "voted with 0 neighbours: the head alone");
    CHECK(rcc_net_assign_voted(net, &d, -1, vcl, NULL, NULL, NULL, NULL) == RCC_ERR_ARG &&
              rcc_net_assign_voted(net, &d, RCC_VOTE_MAX_KNN + 1, vcl, NULL, NULL, NULL, NULL) == RCC_ERR_ARG &&
              rcc_net_assign_voted(net, &d, 5, NULL, NULL, NULL, NULL, NULL) == RCC_ERR_ARG,
          "voted: a neighbour count out of 0..%d, or no output, refused", RCC_VOTE_MAX_KNN);
    free(vcl), free(vhead), free(vcf), free(vh);

    /* one image (the single-image plan) answers as it does inside a batch */
    rcc_dataset one = d;
    one.n = 1;
    int c1;
    float h1[3];
    CHECK_OK(rcc_net_assign_data(net, &one, &c1, NULL, h1, NULL, NULL, NULL));
    CHECK(c1 == cl[0] && fabsf(h1[0] - h[0]) < 1e-5f && fabsf(h1[1] - h[1]) < 1e-5f && fabsf(h1[2] - h[2]) < 1e-5f,
          "one image alone answers as in a batch");

    /* the precision of the passes: "" is the training's (f32 here), f32 gives the same answers, an
     * unknown one is refused (nothing leaks: the ASan run), bf16 where the CPU has it rounds */
    rcc_net *pn = NULL;
    CHECK_OK(rcc_net_load_precision(&pn, ckpt, ""));
    CHECK(pn && rcc_net_config(pn)->precision == RCC_PRECISION_F32, "precision \"\": the training's (f32)");
    rcc_net_free(pn);
    pn = NULL;
    CHECK_OK(rcc_net_load_precision(&pn, ckpt, "f32"));
    if (pn) {
        CHECK_OK(rcc_net_assign(pn, views, d.n, cl2, NULL, h2, NULL));
        CHECK(memcmp(cl2, cl, sizeof(int) * 150) == 0 && max_diff(h2, h, 450) < 1e-5, "precision f32: the same answers");
        rcc_net_free(pn);
    }
    pn = NULL;
    CHECK(rcc_net_load_precision(&pn, ckpt, "fp8") == RCC_ERR_ARG && !pn && strstr(rcc_last_error(), "fp8"),
          "an unknown precision is refused, naming it (%s)", rcc_last_error());
    if (rcc_conv_bf16_available()) {
        CHECK_OK(rcc_net_load_precision(&pn, ckpt, "bf16"));
        if (pn) {
            CHECK(rcc_net_config(pn)->precision == RCC_PRECISION_BF16, "precision bf16: said by rcc_net_config");
            CHECK_OK(rcc_net_assign(pn, views, d.n, cl2, NULL, h2, NULL));
            CHECK(max_diff(h2, h, 450) > 0 && max_diff(h2, h, 450) < 0.3, "precision bf16: h rounded, within %.3g",
                  max_diff(h2, h, 450));
            rcc_net_free(pn);
        }
    } else {
        CHECK(rcc_net_load_precision(&pn, ckpt, "bf16") == RCC_ERR_ARG && !pn,
              "precision bf16 where the CPU has none: refused");
    }

    /* the wrong number of channels is refused with both numbers */
    rcc_dataset rgb = d;
    rgb.c = 3, rgb.n = 50;
    rcc_status st = rcc_net_assign_data(net, &rgb, cl, NULL, NULL, NULL, NULL, NULL);
    CHECK(st == RCC_ERR_ARG && strstr(rcc_last_error(), "1-channel") && strstr(rcc_last_error(), "has 3"),
          "colour data for a grey model: %s", rcc_last_error());

    rcc_net_free(net);
    free(cl), free(cf), free(h), free(pr), free(cl2), free(cf2), free(h2), free(pr2), free(views);
    free(e.cluster), free(e.confidence), free(e.h);
    free_data(&d);
    free_data(&train);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf %s", tmpdir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", tmpdir);
    return test_finish("test_net");
}
