/* test_guest.c — librcc as a guest in a host's process. The host sets unusual values first (3
 * OpenMP threads; no flush-to-zero, and rounding towards -inf on its OpenMP workers); after a
 * training step, a whole run, a network's passes and k-means, the calling thread's thread count
 * and MXCSR are the host's again, and so is every worker's, and a denormal computed afterwards on
 * the main thread and on the workers stays a denormal. Two host threads with a network each
 * compute at once and get bit for bit what one thread alone gets (a oneDNN stream per thread). */
#include <math.h>
#include <omp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xmmintrin.h>
#include "rcc.h"
#include "rcc_data.h"
#include "rcc_eval.h"
#include "rcc_run.h"
#include "testutil.h"

#define HOST_THREADS 3
#define FTZ_DAZ 0x8040u
#define ROUND_DOWN 0x2000u /* MXCSR rounding control 01: towards -inf */

static unsigned int worker_csr[HOST_THREADS], host_csr;

/* The host's workers, by thread number, from a region of HOST_THREADS: each has its MXCSR again.
 * A worker numbered past the team rcc used may be a new thread (libgomp ends the workers a smaller
 * team leaves idle), which starts with its creator's MXCSR, the host's main thread's. */
static bool workers_as_set(int rcc_team)
{
    unsigned int now[HOST_THREADS] = {0};
    int team = 0;
#pragma omp parallel num_threads(HOST_THREADS)
    {
        now[omp_get_thread_num()] = _mm_getcsr();
#pragma omp single
        team = omp_get_num_threads();
    }
    bool same = team == HOST_THREADS;
    for (int i = 1; i < team; i++) {
        same = same && (now[i] == worker_csr[i] || (i >= rcc_team && now[i] == host_csr));
        if (same)
            worker_csr[i] = now[i]; /* a new thread's, from now on */
    }
    if (!same)
        for (int i = 1; i < team; i++)
            fprintf(stderr, "  worker %d: MXCSR %#x, the host's %#x\n", i, now[i], worker_csr[i]);
    return same;
}

/* A denormal made on every thread of a host region stays one (none flushes to zero). */
static bool denormals_kept(void)
{
    int kept = 0;
#pragma omp parallel num_threads(HOST_THREADS) reduction(+ : kept)
    {
        unsigned int before = _mm_getcsr();
        volatile float tiny = 1e-38f, scale = 1e-3f;
        float d = tiny * scale;
        kept += fpclassify(d) == FP_SUBNORMAL;
        _mm_setcsr(before); /* the flags the product raised */
    }
    return kept == HOST_THREADS;
}

/* Right before a call: the host's MXCSR exactly (its own arithmetic since raised flags). */
static void host_mode(void) { _mm_setcsr(host_csr); }

/* After a call that computed with rcc_team threads: the host's settings, all of them. */
static void host_intact(const char *after, int rcc_team)
{
    unsigned int csr = _mm_getcsr();
    CHECK(omp_get_max_threads() == HOST_THREADS, "after %s: the host's %d threads (got %d)", after, HOST_THREADS,
          omp_get_max_threads());
    CHECK(csr == host_csr, "after %s: the host's MXCSR %#x (got %#x)", after, host_csr, csr);
    CHECK(workers_as_set(rcc_team), "after %s: every OpenMP worker has the host's MXCSR again", after);
    volatile float tiny = 1e-38f, scale = 1e-3f;
    float d = tiny * scale;
    CHECK(fpclassify(d) == FP_SUBNORMAL, "after %s: a denormal on the main thread stays one (%g)", after,
          (double)d);
    CHECK(denormals_kept(), "after %s: denormals stay denormal on the workers", after);
    host_mode();
}

static void tiny_config(rcc_config *c)
{
    rcc_config_preset(c, "cpu");
    c->image_size = 16, c->width = 4, c->hidden = 16, c->feature_dim = 8, c->clusters = 3, c->batch = 8;
    c->epochs = 1, c->threads = 2, c->loader_threads = 1, c->eval_every = 1;
}

static void random_images(float *x, size_t n, uint64_t seed)
{
    rcc_rng r;
    rcc_rng_init(&r, seed, 1);
    for (size_t i = 0; i < n; i++)
        x[i] = (float)rcc_rng_uniform(&r);
}

/* ---------------------------------------------------------------- two host threads at once */

#define PASSES 12
#define IMAGES 40

typedef struct {
    const char *ckpt;
    const float *images;
    const float *want_h; /* IMAGES × 3 */
    bool same;
    rcc_status st;
} host_thread;

static void *host_thread_main(void *arg)
{
    host_thread *t = arg;
    rcc_net *net = NULL;
    t->same = true;
    t->st = rcc_net_load(&net, t->ckpt);
    if (t->st == RCC_OK)
        t->st = rcc_net_set_threads(net, 2);
    float h[IMAGES * 3];
    for (int p = 0; p < PASSES && t->st == RCC_OK; p++) {
        t->st = rcc_net_assign(net, t->images, IMAGES, NULL, NULL, h, NULL);
        t->same = t->same && memcmp(h, t->want_h, sizeof h) == 0;
    }
    rcc_net_free(net);
    return NULL;
}

int main(void)
{
    char tmpdir[] = "/tmp/rcc-test-guest-XXXXXX";
    if (!mkdtemp(tmpdir)) {
        perror("mkdtemp");
        return 1;
    }
    /* the library's defaults come from the CPUs the process may use */
    int avail = rcc_threads_available();
    rcc_config c;
    rcc_config_preset(&c, "cpu");
    CHECK(avail >= 1 && rcc_get_threads() == avail && c.threads == avail,
          "default threads: the CPUs available (%d), the default (%d), the preset's (%d)", avail,
          rcc_get_threads(), c.threads);
    /* more threads than CPUs are capped (unless RCC_OVERSUBSCRIBE=1, which this test does not set) */
    CHECK(rcc_compute_cap(avail + 3) == avail && rcc_compute_cap(1) == 1 && rcc_compute_cap(avail) == avail,
          "rcc_compute_cap: %d threads on %d CPUs -> %d, 1 -> %d", avail + 3, avail, rcc_compute_cap(avail + 3),
          rcc_compute_cap(1));

    /* the host's settings: 3 threads, no flush-to-zero anywhere, its workers rounding down */
    omp_set_num_threads(HOST_THREADS);
#pragma omp parallel num_threads(HOST_THREADS)
    {
        int i = omp_get_thread_num();
        if (i > 0) {
            _mm_setcsr((_mm_getcsr() & ~FTZ_DAZ) | ROUND_DOWN);
            worker_csr[i] = _mm_getcsr();
        }
    }
    host_csr = _mm_getcsr() & ~FTZ_DAZ;
    host_mode();
    host_intact("the host's own set-up", HOST_THREADS);

    /* a training step */
    tiny_config(&c);
    rcc_training *t = NULL;
    host_mode();
    CHECK_OK(rcc_training_create(&t, &c, 1));
    host_intact("rcc_training_create", c.threads);
    size_t px = (size_t)c.image_size * c.image_size;
    float *views = malloc(2 * (size_t)c.batch * px * sizeof *views);
    random_images(views, 2 * (size_t)c.batch * px, 5);
    double losses[5] = {0};
    host_mode();
    if (t)
        CHECK_OK(rcc_training_step(t, views, losses));
    host_intact("rcc_training_step", c.threads);
    CHECK(isfinite(losses[4]), "the step's loss is finite (%g)", losses[4]);
    char ckpt[128];
    snprintf(ckpt, sizeof ckpt, "%s/step.safetensors", tmpdir);
    if (t)
        CHECK_OK(rcc_training_save(t, ckpt));
    rcc_training_free(t);

    /* a network's passes, one image and a batch */
    rcc_net *net = NULL;
    host_mode();
    CHECK_OK(rcc_net_load(&net, ckpt));
    host_intact("rcc_net_load", rcc_get_threads());
    float *images = malloc(IMAGES * px * sizeof *images), h[IMAGES * 3];
    random_images(images, IMAGES * px, 9);
    if (net) {
        host_mode();
        CHECK_OK(rcc_net_set_threads(net, 2));
        host_intact("rcc_net_set_threads", 2);
        CHECK(rcc_net_threads(net) == 2, "rcc_net_threads: %d", rcc_net_threads(net));
        host_mode();
        CHECK_OK(rcc_net_assign(net, images, 1, NULL, NULL, h, NULL));
        CHECK_OK(rcc_net_assign(net, images, IMAGES, NULL, NULL, h, NULL));
        host_intact("rcc_net_assign", 2);
    }

    /* a whole run, whose evaluation runs a network inside the run's guard */
    rcc_dataset d = {.n = 48, .c = 1, .h = 20, .w = 20};
    d.pix = malloc((size_t)d.n * 400 * sizeof *d.pix);
    d.labels = malloc((size_t)d.n * sizeof *d.labels);
    d.num_classes = 4;
    random_images(d.pix, (size_t)d.n * 400, 3);
    for (int i = 0; i < d.n; i++)
        d.labels[i] = i % 4;
    char out[128];
    snprintf(out, sizeof out, "%s/run", tmpdir);
    host_mode();
    CHECK_OK(rcc_run_train(&c, &d, out, NULL, NULL));
    host_intact("rcc_run_train", c.threads);

    /* k-means over the features */
    rcc_kmeans_config kc;
    rcc_kmeans_config_default(&kc, 3);
    float centers[9];
    int assign[IMAGES];
    rcc_kmeans_result kr;
    host_mode();
    CHECK_OK(rcc_kmeans(h, IMAGES, 3, &kc, centers, assign, &kr));
    host_intact("rcc_kmeans", rcc_get_threads());

    /* two host threads, a network each, at once: what one thread alone computes */
    if (net) {
        host_thread ht[2];
        pthread_t tid[2];
        for (int i = 0; i < 2; i++) {
            ht[i] = (host_thread){ckpt, images, h, false, RCC_OK};
            CHECK(pthread_create(&tid[i], NULL, host_thread_main, &ht[i]) == 0, "start host thread %d", i);
        }
        for (int i = 0; i < 2; i++) {
            pthread_join(tid[i], NULL);
            CHECK(ht[i].st == RCC_OK, "host thread %d: %s", i, rcc_strerror(ht[i].st));
            CHECK(ht[i].same, "host thread %d: %d passes at once with the other give the main thread's h bit for bit",
                  i, PASSES);
        }
        host_intact("two host threads' networks", HOST_THREADS);
    }
    rcc_net_free(net);
    free(views);
    free(images);
    free(d.pix);
    free(d.labels);
    char cmd[160];
    snprintf(cmd, sizeof cmd, "rm -rf %s", tmpdir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", tmpdir);
    return test_finish("test_guest");
}
