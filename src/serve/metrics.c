/* metrics.c — the server's counters and their Prometheus text exposition (format 0.0.4):
 * requests by endpoint and status, a latency histogram per endpoint, batch sizes, images per
 * cluster, the model's step, reloads and refused reloads, connections closed on timeout. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "serve_internal.h"

const char *const serve_endpoint_names[EP_COUNT] = {"assign", "embed", "model", "healthz", "metrics", "page", "other"};

static const int codes[SERVE_CODES] = {200, 400, 401, 404, 405, 408, 413, 415, 422, 500, 503, 0};
static const double lat_le[SERVE_LAT_BUCKETS] = {0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05,
                                                  0.1,    0.25,  0.5,   1,     2.5,  10};
static const int batch_le[SERVE_BATCH_BUCKETS] = {1, 2, 4, 8, 16, 32, 64, 128, 256, 512};

void serve_metrics_init(serve_metrics *m)
{
    memset(m, 0, sizeof *m);
    pthread_mutex_init(&m->mu, NULL);
}

void serve_metrics_destroy(serve_metrics *m)
{
    free(m->cluster_images);
    pthread_mutex_destroy(&m->mu);
}

static int code_index(int status)
{
    for (int i = 0; i < SERVE_CODES - 1; i++)
        if (codes[i] == status)
            return i;
    return SERVE_CODES - 1; /* any other status */
}

static const char *code_label(int i)
{
    static const char *const labels[SERVE_CODES] = {"200", "400", "401", "404", "405", "408",
                                                    "413", "415", "422", "500", "503", "other"};
    return labels[i];
}

void serve_metrics_request(serve_metrics *m, serve_endpoint ep, int status, double seconds)
{
    int b = 0;
    while (b < SERVE_LAT_BUCKETS && seconds > lat_le[b])
        b++;
    pthread_mutex_lock(&m->mu);
    m->requests[ep][code_index(status)]++;
    m->latency[ep][b]++;
    m->latency_sum[ep] += seconds;
    pthread_mutex_unlock(&m->mu);
}

void serve_metrics_batch(serve_metrics *m, int n, const int *cluster, int k)
{
    int b = 0;
    while (b < SERVE_BATCH_BUCKETS && n > batch_le[b])
        b++;
    pthread_mutex_lock(&m->mu);
    m->batches[b]++;
    m->batch_images += (uint64_t)n;
    if (k > m->nclusters) { /* a reloaded model with more clusters */
        uint64_t *more = realloc(m->cluster_images, (size_t)k * sizeof *more);
        if (more) {
            memset(more + m->nclusters, 0, (size_t)(k - m->nclusters) * sizeof *more);
            m->cluster_images = more;
            m->nclusters = k;
        }
    }
    for (int i = 0; i < n; i++)
        if (cluster[i] >= 0 && cluster[i] < m->nclusters)
            m->cluster_images[cluster[i]]++;
    pthread_mutex_unlock(&m->mu);
}

/* A growing text buffer; on failure it stays failed and the result is NULL. */
typedef struct {
    char *p;
    size_t len, cap;
    bool bad;
} text;

#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
static void put(text *t, const char *fmt, ...)
{
    if (t->bad)
        return;
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(t->p ? t->p + t->len : NULL, t->p ? t->cap - t->len : 0, fmt, ap);
        va_end(ap);
        if (n < 0) {
            t->bad = true;
            return;
        }
        if (t->p && t->len + (size_t)n < t->cap) {
            t->len += (size_t)n;
            return;
        }
        size_t cap = (t->cap ? t->cap * 2 : 4096) + (size_t)n;
        char *p = realloc(t->p, cap);
        if (!p) {
            t->bad = true;
            return;
        }
        t->p = p;
        t->cap = cap;
    }
}

char *serve_metrics_text(serve_metrics *m, long step, double loaded_at)
{
    text t = {0};
    pthread_mutex_lock(&m->mu);
    put(&t, "# HELP rcc_serve_requests_total HTTP requests answered, by endpoint and status code.\n"
            "# TYPE rcc_serve_requests_total counter\n");
    for (int e = 0; e < EP_COUNT; e++)
        for (int c = 0; c < SERVE_CODES; c++)
            if (m->requests[e][c])
                put(&t, "rcc_serve_requests_total{endpoint=\"%s\",code=\"%s\"} %llu\n", serve_endpoint_names[e],
                    code_label(c), (unsigned long long)m->requests[e][c]);
    put(&t, "# HELP rcc_serve_errors_total Requests answered with a 4xx or 5xx status, by endpoint and code.\n"
            "# TYPE rcc_serve_errors_total counter\n");
    for (int e = 0; e < EP_COUNT; e++)
        for (int c = 1; c < SERVE_CODES; c++)
            if (m->requests[e][c])
                put(&t, "rcc_serve_errors_total{endpoint=\"%s\",code=\"%s\"} %llu\n", serve_endpoint_names[e],
                    code_label(c), (unsigned long long)m->requests[e][c]);
    put(&t, "# HELP rcc_serve_request_seconds Time from a request's headers to its answer.\n"
            "# TYPE rcc_serve_request_seconds histogram\n");
    for (int e = 0; e < EP_COUNT; e++) {
        uint64_t cum = 0;
        for (int b = 0; b <= SERVE_LAT_BUCKETS; b++) {
            cum += m->latency[e][b];
            if (b < SERVE_LAT_BUCKETS)
                put(&t, "rcc_serve_request_seconds_bucket{endpoint=\"%s\",le=\"%g\"} %llu\n", serve_endpoint_names[e],
                    lat_le[b], (unsigned long long)cum);
            else
                put(&t, "rcc_serve_request_seconds_bucket{endpoint=\"%s\",le=\"+Inf\"} %llu\n",
                    serve_endpoint_names[e], (unsigned long long)cum);
        }
        put(&t, "rcc_serve_request_seconds_sum{endpoint=\"%s\"} %.6f\n", serve_endpoint_names[e], m->latency_sum[e]);
        put(&t, "rcc_serve_request_seconds_count{endpoint=\"%s\"} %llu\n", serve_endpoint_names[e],
            (unsigned long long)cum);
    }
    put(&t, "# HELP rcc_serve_batch_images Images per forward pass.\n# TYPE rcc_serve_batch_images histogram\n");
    uint64_t cum = 0;
    for (int b = 0; b <= SERVE_BATCH_BUCKETS; b++) {
        cum += m->batches[b];
        if (b < SERVE_BATCH_BUCKETS)
            put(&t, "rcc_serve_batch_images_bucket{le=\"%d\"} %llu\n", batch_le[b], (unsigned long long)cum);
        else
            put(&t, "rcc_serve_batch_images_bucket{le=\"+Inf\"} %llu\n", (unsigned long long)cum);
    }
    put(&t, "rcc_serve_batch_images_sum %llu\nrcc_serve_batch_images_count %llu\n",
        (unsigned long long)m->batch_images, (unsigned long long)cum);
    put(&t, "# HELP rcc_serve_cluster_images_total Images assigned to each cluster.\n"
            "# TYPE rcc_serve_cluster_images_total counter\n");
    for (int k = 0; k < m->nclusters; k++)
        put(&t, "rcc_serve_cluster_images_total{cluster=\"%d\"} %llu\n", k, (unsigned long long)m->cluster_images[k]);
    put(&t, "# HELP rcc_serve_model_step Training step of the checkpoint being served.\n"
            "# TYPE rcc_serve_model_step gauge\nrcc_serve_model_step %ld\n", step);
    put(&t, "# HELP rcc_serve_model_loaded_seconds Unix time the model being served was loaded.\n"
            "# TYPE rcc_serve_model_loaded_seconds gauge\nrcc_serve_model_loaded_seconds %.3f\n", loaded_at);
    put(&t, "# HELP rcc_serve_reloads_total Checkpoints loaded after the first.\n"
            "# TYPE rcc_serve_reloads_total counter\nrcc_serve_reloads_total %llu\n", (unsigned long long)m->reloads);
    put(&t, "# HELP rcc_serve_reloads_refused_total Replaced checkpoints that failed to load or validate.\n"
            "# TYPE rcc_serve_reloads_refused_total counter\nrcc_serve_reloads_refused_total %llu\n",
        (unsigned long long)m->reloads_refused);
    put(&t, "# HELP rcc_serve_timeouts_total Connections closed because the client stalled.\n"
            "# TYPE rcc_serve_timeouts_total counter\nrcc_serve_timeouts_total %llu\n",
        (unsigned long long)m->timeouts);
    pthread_mutex_unlock(&m->mu);
    if (t.bad) {
        free(t.p);
        return NULL;
    }
    return t.p;
}
