/* core.c — the two threads behind the HTTP side. The batcher owns the network: it takes the
 * queued requests, whole, up to max_batch images (a request larger than that runs alone), runs
 * them as one forward pass and wakes each request with its answer; before each batch it swaps in
 * the model the watcher validated, so a request is answered by one model from start to end. The
 * watcher looks at the checkpoint file every poll_ms and loads a replaced one in the background,
 * on a thread that ends with the load (see serve_internal.h on threads). */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "serve_internal.h"
#include "../share.h"

double serve_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static struct timespec deadline_in(double seconds)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    long long ns = (long long)ts.tv_nsec + (long long)(seconds * 1e9);
    ts.tv_sec += (time_t)(ns / 1000000000);
    ts.tv_nsec = (long)(ns % 1000000000);
    return ts;
}

void serve_log(rcc_server *s, const char *fmt, ...)
{
    if (!s->o.on_log)
        return;
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    pthread_mutex_lock(&s->logmu);
    s->o.on_log(line, s->o.user);
    pthread_mutex_unlock(&s->logmu);
}

void serve_arriving(rcc_server *s, int delta)
{
    pthread_mutex_lock(&s->mu);
    s->arriving += delta;
    pthread_mutex_unlock(&s->mu);
}

/* ---------------------------------------------------------------- clients */

void serve_client_open(rcc_server *s, serve_client *c)
{
    pthread_mutex_lock(&s->mu);
    c->busy = false;
    c->last = -1e9;
    c->prev = NULL;
    c->next = s->clients;
    if (s->clients)
        s->clients->prev = c;
    s->clients = c;
    pthread_mutex_unlock(&s->mu);
}

void serve_client_close(rcc_server *s, serve_client *c)
{
    pthread_mutex_lock(&s->mu);
    if (c->prev)
        c->prev->next = c->next;
    else
        s->clients = c->next;
    if (c->next)
        c->next->prev = c->prev;
    pthread_mutex_unlock(&s->mu);
}

void serve_client_busy(rcc_server *s, serve_client *c, bool busy)
{
    double t = busy ? 0 : serve_now();
    pthread_mutex_lock(&s->mu);
    c->busy = busy;
    if (!busy)
        c->last = t;
    pthread_mutex_unlock(&s->mu);
}

/* Clients sending now: busy, or answered within the window (under mu). */
static int sending_clients(const rcc_server *s, double now)
{
    int n = 0;
    for (const serve_client *c = s->clients; c; c = c->next)
        n += c->busy || now - c->last < SERVE_CLIENT_WINDOW_S;
    return n;
}

/* ---------------------------------------------------------------- jobs */

void serve_submit(rcc_server *s, serve_job *job)
{
    pthread_mutex_lock(&s->mu);
    job->done = false;
    job->next = NULL;
    if (s->tail)
        s->tail->next = job;
    else
        s->head = job;
    s->tail = job;
    s->arriving--;
    pthread_cond_signal(&s->work);
    while (!job->done)
        pthread_cond_wait(&job->cv, &s->mu);
    pthread_mutex_unlock(&s->mu);
}

void serve_job_release(serve_job *job)
{
    free(job->cluster);
    free(job->confidence);
    free(job->probs);
    free(job->h);
    job->cluster = NULL;
    job->confidence = job->probs = job->h = NULL;
}

/* Copies rows [at, at + job->n) of the batch's answers into the job. */
static void give_answer(serve_job *j, const serve_model *m, rcc_status st, const char *err, size_t at,
                        const int *cl, const float *conf, const float *probs, const float *h)
{
    j->k = m->k;
    j->r = m->r;
    j->step = m->step;
    memcpy(j->digest, m->digest, sizeof j->digest);
    j->st = st;
    if (st == RCC_OK) {
        j->cluster = malloc((size_t)j->n * sizeof *j->cluster);
        j->confidence = malloc((size_t)j->n * sizeof *j->confidence);
        j->probs = malloc((size_t)j->n * m->k * sizeof *j->probs);
        j->h = malloc((size_t)j->n * m->r * sizeof *j->h);
        if (!j->cluster || !j->confidence || !j->probs || !j->h) {
            serve_job_release(j);
            j->st = RCC_ERR_NOMEM;
            snprintf(j->err, sizeof j->err, "out of memory for the answer");
            return;
        }
        memcpy(j->cluster, cl + at, (size_t)j->n * sizeof *cl);
        memcpy(j->confidence, conf + at, (size_t)j->n * sizeof *conf);
        memcpy(j->probs, probs + at * m->k, (size_t)j->n * m->k * sizeof *probs);
        memcpy(j->h, h + at * m->r, (size_t)j->n * m->r * sizeof *h);
    } else {
        snprintf(j->err, sizeof j->err, "%s", err);
    }
}

/* Runs the jobs list (total images n) on m and answers each; called without the lock. */
static void run_batch(rcc_server *s, serve_model *m, serve_job *jobs, int n)
{
    size_t px = (size_t)m->c * m->s * m->s;
    float *x = jobs->next ? malloc((size_t)n * px * sizeof *x) : NULL; /* several requests: side by side */
    int *cl = malloc((size_t)n * sizeof *cl);
    float *conf = malloc((size_t)n * sizeof *conf), *probs = malloc((size_t)n * m->k * sizeof *probs);
    float *h = malloc((size_t)n * m->r * sizeof *h);
    rcc_status st = (!jobs->next || x) && cl && conf && probs && h ? RCC_OK : RCC_ERR_NOMEM;
    char err[256] = "out of memory for the batch";
    if (st == RCC_OK) {
        const float *in = jobs->images; /* one request: its images as they are */
        if (jobs->next) {
            size_t at = 0;
            for (serve_job *j = jobs; j; j = j->next) {
                memcpy(x + at, j->images, (size_t)j->n * px * sizeof *x);
                at += (size_t)j->n * px;
            }
            in = x;
        }
        st = rcc_net_assign(m->net, in, n, cl, conf, h, probs);
        if (st != RCC_OK)
            snprintf(err, sizeof err, "inference failed: %s", rcc_last_error());
        else
            serve_metrics_batch(&s->metrics, n, cl, m->k);
    }
    pthread_mutex_lock(&s->mu);
    size_t at = 0;
    for (serve_job *j = jobs, *next; j; j = next) {
        next = j->next;
        give_answer(j, m, st, err, at, cl, conf, probs, h);
        at += (size_t)j->n;
        j->done = true;
        pthread_cond_signal(&j->cv);
    }
    pthread_mutex_unlock(&s->mu);
    free(x);
    free(cl);
    free(conf);
    free(probs);
    free(h);
}

/* The thread count a batch (or a model loaded now) computes with: the server's share of its
 * threads when it shares (share.h), else its threads; at most the CPUs either way. */
static int threads_now(rcc_server *s)
{
    int cap = rcc_compute_cap(s->threads);
    return s->share && s->share_own ? rcc_share_threads(s->share, cap) : cap;
}

/* Before a batch: busy (until 5 s after it), and with sharing on the net planned again when the
 * server's share changed. A plan that fails keeps the old count. */
static void share_cpus(rcc_server *s, serve_model *m)
{
    if (!s->share)
        return;
    rcc_share_busy(s->share, INFINITY);
    if (!s->share_own)
        return;
    int want = threads_now(s), had = rcc_compute_cap(rcc_net_threads(m->net));
    if (want == had)
        return;
    double t0 = serve_now();
    if (rcc_net_set_threads(m->net, want) != RCC_OK) {
        serve_log(s, "could not plan for %d threads (%s); going on with %d", want, rcc_last_error(), had);
        return;
    }
    int n = rcc_share_neighbours(s->share);
    serve_log(s, "computing with %d thread%s from now on (%d busy rcc process%s on these CPUs; planned again in "
                 "%.2f s)",
              want, want == 1 ? "" : "s", n, n == 1 ? "" : "es", serve_now() - t0);
}

static void *batcher_main(void *arg)
{
    rcc_server *s = arg;
    serve_model *first_model = NULL;
    rcc_status st = serve_model_load(s->path, s->precision, threads_now(s), 0, 0, &first_model);
    pthread_mutex_lock(&s->mu);
    s->model = first_model;
    s->start_st = st;
    snprintf(s->start_err, sizeof s->start_err, "%s", st == RCC_OK ? "" : rcc_last_error());
    if (st == RCC_OK && !s->precision[0] && first_model->trained_in != rcc_net_config(first_model->net)->precision)
        serve_log(s, "checkpoint trained in %s, served in %s (this CPU has no %s convolutions)",
                  rcc_precision_name(first_model->trained_in),
                  rcc_precision_name(rcc_net_config(first_model->net)->precision),
                  rcc_precision_name(first_model->trained_in));
    s->started = true;
    pthread_cond_broadcast(&s->work);
    if (st != RCC_OK) {
        pthread_mutex_unlock(&s->mu);
        return NULL;
    }
    for (;;) {
        while (!s->head && !s->pending && !s->quit)
            pthread_cond_wait(&s->work, &s->mu);
        if (s->pending) { /* between batches: no request is running on the old model */
            serve_model *old = s->model;
            s->model = s->pending;
            s->pending = NULL;
            pthread_mutex_unlock(&s->mu);
            serve_model_free(old);
            pthread_mutex_lock(&s->mu);
            continue;
        }
        if (!s->head && s->quit)
            break;
        /* Wait, up to max_wait_ms, for the requests being received and for one from each client
         * that has been sending (its next request is on its way): a batch fills with them, and one
         * client alone never waits. */
        struct timespec until = deadline_in(s->o.max_wait_ms * 1e-3);
        int expect = sending_clients(s, serve_now());
        for (;;) {
            int requests = 0, images = 0;
            for (const serve_job *j = s->head; j; j = j->next)
                requests++, images += j->n;
            if (s->quit || images >= s->o.max_batch || (s->arriving == 0 && requests >= expect))
                break;
            if (pthread_cond_timedwait(&s->work, &s->mu, &until) == ETIMEDOUT)
                break;
        }
        serve_job *first = s->head, *last = first;
        int n = first->n;
        while (last->next && n + last->next->n <= s->o.max_batch) {
            last = last->next;
            n += last->n;
        }
        s->head = last->next;
        if (!s->head)
            s->tail = NULL;
        last->next = NULL;
        serve_model *m = s->model;
        pthread_mutex_unlock(&s->mu);
        share_cpus(s, m);
        run_batch(s, m, first, n);
        rcc_share_busy(s->share, SERVE_SHARE_BUSY_S);
        pthread_mutex_lock(&s->mu);
    }
    pthread_mutex_unlock(&s->mu);
    return NULL;
}

/* ---------------------------------------------------------------- the watcher */

typedef struct {
    rcc_server *s;
    serve_model *m;
    rcc_status st;
    char why[512];
} reload_job;

static void *reload_main(void *arg)
{
    reload_job *r = arg;
    r->st = serve_model_load(r->s->path, r->s->precision, threads_now(r->s), r->s->c, r->s->s, &r->m);
    if (r->st != RCC_OK)
        snprintf(r->why, sizeof r->why, "%s", rcc_last_error());
    return NULL;
}

static void try_reload(rcc_server *s, const serve_file_id *id)
{
    reload_job r = {s, NULL, RCC_OK, ""};
    pthread_t t;
    if (pthread_create(&t, NULL, reload_main, &r) == 0) {
        pthread_join(t, NULL);
    } else {
        r.st = RCC_ERR_NOMEM;
        snprintf(r.why, sizeof r.why, "cannot start a thread to load it");
    }
    serve_model *m = r.m;
    rcc_status st = r.st;
    if (st != RCC_OK) {
        const char *why = r.why;
        serve_file_id now;
        if (serve_file_identity(s->path, &now) && !serve_file_id_equal(&now, id))
            return; /* replaced again while loading: look at the newer one next time */
        s->refused = *id;
        s->have_refused = true;
        pthread_mutex_lock(&s->metrics.mu);
        s->metrics.reloads_refused++;
        pthread_mutex_unlock(&s->metrics.mu);
        serve_log(s, "refused checkpoint %s: %s: %s (the previous model keeps serving)", s->path, rcc_strerror(st),
                  why);
        return;
    }
    s->have_refused = false;
    pthread_mutex_lock(&s->metrics.mu);
    s->metrics.reloads++;
    pthread_mutex_unlock(&s->metrics.mu);
    serve_log(s, "loaded checkpoint %s: step %ld, digest fnv1a64:%s, %s", s->path, m->step, m->digest,
              rcc_precision_name(rcc_net_config(m->net)->precision));
    pthread_mutex_lock(&s->mu);
    serve_model_free(s->pending); /* an older one not yet swapped in */
    s->pending = m;
    pthread_cond_signal(&s->work);
    pthread_mutex_unlock(&s->mu);
}

static void *watcher_main(void *arg)
{
    rcc_server *s = arg;
    serve_file_id last;
    pthread_mutex_lock(&s->mu);
    last = s->model->id;
    pthread_mutex_unlock(&s->mu);
    pthread_mutex_lock(&s->wmu);
    while (!s->wquit) {
        struct timespec until = deadline_in(s->o.poll_ms * 1e-3);
        while (!s->wquit && pthread_cond_timedwait(&s->wcv, &s->wmu, &until) != ETIMEDOUT) {
        }
        if (s->wquit)
            break;
        pthread_mutex_unlock(&s->wmu);
        serve_file_id id;
        if (serve_file_identity(s->path, &id) && !serve_file_id_equal(&id, &last) &&
            !(s->have_refused && serve_file_id_equal(&id, &s->refused))) {
            try_reload(s, &id);
            if (!s->have_refused || serve_file_id_equal(&id, &s->refused))
                last = id;
        }
        pthread_mutex_lock(&s->wmu);
    }
    pthread_mutex_unlock(&s->wmu);
    return NULL;
}

/* ---------------------------------------------------------------- start and stop */

void serve_core_init(rcc_server *s)
{
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&s->work, &ca);
    pthread_cond_init(&s->wcv, &ca);
    pthread_condattr_destroy(&ca);
    pthread_mutex_init(&s->mu, NULL);
    pthread_mutex_init(&s->wmu, NULL);
    pthread_mutex_init(&s->logmu, NULL);
}

void serve_core_destroy(rcc_server *s)
{
    pthread_cond_destroy(&s->work);
    pthread_cond_destroy(&s->wcv);
    pthread_mutex_destroy(&s->mu);
    pthread_mutex_destroy(&s->wmu);
    pthread_mutex_destroy(&s->logmu);
}

rcc_status serve_core_start(rcc_server *s)
{
    if (pthread_create(&s->batcher, NULL, batcher_main, s) != 0)
        return rcc_fail(RCC_ERR_NOMEM, "cannot start the batching thread");
    s->batcher_started = true;
    pthread_mutex_lock(&s->mu);
    while (!s->started)
        pthread_cond_wait(&s->work, &s->mu);
    rcc_status st = s->start_st;
    if (st == RCC_OK) {
        s->c = s->model->c;
        s->s = s->model->s;
    }
    pthread_mutex_unlock(&s->mu);
    if (st != RCC_OK)
        return rcc_fail(st, "%s", s->start_err);
    if (s->o.poll_ms > 0) {
        if (pthread_create(&s->watcher, NULL, watcher_main, s) != 0)
            return rcc_fail(RCC_ERR_NOMEM, "cannot start the checkpoint watcher");
        s->watcher_started = true;
    }
    return RCC_OK;
}

void serve_core_stop(rcc_server *s)
{
    if (s->watcher_started) {
        pthread_mutex_lock(&s->wmu);
        s->wquit = true;
        pthread_cond_signal(&s->wcv);
        pthread_mutex_unlock(&s->wmu);
        pthread_join(s->watcher, NULL);
        s->watcher_started = false;
    }
    if (s->batcher_started) {
        pthread_mutex_lock(&s->mu);
        s->quit = true; /* the batcher answers what is queued, then ends */
        pthread_cond_signal(&s->work);
        pthread_mutex_unlock(&s->mu);
        pthread_join(s->batcher, NULL);
        s->batcher_started = false;
    }
}
